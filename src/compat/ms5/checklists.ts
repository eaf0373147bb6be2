/**
 * MS5's checklist screens on `/api/v1/checklists` (issue 17; MS5's backend never served them):
 * templates at the root (`getChecklists`, `createChecklist`, …), their runs under `/instances`,
 * completed once with `{responses, notes}` (and the signature the form captures). Bare arrays
 * with `X-Total-Count`; bodies in snake_case as the form sends them, camelCase accepted beside.
 * Who may do what follows MS5's role model: managers keep templates (`checklist:write`),
 * operators run them (`checklist:complete`). The rules live in modules/quality/checklists.ts.
 */
import { z } from "zod";
import { expectedVersion } from "../../lib/etag";
import { Code, LongText, ShortText } from "../../lib/fields";
import { createRouter, defineRoute, json, principalOf } from "../../lib/route";
import {
  CHECKLIST_INSTANCE_STATUSES,
  ChecklistInstance,
  ChecklistItemIn,
  ChecklistResponseIn,
  ChecklistTemplate,
  completeInstance,
  createInstance,
  createTemplate,
  deleteTemplate,
  getInstance,
  getTemplate,
  listInstances,
  listTemplates,
  MAX_CHECKLIST_ITEMS,
  MAX_SIGNATURE,
  updateTemplate,
} from "../../modules/quality/checklists";
import { bare, DateOrTime, DateOrTimeEnd, given, ifMatchHeader, jsonBody, Ms5Paging, pageParams, QueryBool, TAGS, UuidParams, withETag } from "./shared";

const OptionalId = z.uuid().nullable().optional();
const Codes = z.array(Code).max(50);

const TemplateFields = {
  name: ShortText.min(1),
  description: LongText.nullable().optional(),
  line_id: OptionalId,
  lineId: OptionalId,
  equipment_codes: Codes.optional(),
  equipmentCodes: Codes.optional(),
  items: z.array(ChecklistItemIn).min(1).max(MAX_CHECKLIST_ITEMS),
  required_signature: z.boolean().optional(),
  requiredSignature: z.boolean().optional(),
  is_active: z.boolean().optional(),
  isActive: z.boolean().optional(),
};
const CreateTemplateBody = z.object(TemplateFields);
const UpdateTemplateBody = z.object(TemplateFields).partial();
type TemplateBody = z.infer<typeof UpdateTemplateBody>;

/** The snake_case input of a body that may carry camelCase names. */
const templateInput = (b: TemplateBody) => ({
  name: b.name,
  description: b.description,
  line_id: given(b.line_id, b.lineId),
  equipment_codes: given(b.equipment_codes, b.equipmentCodes),
  items: b.items,
  required_signature: given(b.required_signature, b.requiredSignature),
  is_active: given(b.is_active, b.isActive),
});

const TemplateQuery = Ms5Paging.extend({ line_id: z.uuid().optional(), equipment_code: Code.optional(), is_active: QueryBool.optional() });
const InstanceQuery = Ms5Paging.extend({
  checklist_id: z.uuid().optional(),
  status: z.enum(CHECKLIST_INSTANCE_STATUSES).optional(),
  assigned_to: z.uuid().optional(),
  start_date: DateOrTime.optional(),
  end_date: DateOrTimeEnd.optional(),
});

const CreateInstanceBody = z
  .object({
    checklist_id: z.uuid().optional(),
    checklistId: z.uuid().optional(),
    template_id: z.uuid().optional(),
    templateId: z.uuid().optional(),
    job_id: z.string().trim().max(64).nullable().optional(),
    jobId: z.string().trim().max(64).nullable().optional(),
    line_id: OptionalId,
    lineId: OptionalId,
    equipment_code: Code.nullable().optional(),
    equipmentCode: Code.nullable().optional(),
    assigned_to: OptionalId,
    assignedTo: OptionalId,
  })
  .refine((b) => given(b.checklist_id, b.checklistId, b.template_id, b.templateId) !== undefined, {
    message: "checklist_id (or template_id) is required",
    path: ["checklist_id"],
  });

const CompleteBody = z.object({
  responses: z.array(ChecklistResponseIn).max(MAX_CHECKLIST_ITEMS),
  notes: LongText.optional(),
  signature: z.string().max(MAX_SIGNATURE).optional(),
});

const IfMatch = ifMatchHeader("checklist");
const Deleted = z.object({ message: z.string(), id: z.string() });

/** Mounted at `/api/v1/checklists`. `/instances…` is declared before `/{id}`. */
export const ms5ChecklistRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/instances",
      access: "checklist:read",
      pureRead: true,
      summary: "MS5: checklist runs, newest first, a bare array (X-Total-Count)",
      tags: TAGS,
      request: { query: InstanceQuery },
      responses: { 200: json(z.array(ChecklistInstance), "The runs") },
    }),
    async (c) => {
      const { skip, offset, limit, checklist_id, status, assigned_to, start_date, end_date } = c.req.valid("query");
      const page = await listInstances(c.get("deps"), {
        template_id: checklist_id,
        status,
        assigned_to,
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
      path: "/instances",
      access: "checklist:complete",
      summary: "MS5: start a run of an active checklist (for a job, line or item; optionally assigned to one user)",
      tags: TAGS,
      request: jsonBody(CreateInstanceBody),
      errors: { 404: "No such checklist or line", 409: "The checklist is not active" },
      responses: { 201: json(ChecklistInstance, "The run") },
    }),
    async (c) => {
      const b = c.req.valid("json");
      const input = {
        template_id: given(b.checklist_id, b.checklistId, b.template_id, b.templateId, ""),
        job_id: given(b.job_id, b.jobId),
        line_id: given(b.line_id, b.lineId),
        equipment_code: given(b.equipment_code, b.equipmentCode),
        assigned_to: given(b.assigned_to, b.assignedTo),
      };
      return c.json(await createInstance(c.get("deps"), input, principalOf(c)), 201);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/instances/{id}",
      access: "checklist:read",
      pureRead: true,
      summary: "MS5: one checklist run with its answers",
      tags: TAGS,
      request: { params: UuidParams },
      errors: { 404: "No such run" },
      responses: { 200: json(ChecklistInstance, "The run") },
    }),
    async (c) => c.json(await getInstance(c.get("deps"), c.req.valid("param").id), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/instances/{id}/complete",
      access: "checklist:complete",
      summary: "MS5: complete a pending run once with {responses, notes, signature}: every required item done, answers fit their items",
      tags: TAGS,
      request: { params: UuidParams, ...jsonBody(CompleteBody) },
      errors: { 403: "Assigned to someone else", 404: "No such run", 409: "Already completed", 422: "Answers missing or not fitting" },
      responses: { 200: json(ChecklistInstance, "The completed run") },
    }),
    async (c) => c.json(await completeInstance(c.get("deps"), c.req.valid("param").id, c.req.valid("json"), principalOf(c)), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/",
      access: "checklist:read",
      pureRead: true,
      summary: "MS5: checklist templates, newest first, a bare array (X-Total-Count); equipment_code matches templates naming it or none",
      tags: TAGS,
      request: { query: TemplateQuery },
      responses: { 200: json(z.array(ChecklistTemplate), "The templates") },
    }),
    async (c) => {
      const { skip, offset, limit, ...filters } = c.req.valid("query");
      return c.json(bare(c, await listTemplates(c.get("deps"), { ...filters, ...pageParams({ skip, offset, limit }) })), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/",
      access: "checklist:write",
      summary: "MS5: create a checklist template (items: boolean, text, number with min/max, select with options)",
      tags: TAGS,
      request: jsonBody(CreateTemplateBody),
      errors: { 404: "No such line" },
      responses: { 201: json(ChecklistTemplate, "The template") },
    }),
    async (c) => {
      const b = c.req.valid("json");
      return c.json(withETag(c, await createTemplate(c.get("deps"), { ...templateInput(b), name: b.name, items: b.items }, principalOf(c))), 201);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/{id}",
      access: "checklist:read",
      pureRead: true,
      summary: "MS5: one checklist template",
      tags: TAGS,
      request: { params: UuidParams },
      errors: { 404: "No such checklist" },
      responses: { 200: json(ChecklistTemplate, "The template") },
    }),
    async (c) => c.json(withETag(c, await getTemplate(c.get("deps"), c.req.valid("param").id)), 200),
  )
  .openapi(
    defineRoute({
      method: "put",
      path: "/{id}",
      access: "checklist:write",
      summary: "MS5: change a checklist template (items replace the list; runs already completed keep their answers)",
      tags: TAGS,
      request: { params: UuidParams, headers: IfMatch, ...jsonBody(UpdateTemplateBody) },
      errors: { 404: "No such checklist", 409: "Changed since read" },
      responses: { 200: json(ChecklistTemplate, "The template") },
    }),
    async (c) => {
      const updated = await updateTemplate(
        c.get("deps"),
        c.req.valid("param").id,
        templateInput(c.req.valid("json")),
        expectedVersion(c.req.header("if-match")),
      );
      return c.json(withETag(c, updated), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "delete",
      path: "/{id}",
      access: "checklist:write",
      summary: "MS5: delete a checklist template no run uses (409 otherwise: deactivate it)",
      tags: TAGS,
      request: { params: UuidParams },
      errors: { 404: "No such checklist", 409: "The checklist has runs" },
      responses: { 200: json(Deleted, "Deleted") },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await deleteTemplate(c.get("deps"), id);
      return c.json({ message: "Checklist deleted successfully", id }, 200);
    },
  );
