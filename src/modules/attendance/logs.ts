/** The attendance log: list and CSV export. */
import { and, asc, desc, eq, gt, lt, or, type SQL, sql } from "drizzle-orm";
import { attendanceEmployees, attendanceEvents } from "../../db/schema";
import { CSV_PAGE_ROWS, csvStream } from "../../lib/csv";
import type { Deps } from "../../lib/deps";
import { type Page, paginate } from "../../lib/pagination";
import { likeContains } from "../../lib/sql";
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

/** Clock events, newest first, with RM365's filters (plant dates, search, employee, direction). */
export async function listLogs(deps: Pick<Deps, "db" | "feature">, query: LogQuery): Promise<Page<LogEntry>> {
  const { timeZone } = deps.feature(attendanceConfig);
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
