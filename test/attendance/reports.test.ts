/**
 * Reports against hand-computed hours. Plant time zone Europe/London (the default), shift
 * 08:00-16:00, grace 5 minutes, Monday to Friday. British Summer Time starts on Sunday
 * 2026-03-29 at 01:00 UTC, so from then on 08:00 plant time is 07:00 UTC.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { attendanceEmployees } from "../../src/db/schema";
import { attendanceConfig } from "../../src/modules/attendance/config";
import { dailyStats, employeeDays, summary } from "../../src/modules/attendance/reports";
import { clock } from "../../src/modules/attendance/service";
import { addDays, isoWeekday, plantDate, plantInstant } from "../../src/modules/attendance/time";
import type { Principal } from "../../src/types";
import { arr, call, db, loginAs, str, testDeps, unique } from "../helpers";
import { manager } from "./fixtures";

const tapAt = (at: string, employee_id: string, actor: Principal, direction?: "in" | "out") =>
  clock(testDeps({ now: () => new Date(at) }), { employee_id, ...(direction ? { direction } : {}) }, actor);

async function week() {
  const m = await manager();
  const department = unique("Dept");
  const e = await m.employee({ department });
  // On the books since before the week below (absences count only from an employee's creation).
  await db().update(attendanceEmployees).set({ createdAt: "2026-03-01T00:00:00.000Z" }).where(eq(attendanceEmployees.id, e.id));
  const actor: Principal = {
    kind: "user",
    userId: m.admin.id,
    username: m.admin.username,
    role: "admin",
    permissions: new Set(["*"]),
    tabs: [],
    sessionId: "",
  };
  const taps: [string, "in" | "out"][] = [
    // Saturday night shift across midnight and the clocks going forward: 22:00 GMT → 06:00 BST = 7 h.
    ["2026-03-28T22:00:00.000Z", "in"],
    ["2026-03-29T05:00:00.000Z", "out"],
    // Monday: 08:10 BST (late 10 min) → 16:40 BST = 8 h 30 min.
    ["2026-03-30T07:10:00.000Z", "in"],
    ["2026-03-30T15:40:00.000Z", "out"],
    // Tuesday: 07:58 → 16:00 BST = 8 h 2 min, on time.
    ["2026-03-31T06:58:00.000Z", "in"],
    ["2026-03-31T15:00:00.000Z", "out"],
    // Wednesday: absent. Thursday: 08:00 in, clock-out forgotten.
    ["2026-04-02T07:00:00.000Z", "in"],
    // Friday: the next tap is a clock-in (Thursday's is past the 16-hour limit), 07:55 → 16:25 = 8 h 30 min.
    ["2026-04-03T06:55:00.000Z", "in"],
    ["2026-04-03T15:25:00.000Z", "out"],
  ];
  for (const [at, expected] of taps) {
    const result = await tapAt(at, e.id, actor);
    expect(result.direction, at).toBe(expected);
  }
  return { m, e, department, actor };
}

describe("plant time", () => {
  it("converts plant wall-clock times to UTC across DST", () => {
    expect(plantInstant("2026-03-28", 8 * 60, "Europe/London").toISOString()).toBe("2026-03-28T08:00:00.000Z");
    expect(plantInstant("2026-03-30", 8 * 60, "Europe/London").toISOString()).toBe("2026-03-30T07:00:00.000Z");
    expect(plantInstant("2026-10-26", 8 * 60, "Europe/London").toISOString()).toBe("2026-10-26T08:00:00.000Z");
    expect(plantInstant("2026-07-01", 0, "America/New_York").toISOString()).toBe("2026-07-01T04:00:00.000Z");
    expect(plantDate(new Date("2026-03-29T23:30:00.000Z"), "Europe/London")).toBe("2026-03-30");
  });
});

describe("configured plant", () => {
  it("reads the zone and shift from vars; a night shift in New York counts on its clock-in day and is late by plant time", () => {
    const config = attendanceConfig.read({
      ATTENDANCE_TIME_ZONE: "America/New_York",
      ATTENDANCE_SHIFT_START: "22:00",
      ATTENDANCE_SHIFT_END: "06:00",
      ATTENDANCE_GRACE_MINUTES: "0",
    });
    expect(config).toMatchObject({ timeZone: "America/New_York", shiftStart: 22 * 60, shiftEnd: 6 * 60, graceMinutes: 0 });
    // Monday 2026-11-02 (EST, UTC-5): in 22:07 local = 03:07Z Tuesday, out 06:00 local = 11:00Z → 7 h 53 min.
    const days = employeeDays(
      [{ id: "e", active: true, createdAt: "2026-10-01T00:00:00.000Z" }],
      [
        { id: "i", employeeId: "e", direction: "in", at: "2026-11-03T03:07:00.000Z", closedBy: "o" },
        { id: "o", employeeId: "e", direction: "out", at: "2026-11-03T11:00:00.000Z", closedBy: null },
      ],
      "2026-11-02",
      "2026-11-03",
      new Date("2026-11-10T12:00:00.000Z"),
      config,
    );
    expect(days.map((d) => [d.date, Math.round(d.workedMs / 60_000), d.late, d.lateMinutes, d.absent])).toEqual([
      ["2026-11-02", 473, true, 7, false],
      ["2026-11-03", 0, false, 0, true],
    ]);
  });

  it("a bad zone is a 503 naming the variable, not a wrong report", () => {
    expect(() => attendanceConfig.read({ ATTENDANCE_TIME_ZONE: "Mars/Olympus" })).toThrow(/ATTENDANCE_TIME_ZONE/);
  });
});

describe("absences", () => {
  it("count neither before the employee was created nor today before shift start + grace", () => {
    const config = attendanceConfig.read({});
    // Europe/London in BST: shift 08:00 = 07:00Z, on time until 07:05Z. Created Wednesday 2026-04-01 at 11:00 BST.
    const employees = [{ id: "e", active: true, createdAt: "2026-04-01T10:00:00.000Z" }];
    const absent = (now: string) => employeeDays(employees, [], "2026-03-30", "2026-04-03", new Date(now), config).map((d) => [d.date, d.absent]);
    // Friday 08:05 BST: Mon/Tue before creation, Wed created after the shift began, Thu absent, Fri still on time.
    expect(absent("2026-04-03T07:05:00.000Z")).toEqual([
      ["2026-03-30", false],
      ["2026-03-31", false],
      ["2026-04-01", false],
      ["2026-04-02", true],
      ["2026-04-03", false],
    ]);
    // Past 08:05 BST nobody can be on time any more: Friday is an absence too.
    expect(absent("2026-04-03T07:05:00.001Z").map(([, a]) => a)).toEqual([false, false, false, true, true]);
  });

  it("the reports agree: none in the week before an employee existed; today's only after shift start + grace", async () => {
    const m = await manager();
    const department = unique("Dept");
    const e = await m.employee({ department });
    const [row] = await db().select().from(attendanceEmployees).where(eq(attendanceEmployees.id, e.id));
    if (!row) throw new Error("no employee");
    const createdOn = plantDate(new Date(row.createdAt), "Europe/London");
    // The week before creation, asked a month later: five work days, none an absence.
    const later = testDeps({ now: () => new Date(Date.parse(row.createdAt) + 30 * 86_400_000) });
    const before = await dailyStats(later, { from_date: addDays(createdOn, -7), to_date: addDays(createdOn, -1), department });
    expect(before.days.filter((d) => d.work_day)).toHaveLength(5);
    expect(before.days.map((d) => d.absent)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    // A Monday at least a week after creation, at 08:05 and at 08:06 plant time (shift 08:00, grace 5).
    const monday = addDays(createdOn, 8 - isoWeekday(createdOn) + 7);
    const at = (minutes: number) => testDeps({ now: () => plantInstant(monday, minutes, "Europe/London") });
    expect(await summary(at(8 * 60 + 5), { department })).toMatchObject({ date: monday, total_employees: 1, absent: 0 });
    expect(await summary(at(8 * 60 + 6), { department })).toMatchObject({ date: monday, total_employees: 1, absent: 1 });
  });
});

describe("work hours", () => {
  it("per day: hours, late and absent against the shift, a night shift across midnight and DST on its clock-in day", async () => {
    const { m, e, department } = await week();
    const res = await call(`/api/v1/attendance/reports/work-hours?from_date=2026-03-28&to_date=2026-04-03&employee_id=${e.id}`, { token: m.token });
    expect(res.status).toBe(200);
    const rows = Object.fromEntries(arr(res.json.rows).map((r) => [str(r.period), r]));
    expect(rows["2026-03-28"]).toMatchObject({ hours: 7, late_days: 0, absent_days: 0 });
    expect(rows["2026-03-29"]).toMatchObject({ hours: 0, absent_days: 0, days_present: 0 });
    expect(rows["2026-03-30"]).toMatchObject({ hours: 8.5, late_days: 1, late_minutes: 10, days_present: 1 });
    expect(rows["2026-03-31"]).toMatchObject({ hours: 8.03, late_days: 0, late_minutes: 0 });
    expect(rows["2026-04-01"]).toMatchObject({ hours: 0, absent_days: 1, days_present: 0 });
    expect(rows["2026-04-02"]).toMatchObject({ hours: 0, open_clock_ins: 1, days_present: 1, absent_days: 0 });
    expect(rows["2026-04-03"]).toMatchObject({ hours: 8.5, late_days: 0, first_in: "2026-04-03T06:55:00.000Z", last_out: "2026-04-03T15:25:00.000Z" });
    expect(res.json.shift).toEqual({ start: "08:00", end: "16:00", grace_minutes: 5, work_days: [1, 2, 3, 4, 5] });
    const csv = await call(`/api/v1/attendance/work-hours.csv?from_date=2026-03-30&to_date=2026-03-30&employee_id=${e.id}`, { token: m.token });
    expect(csv.res.headers.get("content-type")).toMatch(/text\/csv/);
    expect(String(csv.json).split("\r\n")).toEqual([
      "employee,employee_code,department,period,hours,days_present,late_days,late_minutes,absent_days,open_clock_ins,first_in,last_out",
      `${e.name},${e.code},${department},2026-03-30,8.5,1,1,10,0,0,2026-03-30T07:10:00.000Z,2026-03-30T15:40:00.000Z`,
      "",
    ]);
  });

  it("per ISO week, and the daily stats and weekly chart agree", async () => {
    const { m, e, department } = await week();
    const res = await call(`/api/v1/attendance/reports/work-hours?from_date=2026-03-30&to_date=2026-04-05&employee_id=${e.code}&group_by=week`, {
      token: m.token,
    });
    expect(arr(res.json.rows)).toHaveLength(1);
    // 8 h 30 + 8 h 02 + 8 h 30 = 25 h 02 min.
    expect(arr(res.json.rows)[0]).toMatchObject({
      period: "2026-03-30",
      hours: 25.03,
      days_present: 4,
      late_days: 1,
      late_minutes: 10,
      absent_days: 1,
      open_clock_ins: 1,
    });
    const chart = await call(`/api/v1/attendance/reports/weekly-chart?week_start=2026-04-01&department=${department}`, { token: m.token });
    expect(chart.status).toBe(200);
    expect(chart.json.week_start).toBe("2026-03-30");
    expect(chart.json.hours).toEqual([8.5, 8.03, 0, 0, 8.5, 0, 0]);
    expect(chart.json.absent).toEqual([0, 0, 1, 0, 0, 0, 0]);
    expect(chart.json.late).toEqual([1, 0, 0, 0, 0, 0, 0]);
    const daily = await call(`/api/v1/attendance/reports/daily-stats?from_date=2026-03-28&to_date=2026-03-29&department=${department}`, { token: m.token });
    expect(arr(daily.json.days).map((d) => [d.date, d.total_hours, d.clock_ins, d.clock_outs])).toEqual([
      ["2026-03-28", 7, 1, 0],
      ["2026-03-29", 0, 0, 1],
    ]);
    const summary = await call(`/api/v1/attendance/reports/summary?date=2026-03-30&department=${department}`, { token: m.token });
    expect(summary.json).toMatchObject({ date: "2026-03-30", total_employees: 1, present: 1, late: 1, absent: 0, total_hours: 8.5 });
  });

  it("refuses a range past 31 days or upside down", async () => {
    const m = await manager();
    expect((await call("/api/v1/attendance/reports/work-hours?from_date=2026-01-01&to_date=2026-03-01", { token: m.token })).status).toBe(422);
    expect((await call("/api/v1/attendance/reports/daily-stats?from_date=2026-03-02&to_date=2026-03-01", { token: m.token })).status).toBe(422);
    expect((await call("/api/v1/attendance/reports/daily-stats?from_date=2026-02-30", { token: m.token })).status).toBe(422);
  });
});

describe("forgotten clock-outs and corrections", () => {
  it("lists the forgotten clock-out; a manager closes it with an audit row; the hours follow", async () => {
    const { m, e } = await week();
    const listed = await call(`/api/v1/attendance/forgotten-clock-outs?employee_id=${e.id}`, { token: m.token });
    expect(listed.status).toBe(200);
    const open = arr(listed.json.items);
    expect(open.map((o) => o.clock_in)).toEqual(["2026-04-02T07:00:00.000Z"]);
    const eventId = str(open[0]?.event_id);

    // After the employee's next event: refused, nothing changed.
    const late = await call(`/api/v1/attendance/events/${eventId}/close`, { token: m.token, body: { clock_out: "2026-04-03T08:00:00Z", reason: "Left late" } });
    expect(late.status).toBe(422);
    const before = await call(`/api/v1/attendance/events/${eventId}/close`, { token: m.token, body: { clock_out: "2026-04-02T06:00:00Z", reason: "x" } });
    expect(before.status).toBe(422);

    const closed = await call(`/api/v1/attendance/events/${eventId}/close`, {
      token: m.token,
      body: { clock_out: "2026-04-02T16:00:00+01:00", reason: "Forgot to clock out; supervisor confirmed 16:00" },
    });
    expect(closed.status).toBe(201);
    expect(closed.json.event).toMatchObject({
      direction: "out",
      timestamp: "2026-04-02T15:00:00.000Z",
      source: "correction",
      date: "2026-04-02",
      time: "16:00:00",
    });
    expect(closed.json.correction).toMatchObject({
      action: "close_open_in",
      event_id: eventId,
      before: { clock_in: "2026-04-02T07:00:00.000Z", clock_out: null },
      after: { clock_in: "2026-04-02T07:00:00.000Z", clock_out: "2026-04-02T15:00:00.000Z" },
      reason: "Forgot to clock out; supervisor confirmed 16:00",
      corrected_by: m.admin.username,
      corrected_by_id: m.admin.id,
    });
    // Closing it twice: 409, nothing added.
    const twice = await call(`/api/v1/attendance/events/${eventId}/close`, { token: m.token, body: { clock_out: "2026-04-02T15:30:00Z", reason: "again" } });
    expect(twice.status).toBe(409);
    const trail = await call(`/api/v1/attendance/corrections?employee_id=${e.id}`, { token: m.token });
    expect(arr(trail.json.items)).toHaveLength(1);
    expect(arr((await call(`/api/v1/attendance/forgotten-clock-outs?employee_id=${e.id}`, { token: m.token })).json.items)).toEqual([]);
    const hours = await call(`/api/v1/attendance/reports/work-hours?from_date=2026-04-02&to_date=2026-04-02&employee_id=${e.id}`, { token: m.token });
    expect(arr(hours.json.rows)[0]).toMatchObject({ hours: 8, open_clock_ins: 0 });
  });

  it("two managers closing the same clock-out at once: one wins, one audit row", async () => {
    const { m, e } = await week();
    const open = arr((await call(`/api/v1/attendance/forgotten-clock-outs?employee_id=${e.id}`, { token: m.token })).json.items);
    const eventId = str(open[0]?.event_id);
    const other = await loginAs("shift_manager");
    const [a, b] = await Promise.all([
      call(`/api/v1/attendance/events/${eventId}/close`, { token: m.token, body: { clock_out: "2026-04-02T15:00:00Z", reason: "first" } }),
      call(`/api/v1/attendance/events/${eventId}/close`, { token: other.token, body: { clock_out: "2026-04-02T15:30:00Z", reason: "second" } }),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 409]);
    expect(arr((await call(`/api/v1/attendance/corrections?event_id=${eventId}`, { token: m.token })).json.items)).toHaveLength(1);
    const outs = arr(
      (await call(`/api/v1/attendance/events?employee_id=${e.id}&from_date=2026-04-02&to_date=2026-04-02&direction=out`, { token: m.token })).json,
    );
    expect(outs).toHaveLength(1);
  });

  it("moves an event's time between its neighbours, audited before → after", async () => {
    const { m, e } = await week();
    const logs = await call(`/api/v1/attendance/events?employee_id=${e.id}&from_date=2026-03-30&to_date=2026-03-30&direction=in`, { token: m.token });
    const monday = arr(logs.json)[0];
    expect(monday).toMatchObject({ date: "2026-03-30", time: "08:10:00", direction: "in", employee: e.name });
    const id = str(monday?.id);
    const across = await call(`/api/v1/attendance/events/${id}/correct-time`, { token: m.token, body: { timestamp: "2026-03-30T16:00:00Z", reason: "typo" } });
    expect(across.status).toBe(422);
    const fixed = await call(`/api/v1/attendance/events/${id}/correct-time`, {
      token: m.token,
      body: { timestamp: "2026-03-30T06:59:00Z", reason: "Reader was offline; badge log shows 07:59" },
    });
    expect(fixed.status).toBe(200);
    expect(fixed.json.correction).toMatchObject({
      action: "edit_time",
      before: { timestamp: "2026-03-30T07:10:00.000Z" },
      after: { timestamp: "2026-03-30T06:59:00.000Z" },
    });
    const day = await call(`/api/v1/attendance/reports/work-hours?from_date=2026-03-30&to_date=2026-03-30&employee_id=${e.id}`, { token: m.token });
    // 07:59 → 16:40 = 8 h 41 min, no longer late.
    expect(arr(day.json.rows)[0]).toMatchObject({ hours: 8.68, late_days: 0 });
  });

  it("corrections need attendance:manage: a viewer and a clock-only key are refused", async () => {
    const { m, e } = await week();
    const open = arr((await call(`/api/v1/attendance/forgotten-clock-outs?employee_id=${e.id}`, { token: m.token })).json.items);
    const eventId = str(open[0]?.event_id);
    const key = await call("/api/v1/api-keys", { token: m.token, body: { name: "reader", permissions: ["attendance:clock"] } });
    const denied = await call(`/api/v1/attendance/events/${eventId}/close`, {
      headers: { "x-api-key": str(key.json.key) },
      body: { clock_out: "2026-04-02T15:00:00Z", reason: "x" },
    });
    expect(denied.status).toBe(403);
    const viewer = await loginAs("viewer");
    const body = { clock_out: "2026-04-02T15:00:00Z", reason: "x" };
    expect((await call(`/api/v1/attendance/events/${eventId}/close`, { token: viewer.token, body })).status).toBe(403);
    expect(arr((await call(`/api/v1/attendance/corrections?event_id=${eventId}`, { token: m.token })).json.items)).toEqual([]);
  });
});

describe("logs", () => {
  it("RM365's filters and the CSV export", async () => {
    const { m, e, department } = await week();
    const all = await call(`/api/v1/attendance/events?employee_id=${e.id}&limit=3`, { token: m.token });
    expect(all.res.headers.get("x-total-count")).toBe("9");
    expect(arr(all.json).map((r) => r.timestamp)).toEqual(["2026-04-03T15:25:00.000Z", "2026-04-03T06:55:00.000Z", "2026-04-02T07:00:00.000Z"]);
    const search = await call(`/api/v1/attendance/events?search=${encodeURIComponent(e.code.toLowerCase())}&from_date=2026-03-31&to_date=2026-03-31`, {
      token: m.token,
    });
    expect(arr(search.json).map((r) => [r.date, r.time, r.direction])).toEqual([
      ["2026-03-31", "16:00:00", "out"],
      ["2026-03-31", "07:58:00", "in"],
    ]);
    const csv = await call(`/api/v1/attendance/logs.csv?employee_id=${e.id}&from_date=2026-03-28&to_date=2026-03-28`, { token: m.token });
    expect(csv.res.headers.get("content-type")).toMatch(/text\/csv/);
    expect(String(csv.json).split("\r\n")).toEqual([
      "employee,employee_code,department,date,time,direction,timestamp,source,recorded_by",
      `${e.name},${e.code},${department},2026-03-28,22:00:00,in,2026-03-28T22:00:00.000Z,manual,${m.admin.username}`,
      "",
    ]);
  });
});
