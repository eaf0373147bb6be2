/** Wire shapes of the labels module (`/api/v1/labels`): RM365's job API plus templates and single labels. */
import { z } from "zod";
import { PageQuery, pageOf } from "../../lib/pagination";
import { LABEL_FIELDS, SYMBOLOGIES } from "./render";

/** Most labels in one job: 1,429 pages of the RM365 sheet, rendered in one queue message. */
export const MAX_JOB_LABELS = 10_000;
/**
 * Most distinct values in one job with a 2-D symbology (QR, Data Matrix): bwip-js encodes one
 * in 3–9 ms, and each XObject stays in memory until the PDF is saved (see bench/labels.mjs), so
 * a job stays well inside a Worker's CPU time and 128 MB.
 */
export const MAX_JOB_VALUES_2D = 2_000;
/** Most labels on one page of a custom template. */
export const MAX_LABELS_PER_PAGE = 200;

/** An item as a job names it: its id or its SKU (as RM365's client and a scanner know it). */
const ItemRef = z.string().trim().min(1, "Item id is required").max(64, "Item id is at most 64 characters");

const Mm = (min: number, max: number) => z.number().min(min).max(max);

/** A template given inline: page and label sizes in mm, the grid, the symbology and the printed fields. */
export const TemplateSpec = z
  .object({
    name: z.string().trim().min(1).max(100).default("Custom"),
    page_width_mm: Mm(10, 500),
    page_height_mm: Mm(10, 1000),
    label_width_mm: Mm(10, 300),
    label_height_mm: Mm(5, 300),
    columns: z.number().int().min(1).max(20).default(1),
    rows: z.number().int().min(1).max(50).default(1),
    margin_left_mm: Mm(0, 200).default(0),
    margin_top_mm: Mm(0, 200).default(0),
    gap_x_mm: Mm(0, 50).default(0),
    gap_y_mm: Mm(0, 50).default(0),
    symbology: z.enum(SYMBOLOGIES).default("code128"),
    fields: z
      .array(z.enum(LABEL_FIELDS))
      .max(LABEL_FIELDS.length)
      .refine((f) => new Set(f).size === f.length, "Fields must not repeat")
      .default(["name", "sku"]),
  })
  .strict()
  .refine((t) => t.columns * t.rows <= MAX_LABELS_PER_PAGE, `At most ${MAX_LABELS_PER_PAGE} labels per page`)
  .meta({ id: "LabelTemplateSpec" });
export type TemplateSpec = z.infer<typeof TemplateSpec>;

/** A built-in template's id (see GET /labels/templates). */
export const TemplateId = z.string().trim().min(1).max(64);

export const LabelTemplate = z
  .object({
    id: z.string(),
    name: z.string(),
    page_width_mm: z.number(),
    page_height_mm: z.number(),
    label_width_mm: z.number(),
    label_height_mm: z.number(),
    columns: z.number().int(),
    rows: z.number().int(),
    margin_left_mm: z.number(),
    margin_top_mm: z.number(),
    gap_x_mm: z.number(),
    gap_y_mm: z.number(),
    symbology: z.enum(SYMBOLOGIES),
    fields: z.array(z.enum(LABEL_FIELDS)),
  })
  .meta({ id: "LabelTemplate" });

export const TemplateList = z.object({ templates: z.array(LabelTemplate), default_template: z.string() }).meta({ id: "LabelTemplateList" });

const LineDate = z.iso.date("line_date must be a date (YYYY-MM-DD)");

/** RM365's start-job body, plus an optional template (a built-in id or a spec). */
export const StartJobBody = z
  .object({
    item_ids: z.array(ItemRef).min(1, "item_ids must not be empty").max(MAX_JOB_LABELS, `At most ${MAX_JOB_LABELS} labels per job`),
    line_date: LineDate.nullable().optional(),
    template: z.union([TemplateId, TemplateSpec]).optional(),
  })
  .strict();
export type StartJobBody = z.infer<typeof StartJobBody>;

/** RM365's start-job answer. */
export const StartJobResult = z.object({ status: z.literal("queued"), job_id: z.string(), item_count: z.number().int() }).meta({ id: "LabelJobStarted" });

export const JOB_STATUSES = ["queued", "processing", "completed", "failed"] as const;

export const LabelJob = z
  .object({
    id: z.string(),
    job_id: z.string(),
    status: z.enum(JOB_STATUSES),
    template_id: z.string(),
    template: LabelTemplate,
    item_count: z.number().int(),
    line_date: z.string().nullable(),
    done: z.number().int(),
    total: z.number().int(),
    progress: z.number().min(0).max(1),
    skipped: z.number().int(),
    pages: z.number().int().nullable(),
    pdf_bytes: z.number().int().nullable(),
    error: z.string().nullable(),
    created_by: z.string(),
    username: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
  })
  .meta({ id: "LabelJob" });
export type LabelJob = z.infer<typeof LabelJob>;

export const JobListQuery = PageQuery.extend({
  status: z.enum(JOB_STATUSES).optional(),
  mine: z.enum(["true", "false"]).optional(),
});
export type JobListQuery = z.infer<typeof JobListQuery>;
export const JobPage = pageOf(LabelJob).meta({ id: "LabelJobPage" });

export const JobParams = z.object({ id: z.uuid("Job id must be a UUID") });
export const ItemParams = z.object({ item: ItemRef });

export const SingleLabelQuery = z.object({
  template: TemplateId.optional(),
  line_date: LineDate.optional(),
  copies: z.coerce.number().int().min(1).max(100).default(1),
});
export type SingleLabelQuery = z.infer<typeof SingleLabelQuery>;
