/**
 * MS5's equipment screens on `/api/v1/equipment`: the registry as a bare array with MS5's
 * `equipment_code` beside the canonical fields (a superset: `/api/v1/equipment` is MS5's path;
 * RM365's client does not read it), one item the same way, and the screens MS5's backend never
 * served: faults (an item's issue reports, in the client's words) and maintenance schedules.
 * Mounted AFTER the canonical equipment router (its `/{code}` is a catch-all), whose GET `/` and
 * GET `/{code}` were removed so these answer. Thin: the rules live in the equipment module.
 */
import { z } from "zod";
import { setETag } from "../../lib/etag";
import { Code, LongText } from "../../lib/fields";
import { createRouter, defineRoute, json, principalOf } from "../../lib/route";
import { acknowledgeFault, FAULT_STATUSES, Fault, listFaults, resolveFault } from "../../modules/equipment/faults";
import { listMaintenanceSchedules, MAINTENANCE_PRIORITIES, MaintenanceSchedule, SCHEDULE_STATUSES } from "../../modules/equipment/maintenance";
import { CodeParams, Equipment, EquipmentListQuery } from "../../modules/equipment/schemas";
import { getEquipment, listEquipment } from "../../modules/equipment/service";
import { ReportIdParams } from "../../modules/issue-reports/schemas";
import { bare, Ms5Paging, pageParams, TAGS } from "./shared";

/** The item as MS5's client reads it: the canonical fields plus `equipment_code`. */
export const Ms5Equipment = Equipment.extend({ equipment_code: z.string() }).meta({ id: "Ms5Equipment" });
const withCode = (item: Equipment) => ({ ...item, equipment_code: item.code });

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
      const page = await listEquipment(c.var.deps, { ...filters, production_line: production_line ?? line_id, ...pageParams({ skip, offset, limit }) });
      return c.json(bare(c, { ...page, items: page.items.map(withCode) }), 200);
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
      const page = await listFaults(c.var.deps, { equipment_code: equipment_code ?? equipment_id, status, ...pageParams({ skip, offset, limit }) });
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
    async (c) => c.json(await acknowledgeFault(c.var.deps, c.req.valid("param").id, principalOf(c)), 200),
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
      return c.json(await resolveFault(c.var.deps, c.req.valid("param").id, body?.resolution_notes ?? body?.notes ?? null, principalOf(c)), 200);
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
      const page = await listMaintenanceSchedules(c.var.deps, {
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
      const item = await getEquipment(c.var.deps, c.req.valid("param").code);
      setETag(c, item.version);
      return c.json(withCode(item), 200);
    },
  );
