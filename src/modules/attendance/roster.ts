/**
 * The roster as RM365's screens read it: every employee with their integer number, active card,
 * active fingerprints and today's last clock event, in one D1 round trip. Also the lookups by
 * integer number (RM365's client sends `parseInt(employee.id)`), and the events of a range,
 * unpaged up to a cap, that RM365's overview aggregates are built from.
 */
import { and, asc, desc, eq, gte, inArray, isNull, lt, or, type SQL, sql } from "drizzle-orm";
import { attendanceEmployees, attendanceEvents, enrollmentCards, enrollmentFingerprints } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError } from "../../lib/errors";
import type { EmployeeRow } from "../enrollment/repo";
import { attendanceConfig } from "./config";
import { plantDate, plantDateTime, plantDayBounds } from "./time";

/** The most employees one roster read returns (RM365 returned its whole table). */
export const MAX_ROSTER = 2000;
/** The most clock events one unpaged log read returns (RM365 returned every row of the range). */
export const MAX_UNPAGED_EVENTS = 5000;

export interface RosterFilter {
  /** RM365's `location`: Floorline's `department`. */
  location?: string;
  /** Name contains (case-insensitive). */
  nameSearch?: string;
  /** Only these employees (ids; at most 90). */
  only?: readonly string[];
}

export interface RosterEntry {
  employee: EmployeeRow;
  cardUid: string | null;
  fingerprints: { number: number; templateId: string; createdAt: string }[];
  /** Today's (plant day) last event, if any. */
  today: { direction: "in" | "out"; at: string } | null;
}

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

function rosterWhere(filter: RosterFilter): SQL | undefined {
  const e = attendanceEmployees;
  return and(
    filter.location ? eq(e.department, filter.location) : undefined,
    filter.nameSearch ? sql`lower(${e.name}) like ${`%${escapeLike(filter.nameSearch.toLowerCase())}%`} escape '\\'` : undefined,
    filter.only ? inArray(e.id, [...filter.only]) : undefined,
  );
}

/** Employees by name with their credentials and today's last event; `total` counts every match. */
export async function roster(deps: Pick<Deps, "db" | "feature" | "now">, filter: RosterFilter = {}): Promise<{ entries: RosterEntry[]; total: number }> {
  const { timeZone } = deps.feature(attendanceConfig);
  const today = plantDayBounds(plantDate(deps.now(), timeZone), timeZone);
  const e = attendanceEmployees;
  const where = rosterWhere(filter);
  const [employees, counted] = await deps.db.batch([
    deps.db.select().from(e).where(where).orderBy(asc(e.name), asc(e.id)).limit(MAX_ROSTER),
    deps.db.select({ n: sql<number>`count(*)` }).from(e).where(where),
  ]);
  const ids = employees.map((r) => r.id);
  const entries = new Map<string, RosterEntry>(employees.map((employee) => [employee.id, { employee, cardUid: null, fingerprints: [], today: null }]));
  // IN lists stay under D1's 100 bound parameters.
  for (let i = 0; i < ids.length; i += 90) {
    const chunk = ids.slice(i, i + 90);
    const ev = attendanceEvents;
    const [cards, prints, events] = await deps.db.batch([
      deps.db
        .select({ employeeId: enrollmentCards.employeeId, uid: enrollmentCards.uid })
        .from(enrollmentCards)
        .where(and(inArray(enrollmentCards.employeeId, chunk), isNull(enrollmentCards.revokedAt))),
      deps.db
        .select()
        .from(enrollmentFingerprints)
        .where(and(inArray(enrollmentFingerprints.employeeId, chunk), isNull(enrollmentFingerprints.revokedAt)))
        .orderBy(asc(enrollmentFingerprints.createdAt)),
      deps.db
        .select({ employeeId: ev.employeeId, direction: ev.direction, at: ev.at })
        .from(ev)
        .where(and(inArray(ev.employeeId, chunk), gte(ev.at, today.start.toISOString()), lt(ev.at, today.end.toISOString())))
        .orderBy(desc(ev.at), desc(ev.seq)),
    ]);
    for (const card of cards) {
      const entry = entries.get(card.employeeId);
      if (entry) entry.cardUid = card.uid;
    }
    for (const print of prints) {
      const entry = entries.get(print.employeeId);
      if (entry && print.number !== null) entry.fingerprints.push({ number: print.number, templateId: print.templateId, createdAt: print.createdAt });
    }
    for (const event of events) {
      const entry = entries.get(event.employeeId);
      if (entry && !entry.today) entry.today = { direction: event.direction, at: event.at };
    }
  }
  return { entries: [...entries.values()], total: counted[0]?.n ?? 0 };
}

/**
 * The next free `EMP###` code after the highest one (RM365 numbered new employees so), plus
 * `skip` (a caller that lost a race to the code tries the one after).
 */
export async function nextEmployeeCode(deps: Pick<Deps, "db">, skip = 0): Promise<string> {
  const e = attendanceEmployees;
  const [row] = await deps.db
    .select({ n: sql<number | null>`max(cast(substr(${e.code}, 4) as integer))` })
    .from(e)
    .where(sql`${e.code} glob 'EMP[0-9]*' and substr(${e.code}, 4) not glob '*[^0-9]*' and length(${e.code}) <= 13`);
  return `EMP${String((row?.n ?? 0) + 1 + skip).padStart(3, "0")}`;
}

/** Distinct locations (departments), sorted. */
export async function locations(deps: Pick<Deps, "db">): Promise<string[]> {
  const e = attendanceEmployees;
  const rows = await deps.db
    .selectDistinct({ department: e.department })
    .from(e)
    .where(sql`${e.department} is not null`)
    .orderBy(asc(e.department))
    .limit(MAX_ROSTER);
  return rows.flatMap((r) => (r.department === null ? [] : [r.department]));
}

/** An employee by RM365's integer id; 404 when none. */
export async function employeeByNumber(deps: Pick<Deps, "db">, number: number): Promise<EmployeeRow> {
  const [row] = await deps.db.select().from(attendanceEmployees).where(eq(attendanceEmployees.number, number)).limit(1);
  if (!row) throw new AppError("NOT_FOUND", `Employee ${number} not found`, { reason: "employee_not_found" });
  return row;
}

/** Employees by RM365's integer ids (at most 90 per call: D1's bound-parameter limit). */
export async function employeesByNumbers(deps: Pick<Deps, "db">, numbers: readonly number[]): Promise<EmployeeRow[]> {
  if (numbers.length === 0) return [];
  return deps.db
    .select()
    .from(attendanceEmployees)
    .where(inArray(attendanceEmployees.number, [...numbers]));
}

/** Re-reads an employee by id (its trigger-assigned number is not in an insert's RETURNING). */
export async function employeeRow(deps: Pick<Deps, "db">, id: string): Promise<EmployeeRow> {
  const [row] = await deps.db.select().from(attendanceEmployees).where(eq(attendanceEmployees.id, id)).limit(1);
  if (!row) throw new AppError("NOT_FOUND", `Employee '${id}' not found`, { reason: "employee_not_found" });
  return row;
}

/** A fingerprint enrolment's uuid by RM365's integer id; 404 when none. */
export async function fingerprintIdByNumber(deps: Pick<Deps, "db">, number: number): Promise<string> {
  const [row] = await deps.db.select({ id: enrollmentFingerprints.id }).from(enrollmentFingerprints).where(eq(enrollmentFingerprints.number, number)).limit(1);
  if (!row) throw new AppError("NOT_FOUND", `Fingerprint ${number} not found`, { reason: "fingerprint_not_found" });
  return row.id;
}

/** The employee an active card with `uid` is enrolled to, if any. */
export async function cardHolder(deps: Pick<Deps, "db">, uid: string): Promise<string | undefined> {
  const [row] = await deps.db
    .select({ employeeId: enrollmentCards.employeeId })
    .from(enrollmentCards)
    .where(and(eq(enrollmentCards.uid, uid), isNull(enrollmentCards.revokedAt)))
    .limit(1);
  return row?.employeeId;
}

/** The active card of an employee, if any. */
export async function activeCardId(deps: Pick<Deps, "db">, employeeId: string): Promise<string | undefined> {
  const [row] = await deps.db
    .select({ id: enrollmentCards.id })
    .from(enrollmentCards)
    .where(and(eq(enrollmentCards.employeeId, employeeId), isNull(enrollmentCards.revokedAt)))
    .limit(1);
  return row?.id;
}

/** One clock event of a range, in plant date and time, with its employee's name and number. */
export interface RangeEvent {
  employee: string;
  employeeNumber: number | null;
  date: string;
  time: string;
  direction: "in" | "out";
  at: string;
}

export interface RangeQuery extends RosterFilter {
  from: string;
  to: string;
  /** Name or code contains (RM365's `search`). */
  search?: string;
}

/**
 * Every clock event of a plant-date range, newest first, up to `cap` (default MAX_UNPAGED_EVENTS);
 * `total` counts them all, so a caller can say when the cap cut the list.
 */
export async function eventsInRange(
  deps: Pick<Deps, "db" | "feature">,
  query: RangeQuery,
  cap = MAX_UNPAGED_EVENTS,
): Promise<{ events: RangeEvent[]; total: number }> {
  const { timeZone } = deps.feature(attendanceConfig);
  const e = attendanceEmployees;
  const ev = attendanceEvents;
  const search = query.search ? `%${escapeLike(query.search.toLowerCase())}%` : undefined;
  const where = and(
    gte(ev.at, plantDayBounds(query.from, timeZone).start.toISOString()),
    lt(ev.at, plantDayBounds(query.to, timeZone).end.toISOString()),
    rosterWhere(query),
    search ? or(sql`lower(${e.name}) like ${search} escape '\\'`, sql`lower(${e.code}) like ${search} escape '\\'`) : undefined,
  );
  const [rows, counted] = await deps.db.batch([
    deps.db
      .select({ name: e.name, number: e.number, direction: ev.direction, at: ev.at })
      .from(ev)
      .innerJoin(e, eq(e.id, ev.employeeId))
      .where(where)
      .orderBy(desc(ev.at), desc(ev.seq))
      .limit(cap),
    deps.db.select({ n: sql<number>`count(*)` }).from(ev).innerJoin(e, eq(e.id, ev.employeeId)).where(where),
  ]);
  const events = rows.map((r) => {
    const { date, time } = plantDateTime(new Date(r.at), timeZone);
    return { employee: r.name, employeeNumber: r.number, date, time, direction: r.direction, at: r.at };
  });
  return { events, total: counted[0]?.n ?? 0 };
}
