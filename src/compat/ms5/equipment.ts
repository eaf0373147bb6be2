/**
 * MS5's equipment screens on `/api/v1/equipment`: the registry as a bare array with MS5's
 * `equipment_code` beside the canonical fields (a superset: `/api/v1/equipment` is MS5's path;
 * RM365's client does not read it), one item the same way, and the screens MS5's backend never
 * served: faults (an item's issue reports, in the client's words) and maintenance schedules.
 * Mounted AFTER the canonical equipment router (its `/{code}` is a catch-all), whose GET `/` and
 * GET `/{code}` were removed so these answer. Thin: the rules live in the equipment module.
 */
import { z } from "zod";
import { expectedVersion, setETag } from "../../lib/etag";
import { Code, LongText } from "../../lib/fields";
import { createRouter, defineRoute, json, principalOf } from "../../lib/route";
import { acknowledgeFault, FAULT_STATUSES, Fault, listFaults, resolveFault } from "../../modules/equipment/faults";
import {
  CompleteSchedule,
  CreateSchedule,
  completeMaintenanceSchedule,
  createMaintenanceSchedule,
  getMaintenanceSchedule,
  listMaintenanceSchedules,
  MAINTENANCE_PRIORITIES,
  MaintenanceSchedule,
  SCHEDULE_STATUSES,
  UpdateSchedule,
  updateMaintenanceSchedule,
} from "../../modules/equipment/maintenance";
import { type EquipmentRow, toEquipment } from "../../modules/equipment/repo";
import { CodeParams, Equipment, EquipmentListQuery } from "../../modules/equipment/schemas";
import { getEquipment, listEquipment } from "../../modules/equipment/service";
import { ReportIdParams } from "../../modules/issue-reports/schemas";
import { bare, Ms5Paging, pageParams, TAGS } from "./shared";

/** The item as MS5's client reads it: the canonical fields plus `equipment_code`. */
export const Ms5Equipment = Equipment.extend({ equipment_code: z.string() }).meta({ id: "Ms5Equipment" });
const withCode = (item: Equipment) => ({ ...item, equipment_code: item.code });
/** A list row straight to MS5's item (one object per item). */
const ms5Item = (row: EquipmentRow) => Object.assign(toEquipment(row), { equipment_code: row.code });

/** The client's filters (`status`, `line_id`; `type` and `criticality_level` have no column and are ignored) and the canonical ones. */
const ListQuery = Ms5Paging.extend({
  status: EquipmentListQuery.shape.status,
  sub_status: EquipmentListQuery.shape.sub_status,
  production_line: EquipmentListQuery.shape.production_line,
  line_id: EquipmentListQuery.shape.production_line,
  q: EquipmentListQuery.shape.q,
});

const FaultQuery = Ms5Paging.extend({
  /** The client's `equipment_id` is the item's code here (or `equipment_code`). */
  equipment_id: Code.optional(),
  equipment_code: Code.optional(),
  status: z.enum(FAULT_STATUSES).optional(),
});
const ScheduleQuery = Ms5Paging.extend({
  equipment_id: Code.optional(),
  equipment_code: Code.optional(),
  status: z.enum(SCHEDULE_STATUSES).optional(),
  priority: z.enum(MAINTENANCE_PRIORITIES).optional(),
});
const ScheduleParams = z.object({ id: z.uuid() });
const IfMatchHeader = z.object({ "if-match": z.string().max(64).optional().describe('The schedule\'s version from its ETag, e.g. "2"') });
const ResolveFaultBody = z.object({ resolution_notes: LongText.optional(), notes: LongText.optional() });

/** Mounted at `/api/v1/equipment`, after the canonical equipment routes. */
export const ms5EquipmentRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/",
      access: "equipment:read",
      pureRead: true,
      summary: "MS5: equipment by code, a bare array (X-Total-Count) with equipment_code beside code",
      tags: TAGS,
      request: { query: ListQuery },
      responses: { 200: json(z.array(Ms5Equipment), "The items") },
    }),
    async (c) => {
      const { skip, offset, limit, line_id, production_line, ...filters } = c.req.valid("query");
      const page = await listEquipment(c.get("deps"), { ...filters, production_line: production_line ?? line_id, ...pageParams({ skip, offset, limit }) });
      return c.json(bare(c, { ...page, items: page.items.map(ms5Item) }), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/faults",
      access: "issue_reports:read",
      pureRead: true,
      summary: "MS5: equipment faults (issue reports), newest first, a bare array (X-Total-Count); status active|acknowledged|resolved",
      tags: TAGS,
      request: { query: FaultQuery },
      responses: { 200: json(z.array(Fault), "The faults") },
    }),
    async (c) => {
      const { skip, offset, limit, equipment_id, equipment_code, status } = c.req.valid("query");
      const page = await listFaults(c.get("deps"), { equipment_code: equipment_code ?? equipment_id, status, ...pageParams({ skip, offset, limit }) });
      return c.json(bare(c, page), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/faults/{id}/acknowledge",
      access: "issue_reports:process",
      summary: "MS5: acknowledge an active fault (its issue report moves to processing, the caller as processor)",
      tags: TAGS,
      request: { params: ReportIdParams },
      errors: { 404: "No such fault", 409: "Already acknowledged or resolved" },
      responses: { 200: json(Fault, "The fault") },
    }),
    async (c) => c.json(await acknowledgeFault(c.get("deps"), c.req.valid("param").id, principalOf(c)), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/faults/{id}/resolve",
      access: "issue_reports:process",
      summary: "MS5: resolve a fault with {resolution_notes} (its issue report completes)",
      tags: TAGS,
      request: { params: ReportIdParams, body: { required: false, content: { "application/json": { schema: ResolveFaultBody } } } },
      errors: { 404: "No such fault", 409: "Already resolved" },
      responses: { 200: json(Fault, "The fault") },
    }),
    async (c) => {
      const body = c.req.valid("json");
      return c.json(await resolveFault(c.get("deps"), c.req.valid("param").id, body?.resolution_notes ?? body?.notes ?? null, principalOf(c)), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/maintenance-schedules",
      access: "equipment:read",
      pureRead: true,
      summary: "MS5: maintenance schedules of live items, soonest first, a bare array (X-Total-Count)",
      tags: TAGS,
      request: { query: ScheduleQuery },
      responses: { 200: json(z.array(MaintenanceSchedule), "The schedules") },
    }),
    async (c) => {
      const { skip, offset, limit, equipment_id, equipment_code, status, priority } = c.req.valid("query");
      const page = await listMaintenanceSchedules(c.get("deps"), {
        equipment_code: equipment_code ?? equipment_id,
        status,
        priority,
        ...pageParams({ skip, offset, limit }),
      });
      return c.json(bare(c, page), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/maintenance-schedules",
      access: "maintenance:write",
      summary:
        "MS5: schedule maintenance with the tablet's camelCase body (equipmentId = the item's code, maintenanceType, scheduledDate, estimatedDuration minutes) or the canonical one",
      tags: TAGS,
      request: { body: { content: { "application/json": { schema: CreateSchedule } } } },
      errors: { 404: "No such item" },
      responses: { 201: json(MaintenanceSchedule, "The schedule") },
    }),
    async (c) => {
      const made = await createMaintenanceSchedule(c.get("deps"), c.req.valid("json"), principalOf(c));
      setETag(c, made.version);
      return c.json(made, 201);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/maintenance-schedules/{id}",
      access: "equipment:read",
      pureRead: true,
      summary: "MS5: one maintenance schedule (ETag carries its version)",
      tags: TAGS,
      request: { params: ScheduleParams },
      errors: { 404: "No such schedule" },
      responses: { 200: json(MaintenanceSchedule, "The schedule") },
    }),
    async (c) => {
      const found = await getMaintenanceSchedule(c.get("deps"), c.req.valid("param").id);
      setETag(c, found.version);
      return c.json(found, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "put",
      path: "/maintenance-schedules/{id}",
      access: "maintenance:write",
      summary: "MS5: change an open schedule (fields in either casing; status scheduled|in_progress|cancelled; If-Match optional)",
      tags: TAGS,
      request: { params: ScheduleParams, headers: IfMatchHeader, body: { content: { "application/json": { schema: UpdateSchedule } } } },
      errors: { 404: "No such schedule", 409: "Completed or cancelled, or a stale If-Match: nothing changed" },
      responses: { 200: json(MaintenanceSchedule, "The schedule") },
    }),
    async (c) => {
      const updated = await updateMaintenanceSchedule(c.get("deps"), c.req.valid("param").id, c.req.valid("json"), expectedVersion(c.req.header("if-match")));
      setETag(c, updated.version);
      return c.json(updated, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/maintenance-schedules/{id}/complete",
      access: "maintenance:write",
      summary: "MS5: complete an open schedule once with {actual_duration (minutes), notes}; the caller is recorded",
      tags: TAGS,
      request: { params: ScheduleParams, headers: IfMatchHeader, body: { required: false, content: { "application/json": { schema: CompleteSchedule } } } },
      errors: { 404: "No such schedule", 409: "Already completed or cancelled, or a stale If-Match: nothing changed" },
      responses: { 200: json(MaintenanceSchedule, "The completed schedule") },
    }),
    async (c) => {
      const body = c.req.valid("json") ?? { actual_duration_minutes: null, notes: null };
      const done = await completeMaintenanceSchedule(c.get("deps"), c.req.valid("param").id, body, principalOf(c), expectedVersion(c.req.header("if-match")));
      setETag(c, done.version);
      return c.json(done, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/{code}",
      access: "equipment:read",
      pureRead: true,
      summary: "One item with its current status and equipment_code (ETag carries its version)",
      tags: TAGS,
      request: { params: CodeParams },
      errors: { 404: "No such item" },
      responses: { 200: json(Ms5Equipment, "The item") },
    }),
    async (c) => {
      const item = await getEquipment(c.get("deps"), c.req.valid("param").code);
      setETag(c, item.version);
      return c.json(withCode(item), 200);
    },
  );
