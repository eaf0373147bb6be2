/**
 * Attendance reports: work hours per employee per plant day or ISO week, late and absent against
 * the configured shift, and the summary, daily stats and weekly chart built on them.
 *
 * Rules (see config.ts for the settings):
 * - A shift's hours are clock-in to the clock-out that closed it, and belong to the plant day of
 *   the clock-in, so a night shift crossing midnight is one day's work. A clock-in with no
 *   clock-out counts no hours (it is listed as open until a manager corrects it).
 * - Late: the day's first clock-in is after shift start + grace, in plant time (so a DST change
 *   moves nothing); `late_minutes` counts from shift start.
 * - Absent: an active employee with no clock-in on a work day whose shift start + grace has passed
 *   (today only once it has) and came after the employee was created (no absences before they
 *   existed here).
 */
import { and, eq, gte, lt, or, type SQL } from "drizzle-orm";
import { attendanceEmployees, attendanceEvents } from "../../db/schema";
import { csvLine } from "../../lib/csv";
import type { Deps } from "../../lib/deps";
import { AppError } from "../../lib/errors";
import type { EmployeeRow } from "../enrollment/repo";
import { type AttendanceConfig, attendanceConfig } from "./config";
import type { DailyStats, DayQuery, DayStat, RangeQuery, Summary, WeeklyChart, WeekQuery, WorkHours, WorkHoursQuery, WorkHoursRow } from "./schemas";
import { MAX_REPORT_DAYS } from "./schemas";
import { countForgotten } from "./service";
import { addDays, daysBetween, isoWeekday, plantDate, plantDayBounds, plantInstant, weekStart } from "./time";

type EventRow = typeof attendanceEvents.$inferSelect;
type ReportDeps = Pick<Deps, "db" | "feature" | "now">;

/** One employee's plant day. */
export interface EmployeeDay {
  employeeId: string;
  date: string;
  /** Worked milliseconds. */
  workedMs: number;
  firstIn: string | null;
  lastOut: string | null;
  present: boolean;
  late: boolean;
  lateMinutes: number;
  absent: boolean;
  openIns: number;
  clockIns: number;
  clockOuts: number;
}

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const hours = (ms: number) => Math.round((ms / 3_600_000) * 100) / 100;
const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;

/**
 * Every employee's days from `from` to `to` (plant dates, inclusive), from their events, as of
 * `now`. Pure: tests call it with hand-built events. `events` must include each in-range
 * clock-in's closing clock-out (it may fall after `to`).
 */
export function employeeDays(
  employees: readonly Pick<EmployeeRow, "id" | "active" | "createdAt">[],
  events: readonly Pick<EventRow, "id" | "employeeId" | "direction" | "at" | "closedBy">[],
  from: string,
  to: string,
  now: Date,
  config: AttendanceConfig,
): EmployeeDay[] {
  const byId = new Map(events.map((e) => [e.id, e]));
  const days = new Map<string, EmployeeDay>();
  const key = (employeeId: string, date: string) => `${employeeId}\n${date}`;
  const n = daysBetween(from, to);
  for (const employee of employees) {
    for (let i = 0; i < n; i++) {
      const date = addDays(from, i);
      days.set(key(employee.id, date), {
        employeeId: employee.id,
        date,
        workedMs: 0,
        firstIn: null,
        lastOut: null,
        present: false,
        late: false,
        lateMinutes: 0,
        absent: false,
        openIns: 0,
        clockIns: 0,
        clockOuts: 0,
      });
    }
  }
  const sorted = [...events].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  for (const event of sorted) {
    const date = plantDate(new Date(event.at), config.timeZone);
    const day = days.get(key(event.employeeId, date));
    if (!day) continue;
    if (event.direction === "out") {
      day.clockOuts++;
      continue;
    }
    day.clockIns++;
    day.present = true;
    if (day.firstIn === null) day.firstIn = event.at;
    const out = event.closedBy ? byId.get(event.closedBy) : undefined;
    if (out) {
      day.workedMs += Math.max(0, Date.parse(out.at) - Date.parse(event.at));
      if (day.lastOut === null || out.at > day.lastOut) day.lastOut = out.at;
    } else day.openIns++;
  }
  const byEmployee = new Map(employees.map((e) => [e.id, e]));
  for (const day of days.values()) {
    const workDay = config.workDays.has(isoWeekday(day.date));
    const start = plantInstant(day.date, config.shiftStart, config.timeZone).getTime();
    const onTimeUntil = start + config.graceMinutes * 60_000;
    if (day.firstIn !== null) {
      const first = Date.parse(day.firstIn);
      if (workDay && first > onTimeUntil) {
        day.late = true;
        day.lateMinutes = Math.floor((first - start) / 60_000);
      }
    } else if (workDay) {
      const employee = byEmployee.get(day.employeeId);
      // Absent only once the employee could no longer be on time, and only if they existed by then.
      if (employee?.active && onTimeUntil < now.getTime() && Date.parse(employee.createdAt) < onTimeUntil) day.absent = true;
    }
  }
  return [...days.values()];
}

/** Checks and defaults a report's range: `to` defaults to today, `from` to `defaultFrom(to)`. */
function range(query: { from_date?: string | undefined; to_date?: string | undefined }, today: string, defaultFrom: (to: string) => string) {
  const to = query.to_date ?? today;
  const from = query.from_date ?? defaultFrom(to);
  if (from > to)
    throw new AppError("VALIDATION_ERROR", "from_date must not be after to_date", { details: [{ path: "query.from_date", message: "after to_date" }] });
  if (daysBetween(from, to) > MAX_REPORT_DAYS) {
    throw new AppError("VALIDATION_ERROR", `A report covers at most ${MAX_REPORT_DAYS} days`, {
      details: [{ path: "query.from_date", message: `at most ${MAX_REPORT_DAYS} days before to_date` }],
    });
  }
  return { from, to };
}

/** The employees a report covers and their events in range (plus the clock-outs closing them). */
async function load(deps: ReportDeps, from: string, to: string, filter: { employee_id?: string | undefined; department?: string | undefined }) {
  const config = deps.feature(attendanceConfig);
  const e = attendanceEmployees;
  const ev = attendanceEvents;
  const start = plantDayBounds(from, config.timeZone).start.toISOString();
  const end = plantDayBounds(to, config.timeZone).end;
  const closingEnd = new Date(end.getTime() + config.maxShiftMs).toISOString();
  const who: SQL | undefined = and(
    filter.employee_id ? or(eq(e.id, filter.employee_id), eq(e.code, filter.employee_id)) : undefined,
    filter.department ? eq(e.department, filter.department) : undefined,
  );
  const [employees, events] = await deps.db.batch([
    deps.db.select().from(e).where(who),
    deps.db
      .select({ id: ev.id, employeeId: ev.employeeId, direction: ev.direction, at: ev.at, closedBy: ev.closedBy })
      .from(ev)
      .innerJoin(e, eq(e.id, ev.employeeId))
      .where(and(who, gte(ev.at, start), lt(ev.at, closingEnd))),
  ]);
  return { config, employees, events };
}

/** Hours, late and absent per employee per plant day or ISO week (default: this week to today). */
export async function workHours(deps: ReportDeps, query: WorkHoursQuery): Promise<WorkHours> {
  const config = deps.feature(attendanceConfig);
  const today = plantDate(deps.now(), config.timeZone);
  const { from, to } = range(query, today, weekStart);
  const { employees, events } = await load(deps, from, to, query);
  const days = employeeDays(employees, events, from, to, deps.now(), config);
  const byEmployee = new Map(employees.map((e) => [e.id, e]));
  const rows = new Map<string, WorkHoursRow & { ms: number }>();
  for (const day of days) {
    const employee = byEmployee.get(day.employeeId);
    if (!employee) continue;
    const period = query.group_by === "week" ? weekStart(day.date) : day.date;
    const k = `${day.employeeId}\n${period}`;
    let row = rows.get(k);
    if (!row) {
      row = {
        employee_id: employee.id,
        employee: employee.name,
        employee_code: employee.code,
        department: employee.department,
        period,
        hours: 0,
        ms: 0,
        days_present: 0,
        late_days: 0,
        late_minutes: 0,
        absent_days: 0,
        open_clock_ins: 0,
        first_in: null,
        last_out: null,
      };
      rows.set(k, row);
    }
    row.ms += day.workedMs;
    row.days_present += day.present ? 1 : 0;
    row.late_days += day.late ? 1 : 0;
    row.late_minutes += day.lateMinutes;
    row.absent_days += day.absent ? 1 : 0;
    row.open_clock_ins += day.openIns;
    if (day.firstIn && (row.first_in === null || day.firstIn < row.first_in)) row.first_in = day.firstIn;
    if (day.lastOut && (row.last_out === null || day.lastOut > row.last_out)) row.last_out = day.lastOut;
  }
  const list = [...rows.values()]
    .filter((r) => r.ms > 0 || r.days_present > 0 || r.absent_days > 0 || byEmployee.get(r.employee_id)?.active)
    .sort((a, b) => (a.employee === b.employee ? (a.period < b.period ? -1 : 1) : a.employee < b.employee ? -1 : 1))
    .map(({ ms, ...row }) => ({ ...row, hours: hours(ms) }));
  return {
    from_date: from,
    to_date: to,
    group_by: query.group_by,
    time_zone: config.timeZone,
    shift: { start: hhmm(config.shiftStart), end: hhmm(config.shiftEnd), grace_minutes: config.graceMinutes, work_days: [...config.workDays].sort() },
    rows: list,
  };
}

function dayStats(days: readonly EmployeeDay[], from: string, to: string, config: AttendanceConfig): DayStat[] {
  const out: DayStat[] = [];
  const byDate = new Map<string, EmployeeDay[]>();
  for (const d of days) byDate.set(d.date, [...(byDate.get(d.date) ?? []), d]);
  for (let i = 0; i < daysBetween(from, to); i++) {
    const date = addDays(from, i);
    const list = byDate.get(date) ?? [];
    const weekday = isoWeekday(date);
    out.push({
      date,
      weekday: WEEKDAYS[weekday - 1] ?? "",
      work_day: config.workDays.has(weekday),
      present: list.filter((d) => d.present).length,
      absent: list.filter((d) => d.absent).length,
      late: list.filter((d) => d.late).length,
      total_hours: hours(list.reduce((sum, d) => sum + d.workedMs, 0)),
      clock_ins: list.reduce((sum, d) => sum + d.clockIns, 0),
      clock_outs: list.reduce((sum, d) => sum + d.clockOuts, 0),
    });
  }
  return out;
}

/** Present, absent, late and hours per plant day (default: the last 7 days to today). */
export async function dailyStats(deps: ReportDeps, query: RangeQuery): Promise<DailyStats> {
  const config = deps.feature(attendanceConfig);
  const today = plantDate(deps.now(), config.timeZone);
  const { from, to } = range(query, today, (t) => addDays(t, -6));
  const { employees, events } = await load(deps, from, to, query);
  return {
    from_date: from,
    to_date: to,
    time_zone: config.timeZone,
    days: dayStats(employeeDays(employees, events, from, to, deps.now(), config), from, to, config),
  };
}

/** One ISO week (default: this one), Monday to Sunday, as chart series. */
export async function weeklyChart(deps: ReportDeps, query: WeekQuery): Promise<WeeklyChart> {
  const config = deps.feature(attendanceConfig);
  const today = plantDate(deps.now(), config.timeZone);
  const from = weekStart(query.week_start ?? today);
  const to = addDays(from, 6);
  const { employees, events } = await load(deps, from, to, query);
  const days = dayStats(employeeDays(employees, events, from, to, deps.now(), config), from, to, config);
  return {
    week_start: from,
    time_zone: config.timeZone,
    labels: days.map((d) => `${d.weekday} ${d.date.slice(5)}`),
    present: days.map((d) => d.present),
    absent: days.map((d) => d.absent),
    late: days.map((d) => d.late),
    hours: days.map((d) => d.total_hours),
    days,
  };
}

/** One plant day (default today): headcount, who is in now, present, absent, late, hours, forgotten clock-outs. */
export async function summary(deps: ReportDeps, query: DayQuery): Promise<Summary> {
  const config = deps.feature(attendanceConfig);
  const now = deps.now();
  const today = plantDate(now, config.timeZone);
  const date = query.date ?? today;
  const [{ employees, events }, forgotten] = await Promise.all([load(deps, date, date, query), countForgotten(deps, now, config.maxShiftMs)]);
  const days = employeeDays(employees, events, date, date, now, config);
  const active = employees.filter((e) => e.active);
  const inNow = active.filter((e) => e.clockState === "in" && e.clockSince !== null && now.getTime() - Date.parse(e.clockSince) <= config.maxShiftMs);
  return {
    date,
    time_zone: config.timeZone,
    total_employees: active.length,
    clocked_in_now: inNow.length,
    present: days.filter((d) => d.present).length,
    absent: days.filter((d) => d.absent).length,
    late: days.filter((d) => d.late).length,
    total_hours: hours(days.reduce((sum, d) => sum + d.workedMs, 0)),
    forgotten_clock_outs: Number(forgotten[0]?.n ?? 0),
  };
}

/** The work-hours report as CSV (one line per employee and period), for payroll. */
export async function workHoursCsv(deps: ReportDeps, query: WorkHoursQuery): Promise<string> {
  const report = await workHours(deps, query);
  const header = csvLine([
    "employee",
    "employee_code",
    "department",
    "period",
    "hours",
    "days_present",
    "late_days",
    "late_minutes",
    "absent_days",
    "open_clock_ins",
    "first_in",
    "last_out",
  ]);
  return (
    header +
    report.rows
      .map((r) =>
        csvLine([
          r.employee,
          r.employee_code,
          r.department,
          r.period,
          r.hours,
          r.days_present,
          r.late_days,
          r.late_minutes,
          r.absent_days,
          r.open_clock_ins,
          r.first_in,
          r.last_out,
        ]),
      )
      .join("")
  );
}
