/** Attendance employees: create, read, list, update. */
import { and, asc, eq, or, sql } from "drizzle-orm";
import { isConstraintError } from "../../db/client";
import { attendanceEmployees } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError } from "../../lib/errors";
import { type Page, paginate } from "../../lib/pagination";
import { actorOf } from "../../lib/principal";
import { likeContains } from "../../lib/sql";
import type { Principal } from "../../types";
import { type EmployeeRow, revokeAllOf } from "../enrollment/repo";
import { toEmployee } from "./mappers";
import type { CreateEmployee, Employee, EmployeeListQuery, UpdateEmployee } from "./schemas";

export const employeeNotFound = (ref: string) => new AppError("NOT_FOUND", `Employee '${ref}' not found`, { reason: "employee_not_found" });
const codeTaken = (code: string) => new AppError("CONFLICT", `An employee with code '${code}' exists`, { reason: "employee_code_taken" });

/** An employee by id, or else by code (RM365's clients send either as `employee_id`). */
export async function findEmployee(db: Deps["db"], ref: string): Promise<EmployeeRow | undefined> {
  const rows = await db
    .select()
    .from(attendanceEmployees)
    .where(or(eq(attendanceEmployees.id, ref), eq(attendanceEmployees.code, ref)))
    .limit(2);
  return rows.find((r) => r.id === ref) ?? rows[0];
}

/** Creates an employee; 409 when the code is taken. */
export async function createEmployee(deps: Pick<Deps, "db">, input: CreateEmployee, actor: Principal): Promise<Employee> {
  try {
    const [row] = await deps.db
      .insert(attendanceEmployees)
      .values({
        id: crypto.randomUUID(),
        code: input.code,
        name: input.name,
        department: input.department ?? null,
        active: input.active,
        createdBy: actorOf(actor).userId,
      })
      .returning();
    if (!row) throw new Error("insert returned no row");
    return toEmployee(row);
  } catch (err) {
    if (isConstraintError(err, "UNIQUE")) throw codeTaken(input.code);
    throw err;
  }
}

/** One employee by id or code; 404 when none. */
export async function getEmployee(deps: Pick<Deps, "db">, ref: string): Promise<Employee> {
  const row = await findEmployee(deps.db, ref);
  if (!row) throw employeeNotFound(ref);
  return toEmployee(row);
}

/** Employees by name, filtered by a search (name or code contains), department and active. */
export async function listEmployees(deps: Pick<Deps, "db">, query: EmployeeListQuery): Promise<Page<Employee>> {
  const e = attendanceEmployees;
  const q = deps.db
    .select()
    .from(e)
    .where(
      and(
        query.search ? likeContains([e.name, e.code], query.search) : undefined,
        query.department ? eq(e.department, query.department) : undefined,
        query.active === undefined ? undefined : eq(e.active, query.active),
      ),
    )
    .$dynamic();
  const page = await paginate(deps.db, q, query, { orderBy: [asc(e.name)], tiebreaker: e.id });
  return { ...page, items: page.items.map(toEmployee) };
}

/**
 * Updates an employee (If-Match: version). Deactivating one revokes their cards and fingerprints
 * in the same batch: a card belongs to at most one active employee, and a leaver's card stops
 * clocking at once.
 */
export async function updateEmployee(
  deps: Pick<Deps, "db" | "now">,
  ref: string,
  input: UpdateEmployee,
  actor: Principal,
  expectedVersion: number | undefined,
): Promise<Employee> {
  const current = await findEmployee(deps.db, ref);
  if (!current) throw employeeNotFound(ref);
  const e = attendanceEmployees;
  const version = expectedVersion ?? current.version;
  const set: Partial<typeof e.$inferInsert> = {};
  if (input.code !== undefined) set.code = input.code;
  if (input.name !== undefined) set.name = input.name;
  if (input.department !== undefined) set.department = input.department;
  if (input.active !== undefined) set.active = input.active;
  const update = deps.db
    .update(e)
    .set({ ...set, version: sql`${e.version} + 1` })
    .where(and(eq(e.id, current.id), eq(e.version, version)))
    .returning();
  const deactivating = input.active === false && current.active;
  let rows: EmployeeRow[];
  try {
    if (deactivating) {
      const who = actorOf(actor);
      // The revocations run only if the update matched (its version was current) and deactivated.
      const deactivated = sql`exists (select 1 from ${e} where ${e.id} = ${current.id} and ${e.version} = ${version + 1} and ${e.active} = 0)`;
      const [cards, fingerprints] = revokeAllOf(deps.db, current.id, deps.now().toISOString(), who.userId, `Employee deactivated by ${who.name}`, deactivated);
      const [changed] = await deps.db.batch([update, cards, fingerprints]);
      rows = changed;
    } else {
      rows = await update;
    }
  } catch (err) {
    if (isConstraintError(err, "UNIQUE")) throw codeTaken(input.code ?? current.code);
    throw err;
  }
  const [row] = rows;
  if (!row)
    throw new AppError("CONFLICT", `Employee '${ref}' was changed by someone else (version ${version} is stale); reload and retry`, {
      reason: "stale_version",
    });
  return toEmployee(row);
}
