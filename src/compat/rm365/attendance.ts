/**
 * RM365's attendance screens (`/api/v1/attendance/…` as its backend served them): employees with
 * status as bare arrays and integer ids, locations, the toggle clock, the log unpaged, and the
 * overview's aggregates in the shapes its charts read. A thin adapter over the attendance
 * services; the richer Floorline reports are at `/api/v1/attendance/reports/*`, the paged
 * employee list at `/attendance/roster` and the paged log at `/attendance/events`.
 *
 * Differences from the seed, on purpose:
 * - `location` is Floorline's `department`.
 * - The log is unpaged by default up to MAX_UNPAGED_EVENTS rows (total in `X-Total-Count`;
 *   `limit`/`offset` page past it); an overview aggregate whose range holds more than
 *   MAX_AGGREGATE_EVENTS events is refused (422) rather than computed on part of them.
 * - `employees/templates` is an empty list: template bytes are never stored (only their hash),
 *   so there is nothing to match on a client; readers clock with `clock-by-fingerprint`.
 * - Clocking keeps Floorline's rules (409 on a simultaneous tap, inactive employees refused).
 */
import { z } from "zod";
import { AppError } from "../../lib/errors";
import { ShortText } from "../../lib/fields";
import { createRouter, json, principalOf } from "../../lib/route";
import { attendanceConfig } from "../../modules/attendance/config";
import { employeeByNumber, eventsInRange, locations, MAX_UNPAGED_EVENTS, type RangeEvent, type RosterEntry, roster } from "../../modules/attendance/roster";
import { ClockResult } from "../../modules/attendance/schemas";
import { clock } from "../../modules/attendance/service";
import { plantTime } from "../../modules/attendance/time";
import { defineRoute, jsonBody, setTotal } from "./common";

const TAGS = ["rm365"];
const TAB = { any: "attendance", overview: "attendance.overview", logs: "attendance.logs", manual: "attendance.manual" };
/** The most events an overview aggregate reads; a wider range is refused, never half-counted. */
export const MAX_AGGREGATE_EVENTS = 20_000;

const PlantDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "expected YYYY-MM-DD")
  // Runs on text that failed the pattern too: an invalid date must not throw (toISOString would).
  .refine((d) => {
    const at = Date.parse(`${d}T00:00:00Z`);
    return Number.isFinite(at) && new Date(at).toISOString().startsWith(d);
  }, "not a calendar date");
const Filters = { location: ShortText.max(64).optional(), name_search: z.string().trim().max(100).optional() };
const RangeQuery = z
  .object({ from_date: PlantDate, to_date: PlantDate, ...Filters })
  .refine((q) => q.from_date <= q.to_date, { message: "from_date must not be after to_date", path: ["to_date"] });

const StatusEmployee = z
  .object({
    id: z.number().int(),
    name: z.string(),
    employee_code: z.string(),
    nfc_uid: z.string().nullable(),
    location: z.string().nullable(),
    status: z.enum(["in", "out", "unknown"]).describe("Today's last clock direction"),
    active: z.boolean(),
    last_activity: z.string().nullable().describe("HH:MM, plant time"),
    duration: z.string().nullable().describe("Hours since clocking in, e.g. `3.5h`"),
  })
  .meta({ id: "Rm365AttendanceEmployee" });
type StatusEmployee = z.infer<typeof StatusEmployee>;

function toStatusEmployee(entry: RosterEntry, now: Date, timeZone: string): StatusEmployee {
  const { employee, today } = entry;
  const inFor = today?.direction === "in" ? (now.getTime() - Date.parse(today.at)) / 3_600_000 : null;
  return {
    id: employee.number ?? 0,
    name: employee.name,
    employee_code: employee.code,
    nfc_uid: entry.cardUid,
    location: employee.department,
    status: today?.direction ?? "unknown",
    active: employee.active,
    last_activity: today ? plantTime(new Date(today.at), timeZone).slice(0, 5) : null,
    duration: inFor === null ? null : `${inFor.toFixed(1)}h`,
  };
}

const filterOf = (q: { location?: string; name_search?: string }) => ({ location: q.location || undefined, nameSearch: q.name_search || undefined });

/** Events of a range for an aggregate: all of them, or a 422 when there are too many to count. */
async function aggregateEvents(deps: Parameters<typeof eventsInRange>[0], q: z.infer<typeof RangeQuery>): Promise<RangeEvent[]> {
  const { events, total } = await eventsInRange(deps, { from: q.from_date, to: q.to_date, ...filterOf(q) }, MAX_AGGREGATE_EVENTS);
  if (total > events.length) {
    throw new AppError("VALIDATION_ERROR", `The range holds ${total} clock events, more than ${MAX_AGGREGATE_EVENTS}: choose a shorter range or a location`, {
      details: [{ path: "query.from_date", message: "range too large", code: "too_big" }],
    });
  }
  return events;
}

/** Groups events (newest first) by employee and plant date, each group oldest first, sorted by name then date. */
function byEmployeeDay(events: RangeEvent[]): { employee: string; date: string; events: RangeEvent[] }[] {
  const groups = new Map<string, { employee: string; date: string; events: RangeEvent[] }>();
  for (const event of events) {
    const key = `${event.employee}\u0000${event.date}`;
    let group = groups.get(key);
    if (!group) {
      group = { employee: event.employee, date: event.date, events: [] };
      groups.set(key, group);
    }
    group.events.push(event);
  }
  for (const group of groups.values()) group.events.reverse();
  return [...groups.values()].sort((a, b) => (a.employee === b.employee ? (a.date < b.date ? -1 : 1) : a.employee < b.employee ? -1 : 1));
}

const hoursBetween = (from: string, to: string) => Math.round(((Date.parse(to) - Date.parse(from)) / 3_600_000) * 100) / 100;

/** RM365's work-hours row: first in, first out, second in, last out; hours first in → last out, lunch first out → second in. */
export function workHoursRows(events: RangeEvent[]) {
  return byEmployeeDay(events).flatMap(({ employee, date, events: day }) => {
    const ins = day.filter((e) => e.direction === "in");
    const outs = day.filter((e) => e.direction === "out");
    const firstIn = ins[0];
    const lastOut = outs.at(-1);
    if (!firstIn || !lastOut) return [];
    const firstOut = outs[0];
    const secondIn = ins[1];
    const hours = hoursBetween(firstIn.at, lastOut.at);
    return [
      {
        employee,
        date,
        first_in: firstIn.time,
        first_out: firstOut?.time ?? null,
        second_in: secondIn?.time ?? null,
        last_out: lastOut.time,
        hours_worked: Math.max(hours, 0),
        lunch_hours: firstOut && secondIn ? hoursBetween(firstOut.at, secondIn.at) || null : null,
      },
    ];
  });
}

const LogRow = z.object({ employee: z.string(), date: z.string(), time: z.string(), direction: z.enum(["in", "out"]) }).meta({ id: "Rm365AttendanceLog" });
const WorkHoursRow = z
  .object({
    employee: z.string(),
    date: z.string(),
    first_in: z.string().nullable(),
    first_out: z.string().nullable(),
    second_in: z.string().nullable(),
    last_out: z.string().nullable(),
    hours_worked: z.number(),
    lunch_hours: z.number().nullable(),
  })
  .meta({ id: "Rm365WorkHoursRow" });

const employeeListRoute = (path: string, summary: string) =>
  defineRoute({
    method: "get",
    path,
    access: "attendance:read",
    tab: TAB.any,
    summary,
    tags: TAGS,
    request: { query: z.object(Filters) },
    responses: { 200: json(z.array(StatusEmployee), "Employees by name (total in X-Total-Count)") },
  });

export const rm365AttendanceRoutes = createRouter()
  .openapi(employeeListRoute("/employees", "RM365: employees with card, location and today's status (bare array)"), async (c) => {
    const deps = c.get("deps");
    const { timeZone } = deps.feature(attendanceConfig);
    const { entries, total } = await roster(deps, filterOf(c.req.valid("query")));
    setTotal(c, total);
    return c.json(
      entries.map((e) => toStatusEmployee(e, deps.now(), timeZone)),
      200,
    );
  })
  .openapi(employeeListRoute("/employees/status", "RM365: employees with today's status, filtered by location and name"), async (c) => {
    const deps = c.get("deps");
    const { timeZone } = deps.feature(attendanceConfig);
    const { entries, total } = await roster(deps, filterOf(c.req.valid("query")));
    setTotal(c, total);
    return c.json(
      entries.map((e) => toStatusEmployee(e, deps.now(), timeZone)),
      200,
    );
  })
  .openapi(
    defineRoute({
      method: "get",
      path: "/employees/templates",
      access: "attendance:read",
      tab: TAB.any,
      summary: "RM365: fingerprint templates for client-side matching: none (only their hashes are kept)",
      tags: TAGS,
      responses: { 200: json(z.array(z.object({ id: z.number().int(), name: z.string(), template_b64: z.string() })), "Always empty") },
    }),
    (c) => c.json([], 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/locations",
      access: "attendance:read",
      tab: TAB.any,
      summary: "RM365: the locations employees belong to",
      tags: TAGS,
      responses: { 200: json(z.array(z.string()), "Locations, sorted") },
    }),
    async (c) => c.json(await locations(c.get("deps")), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/clock",
      access: "attendance:clock",
      tab: TAB.manual,
      // Clocks anyone by id: a signed-in user only. Readers' API keys use /clock-by-card and /clock-by-fingerprint.
      apiKey: false,
      summary: "RM365: clock an employee in or out (toggle); `employee_id` is RM365's integer id, or an id or code as text",
      tags: TAGS,
      request: jsonBody(
        z.object({
          employee_id: z.union([z.number().int("employee_id must be an integer").min(1).max(2_147_483_647), ShortText.min(1).max(64)]),
          direction: z.enum(["in", "out"]).optional(),
        }),
      ),
      errors: { 404: "No such employee", 409: "Inactive, or a simultaneous tap" },
      responses: { 200: json(ClockResult, "`{status, direction}` as RM365 read it, and who clocked") },
    }),
    async (c) => {
      const { employee_id, direction } = c.req.valid("json");
      const deps = c.get("deps");
      const ref = typeof employee_id === "number" ? (await employeeByNumber(deps, employee_id)).id : employee_id;
      return c.json(await clock(deps, { employee_id: ref, direction }, principalOf(c)), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/logs",
      access: "attendance:read",
      tab: TAB.logs,
      summary: `RM365: clock events of a range, newest first, unpaged up to ${MAX_UNPAGED_EVENTS} (total in X-Total-Count)`,
      tags: TAGS,
      request: {
        query: z.object({
          from_date: PlantDate,
          to_date: PlantDate,
          search: z.string().trim().max(100).optional(),
          ...Filters,
          limit: z.coerce.number().int().min(1).max(MAX_UNPAGED_EVENTS).default(MAX_UNPAGED_EVENTS),
          offset: z.coerce.number().int().min(0).max(100_000).default(0),
        }),
      },
      responses: { 200: json(z.array(LogRow), "`{employee, date, time, direction}` rows") },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const { events, total } = await eventsInRange(
        c.get("deps"),
        { from: q.from_date, to: q.to_date, search: q.search || undefined, ...filterOf(q) },
        q.limit + q.offset,
      );
      setTotal(c, total);
      return c.json(
        events.slice(q.offset).map((e) => ({ employee: e.employee, date: e.date, time: e.time, direction: e.direction })),
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/summary",
      access: "attendance:read",
      tab: TAB.overview,
      summary: "RM365: clock events per employee in a range",
      tags: TAGS,
      request: { query: RangeQuery },
      responses: { 200: json(z.array(z.object({ name: z.string(), count: z.number().int() })), "`[{name, count}]` by name") },
    }),
    async (c) => {
      const counts = new Map<string, number>();
      for (const e of await aggregateEvents(c.get("deps"), c.req.valid("query"))) counts.set(e.employee, (counts.get(e.employee) ?? 0) + 1);
      const rows = [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, count]) => ({ name, count }));
      return c.json(rows, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/daily-stats",
      access: "attendance:read",
      tab: TAB.overview,
      summary: "RM365: today's headcount: in, out, not clocked",
      tags: TAGS,
      request: { query: z.object(Filters) },
      responses: {
        200: json(
          z.object({ total_employees: z.number().int(), checked_in: z.number().int(), checked_out: z.number().int(), absent: z.number().int() }),
          "Today (plant day)",
        ),
      },
    }),
    async (c) => {
      const { entries, total } = await roster(c.get("deps"), filterOf(c.req.valid("query")));
      const count = (d: "in" | "out" | null) => entries.filter((e) => (e.today?.direction ?? null) === d).length;
      return c.json({ total_employees: total, checked_in: count("in"), checked_out: count("out"), absent: count(null) }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/weekly-chart",
      access: "attendance:read",
      tab: TAB.overview,
      summary: "RM365: clock events per employee per day, for the chart",
      tags: TAGS,
      request: { query: RangeQuery },
      responses: {
        200: json(
          z.array(
            z.object({ employee: z.string(), date: z.string(), daily_logs: z.number().int(), clock_ins: z.number().int(), clock_outs: z.number().int() }),
          ),
          "By name, then date",
        ),
      },
    }),
    async (c) => {
      const days = byEmployeeDay(await aggregateEvents(c.get("deps"), c.req.valid("query")));
      return c.json(
        days.map(({ employee, date, events }) => ({
          employee,
          date,
          daily_logs: events.length,
          clock_ins: events.filter((e) => e.direction === "in").length,
          clock_outs: events.filter((e) => e.direction === "out").length,
        })),
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/work-hours",
      access: "attendance:read",
      tab: TAB.overview,
      summary: "RM365: hours per employee per day (first in to last out) and lunch (first out to second in)",
      tags: TAGS,
      request: { query: RangeQuery },
      responses: { 200: json(z.array(WorkHoursRow), "Days with both a clock-in and a clock-out, by name then date") },
    }),
    async (c) => c.json(workHoursRows(await aggregateEvents(c.get("deps"), c.req.valid("query"))), 200),
  );
