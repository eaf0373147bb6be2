/**
 * Checklists (issue 17): templates of items an operator answers before a job, and instances —
 * one run of a template, pending until completed once. Completing checks every answer against
 * the template (known item, right type, in range, required items done, signature when the
 * template asks for one) and is a conditional UPDATE on `status = 'pending'`: the second
 * completion is a 409 and changes nothing.
 */
import { and, desc, eq, exists, gte, lt, sql } from "drizzle-orm";
import { z } from "zod";
import {
  CHECKLIST_INSTANCE_STATUSES,
  CHECKLIST_ITEM_TYPES,
  type ChecklistItem,
  type ChecklistResponse,
  checklistInstances,
  checklistTemplates,
  productionLines,
} from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError } from "../../lib/errors";
import { LongText, ShortText } from "../../lib/fields";
import { type Page, type PageParams, paginate } from "../../lib/pagination";
import { actorOf, type Principal } from "../../lib/principal";

export const MAX_CHECKLIST_ITEMS = 100;
export const MAX_ITEM_OPTIONS = 50;
/** A signature pad's image (a data URL) is at most this long. */
export const MAX_SIGNATURE = 100_000;

export { CHECKLIST_INSTANCE_STATUSES };

const ItemId = z.string().trim().min(1).max(64);

export const ChecklistItemIn = z.object({
  id: ItemId.optional(),
  title: z.string().trim().min(1).max(200),
  description: LongText.optional(),
  required: z.boolean().default(false),
  type: z.enum(CHECKLIST_ITEM_TYPES).default("boolean"),
  options: z.array(ShortText).max(MAX_ITEM_OPTIONS).optional(),
  min_value: z.number().finite().optional(),
  max_value: z.number().finite().optional(),
});

export const ChecklistItemOut = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string().optional(),
  required: z.boolean(),
  type: z.enum(CHECKLIST_ITEM_TYPES),
  options: z.array(z.string()).optional(),
  min_value: z.number().optional(),
  max_value: z.number().optional(),
});

export const ChecklistTemplate = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    line_id: z.string().nullable(),
    equipment_codes: z.array(z.string()),
    items: z.array(ChecklistItemOut),
    required_signature: z.boolean(),
    is_active: z.boolean(),
    created_by: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
    version: z.number().int(),
  })
  .meta({ id: "Ms5ChecklistTemplate" });
export type ChecklistTemplate = z.infer<typeof ChecklistTemplate>;

export interface TemplateInput {
  name: string;
  description?: string | null | undefined;
  line_id?: string | null | undefined;
  equipment_codes?: string[] | undefined;
  items: z.infer<typeof ChecklistItemIn>[];
  required_signature?: boolean | undefined;
  is_active?: boolean | undefined;
}
export type TemplatePatch = Partial<TemplateInput>;

export const ResponseValue = z.union([z.string().max(2000), z.number().finite(), z.boolean(), z.null()]);
export const ChecklistResponseIn = z.object({
  item_id: ItemId,
  value: ResponseValue.default(null),
  completed: z.boolean().default(true),
  notes: LongText.optional(),
});

export const ChecklistInstance = z
  .object({
    id: z.string(),
    checklist_id: z.string(),
    template_id: z.string(),
    template_name: z.string(),
    job_id: z.string().nullable(),
    line_id: z.string().nullable(),
    equipment_code: z.string().nullable(),
    assigned_to: z.string().nullable(),
    status: z.enum(CHECKLIST_INSTANCE_STATUSES),
    responses: z.array(z.object({ item_id: z.string(), value: ResponseValue, completed: z.boolean(), notes: z.string().optional() })),
    notes: z.string().nullable(),
    signed: z.boolean(),
    completed_by: z.string().nullable(),
    completed_at: z.string().nullable(),
    created_by: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "Ms5ChecklistInstance" });
export type ChecklistInstance = z.infer<typeof ChecklistInstance>;

type TemplateRow = typeof checklistTemplates.$inferSelect;
type InstanceRow = typeof checklistInstances.$inferSelect;

const templateNotFound = () => new AppError("NOT_FOUND", "Checklist not found", { reason: "checklist_not_found" });
const instanceNotFound = () => new AppError("NOT_FOUND", "Checklist instance not found", { reason: "checklist_instance_not_found" });
const invalid = (message: string, details?: unknown) => new AppError("VALIDATION_ERROR", message, { reason: "checklist_incomplete", details });

function toTemplate(r: TemplateRow): ChecklistTemplate {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    line_id: r.lineId,
    equipment_codes: r.equipmentCodes,
    items: r.items,
    required_signature: r.requiredSignature,
    is_active: r.isActive,
    created_by: r.createdBy,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    version: r.version,
  };
}

function toInstance(r: InstanceRow, templateName: string): ChecklistInstance {
  return {
    id: r.id,
    checklist_id: r.templateId,
    template_id: r.templateId,
    template_name: templateName,
    job_id: r.jobId,
    line_id: r.lineId,
    equipment_code: r.equipmentCode,
    assigned_to: r.assignedTo,
    status: r.status,
    responses: r.responses ?? [],
    notes: r.notes,
    signed: r.signature !== null && r.signature.length > 0,
    completed_by: r.completedBy,
    completed_at: r.completedAt,
    created_by: r.createdBy,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
}

/** Items with ids (given or `item_<n>`), unique, with ranges and options that make sense. */
function normaliseItems(items: z.infer<typeof ChecklistItemIn>[]): ChecklistItem[] {
  if (items.length === 0) throw new AppError("VALIDATION_ERROR", "A checklist needs at least one item", { reason: "checklist_incomplete" });
  if (items.length > MAX_CHECKLIST_ITEMS) throw new AppError("VALIDATION_ERROR", `A checklist has at most ${MAX_CHECKLIST_ITEMS} items`);
  const seen = new Set<string>();
  return items.map((item, i) => {
    const id = item.id ?? `item_${i + 1}`;
    if (seen.has(id)) throw invalid(`Item id ${id} is used twice`, [{ path: ["items", i, "id"], message: "duplicate id" }]);
    seen.add(id);
    if (item.type === "select" && (item.options === undefined || item.options.length === 0)) {
      throw invalid(`Item ${id} is a select without options`, [{ path: ["items", i, "options"], message: "required for select" }]);
    }
    if (item.min_value !== undefined && item.max_value !== undefined && item.min_value > item.max_value) {
      throw invalid(`Item ${id}: min_value is above max_value`, [{ path: ["items", i, "min_value"], message: "above max_value" }]);
    }
    return {
      id,
      title: item.title,
      required: item.required,
      type: item.type,
      ...(item.description === undefined ? {} : { description: item.description }),
      ...(item.options === undefined ? {} : { options: item.options }),
      ...(item.min_value === undefined ? {} : { min_value: item.min_value }),
      ...(item.max_value === undefined ? {} : { max_value: item.max_value }),
    };
  });
}

async function assertLine(deps: Pick<Deps, "db">, lineId: string | null | undefined) {
  if (lineId === null || lineId === undefined) return;
  const [line] = await deps.db.select({ id: productionLines.id }).from(productionLines).where(eq(productionLines.id, lineId));
  if (!line) throw new AppError("NOT_FOUND", "Production line not found");
}

export async function createTemplate(deps: Pick<Deps, "db">, input: TemplateInput, actor: Principal): Promise<ChecklistTemplate> {
  const items = normaliseItems(input.items);
  await assertLine(deps, input.line_id);
  const [row] = await deps.db
    .insert(checklistTemplates)
    .values({
      id: crypto.randomUUID(),
      name: input.name,
      description: input.description ?? null,
      lineId: input.line_id ?? null,
      equipmentCodes: input.equipment_codes ?? [],
      items,
      requiredSignature: input.required_signature ?? false,
      isActive: input.is_active ?? true,
      createdBy: actorOf(actor).name,
    })
    .returning();
  if (!row) throw new Error("insert returned no row");
  return toTemplate(row);
}

export async function getTemplate(deps: Pick<Deps, "db">, id: string): Promise<ChecklistTemplate> {
  const [row] = await deps.db.select().from(checklistTemplates).where(eq(checklistTemplates.id, id));
  if (!row) throw templateNotFound();
  return toTemplate(row);
}

/** Templates, newest first; `equipment_code` matches templates naming that item or none. */
export async function listTemplates(
  deps: Pick<Deps, "db">,
  query: PageParams & { line_id?: string | undefined; equipment_code?: string | undefined; is_active?: boolean | undefined },
): Promise<Page<ChecklistTemplate>> {
  const t = checklistTemplates;
  const where = and(
    query.line_id === undefined ? undefined : eq(t.lineId, query.line_id),
    query.is_active === undefined ? undefined : eq(t.isActive, query.is_active),
    query.equipment_code === undefined
      ? undefined
      : sql`(json_array_length(${t.equipmentCodes}) = 0 OR EXISTS (SELECT 1 FROM json_each(${t.equipmentCodes}) WHERE value = ${query.equipment_code}))`,
  );
  const page = await paginate(deps.db, deps.db.select().from(t).where(where).$dynamic(), query, { orderBy: [desc(t.createdAt)], tiebreaker: t.id });
  return { ...page, items: page.items.map(toTemplate) };
}

/** Changes a template; conditional on the version read (or the caller's `If-Match`): a stale write is 409. */
export async function updateTemplate(deps: Pick<Deps, "db">, id: string, patch: TemplatePatch, expected: number | undefined): Promise<ChecklistTemplate> {
  const current = await getTemplate(deps, id);
  if (expected !== undefined && expected !== current.version) {
    throw new AppError("CONFLICT", "The checklist changed since it was read", { reason: "stale_version", details: { version: current.version } });
  }
  const items = patch.items === undefined ? undefined : normaliseItems(patch.items);
  if (patch.line_id !== undefined) await assertLine(deps, patch.line_id);
  const t = checklistTemplates;
  const [row] = await deps.db
    .update(t)
    .set({
      ...(patch.name === undefined ? {} : { name: patch.name }),
      ...(patch.description === undefined ? {} : { description: patch.description }),
      ...(patch.line_id === undefined ? {} : { lineId: patch.line_id }),
      ...(patch.equipment_codes === undefined ? {} : { equipmentCodes: patch.equipment_codes }),
      ...(items === undefined ? {} : { items }),
      ...(patch.required_signature === undefined ? {} : { requiredSignature: patch.required_signature }),
      ...(patch.is_active === undefined ? {} : { isActive: patch.is_active }),
      version: sql`${t.version} + 1`,
    })
    .where(and(eq(t.id, id), eq(t.version, current.version)))
    .returning();
  if (!row) throw new AppError("CONFLICT", "The checklist changed since it was read", { reason: "stale_version" });
  return toTemplate(row);
}

/** Deletes a template no instance uses (409 `checklist_in_use` otherwise: deactivate it instead). */
export async function deleteTemplate(deps: Pick<Deps, "db">, id: string): Promise<void> {
  const t = checklistTemplates;
  const used = deps.db.select({ one: sql`1` }).from(checklistInstances).where(eq(checklistInstances.templateId, t.id));
  const gone = await deps.db
    .delete(t)
    .where(and(eq(t.id, id), sql`NOT ${exists(used)}`))
    .returning({ id: t.id });
  if (gone.length > 0) return;
  await getTemplate(deps, id);
  throw new AppError("CONFLICT", "The checklist has instances; set is_active to false instead", { reason: "checklist_in_use" });
}

export interface InstanceInput {
  template_id: string;
  job_id?: string | null | undefined;
  line_id?: string | null | undefined;
  equipment_code?: string | null | undefined;
  assigned_to?: string | null | undefined;
}

/** Starts a run of an active template. */
export async function createInstance(deps: Pick<Deps, "db">, input: InstanceInput, actor: Principal): Promise<ChecklistInstance> {
  const template = await getTemplate(deps, input.template_id);
  if (!template.is_active) throw new AppError("CONFLICT", "The checklist is not active", { reason: "checklist_inactive" });
  await assertLine(deps, input.line_id);
  const [row] = await deps.db
    .insert(checklistInstances)
    .values({
      id: crypto.randomUUID(),
      templateId: template.id,
      jobId: input.job_id ?? null,
      lineId: input.line_id ?? template.line_id,
      equipmentCode: input.equipment_code ?? null,
      assignedTo: input.assigned_to ?? null,
      createdBy: actorOf(actor).name,
    })
    .returning();
  if (!row) throw new Error("insert returned no row");
  return toInstance(row, template.name);
}

const selectInstances = (deps: Pick<Deps, "db">) =>
  deps.db
    .select({ i: checklistInstances, templateName: checklistTemplates.name })
    .from(checklistInstances)
    .innerJoin(checklistTemplates, eq(checklistTemplates.id, checklistInstances.templateId));

export async function getInstance(deps: Pick<Deps, "db">, id: string): Promise<ChecklistInstance> {
  const [row] = await selectInstances(deps).where(eq(checklistInstances.id, id));
  if (!row) throw instanceNotFound();
  return toInstance(row.i, row.templateName);
}

export async function listInstances(
  deps: Pick<Deps, "db">,
  query: PageParams & {
    template_id?: string | undefined;
    status?: (typeof CHECKLIST_INSTANCE_STATUSES)[number] | undefined;
    assigned_to?: string | undefined;
    from?: string | undefined;
    to?: string | undefined;
  },
): Promise<Page<ChecklistInstance>> {
  const i = checklistInstances;
  const where = and(
    query.template_id === undefined ? undefined : eq(i.templateId, query.template_id),
    query.status === undefined ? undefined : eq(i.status, query.status),
    query.assigned_to === undefined ? undefined : eq(i.assignedTo, query.assigned_to),
    query.from === undefined ? undefined : gte(i.createdAt, query.from),
    query.to === undefined ? undefined : lt(i.createdAt, query.to),
  );
  const page = await paginate(deps.db, selectInstances(deps).where(where).$dynamic(), query, { orderBy: [desc(i.createdAt)], tiebreaker: i.id });
  return { ...page, items: page.items.map((r) => toInstance(r.i, r.templateName)) };
}

/** Why an answer does not fit its item, or null. */
function misfit(item: ChecklistItem, value: ChecklistResponse["value"]): string | null {
  if (value === null) return null;
  switch (item.type) {
    case "boolean":
      return typeof value === "boolean" ? null : "expects true or false";
    case "text":
      return typeof value === "string" ? null : "expects text";
    case "number":
      if (typeof value !== "number") return "expects a number";
      if (item.min_value !== undefined && value < item.min_value) return `is below ${item.min_value}`;
      if (item.max_value !== undefined && value > item.max_value) return `is above ${item.max_value}`;
      return null;
    case "select":
      return typeof value === "string" && (item.options ?? []).includes(value) ? null : "is not one of the options";
  }
}

/** Checks the answers against the template: every issue at once, as field issues. */
export function checkResponses(
  template: Pick<ChecklistTemplate, "items" | "required_signature">,
  responses: ChecklistResponse[],
  signature: string | undefined,
) {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const byId = new Map(template.items.map((item) => [item.id, item]));
  const answered = new Map<string, ChecklistResponse>();
  responses.forEach((r, i) => {
    const item = byId.get(r.item_id);
    if (!item) issues.push({ path: ["responses", i, "item_id"], message: `no item ${r.item_id} on this checklist` });
    else if (answered.has(r.item_id)) issues.push({ path: ["responses", i, "item_id"], message: `item ${r.item_id} answered twice` });
    else {
      answered.set(r.item_id, r);
      const why = misfit(item, r.value);
      if (why) issues.push({ path: ["responses", i, "value"], message: `${item.title} ${why}` });
      if (item.required && r.completed && (r.value === null || r.value === "")) {
        issues.push({ path: ["responses", i, "value"], message: `${item.title} needs an answer` });
      }
    }
  });
  for (const item of template.items) {
    if (item.required && !answered.get(item.id)?.completed)
      issues.push({ path: ["responses"], message: `required item ${item.id} (${item.title}) is not completed` });
  }
  if (template.required_signature && (signature === undefined || signature.trim().length === 0))
    issues.push({ path: ["signature"], message: "this checklist must be signed" });
  if (issues.length > 0) throw invalid("The checklist is not complete", issues);
}

/** Completes a pending instance once: the assignee (when there is one) with answers that fit. */
export async function completeInstance(
  deps: Pick<Deps, "db" | "now">,
  id: string,
  input: { responses: ChecklistResponse[]; notes?: string | undefined; signature?: string | undefined },
  actor: Principal,
): Promise<ChecklistInstance> {
  const current = await getInstance(deps, id);
  if (current.status !== "pending")
    throw new AppError("CONFLICT", "The checklist was already completed", { reason: "checklist_completed", details: { status: current.status } });
  const who = actorOf(actor);
  if (current.assigned_to !== null && current.assigned_to !== who.userId) {
    throw new AppError("AUTHORIZATION_ERROR", "This checklist is assigned to someone else", { reason: "checklist_not_assigned" });
  }
  const template = await getTemplate(deps, current.template_id);
  checkResponses(template, input.responses, input.signature);
  const i = checklistInstances;
  const [row] = await deps.db
    .update(i)
    .set({
      status: "completed",
      responses: input.responses,
      notes: input.notes ?? null,
      signature: input.signature ?? null,
      completedBy: who.name,
      completedAt: deps.now().toISOString(),
    })
    .where(and(eq(i.id, id), eq(i.status, "pending")))
    .returning();
  if (!row) throw new AppError("CONFLICT", "The checklist was already completed", { reason: "checklist_completed" });
  return toInstance(row, template.name);
}
