/**
 * Sales data (RM365): per-region order lines imported from CSV exports, their import history,
 * and aggregates per SKU, country and month.
 *
 * An upload:
 * 1. streams to R2 (`receiveUpload`, `salesdata/<uuid>.csv`, kind judged by bytes: UTF-8 text),
 *    and an import record is written (`validating`);
 * 2. the same bytes (region + SHA-256) already imported → recorded as `duplicate`, nothing written;
 * 3. pass 1 parses the original back from R2 as a stream and checks every row (a repeat of an
 *    earlier line's order number + SKU is a bad row: the upsert would overwrite the first); any
 *    bad row and no `partial` → `rejected`, 422 naming every bad row (the first 100, and how many
 *    more), nothing written; more than MAX_FILE_LINES lines → `rejected`, 422;
 * 4. pass 2 parses it again and upserts the valid rows on their natural key (region + order
 *    number + SKU): 500 rows per statement, carried as ONE bound JSON parameter and unpacked by
 *    `json_each` (so D1's 100-parameter limit never binds), 10 statements per `db.batch` plus the
 *    import's `rows_done`, committed together. A file of up to 5,000 lines is therefore one
 *    atomic batch; a longer one commits batch by batch and shows its progress in `rows_done`.
 *    A re-run (the same file uploaded again after a failure, or the same orders in another file)
 *    rewrites the same lines, so nothing doubles.
 */

export { importSalesFile, STALLED_IMPORT_MS, sweepStalledImports, type UploadInput, validateFile } from "./import";
export { getSalesImport, listSalesImports, listSalesRows, SALES_TABLES, salesSummary, salesTablesStatus } from "./queries";
export {
  MAX_FILE_LINES,
  MAX_REPORTED_ERRORS,
  REGION_TABS,
  ROWS_PER_STATEMENT,
  regionsOf,
  SALES_FILE_PREFIX,
  STATEMENTS_PER_BATCH,
  toSalesImport,
  toSalesRow,
} from "./shared";
