/**
 * MS5's tablet client, endpoint by endpoint: the catalogue's rows (../shared/clients/
 * ms5-endpoints.md) that Floorline serves, each with the request its service layer sends
 * (frontend/src/services/api.ts @aeb8b7a) and the fields its screens read. `seed: true` marks
 * the 45 MS5's own backend served. catalogue.test.ts makes one test per row.
 */
import { arr, type Json } from "../../helpers";
import { type Ctx, checklistAnswers, checklistBody, inspectionResults, type Who } from "./fixtures";

export interface Row {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** As the catalogue writes it. */
  path: string;
  seed: boolean;
  who?: Who;
  url(ctx: Ctx): string | Promise<string>;
  body?(ctx: Ctx): unknown;
  status: number;
  /** `array`: a bare array whose items have `fields`; `object`: an object with `fields`. */
  shape: "array" | "object" | "empty";
  fields?: string[];
  /** Lists that are not paged (a figure per line or period) carry no X-Total-Count. */
  total?: false;
  /** A further check on the answer. */
  check?(json: Json, ctx: Ctx): void;
}

const LINE = ["id", "line_code", "name", "equipment_codes", "enabled", "status"];
const SCHEDULE = ["id", "line_id", "product_id", "scheduled_start", "scheduled_end", "target_quantity", "status"];
const JOB = ["id", "schedule_id", "user_id", "status", "assigned_at", "accepted_at", "started_at", "completed_at"];
const ANDON = ["id", "line_id", "equipment_code", "event_type", "priority", "description", "status", "escalation_level", "reported_by", "reported_at"];
const DOWNTIME = ["id", "line_id", "equipment_code", "reason", "category", "start_time", "end_time", "duration_seconds"];
const OEE = ["line_id", "availability", "performance", "quality", "oee", "calculation_time"];
const REPORT = ["id", "name", "status", "report_type", "generated_by", "fileUrl", "created_at"];
const TEMPLATE = ["id", "name", "description", "type", "parameters"];
const USER = ["id", "username", "role"];
const EQUIPMENT = ["id", "code", "equipment_code", "name", "production_line", "status", "version"];
const FAULT = ["id", "equipment_code", "equipmentId", "faultCode", "description", "status", "startTime", "reportedBy", "resolution"];
const SCHEDULE_M = ["id", "equipment_code", "equipmentId", "equipmentName", "type", "description", "scheduledDate", "status", "estimatedDuration"];
const ESCALATION = ["id", "eventId", "priority", "escalationLevel", "status", "createdAt", "escalatedAt", "escalationReason", "line_id"];
const CHECKLIST = ["id", "name", "description", "items", "required_signature", "created_at", "is_active", "line_id"];
const RUN = ["id", "checklist_id", "template_id", "status", "responses", "notes", "completed_by", "completed_at", "created_at"];
const INSPECTION = [
  "id",
  "lineId",
  "lineCode",
  "inspectionType",
  "status",
  "scheduledDate",
  "completedDate",
  "inspector",
  "results",
  "defects",
  "notes",
  "created_at",
  "updated_at",
];
const DEFECT = [
  "id",
  "inspectionId",
  "defectCode",
  "description",
  "severity",
  "category",
  "quantity",
  "status",
  "reportedBy",
  "reportedAt",
  "resolvedBy",
  "resolvedAt",
  "created_at",
];
const SCHEDULED = ["id", "name", "template_id", "frequency", "recipients", "is_active"];

/** A new schedule on the context's item (through the canonical route). */
async function freshMaintenance(c: Ctx): Promise<string> {
  const { call, str } = await import("../../helpers");
  const made = await call(`/api/v1/equipment/${c.equipmentCode}/maintenance`, {
    token: c.pm.token,
    body: { maintenance_type: "preventive", scheduled_at: "2030-01-04T06:00:00Z", estimated_duration_minutes: 40 },
  });
  if (made.status !== 201) throw new Error(`schedule: ${made.status} ${JSON.stringify(made.json)}`);
  return str(made.json.id);
}

/** A new andon escalated by hand to level 1; the id of its escalation. */
async function freshEscalation(c: Ctx): Promise<string> {
  const { call, str } = await import("../../helpers");
  const andon = await c.freshAndon();
  const up = await call(`/api/v1/andon/events/${andon}/escalate`, { token: c.pm.token, body: { escalation_level: 1 } });
  if (up.status !== 200) throw new Error(`escalate: ${up.status} ${JSON.stringify(up.json)}`);
  const list = await call(`/api/v1/andon/escalations?event_id=${andon}`, { token: c.pm.token });
  const first = Array.isArray(list.json) ? list.json[0] : undefined;
  if (!first) throw new Error(`no escalation: ${JSON.stringify(list.json)}`);
  return str(first.id);
}

export const ROWS: Row[] = [
  // --- auth (shared with RM365: auth.test.ts checks RM365's fields on the same answers)
  {
    method: "POST",
    path: "/api/v1/auth/login",
    seed: true,
    url: () => "/api/v1/auth/login",
    body: (c) => ({ username: c.op.username, password: c.op.password }),
    status: 200,
    shape: "object",
    fields: ["access_token", "refresh_token", "user"],
  },
  {
    method: "POST",
    path: "/api/v1/auth/refresh",
    seed: true,
    url: () => "/api/v1/auth/refresh",
    body: (c) => ({ refresh_token: c.pm.refresh }),
    status: 200,
    shape: "object",
    fields: ["access_token", "refresh_token"],
  },
  { method: "GET", path: "/api/v1/auth/me", seed: false, who: "op", url: () => "/api/v1/auth/me", status: 200, shape: "object", fields: USER },
  { method: "GET", path: "/api/v1/auth/profile", seed: true, who: "op", url: () => "/api/v1/auth/profile", status: 200, shape: "object", fields: USER },
  {
    method: "PUT",
    path: "/api/v1/auth/profile",
    seed: true,
    who: "op",
    url: () => "/api/v1/auth/profile",
    body: () => ({ first_name: "Ana" }),
    status: 200,
    shape: "object",
    fields: USER,
  },
  // --- production lines
  { method: "GET", path: "/api/v1/production/lines", seed: true, who: "op", url: () => "/api/v1/production/lines?", status: 200, shape: "array", fields: LINE },
  {
    method: "GET",
    path: "/api/v1/production/lines/{x}",
    seed: true,
    who: "op",
    url: (c) => `/api/v1/production/lines/${c.lineId}`,
    status: 200,
    shape: "object",
    fields: LINE,
  },
  {
    method: "POST",
    path: "/api/v1/production/lines",
    seed: true,
    url: () => "/api/v1/production/lines",
    body: () => ({ line_code: `L-${crypto.randomUUID().slice(0, 8)}`, name: "Filler 2", equipment_codes: [] }),
    status: 201,
    shape: "object",
    fields: LINE,
  },
  {
    method: "PUT",
    path: "/api/v1/production/lines/{x}",
    seed: true,
    url: (c) => `/api/v1/production/lines/${c.lineId}`,
    body: () => ({ description: "Night shift" }),
    status: 200,
    shape: "object",
    fields: LINE,
  },
  // --- schedules
  {
    method: "GET",
    path: "/api/v1/production/schedules",
    seed: true,
    who: "op",
    url: (c) => `/api/v1/production/schedules?line_id=${c.lineId}`,
    status: 200,
    shape: "array",
    fields: SCHEDULE,
  },
  {
    method: "GET",
    path: "/api/v1/production/schedules/{x}",
    seed: true,
    who: "op",
    url: (c) => `/api/v1/production/schedules/${c.scheduleId}`,
    status: 200,
    shape: "object",
    fields: SCHEDULE,
  },
  {
    method: "POST",
    path: "/api/v1/production/schedules",
    seed: true,
    url: () => "/api/v1/production/schedules",
    body: (c) => ({
      line_id: c.lineId,
      product_id: c.productId,
      scheduled_start: "2026-12-01T06:00:00Z",
      scheduled_end: "2026-12-01T14:00:00Z",
      target_quantity: 500,
    }),
    status: 201,
    shape: "object",
    fields: SCHEDULE,
  },
  {
    method: "PUT",
    path: "/api/v1/production/schedules/{x}",
    seed: true,
    url: (c) => `/api/v1/production/schedules/${c.scheduleId}`,
    body: () => ({ target_quantity: 1200 }),
    status: 200,
    shape: "object",
    fields: SCHEDULE,
  },
  {
    method: "DELETE",
    path: "/api/v1/production/schedules/{x}",
    seed: true,
    url: async (c) => `/api/v1/production/schedules/${await c.freshSchedule()}`,
    status: 204,
    shape: "empty",
  },
  // --- job assignments: the operator's flow
  {
    method: "POST",
    path: "/api/v1/production/job-assignments",
    seed: true,
    url: () => "/api/v1/production/job-assignments",
    body: (c) => ({ schedule_id: c.scheduleId, user_id: c.op.id }),
    status: 201,
    shape: "object",
    fields: JOB,
    check: (json, c) => {
      c.flowJobId = String(json.id);
    },
  },
  {
    method: "GET",
    path: "/api/v1/production/job-assignments",
    seed: true,
    who: "op",
    url: () => "/api/v1/production/job-assignments",
    status: 200,
    shape: "array",
    fields: JOB,
    check: (json, c) => {
      const ids = (json as unknown as Json[]).map((j) => String(j.id));
      if (!ids.includes(String(c.flowJobId))) throw new Error("the operator's list lacks the job assigned to them");
    },
  },
  {
    method: "GET",
    path: "/api/v1/production/job-assignments/{x}",
    seed: true,
    who: "op",
    url: (c) => `/api/v1/production/job-assignments/${c.flowJobId}`,
    status: 200,
    shape: "object",
    fields: JOB,
  },
  {
    method: "PUT",
    path: "/api/v1/production/job-assignments/{x}",
    seed: true,
    who: "op",
    url: (c) => `/api/v1/production/job-assignments/${c.flowJobId}`,
    body: () => ({ notes: "Film loaded" }),
    status: 200,
    shape: "object",
    fields: [...JOB, "notes"],
  },
  {
    method: "POST",
    path: "/api/v1/production/job-assignments/{x}/accept",
    seed: true,
    who: "op",
    url: (c) => `/api/v1/production/job-assignments/${c.flowJobId}/accept`,
    status: 200,
    shape: "object",
    fields: JOB,
    check: (j) => expectField(j, "status", "accepted"),
  },
  {
    method: "POST",
    path: "/api/v1/production/job-assignments/{x}/start",
    seed: true,
    who: "op",
    url: (c) => `/api/v1/production/job-assignments/${c.flowJobId}/start`,
    status: 200,
    shape: "object",
    fields: JOB,
    check: (j) => expectField(j, "status", "in_progress"),
  },
  {
    method: "POST",
    path: "/api/v1/production/job-assignments/{x}/complete",
    seed: true,
    who: "op",
    url: (c) => `/api/v1/production/job-assignments/${c.flowJobId}/complete`,
    status: 200,
    shape: "object",
    fields: JOB,
    check: (j) => expectField(j, "status", "completed"),
  },
  {
    method: "POST",
    path: "/api/v1/production/job-assignments/{x}/cancel",
    seed: false,
    url: async (c) => `/api/v1/production/job-assignments/${await c.freshJob()}/cancel`,
    status: 200,
    shape: "object",
    fields: JOB,
    check: (j) => expectField(j, "status", "cancelled"),
  },
  // --- andon
  {
    method: "GET",
    path: "/api/v1/andon/events",
    seed: true,
    who: "op",
    url: (c) => `/api/v1/andon/events?status=open&line_id=${c.lineId}`,
    status: 200,
    shape: "array",
    fields: ANDON,
  },
  {
    method: "GET",
    path: "/api/v1/andon/events/{x}",
    seed: true,
    who: "op",
    url: (c) => `/api/v1/andon/events/${c.andonId}`,
    status: 200,
    shape: "object",
    fields: ANDON,
  },
  {
    method: "POST",
    path: "/api/v1/andon/events",
    seed: true,
    who: "op",
    url: () => "/api/v1/andon/events",
    // AndonFormScreen's payload, as it submits it.
    body: (c) => ({
      category_id: "equipment",
      priority_id: "high",
      title: "Sealer jaw",
      description: "Jaw not closing",
      line_id: c.lineId,
      equipment_code: "",
      location: "",
      reported_by: c.op.id,
      reported_at: new Date().toISOString(),
      attachments: [],
      notes: "",
    }),
    status: 201,
    shape: "object",
    fields: ANDON,
    check: (j) => {
      expectField(j, "event_type", "maintenance");
      expectField(j, "priority", "high");
      expectField(j, "equipment_code", null);
    },
  },
  {
    method: "POST",
    path: "/api/v1/andon/events/{x}/acknowledge",
    seed: false,
    url: async (c) => `/api/v1/andon/events/${await c.freshAndon()}/acknowledge`,
    status: 200,
    shape: "object",
    fields: ANDON,
    check: (j) => expectField(j, "status", "acknowledged"),
  },
  {
    method: "POST",
    path: "/api/v1/andon/events/{x}/resolve",
    seed: false,
    url: async (c) => `/api/v1/andon/events/${await c.freshAndon()}/resolve`,
    body: () => ({ resolution_notes: "Roll replaced" }),
    status: 200,
    shape: "object",
    fields: [...ANDON, "resolution_notes"],
    check: (j) => expectField(j, "resolution_notes", "Roll replaced"),
  },
  {
    method: "POST",
    path: "/api/v1/andon/events/{x}/escalate",
    seed: true,
    url: async (c) => `/api/v1/andon/events/${await c.freshAndon()}/escalate`,
    body: () => ({ escalation_level: 2 }),
    status: 200,
    shape: "object",
    fields: ANDON,
    check: (j) => {
      expectField(j, "escalation_level", 2);
      expectField(j, "status", "escalated");
    },
  },
  // --- downtime
  {
    method: "GET",
    path: "/api/v1/downtime/events",
    seed: true,
    who: "op",
    url: (c) => `/api/v1/downtime/events?line_id=${c.lineId}`,
    status: 200,
    shape: "array",
    fields: DOWNTIME,
  },
  {
    method: "GET",
    path: "/api/v1/downtime/events/{x}",
    seed: true,
    who: "op",
    url: (c) => `/api/v1/downtime/events/${c.downtimeId}`,
    status: 200,
    shape: "object",
    fields: DOWNTIME,
  },
  {
    method: "POST",
    path: "/api/v1/downtime/events",
    seed: true,
    url: () => "/api/v1/downtime/events",
    body: (c) => ({
      line_id: c.lineId,
      equipment_code: "BP01.PACK.BAG1",
      reason: "Changeover",
      category: "planned",
      start_time: new Date(Date.now() - 60_000).toISOString(),
    }),
    status: 201,
    shape: "object",
    fields: DOWNTIME,
  },
  {
    method: "PUT",
    path: "/api/v1/downtime/events/{x}",
    seed: true,
    url: (c) => `/api/v1/downtime/events/${c.downtimeId}`,
    body: () => ({ reason: "Film jam", notes: "Cleared" }),
    status: 200,
    shape: "object",
    fields: DOWNTIME,
    check: (j) => expectField(j, "reason", "Film jam"),
  },
  {
    method: "POST",
    path: "/api/v1/downtime/events/{x}/confirm",
    seed: true,
    url: (c) => `/api/v1/downtime/events/${c.downtimeId}/confirm`,
    // The client sends who confirms; the caller is who confirms.
    body: (c) => ({ confirmed_by: c.op.id, notes: "Confirmed at line" }),
    status: 200,
    shape: "object",
    fields: [...DOWNTIME, "confirmed_by", "confirmed_at"],
    check: (j, c) => expectField(j, "confirmed_by", c.pm.id),
  },
  // --- OEE
  {
    method: "POST",
    path: "/api/v1/oee/calculate",
    seed: true,
    url: () => "/api/v1/oee/calculate",
    // oeeService/calculateOEE: a camelCase body.
    body: (c) => ({ lineId: c.lineId, startTime: new Date(Date.now() - 3_600_000).toISOString(), endTime: new Date().toISOString() }),
    status: 201,
    shape: "object",
    fields: OEE,
  },
  {
    method: "GET",
    path: "/api/v1/oee/lines/{x}",
    seed: true,
    who: "op",
    url: (c) => `/api/v1/oee/lines/${c.lineId}?`,
    status: 200,
    shape: "array",
    fields: OEE,
  },
  {
    method: "GET",
    path: "/api/v1/oee/current",
    seed: false,
    who: "op",
    url: (c) => `/api/v1/oee/current?line_id=${c.lineId}`,
    status: 200,
    shape: "array",
    fields: OEE,
    total: false,
  },
  {
    method: "GET",
    path: "/api/v1/oee/lines/{x}/history",
    seed: false,
    who: "op",
    // getOEEHistory sends empty dates when it has none.
    url: (c) => `/api/v1/oee/lines/${c.lineId}/history?start_date=&end_date=&granularity=day`,
    status: 200,
    shape: "array",
    fields: [...OEE, "period_start", "period_end"],
    total: false,
  },
  {
    method: "GET",
    path: "/api/v1/oee/lines/{x}/breakdown",
    seed: false,
    who: "op",
    url: (c) => `/api/v1/oee/lines/${c.lineId}/breakdown?period=24h`,
    status: 200,
    shape: "object",
    fields: [...OEE, "losses"],
  },
  // --- dashboard
  {
    method: "GET",
    path: "/api/v1/dashboard/lines/{x}/status",
    seed: true,
    who: "op",
    url: (c) => `/api/v1/dashboard/lines/${c.lineId}/status`,
    status: 200,
    shape: "object",
    fields: ["line", "live"],
  },
  {
    method: "GET",
    path: "/api/v1/dashboard/metrics",
    seed: true,
    who: "op",
    url: (c) => `/api/v1/dashboard/metrics?line_id=${c.lineId}&period=24h`,
    status: 200,
    shape: "object",
    fields: ["time_range", "production_metrics", "quality_metrics", "maintenance_metrics"],
  },
  // --- reports
  {
    method: "GET",
    path: "/api/v1/reports/{x}",
    seed: true,
    url: async (c) => `/api/v1/reports/${await c.freshReport("ready")}`,
    status: 200,
    shape: "object",
    fields: REPORT,
    check: (j) => expectField(j, "status", "completed"),
  },
  { method: "GET", path: "/api/v1/reports", seed: true, url: () => "/api/v1/reports?", status: 200, shape: "array", fields: REPORT },
  {
    method: "DELETE",
    path: "/api/v1/reports/{x}",
    seed: true,
    url: async (c) => `/api/v1/reports/${await c.freshReport("failed")}`,
    status: 200,
    shape: "object",
    fields: ["message"],
  },
  {
    method: "GET",
    path: "/api/v1/reports/{x}/download",
    seed: false,
    url: async (c) => `/api/v1/reports/${await c.freshReport("queued")}/download`,
    status: 202,
    shape: "object",
    fields: ["fileUrl", "status"],
  },
  {
    method: "POST",
    path: "/api/v1/reports/generate",
    seed: false,
    url: () => "/api/v1/reports/generate",
    body: (c) => ({ template_id: c.templateId, parameters: { line_id: c.lineId, report_date: "2026-11-22" }, name: "Night shift" }),
    status: 202,
    shape: "object",
    fields: REPORT,
    check: (j) => expectField(j, "status", "pending"),
  },
  { method: "GET", path: "/api/v1/reports/templates", seed: true, url: () => "/api/v1/reports/templates?", status: 200, shape: "array", fields: TEMPLATE },
  {
    method: "GET",
    path: "/api/v1/reports/templates/{x}",
    seed: true,
    url: (c) => `/api/v1/reports/templates/${c.templateId}`,
    status: 200,
    shape: "object",
    fields: TEMPLATE,
  },
  {
    method: "POST",
    path: "/api/v1/reports/templates",
    seed: true,
    url: () => "/api/v1/reports/templates",
    body: () => ({
      name: `OEE ${crypto.randomUUID().slice(0, 8)}`,
      description: "Weekly",
      template_type: "production",
      parameters: [],
      sections: [{ type: "oee", title: "OEE" }],
    }),
    status: 201,
    shape: "object",
    fields: TEMPLATE,
  },
  {
    method: "PUT",
    path: "/api/v1/reports/templates/{x}",
    seed: true,
    url: (c) => `/api/v1/reports/templates/${c.templateId}`,
    body: () => ({ description: "Every morning" }),
    status: 200,
    shape: "object",
    fields: TEMPLATE,
  },
  {
    method: "POST",
    path: "/api/v1/reports/scheduled",
    seed: false,
    url: () => "/api/v1/reports/scheduled",
    body: (c) => ({ name: "Morning", template_id: c.templateId, frequency: "daily", parameters: { line_id: c.lineId }, recipients: ["lead@example.com"] }),
    status: 201,
    shape: "object",
    fields: SCHEDULED,
    check: (j, c) => {
      c.scheduledId = String(j.id);
    },
  },
  {
    method: "GET",
    path: "/api/v1/reports/scheduled",
    seed: true,
    url: () => "/api/v1/reports/scheduled?is_active=true",
    status: 200,
    shape: "array",
    fields: SCHEDULED,
  },
  {
    method: "GET",
    path: "/api/v1/reports/scheduled/{x}",
    seed: false,
    url: (c) => `/api/v1/reports/scheduled/${c.scheduledId}`,
    status: 200,
    shape: "object",
    fields: SCHEDULED,
  },
  {
    method: "PUT",
    path: "/api/v1/reports/scheduled/{x}",
    seed: false,
    url: (c) => `/api/v1/reports/scheduled/${c.scheduledId}`,
    body: () => ({ hour_utc: 7 }),
    status: 200,
    shape: "object",
    fields: SCHEDULED,
  },
  {
    method: "POST",
    path: "/api/v1/reports/scheduled/{x}/toggle",
    seed: false,
    url: (c) => `/api/v1/reports/scheduled/${c.scheduledId}/toggle`,
    status: 200,
    shape: "object",
    fields: SCHEDULED,
    check: (j) => expectField(j, "is_active", false),
  },
  {
    method: "DELETE",
    path: "/api/v1/reports/scheduled/{x}",
    seed: false,
    url: (c) => `/api/v1/reports/scheduled/${c.scheduledId}`,
    status: 200,
    shape: "object",
    fields: ["message"],
  },
  // --- equipment (MS5's path; RM365's client does not read /api/v1/equipment)
  {
    method: "GET",
    path: "/api/v1/equipment",
    seed: false,
    who: "op",
    url: (c) => `/api/v1/equipment?line_id=${c.lineId}`,
    status: 200,
    shape: "array",
    fields: EQUIPMENT,
    check: (j, c) => expectField(arr(j)[0] ?? {}, "equipment_code", c.equipmentCode),
  },
  {
    method: "GET",
    path: "/api/v1/equipment/{x}",
    seed: false,
    who: "op",
    url: (c) => `/api/v1/equipment/${c.equipmentCode}`,
    status: 200,
    shape: "object",
    fields: EQUIPMENT,
    check: (j, c) => expectField(j, "equipment_code", c.equipmentCode),
  },
  {
    method: "GET",
    path: "/api/v1/equipment/faults",
    seed: false,
    who: "op",
    url: async (c) => {
      await c.freshFault();
      return `/api/v1/equipment/faults?equipment_id=${c.equipmentCode}&status=active`;
    },
    status: 200,
    shape: "array",
    fields: FAULT,
    check: (j, c) => {
      for (const f of arr(j)) {
        expectField(f, "equipmentId", c.equipmentCode);
        expectField(f, "status", "active");
      }
    },
  },
  {
    method: "POST",
    path: "/api/v1/equipment/faults/{x}/acknowledge",
    seed: false,
    url: async (c) => `/api/v1/equipment/faults/${await c.freshFault()}/acknowledge`,
    status: 200,
    shape: "object",
    fields: FAULT,
    check: (j) => {
      expectField(j, "status", "acknowledged");
      if (typeof j.acknowledgedBy !== "string" || !j.acknowledgedBy) throw new Error("acknowledgedBy: expected the caller");
    },
  },
  {
    method: "POST",
    path: "/api/v1/equipment/faults/{x}/resolve",
    seed: false,
    url: async (c) => `/api/v1/equipment/faults/${await c.freshFault()}/resolve`,
    body: () => ({ resolution_notes: "Cleared the film path" }),
    status: 200,
    shape: "object",
    fields: FAULT,
    check: (j) => {
      expectField(j, "status", "resolved");
      expectField(j, "resolution", "Cleared the film path");
    },
  },
  {
    method: "GET",
    path: "/api/v1/equipment/maintenance-schedules",
    seed: false,
    who: "op",
    url: async (c) => {
      const { call } = await import("../../helpers");
      const made = await call(`/api/v1/equipment/${c.equipmentCode}/maintenance`, {
        token: c.pm.token,
        body: { maintenance_type: "preventive", priority: "high", scheduled_at: "2030-01-02T06:00:00Z", estimated_duration_minutes: 45 },
      });
      if (made.status !== 201) throw new Error(`schedule: ${made.status} ${JSON.stringify(made.json)}`);
      return `/api/v1/equipment/maintenance-schedules?equipment_id=${c.equipmentCode}&status=scheduled&priority=high`;
    },
    status: 200,
    shape: "array",
    fields: SCHEDULE_M,
    check: (j, c) => {
      for (const m of arr(j)) {
        expectField(m, "equipmentId", c.equipmentCode);
        expectField(m, "estimatedDuration", 45);
      }
    },
  },
  {
    method: "POST",
    path: "/api/v1/equipment/maintenance-schedules",
    seed: false,
    url: () => "/api/v1/equipment/maintenance-schedules",
    // equipmentSlice's createMaintenanceSchedule: a Partial<MaintenanceSchedule>, camelCase.
    body: (c) => ({
      equipmentId: c.equipmentCode,
      maintenanceType: "emergency",
      description: "Replace the sealing jaw",
      scheduledDate: "2030-01-03T06:00:00.000Z",
      priority: "critical",
      estimatedDuration: 30,
      assignedTo: "tech.ana",
    }),
    status: 201,
    shape: "object",
    fields: [...SCHEDULE_M, "equipmentCode", "maintenanceType", "priority", "assignedTo"],
    check: (j, c) => {
      expectField(j, "equipmentId", c.equipmentCode);
      expectField(j, "maintenanceType", "emergency");
      expectField(j, "assignedTo", "tech.ana");
      expectField(j, "status", "scheduled");
    },
  },
  {
    method: "GET",
    path: "/api/v1/equipment/maintenance-schedules/{x}",
    seed: false,
    who: "op",
    url: async (c) => `/api/v1/equipment/maintenance-schedules/${await freshMaintenance(c)}`,
    status: 200,
    shape: "object",
    fields: SCHEDULE_M,
  },
  {
    method: "PUT",
    path: "/api/v1/equipment/maintenance-schedules/{x}",
    seed: false,
    url: async (c) => `/api/v1/equipment/maintenance-schedules/${await freshMaintenance(c)}`,
    body: () => ({ status: "in_progress", assignedTo: "tech.bo", notes: "Parts on the cart" }),
    status: 200,
    shape: "object",
    fields: SCHEDULE_M,
    check: (j) => {
      expectField(j, "status", "in_progress");
      expectField(j, "assignedTo", "tech.bo");
      expectField(j, "notes", "Parts on the cart");
    },
  },
  {
    method: "POST",
    path: "/api/v1/equipment/maintenance-schedules/{x}/complete",
    seed: false,
    url: async (c) => `/api/v1/equipment/maintenance-schedules/${await freshMaintenance(c)}/complete`,
    // api.ts completeMaintenance: { actual_duration, notes }.
    body: () => ({ actual_duration: 52, notes: "Belt replaced" }),
    status: 200,
    shape: "object",
    fields: [...SCHEDULE_M, "completedDate", "actualDuration", "notes"],
    check: (j, c) => {
      expectField(j, "status", "completed");
      expectField(j, "actualDuration", 52);
      expectField(j, "notes", "Belt replaced");
      expectField(j, "completed_by", c.pm.username);
    },
  },
  {
    method: "GET",
    path: "/api/v1/andon/escalations",
    seed: false,
    who: "op",
    url: async (c) => {
      await freshEscalation(c);
      return "/api/v1/andon/escalations?status=active&priority=high";
    },
    status: 200,
    shape: "array",
    fields: ESCALATION,
    check: (j) => {
      for (const e of arr(j)) {
        expectField(e, "status", "active");
        expectField(e, "priority", "high");
      }
    },
  },
  {
    method: "GET",
    path: "/api/v1/andon/escalations/{x}",
    seed: false,
    who: "op",
    url: async (c) => `/api/v1/andon/escalations/${await freshEscalation(c)}`,
    status: 200,
    shape: "object",
    fields: ESCALATION,
  },
  {
    method: "POST",
    path: "/api/v1/andon/escalations/{x}/acknowledge",
    seed: false,
    url: async (c) => `/api/v1/andon/escalations/${await freshEscalation(c)}/acknowledge`,
    status: 200,
    shape: "object",
    fields: ESCALATION,
    check: (j, c) => {
      expectField(j, "status", "acknowledged");
      expectField(j, "acknowledgedBy", c.pm.id);
    },
  },
  {
    method: "POST",
    path: "/api/v1/andon/escalations/{x}/resolve",
    seed: false,
    url: async (c) => `/api/v1/andon/escalations/${await freshEscalation(c)}/resolve`,
    body: () => ({ resolution_notes: "New roll fitted" }),
    status: 200,
    shape: "object",
    fields: ESCALATION,
    check: (j) => {
      expectField(j, "status", "resolved");
      expectField(j, "notes", "New roll fitted");
    },
  },
  {
    method: "GET",
    path: "/api/v1/dashboard/production-metrics",
    seed: false,
    who: "op",
    url: (c) => `/api/v1/dashboard/production-metrics?line_id=${c.lineId}`,
    status: 200,
    shape: "array",
    total: false,
    fields: [
      "lineId",
      "lineCode",
      "currentProduction",
      "targetProduction",
      "efficiency",
      "goodParts",
      "totalParts",
      "qualityRate",
      "downtimeMinutes",
      "lastUpdate",
    ],
    check: (j, c) => expectField(arr(j)[0] ?? {}, "lineId", c.lineId),
  },
  {
    method: "GET",
    path: "/api/v1/dashboard/production-summary",
    seed: false,
    who: "op",
    // dashboardService.getProductionSummary: line_id and a dateRange as start_date/end_date.
    url: (c) => `/api/v1/dashboard/production-summary?line_id=${c.lineId}&start_date=2026-11-22&end_date=2026-11-22`,
    status: 200,
    shape: "object",
    fields: ["line_id", "total_production", "good_production", "target_production", "efficiency", "quality_rate", "downtime_minutes", "lines"],
    check: (j, c) => {
      // The catalogue's schedules on 2026-11-22 (rows above add and change some): a target, and the one line.
      if (!(Number(j.target_production) >= 1000)) throw new Error(`target_production: ${JSON.stringify(j.target_production)}`);
      expectField(arr(j.lines)[0] ?? {}, "lineId", c.lineId);
    },
  },
  {
    method: "GET",
    path: "/api/v1/dashboard/equipment/status",
    seed: false,
    who: "op",
    url: (c) => `/api/v1/dashboard/equipment/status?line_id=${c.lineId}`,
    status: 200,
    shape: "array",
    fields: ["id", "code", "name", "status", "efficiency", "lastUpdate", "uptime", "downtime", "faults", "lineId", "lineCode"],
    check: (j, c) => expectField(arr(j)[0] ?? {}, "code", c.equipmentCode),
  },
  {
    method: "GET",
    path: "/api/v1/oee/trends",
    seed: false,
    who: "op",
    url: (c) => `/api/v1/oee/trends?line_id=${c.lineId}&start_time=2026-11-22T00:00:00Z&end_time=2026-11-23T00:00:00Z&aggregation_level=shift`,
    status: 200,
    shape: "array",
    total: false,
    fields: ["period", "oee", "availability", "performance", "quality", "production", "downtime"],
    check: (j) => {
      if (arr(j).length !== 3) throw new Error(`expected 3 shifts, got ${arr(j).length}`);
    },
  },
  {
    method: "GET",
    path: "/api/v1/oee/losses",
    seed: false,
    who: "op",
    url: (c) => `/api/v1/oee/losses?line_id=${c.lineId}&equipment_code=BP01.PACK.BAG1`,
    status: 200,
    shape: "array",
    total: false,
    fields: ["category", "description", "duration", "percentage", "impact"],
  },
  {
    method: "GET",
    path: "/api/v1/websocket/token",
    seed: false,
    who: "op",
    url: () => "/api/v1/websocket/token",
    status: 200,
    shape: "object",
    fields: ["token"],
  },
  // Last: the line and template the rows above use.
  {
    method: "DELETE",
    path: "/api/v1/reports/templates/{x}",
    seed: true,
    url: (c) => `/api/v1/reports/templates/${c.templateId}`,
    status: 200,
    shape: "object",
    fields: ["message"],
  },
  // --- checklists (beyond the seed: MS5's backend never served them; modules/quality)
  {
    method: "POST",
    path: "/api/v1/checklists",
    seed: false,
    url: () => "/api/v1/checklists",
    body: (c) => checklistBody(c.lineId),
    status: 201,
    shape: "object",
    fields: CHECKLIST,
  },
  {
    method: "GET",
    path: "/api/v1/checklists",
    seed: false,
    who: "op",
    url: (c) => `/api/v1/checklists?line_id=${c.lineId}&equipment_code=BP01.PACK.BAG1&is_active=true`,
    status: 200,
    shape: "array",
    fields: CHECKLIST,
  },
  {
    method: "GET",
    path: "/api/v1/checklists/{x}",
    seed: false,
    who: "op",
    url: (c) => `/api/v1/checklists/${c.checklistId}`,
    status: 200,
    shape: "object",
    fields: CHECKLIST,
    check: (j) => {
      const items = arr(j.items);
      if (items.length !== 3 || JSON.stringify(items[0]).indexOf('"guards"') < 0) throw new Error(`items: ${JSON.stringify(items)}`);
    },
  },
  {
    method: "PUT",
    path: "/api/v1/checklists/{x}",
    seed: false,
    url: async (c) => `/api/v1/checklists/${await c.freshChecklist()}`,
    body: () => ({ description: "Night shift", requiredSignature: true }),
    status: 200,
    shape: "object",
    fields: CHECKLIST,
    check: (j) => {
      expectField(j, "description", "Night shift");
      expectField(j, "required_signature", true);
    },
  },
  {
    method: "DELETE",
    path: "/api/v1/checklists/{x}",
    seed: false,
    url: async (c) => `/api/v1/checklists/${await c.freshChecklist()}`,
    status: 200,
    shape: "object",
  },
  {
    method: "POST",
    path: "/api/v1/checklists/instances",
    seed: false,
    who: "op",
    url: () => "/api/v1/checklists/instances",
    body: (c) => ({ checklist_id: c.checklistId, job_id: "job-1", line_id: c.lineId }),
    status: 201,
    shape: "object",
    fields: RUN,
    check: (j) => expectField(j, "status", "pending"),
  },
  {
    method: "GET",
    path: "/api/v1/checklists/instances",
    seed: false,
    who: "op",
    url: (c) => `/api/v1/checklists/instances?checklist_id=${c.checklistId}&status=pending`,
    status: 200,
    shape: "array",
    fields: RUN,
  },
  {
    method: "GET",
    path: "/api/v1/checklists/instances/{x}",
    seed: false,
    who: "op",
    url: async (c) => `/api/v1/checklists/instances/${await c.freshChecklistRun()}`,
    status: 200,
    shape: "object",
    fields: RUN,
  },
  {
    method: "POST",
    path: "/api/v1/checklists/instances/{x}/complete",
    seed: false,
    who: "op",
    url: async (c) => `/api/v1/checklists/instances/${await c.freshChecklistRun()}/complete`,
    body: () => ({ responses: checklistAnswers(), notes: "All good" }),
    status: 200,
    shape: "object",
    fields: RUN,
    check: (j) => {
      expectField(j, "status", "completed");
      if (arr(j.responses).length !== 2) throw new Error("responses not kept");
    },
  },
  // --- quality inspections (beyond the seed; modules/quality)
  {
    method: "POST",
    path: "/api/v1/quality/inspections",
    seed: false,
    who: "op",
    url: () => "/api/v1/quality/inspections",
    body: (c) => ({ lineId: c.lineId, inspectionType: "spot", scheduledDate: "2030-01-05T08:00:00Z", notes: "Seal check" }),
    status: 201,
    shape: "object",
    fields: INSPECTION,
    check: (j) => expectField(j, "status", "scheduled"),
  },
  {
    method: "GET",
    path: "/api/v1/quality/inspections",
    seed: false,
    who: "op",
    url: (c) => `/api/v1/quality/inspections?line_id=${c.lineId}&status=scheduled`,
    status: 200,
    shape: "array",
    fields: INSPECTION,
  },
  {
    method: "GET",
    path: "/api/v1/quality/inspections/{x}",
    seed: false,
    who: "op",
    url: async (c) => `/api/v1/quality/inspections/${await c.freshInspection()}`,
    status: 200,
    shape: "object",
    fields: INSPECTION,
  },
  {
    method: "PUT",
    path: "/api/v1/quality/inspections/{x}",
    seed: false,
    who: "op",
    url: async (c) => `/api/v1/quality/inspections/${await c.freshInspection()}`,
    body: () => ({ status: "in_progress", inspector: "Ana" }),
    status: 200,
    shape: "object",
    fields: INSPECTION,
    check: (j) => expectField(j, "status", "in_progress"),
  },
  {
    method: "POST",
    path: "/api/v1/quality/inspections/{x}/complete",
    seed: false,
    who: "op",
    url: async (c) => `/api/v1/quality/inspections/${await c.freshInspection()}/complete`,
    body: () => inspectionResults(),
    status: 200,
    shape: "object",
    fields: INSPECTION,
    check: (j) => {
      expectField(j, "status", "completed");
      expectField(j, "overallResult", "pass");
    },
  },
  {
    method: "POST",
    path: "/api/v1/quality/inspections/{x}/approve",
    seed: false,
    url: async (c) => `/api/v1/quality/inspections/${await c.freshInspection(true)}/approve`,
    status: 200,
    shape: "object",
    fields: INSPECTION,
    check: (j) => expectField(j, "status", "approved"),
  },
  {
    method: "POST",
    path: "/api/v1/quality/inspections/{x}/reject",
    seed: false,
    url: async (c) => `/api/v1/quality/inspections/${await c.freshInspection(true)}/reject`,
    body: () => ({ rejection_reason: "Seal strength measured on the wrong batch" }),
    status: 200,
    shape: "object",
    fields: INSPECTION,
    check: (j) => expectField(j, "status", "rejected"),
  },
  // --- quality defects (beyond the seed; modules/quality)
  {
    method: "POST",
    path: "/api/v1/quality/defects",
    seed: false,
    who: "op",
    url: () => "/api/v1/quality/defects",
    body: (c) => ({ lineId: c.lineId, defectCode: "SEAL-01", description: "Weak seal", severity: "high", category: "functional", quantity: 3 }),
    status: 201,
    shape: "object",
    fields: DEFECT,
    check: (j) => expectField(j, "status", "open"),
  },
  {
    method: "GET",
    path: "/api/v1/quality/defects",
    seed: false,
    who: "op",
    url: (c) => `/api/v1/quality/defects?line_id=${c.lineId}&defect_category=functional&severity=high&status=open`,
    status: 200,
    shape: "array",
    fields: DEFECT,
  },
  {
    method: "GET",
    path: "/api/v1/quality/defects/{x}",
    seed: false,
    who: "op",
    url: async (c) => `/api/v1/quality/defects/${await freshDefect(c)}`,
    status: 200,
    shape: "object",
    fields: DEFECT,
  },
  {
    method: "PUT",
    path: "/api/v1/quality/defects/{x}",
    seed: false,
    who: "op",
    url: async (c) => `/api/v1/quality/defects/${await freshDefect(c)}`,
    body: () => ({ status: "investigating", rootCause: "Heater bar worn" }),
    status: 200,
    shape: "object",
    fields: DEFECT,
    check: (j) => expectField(j, "rootCause", "Heater bar worn"),
  },
  {
    method: "POST",
    path: "/api/v1/quality/defects/{x}/resolve",
    seed: false,
    who: "op",
    url: async (c) => `/api/v1/quality/defects/${await freshDefect(c)}/resolve`,
    body: () => ({ resolution_notes: "Heater bar replaced" }),
    status: 200,
    shape: "object",
    fields: DEFECT,
    check: (j) => expectField(j, "status", "resolved"),
  },
  {
    method: "GET",
    path: "/api/v1/quality/metrics/{x}",
    seed: false,
    who: "op",
    url: (c) => `/api/v1/quality/metrics/${c.lineId}?start_date=${new Date().toISOString().slice(0, 10)}&end_date=${new Date().toISOString().slice(0, 10)}`,
    status: 200,
    shape: "object",
    fields: [
      "lineId",
      "lineCode",
      "period",
      "totalInspections",
      "passedInspections",
      "failedInspections",
      "passRate",
      "totalDefects",
      "defectRate",
      "averageDefectSeverity",
      "topDefects",
      "parameterDeviations",
      "lastUpdate",
    ],
  },
  {
    method: "POST",
    path: "/api/v1/auth/change-password",
    seed: true,
    who: "op",
    url: () => "/api/v1/auth/change-password",
    body: (c) => ({ current_password: c.op.password, new_password: "a-new-password-2" }),
    status: 200,
    shape: "object",
  },
  { method: "POST", path: "/api/v1/auth/logout", seed: true, who: "op", url: () => "/api/v1/auth/logout", status: 200, shape: "object" },
  {
    method: "DELETE",
    path: "/api/v1/production/lines/{x}",
    seed: true,
    url: async (c) => `/api/v1/production/lines/${await freshLine(c)}`,
    status: 200,
    shape: "object",
  },
];

function expectField(json: Json, key: string, value: unknown) {
  if (json[key] !== value) throw new Error(`${key}: expected ${JSON.stringify(value)}, got ${JSON.stringify(json[key])}`);
}

async function freshLine(c: Ctx): Promise<string> {
  const { call } = await import("../../helpers");
  const line = await call("/api/v1/production/lines", { token: c.pm.token, body: { line_code: `L-${crypto.randomUUID().slice(0, 8)}`, name: "Spare" } });
  return String(line.json.id);
}

/** A new open defect on the context's line, reported by the operator. */
async function freshDefect(c: Ctx): Promise<string> {
  const { call, str } = await import("../../helpers");
  const made = await call("/api/v1/quality/defects", { token: c.op.token, body: { lineId: c.lineId, defectCode: "SEAL-01", description: "Weak seal" } });
  if (made.status !== 201) throw new Error(`defect: ${made.status} ${JSON.stringify(made.json)}`);
  return str(made.json.id);
}
