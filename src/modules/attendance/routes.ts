import { z } from "zod";
import { csvHeaders } from "../../lib/download";
import { expectedVersion, setETag } from "../../lib/etag";
import { createRouter, defineRoute, json, principalOf } from "../../lib/route";
import { dailyStats, summary, weeklyChart, workHours, workHoursCsv } from "./reports";
import {
  ClockByCardBody,
  ClockByFingerprintBody,
  ClockResult,
  CloseOpenInBody,
  CorrectionPage,
  CorrectionQuery,
  CorrectionResult,
  CreateEmployee,
  DailyStats,
  DayQuery,
  EditTimeBody,
  Employee,
  EmployeeListQuery,
  EmployeePage,
  EmployeeParams,
  EventParams,
  LogEntry,
  LogQuery,
  OpenInPage,
  RangeQuery,
  Summary,
  UpdateEmployee,
  WeeklyChart,
  WeekQuery,
  WorkHours,
  WorkHoursQuery,
} from "./schemas";
import {
  clockByCard,
  clockByFingerprint,
  closeOpenIn,
  createEmployee,
  editEventTime,
  exportLogsCsv,
  getEmployee,
  listCorrections,
  listEmployees,
  listForgotten,
  listLogs,
  updateEmployee,
} from "./service";

const TAGS = ["attendance"];
/** RM365's attendance tabs: overview (reports), logs, manual (clocking by hand, corrections), automatic (readers). */
const TAB = { any: "attendance", overview: "attendance.overview", logs: "attendance.logs", manual: "attendance.manual", automatic: "attendance.automatic" };
const CLOCK_ERRORS = {
  404: "No such employee, or the card/fingerprint is not enrolled to one",
  409: "Already clocked in, not clocked in, inactive, or a simultaneous tap",
};

/**
 * `/api/v1/attendance`: employees, clocking by card and fingerprint, events, corrections, reports
 * and the CSV export. RM365's own paths (`/employees` list, `/clock`, `/logs`, `/summary`,
 * `/daily-stats`, `/weekly-chart`, `/work-hours`, …) are answered by src/compat/rm365/attendance.ts
 * in its client's shapes; the paged and report shapes of the same data are here at `/roster`,
 * `/events` and `/reports/*`.
 */
export const attendanceRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/roster",
      access: "attendance:read",
      pureRead: true,
      tab: TAB.any,
      summary: "Employees by name: ?search= (name or code contains), ?department=, ?active=, ?limit=&offset=",
      tags: TAGS,
      request: { query: EmployeeListQuery },
      responses: { 200: json(EmployeePage, "One page of employees") },
    }),
    async (c) => c.json(await listEmployees(c.get("deps"), c.req.valid("query")), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/employees",
      access: "attendance:manage",
      tab: TAB.manual,
      summary: "Create an employee (code, name, department, active)",
      tags: TAGS,
      request: { body: { content: { "application/json": { schema: CreateEmployee } } } },
      errors: { 409: "Code in use" },
      responses: { 201: json(Employee, "The new employee; ETag carries its version") },
    }),
    async (c) => {
      const employee = await createEmployee(c.get("deps"), c.req.valid("json"), principalOf(c));
      setETag(c, employee.version);
      return c.json(employee, 201);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/employees/{id}",
      access: "attendance:read",
      pureRead: true,
      tab: TAB.any,
      summary: "One employee by id or code, with where they stand now",
      tags: TAGS,
      request: { params: EmployeeParams },
      errors: { 404: "No such employee" },
      responses: { 200: json(Employee, "The employee; ETag carries its version") },
    }),
    async (c) => {
      const employee = await getEmployee(c.get("deps"), c.req.valid("param").id);
      setETag(c, employee.version);
      return c.json(employee, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "patch",
      path: "/employees/{id}",
      access: "attendance:manage",
      tab: TAB.manual,
      summary: "Update an employee (If-Match: version). Deactivating revokes their cards and fingerprints at once",
      tags: TAGS,
      request: { params: EmployeeParams, body: { content: { "application/json": { schema: UpdateEmployee } } } },
      errors: { 404: "No such employee", 409: "Stale If-Match or code in use" },
      responses: { 200: json(Employee, "The employee as stored") },
    }),
    async (c) => {
      const employee = await updateEmployee(
        c.get("deps"),
        c.req.valid("param").id,
        c.req.valid("json"),
        principalOf(c),
        expectedVersion(c.req.header("if-match")),
      );
      setETag(c, employee.version);
      return c.json(employee, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/clock-by-card",
      access: "attendance:clock",
      tab: TAB.automatic,
      summary: "A reader presents a card UID: its employee clocks in or out. A revoked card is refused. Send Idempotency-Key when retrying",
      tags: TAGS,
      request: { body: { content: { "application/json": { schema: ClockByCardBody } } } },
      errors: CLOCK_ERRORS,
      responses: { 200: json(ClockResult, "The event recorded") },
    }),
    async (c) => c.json(await clockByCard(c.get("deps"), c.req.valid("json"), principalOf(c)), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/clock-by-fingerprint",
      access: "attendance:clock",
      tab: TAB.automatic,
      summary: "A fingerprint reader reports a match ({template_id}, or RM365's {template_b64}: exact enrolled bytes): its employee clocks",
      tags: TAGS,
      request: { body: { content: { "application/json": { schema: ClockByFingerprintBody } } } },
      errors: CLOCK_ERRORS,
      responses: { 200: json(ClockResult, "The event recorded") },
    }),
    async (c) => c.json(await clockByFingerprint(c.get("deps"), c.req.valid("json"), principalOf(c)), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/events",
      access: "attendance:read",
      pureRead: true,
      tab: TAB.logs,
      summary:
        "RM365's log: [{employee, date, time, direction}] newest first, ?from_date&to_date (plant dates) &search&employee_id&direction&department&limit&offset; X-Total-Count",
      tags: TAGS,
      request: { query: LogQuery },
      responses: { 200: json(z.array(LogEntry), "One page of events (RM365 reads a bare array; the total is in X-Total-Count)") },
    }),
    async (c) => {
      const page = await listLogs(c.get("deps"), c.req.valid("query"));
      c.header("X-Total-Count", String(page.total));
      return c.json(page.items, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/logs.csv",
      access: "attendance:read",
      userLimit: "exports",
      tab: TAB.logs,
      summary: "The log as CSV with the same filters (every matching event, in recording order)",
      tags: TAGS,
      request: { query: LogQuery.omit({ limit: true, offset: true }) },
      responses: {
        200: {
          description: "CSV: employee, employee_code, department, date, time, direction, timestamp, source, recorded_by",
          content: { "text/csv": { schema: z.string() } },
        },
      },
    }),
    (c) => c.body(exportLogsCsv(c.get("deps"), c.req.valid("query")), 200, csvHeaders("attendance-log.csv")),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/forgotten-clock-outs",
      access: "attendance:read",
      pureRead: true,
      tab: TAB.logs,
      summary: "Clock-ins never closed (open past the longest shift, or followed by another clock-in), oldest first",
      tags: TAGS,
      request: { query: CorrectionQuery.omit({ event_id: true }) },
      responses: { 200: json(OpenInPage, "One page of open clock-ins") },
    }),
    async (c) => c.json(await listForgotten(c.get("deps"), c.req.valid("query")), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/events/{id}/close",
      access: "attendance:manage",
      tab: TAB.manual,
      summary: "Close an open clock-in with the time the employee left {clock_out, reason}: adds a clock-out and an audit row",
      tags: TAGS,
      request: { params: EventParams, body: { content: { "application/json": { schema: CloseOpenInBody } } } },
      errors: { 404: "No such event", 409: "Not an open clock-in (or closed meanwhile)" },
      responses: { 201: json(CorrectionResult, "The audit row and the clock-out added") },
    }),
    async (c) => c.json(await closeOpenIn(c.get("deps"), c.req.valid("param").id, c.req.valid("json"), principalOf(c)), 201),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/events/{id}/correct-time",
      access: "attendance:manage",
      tab: TAB.manual,
      summary: "Move an event's time {timestamp, reason} between the employee's neighbouring events; audited",
      tags: TAGS,
      request: { params: EventParams, body: { content: { "application/json": { schema: EditTimeBody } } } },
      errors: { 404: "No such event", 409: "Changed meanwhile" },
      responses: { 200: json(CorrectionResult, "The audit row and the event as stored") },
    }),
    async (c) => c.json(await editEventTime(c.get("deps"), c.req.valid("param").id, c.req.valid("json"), principalOf(c)), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/corrections",
      access: "attendance:read",
      pureRead: true,
      tab: TAB.logs,
      summary: "The corrections audit trail, newest first: who, what, why, before → after (?employee_id, ?event_id)",
      tags: TAGS,
      request: { query: CorrectionQuery },
      responses: { 200: json(CorrectionPage, "One page of corrections") },
    }),
    async (c) => c.json(await listCorrections(c.get("deps"), c.req.valid("query")), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/reports/summary",
      access: "attendance:read",
      pureRead: true,
      tab: TAB.overview,
      summary: "One plant day (?date, default today): headcount, clocked in now, present, absent, late, hours, forgotten clock-outs",
      tags: TAGS,
      request: { query: DayQuery },
      responses: { 200: json(Summary, "The day's summary") },
    }),
    async (c) => c.json(await summary(c.get("deps"), c.req.valid("query")), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/reports/daily-stats",
      access: "attendance:read",
      pureRead: true,
      tab: TAB.overview,
      summary: "Per plant day (?from_date&to_date, default the last 7 days; at most 31): present, absent, late, hours",
      tags: TAGS,
      request: { query: RangeQuery },
      responses: { 200: json(DailyStats, "One row per day") },
    }),
    async (c) => c.json(await dailyStats(c.get("deps"), c.req.valid("query")), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/reports/weekly-chart",
      access: "attendance:read",
      pureRead: true,
      tab: TAB.overview,
      summary: "One ISO week (?week_start, default this week) Monday to Sunday as chart series",
      tags: TAGS,
      request: { query: WeekQuery },
      responses: { 200: json(WeeklyChart, "The week's series") },
    }),
    async (c) => c.json(await weeklyChart(c.get("deps"), c.req.valid("query")), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/reports/work-hours",
      access: "attendance:read",
      pureRead: true,
      tab: TAB.overview,
      summary: "Hours, late and absent per employee per day or week (?group_by=day|week, ?from_date&to_date, ?employee_id, ?department)",
      tags: TAGS,
      request: { query: WorkHoursQuery },
      responses: { 200: json(WorkHours, "Rows per employee and period") },
    }),
    async (c) => c.json(await workHours(c.get("deps"), c.req.valid("query")), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/work-hours.csv",
      access: "attendance:read",
      userLimit: "exports",
      tab: TAB.overview,
      summary: "The work-hours report as CSV (same query), for payroll",
      tags: TAGS,
      request: { query: WorkHoursQuery },
      responses: {
        200: {
          description:
            "CSV: employee, employee_code, department, period, hours, days_present, late_days, late_minutes, absent_days, open_clock_ins, first_in, last_out",
          content: { "text/csv": { schema: z.string() } },
        },
      },
    }),
    async (c) => c.body(await workHoursCsv(c.get("deps"), c.req.valid("query")), 200, csvHeaders("work-hours.csv")),
  );
