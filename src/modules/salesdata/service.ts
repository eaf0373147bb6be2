/**
 * Sales data (RM365): per-region order lines imported from CSV exports, their import history,
 * and aggregates per SKU, country and month.
 *
 * An upload:
 * 1. streams to R2 (`receiveUpload`, `salesdata/<uuid>.csv`, kind judged by bytes: UTF-8 text),
 *    and an import record is written (`validating`);
 * 2. the same bytes (region + SHA-256) already imported → recorded as `duplicate`, nothing written;
 * 3. ONE pass parses the original back from R2 as a stream (csv.ts's own reader), checks every
 *    row (a repeat of an earlier line's order number + SKU is a bad row: the upsert would
 *    overwrite the first) and stages the valid lines in `sales_import_lines` (typed columns):
 *    multi-row `INSERT … SELECT` of a `VALUES` list of SQL literals (the import's id once a
 *    statement) up to D1's 100 KB a statement (~570 lines),
 *    16,000 lines + the import's `rows_done` per `db.batch`, one batch in flight while the next
 *    is parsed. Any bad row and no `partial` → `rejected`, 422 naming every
 *    bad row (the first 100, and how many more), its staged lines deleted, nothing written; more than
 *    MAX_FILE_LINES lines → `rejected`, 422;
 * 4. the commit: ONE `INSERT … SELECT … FROM sales_import_lines` upserts every staged line on
 *    its natural key (region + order number + SKU; D1's 100-parameter limit never binds: the
 *    lines are values of a table, not parameters), deletes the staged lines and marks
 *    the import completed, in one `db.batch`: a file is all in or not at all, whatever its size.
 *    A re-run (the same file uploaded again after a failure, or the same orders in another file)
 *    rewrites the same lines, so nothing doubles.
 * 5. a file over BACKGROUND_IMPORT_BYTES (or `?background=true`) is recorded `queued` after step 2
 *    and the upload answers 202: steps 3–4 run in the import queue's consumer (`runSalesJob`, a
 *    `sales_import` message), each chunk recording `chunks_done` / `cursor_row` and a heartbeat, so
 *    a retried delivery stages only the rows after the last committed chunk (lease.ts re-queues
 *    a silent one). Every chunk and the commit are fenced by the run's claim (`held`): a run the
 *    sweep or the reaper took away writes nothing.
 */

export { REGION_TABS, regionsOf } from "./access";
export {
  consumeSalesImport,
  type ImportHooks,
  LostImport,
  runSalesJob,
  STALLED_IMPORT_MS,
  sweepStalledImports,
  validateFile,
} from "./import";
export { salesImportJobKind } from "./lease";
export { getSalesImport, listSalesImports, listSalesRows, SALES_TABLES, salesSummary, salesTablesStatus, watchSalesImport } from "./queries";
export {
  BACKGROUND_IMPORT_BYTES,
  MAX_FILE_LINES,
  MAX_REPORTED_ERRORS,
  ROWS_PER_BATCH,
  SALES_FILE_PREFIX,
  SALES_JOB_MAX_ATTEMPTS,
  toSalesImport,
  toSalesRow,
} from "./shared";
export { importSalesFile, type UploadInput, type UploadOutcome } from "./upload";
