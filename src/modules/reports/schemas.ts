import { z } from "zod";
import { REPORT_GROUPINGS, REPORT_STATES } from "../../db/schema/reports";
import { Code, ShortText } from "../../lib/fields";
import { PageQuery, pageOf } from "../../lib/pagination";

/** Most lines one report covers. */
export const MAX_REPORT_LINES = 20;
/** Most days one report covers (inclusive). */
export const MAX_REPORT_DAYS = 31;

export const ReportIdParam = z.object({ id: Code });

const DAY_MS = 86_400_000;

/**
 * What to report on. Days are counted on the plant's clock (`utc_offset_minutes` east of UTC);
 * `group_by: "shift"` cuts each day into three 8-hour shifts from `shift_start_hour`. Without
 * `line_ids` (or MS5's single `line_id`) the report covers every enabled line.
 */
export const GenerateReport = z
  .object({
    line_ids: z.array(Code).min(1).max(MAX_REPORT_LINES).optional(),
    line_id: Code.optional().meta({ description: "One line (MS5's single-line form); combined with line_ids" }),
    start_date: z.iso.date(),
    end_date: z.iso.date(),
    group_by: z.enum(REPORT_GROUPINGS).default("day"),
    utc_offset_minutes: z.number().int().min(-720).max(840).default(0),
    shift_start_hour: z.number().int().min(0).max(23).default(6),
    title: ShortText.min(1).optional(),
  })
  .strict()
  .refine((r) => r.end_date >= r.start_date, { path: ["end_date"], message: "Must not be before start_date" })
  .refine((r) => (Date.parse(r.end_date) - Date.parse(r.start_date)) / DAY_MS < MAX_REPORT_DAYS, {
    path: ["end_date"],
    message: `A report covers at most ${MAX_REPORT_DAYS} days`,
  })
  .meta({ id: "GenerateProductionReport" });
export type GenerateReport = z.infer<typeof GenerateReport>;

export const ProductionReport = z
  .object({
    id: z.string(),
    title: z.string(),
    state: z.enum(REPORT_STATES).meta({ description: "queued → rendering → ready | failed" }),
    line_ids: z.array(z.string()),
    start_date: z.string(),
    end_date: z.string(),
    group_by: z.enum(REPORT_GROUPINGS),
    utc_offset_minutes: z.number().int(),
    shift_start_hour: z.number().int(),
    requested_by: z.string(),
    attempts: z.number().int(),
    error: z.string().nullable(),
    page_count: z.number().int().nullable(),
    pdf_bytes: z.number().int().nullable(),
    pdf_url: z.string().meta({ description: "GET it for the PDF: 202 with this state until ready" }),
    created_at: z.string(),
    updated_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
  })
  .meta({ id: "ProductionReport" });
export type ProductionReport = z.infer<typeof ProductionReport>;

export const ReportListQuery = PageQuery.extend({ state: z.enum(REPORT_STATES).optional() });
export type ReportListQuery = z.infer<typeof ReportListQuery>;
export const ReportList = pageOf(ProductionReport);

/** The stored enums, for the compat surfaces (which do not import db). */
export { REPORT_TEMPLATE_TYPES } from "../../db/schema";
