/**
 * Attendance: employees, clocking (RM365's toggle, by card, by fingerprint), logs, forgotten
 * clock-outs and their corrections (audited), and CSV export. Reports live in reports.ts.
 *
 * Clocking without interactive transactions: the caller reads the employee (and the credential
 * a reader presented), decides in or out, then writes one `db.batch`:
 *   UPDATE employee SET clock_state, clock_since, last_event_id = new
 *     WHERE id AND active AND last_event_id IS <the one read> [AND the credential is still active]
 *   INSERT event … WHERE changes() = 1
 *   (on an out) UPDATE the open 'in' SET closed_by = new WHERE the new event exists
 * Two taps that read the same state cannot both pass the first statement: the second finds
 * `last_event_id` moved and writes nothing (409). A card revoked between the read and the write
 * fails the same statement.
 */
import { and, asc, desc, eq, exists, gt, gte, inArray, isNull, lt, ne, not, or, type SQL, sql } from "drizzle-orm";
import { alias, type SQLiteColumn } from "drizzle-orm/sqlite-core";
import { isConstraintError } from "../../db/client";
import { attendanceCorrections, attendanceEmployees, attendanceEvents } from "../../db/schema";
import { csvLine } from "../../lib/csv";
import type { Deps } from "../../lib/deps";
import { AppError } from "../../lib/errors";
import { type Page, paginate } from "../../lib/pagination";
import { actorOf } from "../../lib/principal";
import { afterOneChange, insertWhere } from "../../lib/sql";
import type { Principal } from "../../types";
import { type Credential, credentialActive, type EmployeeRow, employeeByCard, employeeByFingerprint, revokeAllOf, templateHash } from "../enrollment/repo";
import { normaliseUid } from "../enrollment/schemas";
import { attendanceConfig } from "./config";
import type {
  ClockBody,
  ClockByCardBody,
  ClockByFingerprintBody,
  ClockResult,
  CloseOpenInBody,
  Correction,
  CorrectionQuery,
  CreateEmployee,
  EditTimeBody,
  Employee,
  EmployeeListQuery,
  LogEntry,
  LogQuery,
  OpenIn,
  UpdateEmployee,
} from "./schemas";
import { plantDate, plantDayBounds, plantTime } from "./time";

type EventRow = typeof attendanceEvents.$inferSelect;
/** The events table under another name, for "this event exists" sub-selects inside writes to it. */
const other = alias(attendanceEvents, "other_event");
/** SQL: an event with this id exists (was written earlier in the same batch). */
const eventExists = (db: Deps["db"], id: string) => exists(db.select({ id: other.id }).from(other).where(eq(other.id, id)));
type CorrectionRow = typeof attendanceCorrections.$inferSelect;
type Direction = "in" | "out";

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);
const contains = (column: SQLiteColumn, text: string) => sql`${column} like ${`%${escapeLike(text)}%`} escape '\\'`;

// ---------------------------------------------------------------------------------------------
// Mappers

/** The wire shape of an employee row. */
export function toEmployee(row: EmployeeRow): Employee {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    department: row.department,
    active: row.active,
    status: row.clockState,
    status_since: row.clockSince,
    version: row.version,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

/** RM365's log row (plant date and time) from an event and its employee. */
export function toLogEntry(event: EventRow, employee: Pick<EmployeeRow, "name" | "code" | "department">, timeZone: string): LogEntry {
  const at = new Date(event.at);
  return {
    id: event.id,
    employee: employee.name,
    employee_id: event.employeeId,
    employee_code: employee.code,
    department: employee.department,
    date: plantDate(at, timeZone),
    time: plantTime(at, timeZone),
    direction: event.direction,
    timestamp: event.at,
    source: event.source,
    recorded_by: event.actorName,
  };
}

function toCorrection(row: CorrectionRow): Correction {
  return {
    id: row.id,
    employee_id: row.employeeId,
    event_id: row.eventId,
    action: row.action,
    before: row.before,
    after: row.after,
    reason: row.reason,
    corrected_by: row.actorName,
    corrected_by_id: row.actorId,
    created_at: row.createdAt,
  };
}

// ---------------------------------------------------------------------------------------------
// Employees

const employeeNotFound = (ref: string) => new AppError("NOT_FOUND", `Employee '${ref}' not found`, { reason: "employee_not_found" });
const codeTaken = (code: string) => new AppError("CONFLICT", `An employee with code '${code}' exists`, { reason: "employee_code_taken" });

/** An employee by id, or else by code (RM365's clients send either as `employee_id`). */
async function findEmployee(db: Deps["db"], ref: string): Promise<EmployeeRow | undefined> {
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
        query.search ? or(contains(e.name, query.search), contains(e.code, query.search)) : undefined,
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

// ---------------------------------------------------------------------------------------------
// Clocking

/** Where an employee effectively stands: an 'in' older than the longest shift counts as out. */
function effectiveState(row: EmployeeRow, now: Date, maxShiftMs: number): Direction {
  if (row.clockState !== "in" || row.clockSince === null) return "out";
  return now.getTime() - Date.parse(row.clockSince) > maxShiftMs ? "out" : "in";
}

type ClockSource = "manual" | "card" | "fingerprint";
type ClockDeps = Pick<Deps, "db" | "now" | "env" | "config">;

/** Reader sources: their taps are debounced (a manager's manual clock is deliberate, never). */
const READER_SOURCES = ["card", "fingerprint"] as const;
const isReader = (source: ClockSource): source is (typeof READER_SOURCES)[number] => source === "card" || source === "fingerprint";

/**
 * SQL: the employee's last event is a reader tap at or after `since` (in the `requested`
 * direction, when the reader asked for one). The clock write carries `not (this)`, so of two
 * taps racing, the second cannot write even if it read the state before the first wrote.
 */
const recentTapCondition = (db: Deps["db"], lastEventId: SQLiteColumn, since: string, requested: Direction | undefined) =>
  exists(
    db
      .select({ id: other.id })
      .from(other)
      .where(
        and(
          eq(other.id, lastEventId),
          inArray(other.source, [...READER_SOURCES]),
          gte(other.at, since),
          requested ? eq(other.direction, requested) : undefined,
        ),
      ),
  );

/**
 * The employee's last event when it is a reader tap inside the debounce window (and in the
 * requested direction, if any): the tap a second one duplicates.
 */
async function recentTap(deps: ClockDeps, employeeId: string, since: string, requested: Direction | undefined): Promise<EventRow | undefined> {
  const e = attendanceEmployees;
  const ev = attendanceEvents;
  const [row] = await deps.db
    .select({ event: ev })
    .from(e)
    .innerJoin(ev, eq(ev.id, e.lastEventId))
    .where(and(eq(e.id, employeeId), inArray(ev.source, [...READER_SOURCES]), gte(ev.at, since), requested ? eq(ev.direction, requested) : undefined))
    .limit(1);
  return row?.event;
}

/** The answer to a debounced tap: the first tap's event, nothing written. */
function duplicateOf(observed: EmployeeRow, event: EventRow): ClockResult {
  return {
    status: "success",
    direction: event.direction,
    message: `${observed.name} already clocked ${event.direction} at ${event.at} (a repeated tap; nothing recorded)`,
    employee_id: observed.id,
    employee_code: observed.code,
    employee_name: observed.name,
    event_id: event.id,
    timestamp: event.at,
    duplicate: true,
  };
}

/**
 * Writes one clock event for an employee as read (`observed`): see the module comment. Exported
 * so tests can replay two taps that read the same state.
 */
export async function clockObserved(
  deps: ClockDeps,
  observed: EmployeeRow,
  credential: Credential | undefined,
  requested: Direction | undefined,
  source: ClockSource,
  actor: Principal,
): Promise<ClockResult> {
  const config = attendanceConfig(deps);
  const now = deps.now();
  if (!observed.active) throw new AppError("CONFLICT", `Employee '${observed.code}' is inactive`, { reason: "employee_inactive" });
  // A reader tap inside the debounce window of the employee's last tap is that tap again.
  const debounceMs = isReader(source) ? deps.config.CLOCK_DEBOUNCE_SECONDS * 1000 : 0;
  const tapWindowStart = new Date(now.getTime() - debounceMs).toISOString();
  if (debounceMs > 0 && observed.clockSince !== null && observed.clockSince >= tapWindowStart) {
    const tap = await recentTap(deps, observed.id, tapWindowStart, requested);
    if (tap) return duplicateOf(observed, tap);
  }
  const state = effectiveState(observed, now, config.maxShiftMs);
  if (requested === "in" && state === "in") {
    throw new AppError("CONFLICT", `${observed.name} is already clocked in (since ${observed.clockSince})`, { reason: "already_clocked_in" });
  }
  if (requested === "out" && state === "out") throw new AppError("CONFLICT", `${observed.name} is not clocked in`, { reason: "not_clocked_in" });
  const direction: Direction = requested ?? (state === "in" ? "out" : "in");
  const at = now.toISOString();
  const eventId = crypto.randomUUID();
  const who = actorOf(actor);
  const e = attendanceEmployees;
  const ev = attendanceEvents;

  const [moved] = await deps.db.batch([
    deps.db
      .update(e)
      .set({ clockState: direction, clockSince: at, lastEventId: eventId, updatedAt: sql`${e.updatedAt}` })
      .where(
        and(
          eq(e.id, observed.id),
          eq(e.active, true),
          observed.lastEventId === null ? isNull(e.lastEventId) : eq(e.lastEventId, observed.lastEventId),
          credential ? credentialActive(credential) : undefined,
          debounceMs > 0 ? not(recentTapCondition(deps.db, e.lastEventId, tapWindowStart, requested)) : undefined,
        ),
      )
      .returning({ id: e.id }),
    insertWhere(
      deps,
      ev,
      { id: eventId, employeeId: observed.id, direction, at, source, credentialId: credential?.id ?? null, actorId: who.userId, actorName: who.name },
      afterOneChange,
    ),
    // An out closes the open 'in' it follows (the employee's last event, when that is an 'in').
    deps.db
      .update(ev)
      .set({ closedBy: eventId })
      .where(and(eq(ev.id, observed.lastEventId ?? ""), eq(ev.direction, "in"), isNull(ev.closedBy), sql`${direction} = 'out'`, eventExists(deps.db, eventId))),
  ]);
  if (moved.length === 0) {
    // Another tap got there first: if it is a reader tap this one repeats, this one is its duplicate.
    if (debounceMs > 0) {
      const tap = await recentTap(deps, observed.id, tapWindowStart, requested);
      if (tap) return duplicateOf(observed, tap);
    }
    const [now2] = await deps.db.select().from(e).where(eq(e.id, observed.id)).limit(1);
    if (!now2?.active) throw new AppError("CONFLICT", `Employee '${observed.code}' is inactive`, { reason: "employee_inactive" });
    if (credential && (now2.lastEventId ?? null) === (observed.lastEventId ?? null)) {
      throw new AppError("NOT_FOUND", `This ${credential.kind} is not enrolled to an active employee`, { reason: `${credential.kind}_not_enrolled` });
    }
    throw new AppError("CONFLICT", `${observed.name} clocked at the same moment from another tap; nothing was recorded, try again`, {
      reason: "concurrent_clock",
    });
  }
  return {
    status: "success",
    direction,
    message: `${observed.name} clocked ${direction}`,
    employee_id: observed.id,
    employee_code: observed.code,
    employee_name: observed.name,
    event_id: eventId,
    timestamp: at,
    duplicate: false,
  };
}

/** RM365's toggle (`{employee_id}` → in or out), or an explicit `direction`. */
export async function clock(deps: ClockDeps, input: ClockBody, actor: Principal): Promise<ClockResult> {
  const row = await findEmployee(deps.db, input.employee_id);
  if (!row) throw employeeNotFound(input.employee_id);
  return clockObserved(deps, row, undefined, input.direction, "manual", actor);
}

/** A reader presents a card: the employee it is enrolled to clocks. 404 for an unknown or revoked card. */
export async function clockByCard(deps: ClockDeps, input: ClockByCardBody, actor: Principal): Promise<ClockResult> {
  const uid = normaliseUid(input.card_uid);
  const found = /^[0-9A-F]{4,32}$/.test(uid) ? await employeeByCard(deps.db, uid) : undefined;
  if (!found) throw new AppError("NOT_FOUND", `Card ${uid} is not enrolled to an active employee`, { reason: "card_not_enrolled" });
  return clockObserved(deps, found.employee, found.credential, input.direction, "card", actor);
}

/**
 * A fingerprint reader reports a match: the template id it matched on the device, or (RM365)
 * the template bytes, recognised when they are exactly the bytes enrolled. No fuzzy matching
 * happens here.
 */
export async function clockByFingerprint(deps: ClockDeps, input: ClockByFingerprintBody, actor: Principal): Promise<ClockResult> {
  const by = input.template_id !== undefined ? { templateId: input.template_id } : { templateHash: await templateHash(input.template_b64 ?? "") };
  const found = await employeeByFingerprint(deps.db, by);
  if (!found) throw new AppError("NOT_FOUND", "Fingerprint not recognised", { reason: "fingerprint_not_enrolled" });
  return clockObserved(deps, found.employee, found.credential, input.direction, "fingerprint", actor);
}

// ---------------------------------------------------------------------------------------------
// Logs

function logConditions(deps: Pick<Deps, "env">, query: Omit<LogQuery, "limit" | "offset">): SQL | undefined {
  const { timeZone } = attendanceConfig(deps);
  const ev = attendanceEvents;
  const e = attendanceEmployees;
  return and(
    query.from_date ? sql`${ev.at} >= ${plantDayBounds(query.from_date, timeZone).start.toISOString()}` : undefined,
    query.to_date ? lt(ev.at, plantDayBounds(query.to_date, timeZone).end.toISOString()) : undefined,
    query.employee_id ? or(eq(e.id, query.employee_id), eq(e.code, query.employee_id)) : undefined,
    query.direction ? eq(ev.direction, query.direction) : undefined,
    query.department ? eq(e.department, query.department) : undefined,
    query.search ? or(contains(e.name, query.search), contains(e.code, query.search)) : undefined,
  );
}

/** Clock events, newest first, with RM365's filters (plant dates, search, employee, direction). */
export async function listLogs(deps: Pick<Deps, "db" | "env">, query: LogQuery): Promise<Page<LogEntry>> {
  const { timeZone } = attendanceConfig(deps);
  const ev = attendanceEvents;
  const e = attendanceEmployees;
  const q = deps.db
    .select({ event: ev, employee: { name: e.name, code: e.code, department: e.department } })
    .from(ev)
    .innerJoin(e, eq(e.id, ev.employeeId))
    .where(logConditions(deps, query))
    .$dynamic();
  const page = await paginate(deps.db, q, query, { orderBy: [desc(ev.at), desc(ev.seq)], tiebreaker: ev.seq });
  return { ...page, items: page.items.map((r) => toLogEntry(r.event, r.employee, timeZone)) };
}

const CSV_CHUNK = 500;
const encoder = new TextEncoder();
/** The filtered log as CSV, in recording order, streamed a chunk at a time (keyset on seq). */
export function exportLogsCsv(deps: Pick<Deps, "db" | "env">, query: Omit<LogQuery, "limit" | "offset">): ReadableStream<Uint8Array> {
  const { timeZone } = attendanceConfig(deps);
  const ev = attendanceEvents;
  const e = attendanceEmployees;
  const where = logConditions(deps, query);
  let after = 0;
  let done = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(
        encoder.encode(csvLine(["employee", "employee_code", "department", "date", "time", "direction", "timestamp", "source", "recorded_by"])),
      );
    },
    async pull(controller) {
      if (done) return;
      const rows = await deps.db
        .select({ event: ev, employee: { name: e.name, code: e.code, department: e.department } })
        .from(ev)
        .innerJoin(e, eq(e.id, ev.employeeId))
        .where(and(where, gt(ev.seq, after)))
        .orderBy(asc(ev.seq))
        .limit(CSV_CHUNK);
      const lines = rows.map((r) => {
        const l = toLogEntry(r.event, r.employee, timeZone);
        return csvLine([l.employee, l.employee_code, l.department, l.date, l.time, l.direction, l.timestamp, l.source, l.recorded_by]);
      });
      if (lines.length > 0) controller.enqueue(encoder.encode(lines.join("")));
      const last = rows.at(-1);
      if (!last || rows.length < CSV_CHUNK) {
        done = true;
        controller.close();
      } else after = last.event.seq;
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Forgotten clock-outs and corrections

/** SQL: an 'in' with no clock-out that is no longer the employee's open one, or has been open too long. */
function forgottenCondition(now: Date, maxShiftMs: number): SQL | undefined {
  const ev = attendanceEvents;
  const e = attendanceEmployees;
  const cutoff = new Date(now.getTime() - maxShiftMs).toISOString();
  return and(eq(ev.direction, "in"), isNull(ev.closedBy), or(ne(ev.id, sql`coalesce(${e.lastEventId}, '')`), lt(ev.at, cutoff)));
}

/** Forgotten clock-outs, oldest first: what a manager must correct. */
export async function listForgotten(deps: Pick<Deps, "db" | "env" | "now">, query: CorrectionQuery): Promise<Page<OpenIn>> {
  const config = attendanceConfig(deps);
  const now = deps.now();
  const ev = attendanceEvents;
  const e = attendanceEmployees;
  const q = deps.db
    .select({ event: ev, employee: { name: e.name, code: e.code } })
    .from(ev)
    .innerJoin(e, eq(e.id, ev.employeeId))
    .where(and(forgottenCondition(now, config.maxShiftMs), query.employee_id ? or(eq(e.id, query.employee_id), eq(e.code, query.employee_id)) : undefined))
    .$dynamic();
  const page = await paginate(deps.db, q, query, { orderBy: [asc(ev.at)], tiebreaker: ev.seq });
  return {
    ...page,
    items: page.items.map(({ event, employee }) => ({
      event_id: event.id,
      employee_id: event.employeeId,
      employee: employee.name,
      employee_code: employee.code,
      clock_in: event.at,
      date: plantDate(new Date(event.at), config.timeZone),
      time: plantTime(new Date(event.at), config.timeZone),
      open_hours: Math.round(((now.getTime() - Date.parse(event.at)) / 3_600_000) * 100) / 100,
    })),
  };
}

/** How many forgotten clock-outs there are now (for the summary). */
export function countForgotten(deps: Pick<Deps, "db">, now: Date, maxShiftMs: number) {
  const ev = attendanceEvents;
  const e = attendanceEmployees;
  return deps.db.select({ n: sql<number>`count(*)` }).from(ev).innerJoin(e, eq(e.id, ev.employeeId)).where(forgottenCondition(now, maxShiftMs));
}

async function eventWithEmployee(db: Deps["db"], id: string) {
  const [row] = await db
    .select({ event: attendanceEvents, employee: attendanceEmployees })
    .from(attendanceEvents)
    .innerJoin(attendanceEmployees, eq(attendanceEmployees.id, attendanceEvents.employeeId))
    .where(eq(attendanceEvents.id, id))
    .limit(1);
  return row;
}

/** The employee's events just before and just after `at` (other than `exceptId`). */
async function neighbours(db: Deps["db"], employeeId: string, at: string, exceptId: string) {
  const ev = attendanceEvents;
  const [before, after] = await db.batch([
    db
      .select()
      .from(ev)
      .where(and(eq(ev.employeeId, employeeId), ne(ev.id, exceptId), lt(ev.at, at)))
      .orderBy(desc(ev.at))
      .limit(1),
    db
      .select()
      .from(ev)
      .where(and(eq(ev.employeeId, employeeId), ne(ev.id, exceptId), sql`${ev.at} >= ${at}`))
      .orderBy(asc(ev.at))
      .limit(1),
  ]);
  return { before: before[0], after: after[0] };
}

const invalidTime = (path: string, message: string) => new AppError("VALIDATION_ERROR", message, { details: [{ path, message }] });

/**
 * A manager closes an open clock-in (a forgotten clock-out) with the time the employee left:
 * a clock-out event (source `correction`) and an audit row, in one batch that writes nothing if
 * someone else closed it first (409). The time must follow the clock-in, precede the employee's
 * next event and now, and lie within the longest shift.
 */
export async function closeOpenIn(
  deps: Pick<Deps, "db" | "env" | "now">,
  eventId: string,
  input: CloseOpenInBody,
  actor: Principal,
): Promise<{ correction: Correction; event: LogEntry }> {
  const config = attendanceConfig(deps);
  const found = await eventWithEmployee(deps.db, eventId);
  if (!found) throw new AppError("NOT_FOUND", `Clock event '${eventId}' not found`, { reason: "event_not_found" });
  const { event: open, employee } = found;
  if (open.direction !== "in" || open.closedBy !== null) {
    throw new AppError("CONFLICT", "Only an open clock-in (no clock-out yet) can be closed", { reason: "not_open" });
  }
  const out = new Date(input.clock_out);
  const outIso = out.toISOString();
  if (out.getTime() <= Date.parse(open.at)) throw invalidTime("body.clock_out", "clock_out must be after the clock-in");
  if (out.getTime() > deps.now().getTime()) throw invalidTime("body.clock_out", "clock_out must not be in the future");
  if (out.getTime() - Date.parse(open.at) > config.maxShiftMs) {
    throw invalidTime("body.clock_out", `clock_out must be within ${config.maxShiftMs / 3_600_000} hours of the clock-in`);
  }
  const { after } = await neighbours(deps.db, open.employeeId, open.at, open.id);
  if (after && outIso >= after.at) throw invalidTime("body.clock_out", `clock_out must be before the employee's next event (${after.at})`);

  const who = actorOf(actor);
  const outId = crypto.randomUUID();
  const correctionId = crypto.randomUUID();
  const ev = attendanceEvents;
  const e = attendanceEmployees;
  const written = eventExists(deps.db, outId);
  const [, , , , rows, corrections] = await deps.db.batch([
    insertWhere(
      deps,
      ev,
      { id: outId, employeeId: open.employeeId, direction: "out", at: outIso, source: "correction", actorId: who.userId, actorName: who.name },
      exists(
        deps.db
          .select({ id: other.id })
          .from(other)
          .where(and(eq(other.id, open.id), isNull(other.closedBy))),
      ),
    ),
    deps.db
      .update(ev)
      .set({ closedBy: outId })
      .where(and(eq(ev.id, open.id), isNull(ev.closedBy), written)),
    // Still the employee's open 'in': they are out now, as of the corrected time.
    deps.db
      .update(e)
      .set({ clockState: "out", clockSince: outIso, lastEventId: outId, updatedAt: sql`${e.updatedAt}` })
      .where(and(eq(e.id, open.employeeId), eq(e.lastEventId, open.id), written)),
    insertWhere(
      deps,
      attendanceCorrections,
      {
        id: correctionId,
        employeeId: open.employeeId,
        eventId: open.id,
        action: "close_open_in",
        before: { clock_in: open.at, clock_out: null },
        after: { clock_in: open.at, clock_out: outIso, clock_out_event_id: outId },
        reason: input.reason,
        actorId: who.userId,
        actorName: who.name,
      },
      written,
    ),
    deps.db.select().from(ev).where(eq(ev.id, outId)),
    deps.db.select().from(attendanceCorrections).where(eq(attendanceCorrections.id, correctionId)),
  ]);
  const [outRow] = rows;
  const [correction] = corrections;
  if (!outRow || !correction) throw new AppError("CONFLICT", "This clock-in was closed by someone else meanwhile; nothing was changed", { reason: "not_open" });
  return { correction: toCorrection(correction), event: toLogEntry(outRow, employee, config.timeZone) };
}

/**
 * A manager moves an event's time (a clock-in recorded late, a mistyped correction): audited,
 * and only between the employee's neighbouring events, so every in/out pair stays a pair. 409
 * when the event moved meanwhile.
 */
export async function editEventTime(
  deps: Pick<Deps, "db" | "env" | "now">,
  eventId: string,
  input: EditTimeBody,
  actor: Principal,
): Promise<{ correction: Correction; event: LogEntry }> {
  const config = attendanceConfig(deps);
  const found = await eventWithEmployee(deps.db, eventId);
  if (!found) throw new AppError("NOT_FOUND", `Clock event '${eventId}' not found`, { reason: "event_not_found" });
  const { event, employee } = found;
  const at = new Date(input.timestamp);
  const atIso = at.toISOString();
  if (at.getTime() > deps.now().getTime()) throw invalidTime("body.timestamp", "timestamp must not be in the future");
  const { before, after } = await neighbours(deps.db, event.employeeId, event.at, event.id);
  if (before && atIso <= before.at) throw invalidTime("body.timestamp", `timestamp must be after the employee's previous event (${before.at})`);
  if (after && atIso >= after.at) throw invalidTime("body.timestamp", `timestamp must be before the employee's next event (${after.at})`);

  const who = actorOf(actor);
  const correctionId = crypto.randomUUID();
  const ev = attendanceEvents;
  const e = attendanceEmployees;
  const [, , , rows, corrections] = await deps.db.batch([
    deps.db
      .update(ev)
      .set({ at: atIso })
      .where(and(eq(ev.id, event.id), eq(ev.at, event.at))),
    insertWhere(
      deps,
      attendanceCorrections,
      {
        id: correctionId,
        employeeId: event.employeeId,
        eventId: event.id,
        action: "edit_time",
        before: { timestamp: event.at, direction: event.direction },
        after: { timestamp: atIso, direction: event.direction },
        reason: input.reason,
        actorId: who.userId,
        actorName: who.name,
      },
      afterOneChange,
    ),
    deps.db
      .update(e)
      .set({ clockSince: atIso, updatedAt: sql`${e.updatedAt}` })
      .where(
        and(
          eq(e.id, event.employeeId),
          eq(e.lastEventId, event.id),
          sql`exists (select 1 from ${attendanceCorrections} where ${attendanceCorrections.id} = ${correctionId})`,
        ),
      ),
    deps.db.select().from(ev).where(eq(ev.id, event.id)),
    deps.db.select().from(attendanceCorrections).where(eq(attendanceCorrections.id, correctionId)),
  ]);
  const [row] = rows;
  const [correction] = corrections;
  if (!row || !correction) throw new AppError("CONFLICT", "This event was changed by someone else meanwhile; nothing was changed", { reason: "stale_event" });
  return { correction: toCorrection(correction), event: toLogEntry(row, employee, config.timeZone) };
}

/** The audit trail of corrections, newest first. */
export async function listCorrections(deps: Pick<Deps, "db">, query: CorrectionQuery): Promise<Page<Correction>> {
  const c = attendanceCorrections;
  const q = deps.db
    .select()
    .from(c)
    .where(and(query.employee_id ? eq(c.employeeId, query.employee_id) : undefined, query.event_id ? eq(c.eventId, query.event_id) : undefined))
    .$dynamic();
  const page = await paginate(deps.db, q, query, { orderBy: [desc(c.seq)], tiebreaker: c.seq });
  return { ...page, items: page.items.map(toCorrection) };
}
