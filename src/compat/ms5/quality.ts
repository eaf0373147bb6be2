/**
 * MS5's quality screens on `/api/v1/quality` (issue 17; MS5's backend never served them):
 * inspections as the client's QualityInspection reads them (camelCase), listed as bare arrays
 * with `X-Total-Count` and filtered by its snake_case query. Bodies in camelCase as the client's
 * slice sends `Partial<QualityInspection>`, snake_case accepted beside; `complete` takes
 * `{results, overall_result, score, notes}`, `reject` `{rejection_reason}`. Recording needs
 * `quality:write`; approving and rejecting `quality:approve` (MS5's role model: not operators).
 * Defects: reported, changed and resolved once (`{resolution_notes}`) with `quality:write`.
 */
import { z } from "zod";
import { expectedVersion } from "../../lib/etag";
import { Code, LongText, ShortText } from "../../lib/fields";
import { createRouter, defineRoute, json, principalOf } from "../../lib/route";
import {
  createDefect,
  DEFECT_CATEGORIES,
  DEFECT_SEVERITIES,
  DEFECT_STATUSES,
  Defect,
  getDefect,
  listDefects,
  resolveDefect,
  updateDefect,
} from "../../modules/quality/defects";
import {
  approveInspection,
  completeInspection,
  createInspection,
  getInspection,
  INSPECTION_RESULTS,
  INSPECTION_STATUSES,
  INSPECTION_TYPES,
  Inspection,
  InspectionResultIn,
  listInspections,
  MAX_INSPECTION_RESULTS,
  rejectInspection,
  updateInspection,
} from "../../modules/quality/inspections";
import { QualityMetrics, qualityMetrics } from "../../modules/quality/metrics";
import { bare, DateOrTime, DateOrTimeEnd, given, ifMatchHeader, jsonBody, Ms5Paging, pageParams, TAGS, UuidParams, withETag } from "./shared";

const Instant = z.iso.datetime({ offset: true }).transform((v) => new Date(v).toISOString());
const ProductType = z.string().trim().max(64).nullable().optional();

const InspectionFields = {
  lineId: z.uuid().optional(),
  line_id: z.uuid().optional(),
  productTypeId: ProductType,
  product_type_id: ProductType,
  inspectionType: z.enum(INSPECTION_TYPES).optional(),
  inspection_type: z.enum(INSPECTION_TYPES).optional(),
  scheduledDate: Instant.optional(),
  scheduled_date: Instant.optional(),
  inspector: ShortText.min(1).optional(),
  notes: LongText.nullable().optional(),
};
const CreateBody = z.object(InspectionFields).refine((b) => (b.lineId ?? b.line_id) !== undefined, { message: "lineId is required", path: ["lineId"] });
const UpdateBody = z.object({ ...InspectionFields, status: z.enum(["scheduled", "in_progress", "cancelled"]).optional() });
const CompleteBody = z.object({
  results: z.array(InspectionResultIn).max(MAX_INSPECTION_RESULTS),
  overall_result: z.enum(INSPECTION_RESULTS),
  score: z.number().finite().min(0).max(100).optional(),
  notes: LongText.optional(),
});
const RejectBody = z.object({ rejection_reason: z.string().trim().min(1).max(2000) });
const ListQuery = Ms5Paging.extend({
  line_id: z.uuid().optional(),
  /** The client sends its check's id; inspections are not tied to checks here, so it is accepted and ignored. */
  check_id: z.string().max(64).optional(),
  status: z.enum(INSPECTION_STATUSES).optional(),
  start_date: DateOrTime.optional(),
  end_date: DateOrTimeEnd.optional(),
});
const IfMatch = ifMatchHeader("inspection");

const DefectFieldsIn = {
  defectCode: Code.optional(),
  defect_code: Code.optional(),
  description: z.string().trim().min(1).max(2000).optional(),
  severity: z.enum(DEFECT_SEVERITIES).optional(),
  category: z.enum(DEFECT_CATEGORIES).optional(),
  quantity: z.number().int().min(1).max(1_000_000).optional(),
  location: ShortText.nullable().optional(),
  rootCause: LongText.nullable().optional(),
  root_cause: LongText.nullable().optional(),
  correctiveAction: LongText.nullable().optional(),
  corrective_action: LongText.nullable().optional(),
};
const CreateDefectBody = z.object({
  ...DefectFieldsIn,
  lineId: z.uuid().optional(),
  line_id: z.uuid().optional(),
  inspectionId: z.uuid().nullable().optional(),
  inspection_id: z.uuid().nullable().optional(),
});
const UpdateDefectBody = z.object({ ...DefectFieldsIn, status: z.enum(["open", "investigating"]).optional() });
const ResolveDefectBody = z.object({ resolution_notes: z.string().trim().min(1).max(2000) });
const DefectQuery = Ms5Paging.extend({
  line_id: z.uuid().optional(),
  inspection_id: z.uuid().optional(),
  defect_category: z.enum(DEFECT_CATEGORIES).optional(),
  severity: z.enum(DEFECT_SEVERITIES).optional(),
  status: z.enum(DEFECT_STATUSES).optional(),
  start_date: DateOrTime.optional(),
  end_date: DateOrTimeEnd.optional(),
});
const defectFields = (b: z.infer<typeof UpdateDefectBody>) => ({
  defect_code: given(b.defectCode, b.defect_code),
  description: b.description,
  severity: b.severity,
  category: b.category,
  quantity: b.quantity,
  location: b.location,
  root_cause: given(b.rootCause, b.root_cause),
  corrective_action: given(b.correctiveAction, b.corrective_action),
});

const MetricsQuery = z
  .object({ start_date: DateOrTime, end_date: DateOrTimeEnd, product_type_id: z.string().trim().max(64).optional() })
  .refine((q) => q.start_date < q.end_date && Date.parse(q.end_date) - Date.parse(q.start_date) <= 366 * 86_400_000, {
    message: "end_date must follow start_date, at most 366 days later",
    path: ["end_date"],
  });

/** Mounted at `/api/v1/quality`. */
export const ms5QualityRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/inspections",
      access: "quality:read",
      pureRead: true,
      summary: "MS5: quality inspections, latest scheduled first, a bare array (X-Total-Count)",
      tags: TAGS,
      request: { query: ListQuery },
      responses: { 200: json(z.array(Inspection), "The inspections") },
    }),
    async (c) => {
      const { skip, offset, limit, line_id, status, start_date, end_date } = c.req.valid("query");
      return c.json(
        bare(c, await listInspections(c.get("deps"), { line_id, status, from: start_date, to: end_date, ...pageParams({ skip, offset, limit }) })),
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/inspections",
      access: "quality:write",
      summary: "MS5: schedule a quality inspection on a line (scheduledDate defaults to now, inspector to the caller)",
      tags: TAGS,
      request: jsonBody(CreateBody),
      errors: { 404: "No such line" },
      responses: { 201: json(Inspection, "The inspection") },
    }),
    async (c) => {
      const b = c.req.valid("json");
      const made = await createInspection(
        c.get("deps"),
        {
          line_id: given(b.lineId, b.line_id, ""),
          product_type_id: given(b.productTypeId, b.product_type_id),
          inspection_type: given(b.inspectionType, b.inspection_type),
          scheduled_date: given(b.scheduledDate, b.scheduled_date),
          inspector: b.inspector,
          notes: b.notes,
        },
        principalOf(c),
      );
      return c.json(withETag(c, made), 201);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/inspections/{id}",
      access: "quality:read",
      pureRead: true,
      summary: "MS5: one quality inspection",
      tags: TAGS,
      request: { params: UuidParams },
      errors: { 404: "No such inspection" },
      responses: { 200: json(Inspection, "The inspection") },
    }),
    async (c) => c.json(withETag(c, await getInspection(c.get("deps"), c.req.valid("param").id)), 200),
  )
  .openapi(
    defineRoute({
      method: "put",
      path: "/inspections/{id}",
      access: "quality:write",
      summary: "MS5: change an open inspection (status: in_progress to start it, cancelled to cancel it)",
      tags: TAGS,
      request: { params: UuidParams, headers: IfMatch, ...jsonBody(UpdateBody) },
      errors: { 404: "No such inspection", 409: "Not open, or changed since read" },
      responses: { 200: json(Inspection, "The inspection") },
    }),
    async (c) => {
      const b = c.req.valid("json");
      const updated = await updateInspection(
        c.get("deps"),
        c.req.valid("param").id,
        {
          inspection_type: given(b.inspectionType, b.inspection_type),
          scheduled_date: given(b.scheduledDate, b.scheduled_date),
          inspector: b.inspector,
          notes: b.notes,
          product_type_id: given(b.productTypeId, b.product_type_id),
          status: b.status,
        },
        expectedVersion(c.req.header("if-match")),
      );
      return c.json(withETag(c, updated), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/inspections/{id}/complete",
      access: "quality:write",
      summary: "MS5: complete an open inspection once with {results, overall_result, score, notes}",
      tags: TAGS,
      request: { params: UuidParams, ...jsonBody(CompleteBody) },
      errors: { 404: "No such inspection", 409: "Already completed, reviewed or cancelled" },
      responses: { 200: json(Inspection, "The inspection") },
    }),
    async (c) => c.json(withETag(c, await completeInspection(c.get("deps"), c.req.valid("param").id, c.req.valid("json"), principalOf(c))), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/inspections/{id}/approve",
      access: "quality:approve",
      summary: "MS5: approve a completed inspection (once)",
      tags: TAGS,
      request: { params: UuidParams },
      errors: { 404: "No such inspection", 409: "Not completed, or already reviewed" },
      responses: { 200: json(Inspection, "The inspection") },
    }),
    async (c) => c.json(withETag(c, await approveInspection(c.get("deps"), c.req.valid("param").id, principalOf(c))), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/inspections/{id}/reject",
      access: "quality:approve",
      summary: "MS5: reject a completed inspection (once) with {rejection_reason}",
      tags: TAGS,
      request: { params: UuidParams, ...jsonBody(RejectBody) },
      errors: { 404: "No such inspection", 409: "Not completed, or already reviewed" },
      responses: { 200: json(Inspection, "The inspection") },
    }),
    async (c) => c.json(withETag(c, await rejectInspection(c.get("deps"), c.req.valid("param").id, c.req.valid("json").rejection_reason, principalOf(c))), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/defects",
      access: "quality:read",
      pureRead: true,
      summary: "MS5: quality defects, newest first, a bare array (X-Total-Count)",
      tags: TAGS,
      request: { query: DefectQuery },
      responses: { 200: json(z.array(Defect), "The defects") },
    }),
    async (c) => {
      const { skip, offset, limit, line_id, inspection_id, defect_category, severity, status, start_date, end_date } = c.req.valid("query");
      const page = await listDefects(c.get("deps"), {
        line_id,
        inspection_id,
        category: defect_category,
        severity,
        status,
        from: start_date,
        to: end_date,
        ...pageParams({ skip, offset, limit }),
      });
      return c.json(bare(c, page), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/defects",
      access: "quality:write",
      summary: "MS5: report a defect on a line or against an inspection (the caller is the reporter)",
      tags: TAGS,
      request: jsonBody(CreateDefectBody),
      errors: { 404: "No such line or inspection" },
      responses: { 201: json(Defect, "The defect") },
    }),
    async (c) => {
      const b = c.req.valid("json");
      const made = await createDefect(
        c.get("deps"),
        { ...defectFields(b), line_id: given(b.lineId, b.line_id), inspection_id: given(b.inspectionId, b.inspection_id) },
        principalOf(c),
      );
      return c.json(withETag(c, made), 201);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/defects/{id}",
      access: "quality:read",
      pureRead: true,
      summary: "MS5: one quality defect",
      tags: TAGS,
      request: { params: UuidParams },
      errors: { 404: "No such defect" },
      responses: { 200: json(Defect, "The defect") },
    }),
    async (c) => c.json(withETag(c, await getDefect(c.get("deps"), c.req.valid("param").id)), 200),
  )
  .openapi(
    defineRoute({
      method: "put",
      path: "/defects/{id}",
      access: "quality:write",
      summary: "MS5: change an open defect (status open | investigating; resolve has its own route)",
      tags: TAGS,
      request: { params: UuidParams, headers: IfMatch, ...jsonBody(UpdateDefectBody) },
      errors: { 404: "No such defect", 409: "Resolved or closed, or changed since read" },
      responses: { 200: json(Defect, "The defect") },
    }),
    async (c) => {
      const b = c.req.valid("json");
      const updated = await updateDefect(
        c.get("deps"),
        c.req.valid("param").id,
        { ...defectFields(b), status: b.status },
        expectedVersion(c.req.header("if-match")),
      );
      return c.json(withETag(c, updated), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/defects/{id}/resolve",
      access: "quality:write",
      summary: "MS5: resolve an open defect once with {resolution_notes}",
      tags: TAGS,
      request: { params: UuidParams, ...jsonBody(ResolveDefectBody) },
      errors: { 404: "No such defect", 409: "Already resolved or closed" },
      responses: { 200: json(Defect, "The defect") },
    }),
    async (c) => {
      const resolved = await resolveDefect(c.get("deps"), c.req.valid("param").id, c.req.valid("json").resolution_notes, principalOf(c));
      return c.json(withETag(c, resolved), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/metrics/{id}",
      access: "quality:read",
      pureRead: true,
      summary: "MS5: a line's quality figures over start_date..end_date (at most 366 days): pass rate, defects, top defects, deviating parameters",
      tags: TAGS,
      request: { params: UuidParams, query: MetricsQuery },
      errors: { 404: "No such line", 422: "Window missing, reversed or longer than 366 days" },
      responses: { 200: json(QualityMetrics, "The figures") },
    }),
    async (c) => {
      const { start_date, end_date, product_type_id } = c.req.valid("query");
      return c.json(await qualityMetrics(c.get("deps"), { line_id: c.req.valid("param").id, from: start_date, to: end_date, product_type_id }), 200);
    },
  );
