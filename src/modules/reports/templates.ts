/**
 * Report templates (MS5's `/reports/templates`): named report kinds with declared parameters and
 * sections, and `generateFromTemplate()`, which turns one plus parameter values into a
 * production report request (the one kind the documents worker renders).
 */
import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { REPORT_FREQUENCIES, REPORT_TEMPLATE_TYPES, reportTemplates, scheduledReports } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError, conflict, notFound } from "../../lib/errors";
import { Code, Email, LongText, ShortText } from "../../lib/fields";
import type { Principal } from "../../types";
import { actorId } from "../production/service";
import { GenerateReport, type ProductionReport } from "./schemas";
import { generateReport } from "./service";

type Row = typeof reportTemplates.$inferSelect;

const Parameter = z
  .object({ name: Code, type: z.string().trim().min(1).max(32), required: z.boolean().default(false), description: ShortText.optional() })
  .strict();
const Section = z.object({ type: z.string().trim().min(1).max(32), title: ShortText.min(1) }).strict();

export const ReportTemplate = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    type: z.enum(REPORT_TEMPLATE_TYPES),
    template_type: z.enum(REPORT_TEMPLATE_TYPES),
    parameters: z.array(z.object({ name: z.string(), type: z.string(), required: z.boolean(), description: z.string().optional() })),
    sections: z.array(z.object({ type: z.string(), title: z.string() })),
    is_active: z.boolean(),
    created_by: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
    version: z.number().int(),
  })
  .meta({ id: "ReportTemplate" });
export type ReportTemplate = z.infer<typeof ReportTemplate>;

const TemplateFields = {
  description: LongText.nullable().optional(),
  parameters: z.array(Parameter).max(20).optional(),
  sections: z.array(Section).max(20).optional(),
  is_active: z.boolean().optional(),
};
/** MS5 named the kind `template_type` (its backend's argument) or `type` (its answers). */
export const CreateTemplate = z
  .object({
    name: ShortText.min(1),
    template_type: z.enum(REPORT_TEMPLATE_TYPES).optional(),
    type: z.enum(REPORT_TEMPLATE_TYPES).optional(),
    ...TemplateFields,
  })
  .strict();
export type CreateTemplate = z.infer<typeof CreateTemplate>;
export const UpdateTemplate = z.object({ name: ShortText.min(1).optional(), ...TemplateFields }).strict();
export type UpdateTemplate = z.infer<typeof UpdateTemplate>;

const toTemplate = (row: Row): ReportTemplate => ({
  id: row.id,
  name: row.name,
  description: row.description,
  type: row.templateType,
  template_type: row.templateType,
  parameters: row.parameters,
  sections: row.sections,
  is_active: row.isActive,
  created_by: row.createdBy,
  created_at: row.createdAt,
  updated_at: row.updatedAt,
  version: row.version,
});

const nameTaken = (err: unknown) =>
  err instanceof Error && /UNIQUE constraint failed: report_templates\.name/.test(`${err.message} ${String(err.cause ?? "")}`);
const taken = () => new AppError("CONFLICT", "A report template of that name exists", { details: [{ path: "body.name", message: "Already taken" }] });

/** Templates by name (at most 200: templates are few), optionally only active ones. */
export async function listTemplates({ db }: Pick<Deps, "db">, q: { is_active?: boolean | undefined; type?: string | undefined }) {
  const where = [];
  if (q.is_active !== undefined) where.push(eq(reportTemplates.isActive, q.is_active));
  if (q.type) where.push(eq(reportTemplates.templateType, q.type as Row["templateType"]));
  const rows = await db
    .select()
    .from(reportTemplates)
    .where(and(...where))
    .orderBy(reportTemplates.name, reportTemplates.id)
    .limit(200);
  return rows.map(toTemplate);
}

async function findTemplate({ db }: Pick<Deps, "db">, id: string): Promise<Row> {
  const [row] = await db.select().from(reportTemplates).where(eq(reportTemplates.id, id)).limit(1);
  if (!row) throw notFound("Report template");
  return row;
}

export async function getTemplate(deps: Pick<Deps, "db">, id: string) {
  return toTemplate(await findTemplate(deps, id));
}

export async function createTemplate({ db }: Pick<Deps, "db">, input: CreateTemplate, actor: Principal) {
  try {
    const [row] = await db
      .insert(reportTemplates)
      .values({
        id: crypto.randomUUID(),
        name: input.name,
        description: input.description ?? null,
        templateType: input.template_type ?? input.type ?? "production",
        parameters: (input.parameters ?? []).map((p) => ({ name: p.name, type: p.type, required: p.required, description: p.description })),
        sections: input.sections ?? [],
        isActive: input.is_active ?? true,
        createdBy: actorId(actor),
      })
      .returning();
    if (!row) throw new Error("template insert returned nothing");
    return toTemplate(row);
  } catch (err) {
    if (nameTaken(err)) throw taken();
    throw err;
  }
}

/**
 * Templates and scheduled reports are their creator's: another user may read and use them, but
 * only the creator or an administrator (every permission) changes or deletes one. A condition
 * of the write itself (`ownedBy`), so a row cannot change hands between check and write.
 */
const mayManageAll = (actor: Principal) => actor.permissions.has("*");
function assertOwner(createdBy: string, actor: Principal, what: string): void {
  if (createdBy !== actorId(actor) && !mayManageAll(actor))
    throw new AppError("AUTHORIZATION_ERROR", `Only the ${what}'s creator or an administrator may change or delete it`, { reason: "report_not_yours" });
}

/** Changes a template; conditional on `expectedVersion` when given (409 on a stale one). */
export async function updateTemplate({ db }: Pick<Deps, "db">, id: string, input: UpdateTemplate, actor: Principal, expectedVersion?: number) {
  const current = await findTemplate({ db }, id);
  assertOwner(current.createdBy, actor, "template");
  try {
    const [row] = await db
      .update(reportTemplates)
      .set({
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.parameters !== undefined
          ? { parameters: input.parameters.map((p) => ({ name: p.name, type: p.type, required: p.required, description: p.description })) }
          : {}),
        ...(input.sections !== undefined ? { sections: input.sections } : {}),
        ...(input.is_active !== undefined ? { isActive: input.is_active } : {}),
        version: sql`${reportTemplates.version} + 1`,
      })
      .where(and(eq(reportTemplates.id, id), eq(reportTemplates.version, expectedVersion ?? current.version), eq(reportTemplates.createdBy, current.createdBy)))
      .returning();
    if (!row) throw conflict("The template was changed by someone else; reload it", { current_version: current.version });
    return toTemplate(row);
  } catch (err) {
    if (nameTaken(err)) throw taken();
    throw err;
  }
}

export async function deleteTemplate({ db }: Pick<Deps, "db">, id: string, actor: Principal): Promise<void> {
  const current = await findTemplate({ db }, id);
  assertOwner(current.createdBy, actor, "template");
  const deleted = await db
    .delete(reportTemplates)
    .where(and(eq(reportTemplates.id, id), eq(reportTemplates.createdBy, current.createdBy)))
    .returning({ id: reportTemplates.id });
  if (deleted.length === 0) throw notFound("Report template");
}

/** The most parameter values one request or scheduled report carries. */
export const MAX_PARAMETER_VALUES = 32;
/** Parameter values by name (at most MAX_PARAMETER_VALUES of them). */
const ParameterValues = z
  .record(z.string().max(64), z.union([z.string().max(100), z.number(), z.boolean(), z.array(Code).max(20), z.null()]))
  .refine((values) => Object.keys(values).length <= MAX_PARAMETER_VALUES, { message: `At most ${MAX_PARAMETER_VALUES} parameters` });

/** MS5's generate request: a template, its parameter values, a name. */
export const GenerateFromTemplate = z
  .object({
    template_id: Code,
    parameters: ParameterValues.default({}),
    name: ShortText.min(1).optional(),
    description: LongText.nullable().optional(),
  })
  .strict();
export type GenerateFromTemplate = z.infer<typeof GenerateFromTemplate>;

/**
 * Generates a production report from an active template: its required parameters must be
 * given; `report_date` stands for a one-day report; the values are checked as a canonical
 * report request (422 naming `body.parameters.<name>`).
 */
export async function generateFromTemplate(
  deps: Pick<Deps, "db" | "queues" | "requestId" | "now" | "config">,
  input: GenerateFromTemplate,
  actor: Principal,
): Promise<ProductionReport> {
  const template = await findTemplate(deps, input.template_id).catch((err: unknown) => {
    if (err instanceof AppError && err.code === "NOT_FOUND") throw fieldError("body.template_id", "No such report template");
    throw err;
  });
  if (!template.isActive) throw fieldError("body.template_id", "This template is not active");
  return generateReport(deps, requestFromTemplate(template, input.parameters, input.name ?? template.name), actor);
}

type TemplateRow = typeof reportTemplates.$inferSelect;

/** A template and parameter values → a canonical report request (422 naming `body.parameters.<name>`). */
export function requestFromTemplate(template: Pick<TemplateRow, "parameters">, values: z.infer<typeof ParameterValues>, title: string): GenerateReport {
  for (const p of template.parameters) {
    if (p.required && (values[p.name] === undefined || values[p.name] === null || values[p.name] === ""))
      throw fieldError(`body.parameters.${p.name}`, "Required by the template");
  }
  const day = typeof values.report_date === "string" ? values.report_date : undefined;
  const candidate = {
    ...(values.line_id !== undefined ? { line_id: values.line_id } : {}),
    ...(values.line_ids !== undefined ? { line_ids: values.line_ids } : {}),
    start_date: values.start_date ?? day,
    end_date: values.end_date ?? day,
    ...(values.group_by !== undefined ? { group_by: values.group_by } : {}),
    ...(values.utc_offset_minutes !== undefined ? { utc_offset_minutes: values.utc_offset_minutes } : {}),
    ...(values.shift_start_hour !== undefined ? { shift_start_hour: values.shift_start_hour } : {}),
    title,
  };
  const parsed = GenerateReport.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw fieldError(`body.parameters.${issue?.path.join(".") ?? ""}`, issue?.message ?? "Invalid");
  }
  return parsed.data;
}

const fieldError = (path: string, message: string) =>
  new AppError("VALIDATION_ERROR", `Invalid request body: ${path} ${message}`, { details: [{ path, message }] });

// ---------------------------------------------------------------------------------------------
// Scheduled reports: a template to generate at a frequency, for recipients

type ScheduledRow = typeof scheduledReports.$inferSelect;

export const ScheduledReport = z
  .object({
    id: z.string(),
    name: z.string(),
    template_id: z.string(),
    frequency: z.enum(REPORT_FREQUENCIES),
    hour_utc: z.number().int(),
    parameters: z.record(z.string(), z.unknown()),
    recipients: z.array(z.string()),
    is_active: z.boolean(),
    created_by: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
    version: z.number().int(),
  })
  .meta({ id: "ScheduledReport" });

const ScheduledFields = {
  frequency: z.enum(REPORT_FREQUENCIES),
  hour_utc: z.number().int().min(0).max(23),
  parameters: GenerateFromTemplate.shape.parameters,
  recipients: z.array(Email).max(20),
  is_active: z.boolean(),
};
export const CreateScheduled = z
  .object({
    name: ShortText.min(1),
    template_id: Code,
    frequency: ScheduledFields.frequency,
    hour_utc: ScheduledFields.hour_utc.optional(),
    parameters: ScheduledFields.parameters,
    recipients: ScheduledFields.recipients.default([]),
    is_active: ScheduledFields.is_active.optional(),
  })
  .strict();
export type CreateScheduled = z.infer<typeof CreateScheduled>;
export const UpdateScheduled = z
  .object({
    name: ShortText.min(1).optional(),
    frequency: ScheduledFields.frequency.optional(),
    hour_utc: ScheduledFields.hour_utc.optional(),
    parameters: ParameterValues.optional(),
    recipients: ScheduledFields.recipients.optional(),
    is_active: ScheduledFields.is_active.optional(),
  })
  .strict();
export type UpdateScheduled = z.infer<typeof UpdateScheduled>;

const toScheduled = (row: ScheduledRow): z.infer<typeof ScheduledReport> => ({
  id: row.id,
  name: row.name,
  template_id: row.templateId,
  frequency: row.frequency,
  hour_utc: row.hourUtc,
  parameters: row.parameters,
  recipients: row.recipients,
  is_active: row.isActive,
  created_by: row.createdBy,
  created_at: row.createdAt,
  updated_at: row.updatedAt,
  version: row.version,
});

/** Scheduled reports by name (at most 200), optionally only active ones. */
export async function listScheduled({ db }: Pick<Deps, "db">, q: { is_active?: boolean | undefined }) {
  const rows = await db
    .select()
    .from(scheduledReports)
    .where(q.is_active === undefined ? undefined : eq(scheduledReports.isActive, q.is_active))
    .orderBy(scheduledReports.name, scheduledReports.id)
    .limit(200);
  return rows.map(toScheduled);
}

async function findScheduled({ db }: Pick<Deps, "db">, id: string): Promise<ScheduledRow> {
  const [row] = await db.select().from(scheduledReports).where(eq(scheduledReports.id, id)).limit(1);
  if (!row) throw notFound("Scheduled report");
  return row;
}

export async function getScheduled(deps: Pick<Deps, "db">, id: string) {
  return toScheduled(await findScheduled(deps, id));
}

/** Schedules an existing template (422 naming `body.template_id` otherwise). */
export async function createScheduled({ db }: Pick<Deps, "db">, input: CreateScheduled, actor: Principal) {
  const [template] = await db.select({ id: reportTemplates.id }).from(reportTemplates).where(eq(reportTemplates.id, input.template_id)).limit(1);
  if (!template) throw fieldError("body.template_id", "No such report template");
  const [row] = await db
    .insert(scheduledReports)
    .values({
      id: crypto.randomUUID(),
      name: input.name,
      templateId: input.template_id,
      frequency: input.frequency,
      hourUtc: input.hour_utc ?? 6,
      parameters: input.parameters,
      recipients: input.recipients,
      isActive: input.is_active ?? true,
      createdBy: actorId(actor),
    })
    .returning();
  if (!row) throw new Error("scheduled report insert returned nothing");
  return toScheduled(row);
}

/** Changes a scheduled report (`toggle: true` flips `is_active`); If-Match optional. */
export async function updateScheduled(
  { db }: Pick<Deps, "db">,
  id: string,
  input: UpdateScheduled & { toggle?: boolean },
  actor: Principal,
  expectedVersion?: number,
) {
  const current = await findScheduled({ db }, id);
  assertOwner(current.createdBy, actor, "scheduled report");
  const isActive = input.toggle ? !current.isActive : input.is_active;
  const [row] = await db
    .update(scheduledReports)
    .set({
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.frequency !== undefined ? { frequency: input.frequency } : {}),
      ...(input.hour_utc !== undefined ? { hourUtc: input.hour_utc } : {}),
      ...(input.parameters !== undefined ? { parameters: input.parameters } : {}),
      ...(input.recipients !== undefined ? { recipients: input.recipients } : {}),
      ...(isActive !== undefined ? { isActive } : {}),
      version: sql`${scheduledReports.version} + 1`,
    })
    .where(
      and(eq(scheduledReports.id, id), eq(scheduledReports.version, expectedVersion ?? current.version), eq(scheduledReports.createdBy, current.createdBy)),
    )
    .returning();
  if (!row) throw conflict("The scheduled report was changed by someone else; reload it", { current_version: current.version });
  return toScheduled(row);
}

export async function deleteScheduled({ db }: Pick<Deps, "db">, id: string, actor: Principal): Promise<void> {
  const current = await findScheduled({ db }, id);
  assertOwner(current.createdBy, actor, "scheduled report");
  const deleted = await db
    .delete(scheduledReports)
    .where(and(eq(scheduledReports.id, id), eq(scheduledReports.createdBy, current.createdBy)))
    .returning({ id: scheduledReports.id });
  if (deleted.length === 0) throw notFound("Scheduled report");
}
