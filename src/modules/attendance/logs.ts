/** The attendance log: list and CSV export. */
import { and, asc, eq, gt, lt, or, type SQL, sql } from "drizzle-orm";
import { attendanceEmployees, attendanceEvents } from "../../db/schema";
import { CSV_PAGE_ROWS, csvStream } from "../../lib/csv";
import type { Deps } from "../../lib/deps";
import type { Page } from "../../lib/pagination";
import { likeContains, likePattern, likePlaceholder, type PagedRead, pagedRead, type ReadRow } from "../../lib/sql";
import { attendanceConfig } from "./config";
import { toLogEntry } from "./mappers";
import type { LogEntry, LogQuery } from "./schemas";
import { plantDayBounds } from "./time";

function logConditions(deps: Pick<Deps, "feature">, query: Omit<LogQuery, "limit" | "offset">): SQL | undefined {
  const { timeZone } = deps.feature(attendanceConfig);
  const ev = attendanceEvents;
  const e = attendanceEmployees;
  return and(
    query.from_date ? sql`${ev.at} >= ${plantDayBounds(query.from_date, timeZone).start.toISOString()}` : undefined,
    query.to_date ? lt(ev.at, plantDayBounds(query.to_date, timeZone).end.toISOString()) : undefined,
    query.employee_id ? or(eq(e.id, query.employee_id), eq(e.code, query.employee_id)) : undefined,
    query.direction ? eq(ev.direction, query.direction) : undefined,
    query.department ? eq(e.department, query.department) : undefined,
    query.search ? likeContains([e.name, e.code], query.search) : undefined,
  );
}

/** What a log row is read as: the event's columns a log entry shows, and its employee's. */
const logColumns = {
  id: attendanceEvents.id,
  employeeId: attendanceEvents.employeeId,
  direction: attendanceEvents.direction,
  at: attendanceEvents.at,
  source: attendanceEvents.source,
  actorName: attendanceEvents.actorName,
  employeeName: attendanceEmployees.name,
  employeeCode: attendanceEmployees.code,
  department: attendanceEmployees.department,
};
type LogRow = ReadRow<typeof logColumns>;
type LogFilter = Omit<LogQuery, "limit" | "offset">;

/**
 * The log as plain reads (lib/sql.ts): SQL built once per combination of filters (values are
 * placeholders), the same conditions as `logConditions`, rows as D1 answers them.
 */
const logReads = new Map<string, PagedRead<LogRow>>();
function logRead(f: LogFilter) {
  const key = [f.from_date, f.to_date, f.employee_id, f.direction, f.department, f.search].map((v) => (v ? "1" : "0")).join("");
  let read = logReads.get(key);
  if (!read) {
    const ev = attendanceEvents;
    const e = attendanceEmployees;
    const p = sql.placeholder;
    const where = and(
      f.from_date ? sql`${ev.at} >= ${p("from")}` : undefined,
      f.to_date ? sql`${ev.at} < ${p("to")}` : undefined,
      f.employee_id ? sql`(${e.id} = ${p("employee")} or ${e.code} = ${p("employee")})` : undefined,
      f.direction ? sql`${ev.direction} = ${p("direction")}` : undefined,
      f.department ? sql`${e.department} = ${p("department")}` : undefined,
      f.search ? likePlaceholder([e.name, e.code], "search") : undefined,
    );
    const from = sql`from ${ev} inner join ${e} on ${e.id} = ${ev.employeeId}${where ? sql` where ${where}` : sql``}`;
    // Every event has its employee (a foreign key; employees are never deleted), so without a
    // condition on the employee the total counts the events alone, from an index, not the join.
    const onEmployee = Boolean(f.employee_id || f.department || f.search);
    const eventsOnly = and(
      f.from_date ? sql`${ev.at} >= ${p("from")}` : undefined,
      f.to_date ? sql`${ev.at} < ${p("to")}` : undefined,
      f.direction ? sql`${ev.direction} = ${p("direction")}` : undefined,
    );
    read = pagedRead(
      logColumns,
      from,
      sql`order by ${ev.at} desc, ${ev.seq} desc`,
      onEmployee ? from : sql`from ${ev}${eventsOnly ? sql` where ${eventsOnly}` : sql``}`,
    );
    logReads.set(key, read);
  }
  return read;
}

/** Clock events, newest first, with RM365's filters (plant dates, search, employee, direction): one D1 statement. */
export async function listLogs(deps: Pick<Deps, "d1" | "feature">, query: LogQuery): Promise<Page<LogEntry>> {
  const { timeZone } = deps.feature(attendanceConfig);
  const read = logRead(query);
  const values = {
    from: query.from_date ? plantDayBounds(query.from_date, timeZone).start.toISOString() : undefined,
    to: query.to_date ? plantDayBounds(query.to_date, timeZone).end.toISOString() : undefined,
    employee: query.employee_id,
    direction: query.direction,
    department: query.department,
    search: query.search ? likePattern(query.search) : undefined,
    limit: query.limit,
    offset: query.offset,
  };
  const { rows, total } = await read.run(deps.d1, values);
  const items = rows.map((r) => toLogEntry(r, { name: r.employeeName, code: r.employeeCode, department: r.department }, timeZone));
  return { items, total, limit: query.limit, offset: query.offset };
}

/** The filtered log as CSV, in recording order, streamed a page at a time (keyset on seq). */
export function exportLogsCsv(deps: Pick<Deps, "db" | "feature">, query: Omit<LogQuery, "limit" | "offset">): ReadableStream<Uint8Array> {
  const { timeZone } = deps.feature(attendanceConfig);
  const ev = attendanceEvents;
  const e = attendanceEmployees;
  const where = logConditions(deps, query);
  return csvStream(
    ["employee", "employee_code", "department", "date", "time", "direction", "timestamp", "source", "recorded_by"],
    (after: number | undefined) =>
      deps.db
        .select({ event: ev, employee: { name: e.name, code: e.code, department: e.department } })
        .from(ev)
        .innerJoin(e, eq(e.id, ev.employeeId))
        .where(and(where, gt(ev.seq, after ?? 0)))
        .orderBy(asc(ev.seq))
        .limit(CSV_PAGE_ROWS),
    (r) => r.event.seq,
    (r) => {
      const l = toLogEntry(r.event, r.employee, timeZone);
      return [l.employee, l.employee_code, l.department, l.date, l.time, l.direction, l.timestamp, l.source, l.recorded_by];
    },
  );
}
