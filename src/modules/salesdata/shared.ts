/**
 * What both halves of the module share: limits, and the one place a row becomes a response. No
 * API types here (the job half, which the import worker runs, reads this file); the callers'
 * region checks are in ./access.ts.
 */
import type { salesImports, salesRows } from "../../db/schema";
import type { SalesImport, SalesRow } from "./schemas";

/** R2 prefix of kept originals. */
export const SALES_FILE_PREFIX = "salesdata/";
/** Row errors kept and answered; the rest are counted (`errors_more`). */
export const MAX_REPORTED_ERRORS = 100;
/**
 * Staging statements (multi-row `INSERT … SELECT … FROM (VALUES …)` of SQL literals, see import.ts) end before this
 * many bytes of SQL: D1 refuses a statement over 100,000 bytes.
 */
export const MAX_STAGE_SQL_BYTES = 95_000;
/** Valid lines staged per `db.batch` (one D1 round trip, with the import's `rows_done`). */
export const ROWS_PER_BATCH = 16_000;
/** …or fewer, once the batch's SQL reaches this many bytes. */
export const MAX_BATCH_SQL_BYTES = 6 * 1024 * 1024;
/**
 * Order lines per file: bounds the memory of the per-file duplicate check (`LineKeys`, at most
 * ~40 MB with the longest keys) and keeps an import well inside the CPU limit (100,000 lines
 * take about 12 CPU-seconds). A longer file is rejected whole: split it.
 */
export const MAX_FILE_LINES = 200_000;
/**
 * Files larger than this (bytes, ≈ 20,000 typical lines) are imported by a queue job: the upload
 * answers 202 with the import once the file is stored and the job queued (`?background=true` asks
 * for a job whatever the size). Smaller files are imported within the request, as before.
 */
export const BACKGROUND_IMPORT_BYTES = 4 * 1024 * 1024;
/** Claims of one background import (its first delivery and retries) before it is failed. */
export const SALES_JOB_MAX_ATTEMPTS = 3;

export type ImportRow = typeof salesImports.$inferSelect;
export type Row = typeof salesRows.$inferSelect;

/** The one place an import row becomes a response. */
export const toSalesImport = (row: ImportRow): SalesImport => ({
  id: row.id,
  region: row.region,
  filename: row.filename,
  sha256: row.sha256,
  r2_key: row.r2Key,
  size_bytes: row.sizeBytes,
  status: row.status,
  partial: row.partial,
  rows_total: row.rowsTotal,
  rows_done: row.rowsDone,
  rows_imported: row.rowsImported,
  rows_failed: row.rowsFailed,
  errors: row.errors,
  errors_more: row.errorsMore,
  message: row.message,
  duplicate_of: row.duplicateOf,
  user_id: row.userId,
  username: row.username,
  started_at: row.startedAt,
  finished_at: row.finishedAt,
  duration_ms: row.durationMs,
  background: row.background,
  attempts: row.attempts,
  chunks_done: row.chunksDone,
});

/** The one place an order line becomes a response. */
export const toSalesRow = (row: Row): SalesRow => ({
  id: row.id,
  region: row.region,
  order_number: row.orderNumber,
  created_at: row.orderedAt,
  sku: row.sku,
  name: row.name,
  qty: row.qty,
  price: row.price,
  status: row.status,
  currency: row.currency,
  grand_total: row.grandTotal,
  customer_email: row.customerEmail,
  customer_full_name: row.customerFullName,
  billing_address: row.billingAddress,
  shipping_address: row.shippingAddress,
  customer_group_code: row.customerGroupCode,
  import_id: row.importId,
  imported_at: row.updatedAt,
});
