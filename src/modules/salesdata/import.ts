/**
 * Sales data imports, the job half: one run over a stored file (one streaming pass that parses,
 * checks and stages; then the commit), the queue job of a large file (`runSalesJob`, run by the
 * import queue's consumer in workers/import), and the sweep of stalled imports. Needs only D1, R2
 * and a clock (`JobDeps`): the upload side (./upload.ts) is the API's alone.
 */
import { and, eq, inArray, lt, sql } from "drizzle-orm";
import { createDb, type Db } from "../../db/client";
import { type SalesImportStatus, type SalesRegion, salesImportLines, salesImports, salesRows } from "../../db/schema";
import type { FieldIssue } from "../../lib/errors";
import { AppError } from "../../lib/errors";
import { type ReapDeps, reapExpired } from "../../lib/jobs";
import { describeError, log } from "../../lib/logging";
import type { SalesImportMessage } from "../../queues/messages";
import { CsvFormatError, csvRecordBatches, EXPECTED_COLUMNS, MAX_LENGTH, type SalesLine, validateRow } from "./csv";
import { salesImportJobKind } from "./lease";
import type { UploadResult } from "./schemas";
import {
  type ImportRow,
  MAX_BATCH_SQL_BYTES,
  MAX_FILE_LINES,
  MAX_REPORTED_ERRORS,
  MAX_STAGE_SQL_BYTES,
  ROWS_PER_BATCH,
  SALES_JOB_MAX_ATTEMPTS,
} from "./shared";

/** What a run needs: D1 (drizzle), R2 and a clock. A subset of the API's Deps, built by the queue consumer without them. */
export interface JobDeps {
  db: Db;
  files: R2Bucket;
  now: () => Date;
}

/** What pass 1 found. */
interface Validation {
  rowsTotal: number;
  rowsFailed: number;
  errors: string[];
  errorsMore: number;
}

/**
 * Fault injection for tests (never set in production code): called after each staging chunk
 * commits and before the final commit, so a test can stop a run there (throw) or act meanwhile
 * (sweep it) without timing anything.
 */
export interface ImportHooks {
  afterChunk?(chunk: number): void | Promise<void>;
  beforeCommit?(): void | Promise<void>;
}

export interface ImportRun {
  importId: string;
  key: string;
  region: SalesRegion;
  partial: boolean;
  started: Date;
  /** The claim this run holds (0: an import within its upload's request). Every write is fenced by it. */
  attempt: number;
  /** Where a retried job resumes: the chunks, lines and file row already committed to staging. */
  resume: { chunks: number; staged: number; row: number } | null;
}

/** The run no longer holds its import (swept, failed, or claimed again by a newer delivery): it stops, writing nothing more. */
export class LostImport extends Error {
  constructor(importId: string) {
    super(`sales import ${importId}: this run no longer holds it (swept or claimed again); it stopped without writing`);
    this.name = "LostImport";
  }
}

/**
 * This run's hold on its import: the record is still in `status` and at the attempt the run
 * claimed. The sweep (failed) or the lease reaper (queued again, then claimed with attempts + 1)
 * moves one of them, so a late run's fenced writes match nothing.
 */
const held = (importId: string, attempt: number, status: SalesImportStatus) =>
  and(eq(salesImports.id, importId), eq(salesImports.status, status), eq(salesImports.attempts, attempt));

/** Moves a held import to `importing` (the commit's fence); throws LostImport when it is no longer held. */
async function startCommit(deps: Pick<JobDeps, "db">, run: ImportRun, counts: ReturnType<typeof validationCounts>): Promise<void> {
  const moved = await deps.db
    .update(salesImports)
    .set({ status: "importing", ...counts, heartbeatAt: new Date().toISOString() })
    .where(held(run.importId, run.attempt, "validating"))
    .returning({ id: salesImports.id });
  if (moved.length !== 1) throw new LostImport(run.importId);
}

/** The pass and the commit of an import whose record exists (status `validating`, claimed by `run.attempt`). */
export async function runImport(deps: JobDeps, run: ImportRun, hooks: ImportHooks = {}, stages = importStages()): Promise<UploadResult> {
  const { importId, started, partial } = run;
  const input = { region: run.region };
  try {
    const pass = { importId, partial, attempt: run.attempt, resume: run.resume, hooks };
    const checked = await readFile(deps, run.key, input.region, pass, MAX_FILE_LINES, stages).catch(async (err: unknown) => {
      // A file that is not a sales CSV at all (header width, broken quoting) is recorded too.
      if (err instanceof AppError)
        await finish(deps, importId, started, { status: "rejected", message: err.message, errors: [err.message] }, true, run.attempt);
      throw err;
    });
    if (checked.rowsTotal === 0) {
      const message = "The file has no order lines (a header row, then one line per order item)";
      await finish(deps, importId, started, { status: "rejected", message, ...validationCounts(checked) }, true, run.attempt);
      throw new AppError("VALIDATION_ERROR", message, { details: [{ path: "body.file", message, code: "empty_file" }] });
    }
    if (checked.rowsFailed > 0 && (!partial || checked.rowsFailed === checked.rowsTotal)) {
      const more = checked.errorsMore > 0 ? ` (the first ${checked.errors.length} are listed)` : "";
      const message = `${checked.rowsFailed} of ${checked.rowsTotal} rows failed validation${more}; nothing was imported`;
      await finish(deps, importId, started, { status: "rejected", message, ...validationCounts(checked) }, true, run.attempt);
      const details: FieldIssue[] = checked.errors.map((error) => ({ path: "body.file", message: error, code: "invalid_row" }));
      if (checked.errorsMore > 0) details.push({ path: "body.file", message: `…and ${checked.errorsMore} more rows`, code: "more_invalid_rows" });
      throw new AppError("VALIDATION_ERROR", message, { details, reason: "sales_rows_invalid" });
    }
    await hooks.beforeCommit?.();
    const committing = performance.now();
    await startCommit(deps, run, validationCounts(checked));
    const written = checked.staged;
    const skipped = checked.rowsFailed > 0 ? `; ${checked.rowsFailed} rows with errors were skipped` : "";
    const message = `Imported ${written} rows into ${input.region.toUpperCase()} sales data${skipped}`;
    const sqlMs = await commitImport(deps, { importId, region: input.region, started, attempt: run.attempt }, { message, rowsImported: written });
    stages.commitMs += performance.now() - committing;
    stages.upsertSqlMs += sqlMs.upsertSqlMs;
    stages.deleteSqlMs += sqlMs.deleteSqlMs;
    log("info", "sales import stages", { importId, rows: written, attempt: run.attempt, ...roundedStages(stages) });
    return {
      status: "success",
      message,
      rows_imported: written,
      errors: checked.errors,
      rows_failed: checked.rowsFailed,
      errors_more: checked.errorsMore,
      import_id: importId,
      duplicate_of: null,
    };
  } catch (err) {
    // A queue job's failures are the job's to record (retry or fail: runSalesJob).
    if (!(err instanceof AppError) && !(err instanceof LostImport) && run.attempt === 0) {
      log("error", "sales import failed", { importId, ...describeError(err) });
      await finish(
        deps,
        importId,
        started,
        { status: "failed", message: "The import stopped on an internal error; upload the file again to finish it" },
        true,
        0,
      ).catch(() => undefined);
    }
    throw err;
  }
}

/** Stage timings as whole milliseconds, for a log line. */
const roundedStages = (stages: ImportStages) => Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, Math.round(v)]));

const validationCounts = (v: Validation) => ({ rowsTotal: v.rowsTotal, rowsFailed: v.rowsFailed, errors: v.errors, errorsMore: v.errorsMore });

/** Ends an import: its status, message and timings (and counts when given). */
export async function finish(
  deps: Pick<JobDeps, "db" | "now">,
  importId: string,
  started: Date,
  outcome: { status: SalesImportStatus; message: string } & Partial<
    Pick<ImportRow, "rowsImported" | "rowsTotal" | "rowsFailed" | "errors" | "errorsMore" | "duplicateOf" | "r2Key">
  >,
  /** Also delete what the import staged (it ends without committing). */
  dropStaged = false,
  /** Only while the run at this attempt still holds it (validating or importing); undefined: whatever its state. */
  attempt?: number,
): Promise<void> {
  const ended = deps.now();
  const where =
    attempt === undefined
      ? eq(salesImports.id, importId)
      : and(eq(salesImports.id, importId), inArray(salesImports.status, ["validating", "importing"]), eq(salesImports.attempts, attempt));
  const update = deps.db
    .update(salesImports)
    .set({ ...outcome, finishedAt: ended.toISOString(), durationMs: Math.max(0, ended.getTime() - started.getTime()) })
    .where(where);
  if (!dropStaged) {
    await update;
    return;
  }
  // The staged lines go only with the record's end (`changes()`): a lost run leaves the holder's lines alone.
  await deps.db.batch([update, deps.db.delete(salesImportLines).where(and(eq(salesImportLines.importId, importId), sql`changes() = 1`))]);
}

async function openOriginal(files: R2Bucket, key: string): Promise<ReadableStream<Uint8Array>> {
  const object = await files.get(key);
  if (!object) throw new Error(`sales import: the original ${key} is missing from R2`);
  return object.body;
}

/** A file that is not CSV at all, as a 422 naming the row where reading stopped. */
const unreadable = (err: CsvFormatError) =>
  new AppError("VALIDATION_ERROR", `${err.message}; nothing was imported`, { details: [{ path: "body.file", message: err.message, code: "invalid_csv" }] });

/**
 * The natural keys (order number + SKU; the region is the file's) of one file's valid lines so
 * far, each with the row it first appeared on. The upsert would let a second line with the same
 * key silently overwrite the first while counting both, so both passes treat it as a bad row.
 * At most MAX_FILE_LINES entries (pass 1 refuses a longer file).
 */
class LineKeys {
  readonly #first = new Map<string, number>();

  /** Records `line` (on `row`); answers the row it first appeared on if it is a repeat. */
  repeatOf(line: SalesLine, row: number): number | undefined {
    // The SKU's length (≤ 64: validateRow) as the key's last character, so no order number / SKU
    // pair can spell another's key.
    const key = line.order_number + line.sku + (SKU_LENGTHS[line.sku.length] as string);
    const first = this.#first.get(key);
    if (first === undefined) this.#first.set(key, row);
    return first;
  }
}

/** One character per SKU length, 0 … MAX_LENGTH.sku (validateRow refuses a longer SKU). */
const SKU_LENGTHS = Array.from({ length: MAX_LENGTH.sku + 1 }, (_, n) => String.fromCharCode(n));

const duplicateLine = (row: number, first: number) => `Row ${row}: duplicate order_number + sku (first at row ${first})`;

/**
 * Where a run spends its time, in milliseconds (logged as `sales import stages` at its end):
 * opening the original in R2, reading + parsing its records (`parseMs`, R2's reads included),
 * checking the lines and writing their SQL (`checkMs`), the staging batches (`stageMs`, summed
 * while they run beside the parse; `stageWaitMs`, the part the pass waited for them), the claim,
 * and the commit (the swap into `sales_rows`).
 */
export interface ImportStages {
  claimMs: number;
  openMs: number;
  parseMs: number;
  checkMs: number;
  stageMs: number;
  stageWaitMs: number;
  /** D1's own time (`meta.duration`) of the staging statements, of the commit's upsert and of its deletion of the staged lines. */
  stageSqlMs: number;
  commitMs: number;
  upsertSqlMs: number;
  deleteSqlMs: number;
}

export const importStages = (): ImportStages => ({
  claimMs: 0,
  openMs: 0,
  parseMs: 0,
  checkMs: 0,
  stageMs: 0,
  stageWaitMs: 0,
  stageSqlMs: 0,
  commitMs: 0,
  upsertSqlMs: 0,
  deleteSqlMs: 0,
});

/** Where a pass stages the valid lines it reads (none: only validate). */
interface Staging {
  importId: string;
  /** Keep valid lines even when others fail (`?partial=`). */
  partial: boolean;
  /** The claim the run holds: each chunk's batch writes only while the record is still `validating` at it. */
  attempt: number;
  /** A retried job's committed chunks: rows up to `row` are read and checked again but not staged. */
  resume: ImportRun["resume"];
  hooks: ImportHooks;
}

/**
 * The one pass over a file: reads every record as the bytes arrive from R2, checks it (a repeated
 * order number + SKU is a bad row), and, with `staging`, writes the valid lines to
 * `sales_import_lines` as it goes: multi-row `INSERT … SELECT … FROM (VALUES …)` statements of
 * SQL literals (`stagingHead`, `stagedValues`) up to MAX_STAGE_SQL_BYTES each, ROWS_PER_BATCH lines (or MAX_BATCH_SQL_BYTES)
 * and the import's `rows_done` per `db.batch`, one batch in flight while the next is parsed.
 * Without `partial`, staging stops at the first bad row (the file will be rejected) while the
 * rest is still checked and counted. More than `maxLines` order lines is a 422 for the whole
 * file. Nothing reaches `sales_rows` here: see `commitImport`.
 *
 * Why literals and not bound parameters: D1 binds at most 100 parameters a statement (7 lines of
 * 14 columns) and runs at most 1,000 queries per invocation, so 100,000 lines bound would take
 * 14,286 statements; as literals a statement holds ~570 typical lines (~175 statements per
 * 100,000, < 550 for a 50 MB file). Every value is a validated string or finite number, written
 * by `sqlLiteral` only.
 */
async function readFile(
  deps: Pick<JobDeps, "db" | "files">,
  key: string,
  region: SalesRegion,
  staging: Staging | null,
  maxLines = MAX_FILE_LINES,
  stages: ImportStages = importStages(),
): Promise<Validation & { staged: number }> {
  const result: Validation & { staged: number } = { rowsTotal: 0, rowsFailed: 0, errors: [], errorsMore: 0, staged: staging?.resume?.staged ?? 0 };
  const keys = new LineKeys();
  let staging_ = staging;
  if (staging_ && !UUID.test(staging_.importId)) throw new Error("sales import: the import id is not a UUID");
  /** Rows already staged by an earlier delivery of this job (committed chunks). */
  const skipThrough = staging?.resume?.row ?? 0;
  let chunks = staging?.resume?.chunks ?? 0;
  /** The file row of the last record read: a chunk's cursor. */
  let lastRow = skipThrough;
  const fail = (error: string) => {
    result.rowsFailed++;
    if (result.errors.length < MAX_REPORTED_ERRORS) result.errors.push(error);
    else result.errorsMore++;
    // A file that will be rejected stages nothing more.
    if (staging_ && !staging_.partial) staging_ = null;
  };
  const head = staging_ ? stagingHead(staging_.importId) : "";
  /** The statement being filled: its `(…)` tuples and their bytes. */
  let tuples: string[] = [];
  let statementBytes = head.length + 1;
  /** Statements ready for the next batch, and its lines and bytes. */
  let statements: string[] = [];
  let batchRows = 0;
  let batchBytes = 0;
  let inFlight: Promise<unknown> = Promise.resolve();
  const endStatement = () => {
    if (tuples.length === 0) return;
    statements.push(`${head}${tuples.join(",")})`);
    batchRows += tuples.length;
    batchBytes += statementBytes;
    tuples = [];
    statementBytes = head.length + 1;
  };
  const flushBatch = async () => {
    endStatement();
    const target = staging_;
    if (statements.length === 0 || !target) return;
    const ready = statements;
    statements = [];
    result.staged += batchRows;
    batchRows = 0;
    batchBytes = 0;
    const done = result.staged;
    const chunk = ++chunks;
    const cursor = lastRow;
    // One batch at a time: the next is parsed while this one commits.
    const waited = performance.now();
    await inFlight;
    stages.stageWaitMs += performance.now() - waited;
    const sent = performance.now();
    inFlight = commitChunk(deps.db, target, ready, { done, chunk, cursor }).then((sqlMs) => {
      stages.stageMs += performance.now() - sent;
      stages.stageSqlMs += sqlMs;
      return target.hooks.afterChunk?.(chunk);
    });
    // Awaited by the next flush or the pass's end; marked handled so a failure meanwhile is not reported as unhandled.
    inFlight.catch(() => undefined);
  };
  try {
    let t = performance.now();
    const body = await openOriginal(deps.files, key);
    stages.openMs += performance.now() - t;
    t = performance.now();
    for await (const { first: firstRow, records } of csvRecordBatches(body)) {
      // t: when the current stretch began (parse: waiting for records; check: the lines' own work).
      const parsed = performance.now();
      stages.parseMs += parsed - t;
      t = parsed;
      for (let k = 0; k < records.length; k++) {
        const row = firstRow + k;
        const fields = records[k] as string[];
        if (row === 1) {
          // The header: its names are not checked (exports name them differently), its width is.
          if (fields.length !== EXPECTED_COLUMNS) {
            const what = fields.length < EXPECTED_COLUMNS ? "Not enough" : "Too many";
            const message = `Row 1: ${what} columns in the header (expected ${EXPECTED_COLUMNS}, got ${fields.length})`;
            throw new AppError("VALIDATION_ERROR", `${message}; nothing was imported`, { details: [{ path: "body.file", message, code: "invalid_header" }] });
          }
          continue;
        }
        result.rowsTotal++;
        lastRow = row;
        if (result.rowsTotal > maxLines) {
          const message = `The file has more than ${maxLines.toLocaleString("en-GB")} order lines; split it into smaller files`;
          throw new AppError("VALIDATION_ERROR", `${message}; nothing was imported`, { details: [{ path: "body.file", message, code: "too_many_lines" }] });
        }
        const checked = validateRow(fields, row, region);
        if (!checked.ok) {
          fail(checked.error);
          continue;
        }
        const first = keys.repeatOf(checked.line, row);
        if (first !== undefined) {
          fail(duplicateLine(row, first));
          continue;
        }
        if (!staging_ || row <= skipThrough) continue;
        const tuple = stagedValues(row, checked.line);
        const bytes = utf8Length(tuple) + 1;
        if (statementBytes + bytes > MAX_STAGE_SQL_BYTES) endStatement();
        tuples.push(tuple);
        statementBytes += bytes;
        if (batchRows + tuples.length >= ROWS_PER_BATCH || batchBytes + statementBytes >= MAX_BATCH_SQL_BYTES) {
          stages.checkMs += performance.now() - t;
          await flushBatch();
          t = performance.now();
        }
      }
      const checked = performance.now();
      stages.checkMs += checked - t;
      t = checked;
    }
    await flushBatch();
  } catch (err) {
    await inFlight.catch(() => undefined);
    if (err instanceof CsvFormatError) throw unreadable(err);
    throw err;
  }
  const waited = performance.now();
  await inFlight;
  stages.stageWaitMs += performance.now() - waited;
  return result;
}

/**
 * Checks a stored file without writing anything (the pass `importSalesFile` runs, minus the
 * staging): counts its lines and keeps the first row errors.
 */
export async function validateFile(deps: Pick<JobDeps, "files" | "db">, key: string, region: SalesRegion, maxLines = MAX_FILE_LINES): Promise<Validation> {
  const { staged: _, ...validation } = await readFile(deps, key, region, null, maxLines);
  return validation;
}

/**
 * One chunk, one D1 batch (one transaction): the progress (lines staged, chunks, the file row the
 * chunk ends at, the heartbeat) written only while the run still holds the import, a guard that
 * fails the whole batch when that write matched nothing, then the chunk's staged lines. So a
 * run that was swept or superseded stages nothing; a retry resumes after the last chunk that committed.
 */
async function commitChunk(db: Db, target: Staging, statements: string[], at: { done: number; chunk: number; cursor: number }): Promise<number> {
  try {
    const results = await db.batch([
      db
        .update(salesImports)
        .set({ rowsDone: at.done, chunksDone: at.chunk, cursorRow: at.cursor, heartbeatAt: new Date().toISOString() })
        .where(held(target.importId, target.attempt, "validating")),
      // json() of a non-JSON text raises an error: the batch rolls back when the fence did not hold.
      db.run(sql`select json(case when changes() = 1 then '1' else 'lost lease' end)`),
      ...statements.map((text) => db.run(sql.raw(text))),
    ]);
    return sqlDuration(results);
  } catch (err) {
    const [row] = await db
      .select({ n: sql<number>`count(*)` })
      .from(salesImports)
      .where(held(target.importId, target.attempt, "validating"));
    if (!row || row.n === 0) throw new LostImport(target.importId);
    throw err;
  }
}

/** D1's own time (`meta.duration`, ms) for some results of a batch: SQLite's share of a round trip. */
function sqlDuration(results: readonly unknown[]): number {
  let ms = 0;
  for (const r of results) {
    const duration = (r as { meta?: { duration?: unknown } } | null)?.meta?.duration;
    if (typeof duration === "number") ms += duration;
  }
  return ms;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The head of one staging statement: `INSERT … SELECT` of the import's id (once, a literal: it is
 * checked to be a UUID) and the 15 columns of a `VALUES` list (`column1` … `column15`, SQLite's
 * names for them), which `stagedValues` fills, a tuple per line, and the caller closes with `)`.
 * A shipping address equal to the billing address (most lines) is sent as NULL and restored here,
 * so it is not sent twice: every staged column is NOT NULL, so NULL means nothing else.
 */
const stagingHead = (importId: string) =>
  "INSERT INTO sales_import_lines (import_id, row, order_number, ordered_at, sku, name, qty, price, status, currency, grand_total, " +
  "customer_email, customer_full_name, billing_address, shipping_address, customer_group_code) " +
  `SELECT '${importId}', column1, column2, column3, column4, column5, column6, column7, column8, column9, column10, column11, ` +
  "column12, column13, coalesce(column14, column13), column15 FROM (VALUES ";

const NON_ASCII = /[\u0080-\uffff]/;
const NEEDS_ESCAPE = /['\0]/;
const UTF8 = new TextEncoder();
/** Bytes of `text` in UTF-8 (what D1 counts against its statement limit). */
const utf8Length = (text: string) => (NON_ASCII.test(text) ? UTF8.encode(text).length : text.length);

/**
 * A value as an SQLite literal: a finite number as itself; a string quoted with `'` doubled
 * (SQLite's only escape in a string literal; backslashes mean nothing), or as a hex blob cast to
 * text when it holds a NUL (which would end the SQL text). Anything else throws: no other value
 * ever reaches SQL this way.
 */
export function sqlLiteral(value: string | number): string {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error("sales import: a staged number is not finite");
    return String(value);
  }
  if (typeof value !== "string") throw new Error("sales import: a staged value is neither text nor a number");
  // Most values hold neither a quote nor a NUL: no copy to make.
  if (!NEEDS_ESCAPE.test(value)) return `'${value}'`;
  if (value.includes("\0")) {
    let hex = "";
    for (const byte of UTF8.encode(value)) hex += byte.toString(16).padStart(2, "0");
    return `CAST(X'${hex}' AS TEXT)`;
  }
  return `'${value.replaceAll("'", "''")}'`;
}

/** One staged line as `(…)` of literals, in `stagingHead`'s column order (its shipping address NULL when it is the billing address). */
const stagedValues = (row: number, l: SalesLine) =>
  `(${row},${sqlLiteral(l.order_number)},${sqlLiteral(l.created_at)},${sqlLiteral(l.sku)},${sqlLiteral(l.name)},` +
  `${sqlLiteral(l.qty)},${sqlLiteral(l.price)},${sqlLiteral(l.status)},${sqlLiteral(l.currency)},${sqlLiteral(l.grand_total)},` +
  `${sqlLiteral(l.customer_email)},${sqlLiteral(l.customer_full_name)},${sqlLiteral(l.billing_address)},` +
  `${l.shipping_address === l.billing_address ? "NULL" : sqlLiteral(l.shipping_address)},${sqlLiteral(l.customer_group_code)})`;

const excluded = (column: { name: string }) => sql`excluded.${sql.identifier(column.name)}`;

/**
 * The swap, one transaction: every staged line of the import upserted into `sales_rows` on its
 * natural key by ONE `INSERT … SELECT` of the staged lines (plain columns, in file order), the
 * staged lines deleted, and the import marked completed. Until this batch commits,
 * no line of the file is visible; if it fails, none is.
 */
async function commitImport(
  deps: Pick<JobDeps, "db" | "now">,
  run: { importId: string; region: SalesRegion; started: Date; attempt: number },
  outcome: { message: string; rowsImported: number },
): Promise<{ upsertSqlMs: number; deleteSqlMs: number }> {
  const t = salesRows;
  const l = salesImportLines;
  const now = deps.now().toISOString();
  const columns = [
    l.orderNumber,
    l.orderedAt,
    l.sku,
    l.name,
    l.qty,
    l.price,
    l.status,
    l.currency,
    l.grandTotal,
    l.customerEmail,
    l.customerFullName,
    l.billingAddress,
    l.shippingAddress,
    l.customerGroupCode,
  ];
  const upsert = deps.db
    .insert(t)
    .select(
      // `changes() = 1`: only when the batch's first statement (the fenced completion) matched.
      sql`select null, ${run.region}, ${sql.join(columns, sql`, `)}, ${run.importId}, ${now}, ${now} from ${l} where ${l.importId} = ${run.importId} and changes() = 1 order by ${l.row}`,
    )
    .onConflictDoUpdate({
      target: [t.region, t.orderNumber, t.sku],
      set: {
        orderedAt: excluded(t.orderedAt),
        name: excluded(t.name),
        qty: excluded(t.qty),
        price: excluded(t.price),
        status: excluded(t.status),
        currency: excluded(t.currency),
        grandTotal: excluded(t.grandTotal),
        customerEmail: excluded(t.customerEmail),
        customerFullName: excluded(t.customerFullName),
        billingAddress: excluded(t.billingAddress),
        shippingAddress: excluded(t.shippingAddress),
        customerGroupCode: excluded(t.customerGroupCode),
        importId: excluded(t.importId),
        updatedAt: excluded(t.updatedAt),
      },
    });
  const ended = deps.now();
  const [completed, upserted, deleted] = await deps.db.batch([
    // The fence first: only an import still `importing` at this run's attempt completes. One the
    // sweep marked failed meanwhile (or a newer delivery claimed) matches nothing, and then the
    // upsert (`changes() = 1`) and the delete (its record not completed by this run) write nothing.
    deps.db
      .update(salesImports)
      .set({
        status: "completed",
        message: outcome.message,
        rowsImported: outcome.rowsImported,
        rowsDone: outcome.rowsImported,
        finishedAt: ended.toISOString(),
        durationMs: Math.max(0, ended.getTime() - run.started.getTime()),
        heartbeatAt: ended.toISOString(),
      })
      .where(held(run.importId, run.attempt, "importing")),
    upsert,
    deps.db
      .delete(salesImportLines)
      .where(
        and(
          eq(salesImportLines.importId, run.importId),
          sql`exists (select 1 from ${salesImports} where ${salesImports.id} = ${run.importId} and ${salesImports.status} = 'completed' and ${salesImports.attempts} = ${run.attempt})`,
        ),
      ),
  ]);
  if (completed.meta.changes !== 1) throw new LostImport(run.importId);
  return { upsertSqlMs: sqlDuration([upserted]), deleteSqlMs: sqlDuration([deleted]) };
}

/** An import that has not moved for this long (ms) has lost its isolate: see `sweepStalledImports`. */
export const STALLED_IMPORT_MS = 10 * 60 * 1000;

/**
 * For the hourly cron: marks `failed` every import run within its upload (not a queue job) still
 * `validating` or `importing` whose last write (`updated_at`, moved by every batch's `rows_done`)
 * is older than STALLED_IMPORT_MS. An isolate that dies mid-import (a deploy, the `waitUntil`
 * allowance running out) records nothing; without this the import would show as running
 * forever. Their staged lines are deleted, and a run that was only slow, not dead, is fenced
 * out: its later chunks and its commit match nothing (`held`), so a swept import never lands.
 * Queue jobs (`background`) are leased instead: one whose heartbeat is older than the lease is
 * re-queued at its last committed chunk while it has attempts left, else failed (`salesImportJobKind`).
 * Returns how many imports were marked failed.
 */
export async function sweepStalledImports(deps: ReapDeps, stalledAfterMs = STALLED_IMPORT_MS): Promise<number> {
  const t = salesImports;
  const now = deps.now();
  const ended = now.toISOString();
  const minutes = Math.round(stalledAfterMs / 60_000);
  const swept = await deps.db
    .update(t)
    .set({
      status: "failed",
      message: `The import stopped without finishing (no progress for ${minutes} minutes); upload the file again to finish it`,
      finishedAt: ended,
      durationMs: sql<number>`max(0, cast(round((julianday(${ended}) - julianday(${t.startedAt})) * 86400000) as integer))`,
    })
    .where(
      and(inArray(t.status, ["validating", "importing"]), eq(t.background, false), lt(t.updatedAt, new Date(now.getTime() - stalledAfterMs).toISOString())),
    )
    .returning({ id: t.id });
  if (swept.length > 0) {
    // What they staged will never be committed.
    await deps.db.delete(salesImportLines).where(
      inArray(
        salesImportLines.importId,
        swept.map((r) => r.id),
      ),
    );
    log("warn", "stalled sales imports marked failed", { ids: swept.map((r) => r.id) });
  }
  const reaped = await reapExpired(deps, salesImportJobKind);
  return swept.length + reaped.failed;
}

/**
 * Runs (or resumes) one background import: claims it (`queued` → `validating`, attempts + 1),
 * reads the file once (rows up to the last committed chunk are checked again, not staged again),
 * stages the rest chunk by chunk, then commits all of it in one batch or, with a bad row and no
 * `partial`, ends `rejected` with the first 100 bad rows and their count, having written nothing.
 * An error puts the job back to `queued` at its last chunk and throws, so the queue delivers it
 * again; on its last attempt the job is `failed` (nothing written) instead.
 * Returns what happened to this delivery.
 */
export async function runSalesJob(
  deps: JobDeps,
  importId: string,
  hooks: ImportHooks = {},
): Promise<"completed" | "rejected" | "failed" | "retry" | "skipped" | "lost"> {
  const claimedAt = deps.now().toISOString();
  const stages = importStages();
  const claiming = performance.now();
  const [job] = await deps.db
    .update(salesImports)
    .set({ status: "validating", attempts: sql`${salesImports.attempts} + 1`, heartbeatAt: claimedAt })
    .where(and(eq(salesImports.id, importId), eq(salesImports.status, "queued"), eq(salesImports.background, true)))
    .returning();
  if (!job) return "skipped";
  stages.claimMs = performance.now() - claiming;
  const run: ImportRun = {
    importId,
    key: job.r2Key,
    region: job.region,
    partial: job.partial,
    started: new Date(job.startedAt),
    attempt: job.attempts,
    resume: job.chunksDone > 0 ? { chunks: job.chunksDone, staged: job.rowsDone, row: job.cursorRow } : null,
  };
  try {
    await runImport(deps, run, hooks, stages);
    return "completed";
  } catch (err) {
    if (err instanceof LostImport) {
      log("warn", "sales import job lost its hold; stopping", { importId });
      return "lost";
    }
    if (err instanceof AppError) return "rejected";
    const reason = describeError(err).error.slice(0, 300);
    if (job.attempts >= SALES_JOB_MAX_ATTEMPTS) {
      log("error", "sales import job failed", { importId, attempts: job.attempts, error: reason });
      await finish(
        deps,
        importId,
        run.started,
        {
          status: "failed",
          message: `The import stopped on an error on its last attempt (${job.attempts} of ${SALES_JOB_MAX_ATTEMPTS}): ${reason}; nothing was imported`,
        },
        true,
        job.attempts,
      );
      return "failed";
    }
    // Back to queued at its last committed chunk: the queue's next delivery resumes there.
    await deps.db
      .update(salesImports)
      .set({
        status: "queued",
        message: sql`${`Attempt ${job.attempts} of ${SALES_JOB_MAX_ATTEMPTS} stopped (${reason}); the next resumes after committed chunk `} || ${salesImports.chunksDone}`,
        heartbeatAt: deps.now().toISOString(),
      })
      .where(and(eq(salesImports.id, importId), inArray(salesImports.status, ["validating", "importing"]), eq(salesImports.attempts, job.attempts)));
    log("warn", "sales import job will be retried", { importId, attempts: job.attempts, error: reason });
    throw err;
  }
}

/** The import queue's `sales_import` message (src/modules/bridge/consumer.ts dispatches it here). */
export async function consumeSalesImport(env: { DB: D1Database; FILES: R2Bucket }, message: SalesImportMessage): Promise<void> {
  await runSalesJob({ db: createDb(env.DB), files: env.FILES, now: () => new Date() }, message.importId);
}
