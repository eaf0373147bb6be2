import { z } from "zod";

/**
 * Queue message schemas, shared by the API worker (producer) and the consumers under
 * `workers/`. Messages carry R2 keys and ids, never file bytes (128 KB message limit).
 */
export const ProbeMessage = z.object({
  type: z.literal("probe"),
  requestId: z.string(),
  sentAt: z.iso.datetime(),
});
export type ProbeMessage = z.infer<typeof ProbeMessage>;

/**
 * Convert a part's uploaded STEP to GLB. `jobId` names the upload: the worker drops a message
 * whose job is no longer the part's (re-uploaded or deleted meanwhile).
 */
export const ConvertStepMessage = z.object({
  type: z.literal("convert_step"),
  partId: z.number().int().positive(),
  jobId: z.uuid(),
  stepKey: z.string().min(1).max(200),
  requestId: z.string().max(100),
});
export type ConvertStepMessage = z.infer<typeof ConvertStepMessage>;

/** Messages of the conversion queue (STEP → GLB). */
export const ConvertMessage = z.discriminatedUnion("type", [ProbeMessage, ConvertStepMessage]);
export type ConvertMessage = z.infer<typeof ConvertMessage>;

/**
 * Render a label job's PDF and CSV (labels module). The job row holds what to print; the
 * worker claims it, so a message delivered twice or for a deleted job does no harm.
 */
export const LabelJobMessage = z.object({
  type: z.literal("label_job"),
  jobId: z.uuid(),
  requestId: z.string().max(100),
});
export type LabelJobMessage = z.infer<typeof LabelJobMessage>;

/**
 * Render a production report (issue 7 part 7). `reportId` names the `production_reports` row,
 * which holds everything the worker needs; a row that is already ready is left alone.
 */
export const ProductionReportMessage = z.object({
  type: z.literal("production_report"),
  reportId: z.uuid(),
  requestId: z.string().max(100),
});
export type ProductionReportMessage = z.infer<typeof ProductionReportMessage>;

/** Messages of the documents queue (label PDFs, production reports). */
export const DocumentsMessage = z.discriminatedUnion("type", [ProbeMessage, LabelJobMessage, ProductionReportMessage]);
export type DocumentsMessage = z.infer<typeof DocumentsMessage>;

/**
 * Run (or resume) a legacy import (issue 19, src/modules/bridge). The job row holds the source,
 * input and cursor; the consumer claims it, so a message delivered twice does no harm.
 */
export const ImportJobMessage = z.object({
  type: z.literal("import_job"),
  jobId: z.uuid(),
  requestId: z.string().max(100),
});
export type ImportJobMessage = z.infer<typeof ImportJobMessage>;

/**
 * Run (or resume) a background sales CSV import (src/modules/salesdata). The `sales_imports` row
 * holds the region, the file's R2 key and the last committed chunk; the consumer claims it, so a
 * message delivered twice does no harm.
 */
export const SalesImportMessage = z.object({
  type: z.literal("sales_import"),
  importId: z.uuid(),
  requestId: z.string().max(100),
});
export type SalesImportMessage = z.infer<typeof SalesImportMessage>;

/** Messages of the import queue (consumed by the import worker: workers/import). */
export const ImportMessage = z.discriminatedUnion("type", [ProbeMessage, ImportJobMessage, SalesImportMessage]);
export type ImportMessage = z.infer<typeof ImportMessage>;
