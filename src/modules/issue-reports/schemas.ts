/**
 * Wire shapes of `/api/v1/issue-reports`. A report is filed as multipart/form-data (fields +
 * repeated `images`); CCbackend's field names (`ccm_id`, `issue_description`) map onto the same
 * input in src/compat/ccbackend/reports.ts.
 */
import { z } from "zod";
import { REPORT_STATUSES, type ReportStatus } from "../../db/schema";
import { LongText, ShortText } from "../../lib/fields";
import { PageQuery, pageOf } from "../../lib/pagination";
import { EquipmentCode } from "../equipment/schemas";

/**
 * Every word a client may set a status with: the canonical ones, the README's 待處理/處理中/已完成
 * and CCbackend's client's 待處理/已處理/已忽略.
 */
export const STATUS_WORDS: Readonly<Record<string, ReportStatus>> = {
  pending: "pending",
  processing: "processing",
  completed: "completed",
  ignored: "ignored",
  待處理: "pending",
  處理中: "processing",
  已完成: "completed",
  已處理: "completed",
  已忽略: "ignored",
};

/** The label a canonical status is shown with to CCbackend's client when set in English. */
export const DEFAULT_LABELS: Readonly<Record<ReportStatus, string>> = {
  pending: "待處理",
  processing: "處理中",
  completed: "已處理",
  ignored: "已忽略",
};

/** A status word from any of the accepted sets. */
export const StatusWord = z
  .string()
  .trim()
  .max(20)
  .refine((w) => Object.hasOwn(STATUS_WORDS, w), { message: `Expected one of ${Object.keys(STATUS_WORDS).join(", ")}` });

/** The fields of a new report (photos come as files in `images`). */
export const CreateIssueReportFields = z
  .object({
    equipment_code: EquipmentCode,
    issue_type: ShortText.min(1, "issue_type is required").max(50),
    description: LongText.optional(),
  })
  .strict()
  .meta({ id: "CreateIssueReportFields" });
export type CreateIssueReportInput = z.infer<typeof CreateIssueReportFields>;

/** The multipart body as documented (an OpenAPI schema: the route streams it, no validator reads it). */
export const CreateIssueReportForm = {
  type: "object" as const,
  required: ["equipment_code", "issue_type"],
  properties: {
    equipment_code: { type: "string" as const, maxLength: 64, example: "EQ001" },
    issue_type: { type: "string" as const, maxLength: 50, example: "功能異常" },
    description: { type: "string" as const, maxLength: 2000 },
    images: {
      type: "array" as const,
      items: { type: "string" as const, format: "binary" },
      description: "0..20 photos (PNG, JPEG, GIF, WebP; judged by content), 16 MB per request in all",
    },
  },
};

export const ReportImage = z
  .object({
    url: z.string().describe("GET it (no auth): the key is random and unlisted"),
    content_type: z.string(),
    size: z.number().int(),
    filename: z.string(),
  })
  .meta({ id: "IssueReportImage" });

export const IssueReport = z
  .object({
    id: z.number().int(),
    equipment_code: z.string(),
    reporter: z.string(),
    reported_at: z.string(),
    issue_type: z.string(),
    description: z.string().nullable(),
    images: z.array(ReportImage),
    status: z.enum(REPORT_STATUSES),
    /** The word the status was set with (CCbackend's client shows it). */
    status_label: z.string(),
    processor: z.string().nullable(),
    processed_at: z.string().nullable(),
    process_notes: z.string().nullable(),
    version: z.number().int(),
  })
  .meta({ id: "IssueReport" });
export type IssueReport = z.infer<typeof IssueReport>;

export const ProcessIssueReport = z
  .object({
    status: StatusWord,
    process_notes: LongText.nullable().optional(),
    version: z.number().int().min(1).optional(),
  })
  .strict()
  .meta({ id: "ProcessIssueReport" });
export type ProcessIssueReport = z.infer<typeof ProcessIssueReport>;

export const IssueReportListQuery = PageQuery.extend({
  status: StatusWord.optional(),
  equipment_code: EquipmentCode.optional(),
  issue_type: ShortText.max(50).optional(),
  reporter: ShortText.max(256).optional(),
  /** `true`: only pending and processing reports (MS5's open faults). */
  open: z
    .enum(["true", "false"])
    .optional()
    .transform((v) => v === "true"),
});
export type IssueReportListQuery = z.infer<typeof IssueReportListQuery>;

export const IssueReportList = pageOf(IssueReport).meta({ id: "IssueReportList" });

export const ReportIdParams = z.object({ id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) });

export const DeletedReport = z.object({ id: z.number().int(), deleted_images: z.number().int() });
