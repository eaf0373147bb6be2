/** Sales data imports: upload, two-pass validation and upsert, and the sweep of stalled imports (see service.ts). */
import { and, asc, eq, inArray, lt, sql } from "drizzle-orm";
import { type SalesImportStatus, type SalesRegion, salesImports, salesRows } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import type { FieldIssue } from "../../lib/errors";
import { AppError } from "../../lib/errors";
import { describeError, log } from "../../lib/logging";
import { actorOf } from "../../lib/principal";
import { type IncomingUpload, receiveUpload } from "../../lib/uploads";
import type { Principal } from "../../types";
import { CsvFormatError, csvRecords, EXPECTED_COLUMNS, type SalesLine, validateRow } from "./csv";
import { UploadFields, type UploadResult } from "./schemas";
import {
  assertRegion,
  type ImportRow,
  MAX_FILE_LINES,
  MAX_REPORTED_ERRORS,
  MAX_STATEMENT_JSON,
  ROWS_PER_STATEMENT,
  SALES_FILE_PREFIX,
  STATEMENTS_PER_BATCH,
} from "./shared";

/** What pass 1 found. */
interface Validation {
  rowsTotal: number;
  rowsFailed: number;
  errors: string[];
  errorsMore: number;
}

/** The upload's input: the upload (streamed), its region and `?partial=`. */
export interface UploadInput {
  upload: IncomingUpload;
  region: SalesRegion;
  partial?: boolean | undefined;
}

/**
 * Imports one region's CSV upload (see the module comment for the steps). Answers RM365's
 * `{status, message, rows_imported, errors}` plus the import's id; a file with bad rows (without
 * `partial`) is a 422 naming them, with nothing written. Importing a region needs that region's
 * tab too (the route checks `salesdata.upload`): refused before any byte is stored.
 */
export async function importSalesFile(
  deps: Pick<Deps, "db" | "files" | "now" | "waitUntil" | "config">,
  input: UploadInput,
  actor: Principal,
): Promise<UploadResult> {
  // Before the body is read: one who may not read a region may not overwrite its rows either.
  assertRegion(actor, input.region);
  const upload = await receiveUpload(input.upload, {
    bucket: deps.files,
    db: deps.db,
    now: deps.now,
    prefix: SALES_FILE_PREFIX,
    accept: ["csv", "text"],
    maxFileBytes: deps.config.MAX_UPLOAD_BYTES,
    maxFiles: 1,
    fileFields: ["file"],
    waitUntil: deps.waitUntil,
  });
  const file = upload.files[0];
  let fields: { partial?: boolean | undefined };
  try {
    const parsed = UploadFields.safeParse(upload.fields);
    if (!parsed.success) {
      const issues: FieldIssue[] = parsed.error.issues.map((i) => ({ path: ["body", ...i.path.map(String)].join("."), message: i.message, code: i.code }));
      throw new AppError("VALIDATION_ERROR", `Invalid request body: ${issues[0]?.path} ${issues[0]?.message}`, { details: issues });
    }
    fields = parsed.data;
    if (!file)
      throw new AppError("VALIDATION_ERROR", "A CSV file is required in the 'file' field", {
        details: [{ path: "body.file", message: "required", code: "required" }],
      });
  } catch (err) {
    await upload.discard();
    throw err;
  }
  const partial = input.partial ?? fields.partial ?? false;
  const started = deps.now();
  const importId = crypto.randomUUID();
  const who = { userId: actor.kind === "user" ? actor.userId : null, username: actorOf(actor).name };
  const release = upload.release();
  const recorded = deps.db.batch([
    deps.db
      .select({ id: salesImports.id, r2Key: salesImports.r2Key, finishedAt: salesImports.finishedAt })
      .from(salesImports)
      .where(and(eq(salesImports.region, input.region), eq(salesImports.sha256, file.sha256), eq(salesImports.status, "completed")))
      .orderBy(asc(salesImports.createdAt))
      .limit(1),
    deps.db.insert(salesImports).values({
      id: importId,
      region: input.region,
      filename: file.filename,
      sha256: file.sha256,
      r2Key: file.key,
      sizeBytes: file.size,
      status: "validating",
      partial,
      errors: [],
      ...who,
      startedAt: started.toISOString(),
    }),
    // The file stops being pending with the record that points to it.
    ...(release ? [release] : []),
  ]);
  // No record, no kept original: the stored file goes if the record cannot be written.
  const [previous] = await recorded.catch(async (err: unknown) => {
    await upload.discard();
    throw err;
  });
  const original = previous[0];
  if (original) {
    // The same bytes were imported before: nothing to write, and no second copy to keep.
    const message = `This file was already imported for ${input.region.toUpperCase()} (import ${original.id}); nothing was changed`;
    await finish(deps, importId, started, { status: "duplicate", duplicateOf: original.id, r2Key: original.r2Key, message });
    await upload.discard();
    return { status: "success", message, rows_imported: 0, errors: [], rows_failed: 0, errors_more: 0, import_id: importId, duplicate_of: original.id };
  }

  // From here on the request body is fully read: the work goes on if the client disconnects
  // (`waitUntil` keeps the isolate up, within the platform's allowance after a disconnect), so a
  // dropped tablet does not cut an import short; one that is cut off is `failed` with its
  // `rows_done` (at once on an error; by the hourly `sweepStalledImports` when the isolate died),
  // and uploading the file again finishes it.
  const work = runImport(deps, { importId, key: file.key, region: input.region, partial, started });
  deps.waitUntil(work);
  return work;
}

interface ImportRun {
  importId: string;
  key: string;
  region: SalesRegion;
  partial: boolean;
  started: Date;
}

/** Passes 1 and 2 of an upload whose record exists (status `validating`). */
async function runImport(deps: Pick<Deps, "db" | "files" | "now">, run: ImportRun): Promise<UploadResult> {
  const { importId, started, partial } = run;
  const input = { region: run.region };
  try {
    const checked = await validateFile(deps, run.key, input.region).catch(async (err: unknown) => {
      // A file that is not a sales CSV at all (header width, broken quoting) is recorded too.
      if (err instanceof AppError) await finish(deps, importId, started, { status: "rejected", message: err.message, errors: [err.message] });
      throw err;
    });
    if (checked.rowsTotal === 0) {
      const message = "The file has no order lines (a header row, then one line per order item)";
      await finish(deps, importId, started, { status: "rejected", message, ...validationCounts(checked) });
      throw new AppError("VALIDATION_ERROR", message, { details: [{ path: "body.file", message, code: "empty_file" }] });
    }
    if (checked.rowsFailed > 0 && (!partial || checked.rowsFailed === checked.rowsTotal)) {
      const more = checked.errorsMore > 0 ? ` (the first ${checked.errors.length} are listed)` : "";
      const message = `${checked.rowsFailed} of ${checked.rowsTotal} rows failed validation${more}; nothing was imported`;
      await finish(deps, importId, started, { status: "rejected", message, ...validationCounts(checked) });
      const details: FieldIssue[] = checked.errors.map((error) => ({ path: "body.file", message: error, code: "invalid_row" }));
      if (checked.errorsMore > 0) details.push({ path: "body.file", message: `…and ${checked.errorsMore} more rows`, code: "more_invalid_rows" });
      throw new AppError("VALIDATION_ERROR", message, { details, reason: "sales_rows_invalid" });
    }
    await deps.db
      .update(salesImports)
      .set({ status: "importing", ...validationCounts(checked) })
      .where(eq(salesImports.id, importId));
    const written = await writeRows(deps, importId, run.key, input.region);
    const skipped = checked.rowsFailed > 0 ? `; ${checked.rowsFailed} rows with errors were skipped` : "";
    const message = `Imported ${written} rows into ${input.region.toUpperCase()} sales data${skipped}`;
    await finish(deps, importId, started, { status: "completed", message, rowsImported: written });
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
    if (!(err instanceof AppError)) {
      log("error", "sales import failed", { importId, ...describeError(err) });
      await finish(deps, importId, started, { status: "failed", message: "The import stopped on an internal error; upload the file again to finish it" }).catch(
        () => undefined,
      );
    }
    throw err;
  }
}

const validationCounts = (v: Validation) => ({ rowsTotal: v.rowsTotal, rowsFailed: v.rowsFailed, errors: v.errors, errorsMore: v.errorsMore });

/** Ends an import: its status, message and timings (and counts when given). */
async function finish(
  deps: Pick<Deps, "db" | "now">,
  importId: string,
  started: Date,
  outcome: { status: SalesImportStatus; message: string } & Partial<
    Pick<ImportRow, "rowsImported" | "rowsTotal" | "rowsFailed" | "errors" | "errorsMore" | "duplicateOf" | "r2Key">
  >,
): Promise<void> {
  const ended = deps.now();
  await deps.db
    .update(salesImports)
    .set({ ...outcome, finishedAt: ended.toISOString(), durationMs: Math.max(0, ended.getTime() - started.getTime()) })
    .where(eq(salesImports.id, importId));
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
    // Length-prefixed, so no order number / SKU pair can spell another's key.
    const key = `${line.order_number.length}:${line.order_number}${line.sku}`;
    const first = this.#first.get(key);
    if (first === undefined) this.#first.set(key, row);
    return first;
  }
}

const duplicateLine = (row: number, first: number) => `Row ${row}: duplicate order_number + sku (first at row ${first})`;

/**
 * Pass 1: reads every record, counts them and keeps the first row errors, a repeated order
 * number + SKU among them. More than `maxLines` order lines is a 422 for the whole file.
 */
export async function validateFile(deps: Pick<Deps, "files">, key: string, region: SalesRegion, maxLines = MAX_FILE_LINES): Promise<Validation> {
  const result: Validation = { rowsTotal: 0, rowsFailed: 0, errors: [], errorsMore: 0 };
  const keys = new LineKeys();
  const fail = (error: string) => {
    result.rowsFailed++;
    if (result.errors.length < MAX_REPORTED_ERRORS) result.errors.push(error);
    else result.errorsMore++;
  };
  try {
    for await (const { row, fields } of csvRecords(await openOriginal(deps.files, key))) {
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
      if (first !== undefined) fail(duplicateLine(row, first));
    }
  } catch (err) {
    if (err instanceof CsvFormatError) throw unreadable(err);
    throw err;
  }
  return result;
}

/**
 * Pass 2: upserts the valid rows in batches, moving `rows_done` with each; returns how many. A
 * repeated order number + SKU is skipped as in pass 1 (the first line stands).
 */
async function writeRows(deps: Pick<Deps, "db" | "files" | "now">, importId: string, key: string, region: SalesRegion): Promise<number> {
  let done = 0;
  let statement: SalesLine[] = [];
  let statementBytes = 0;
  let batch: string[] = [];
  let batchRows = 0;
  const keys = new LineKeys();
  const flushBatch = async () => {
    if (batch.length === 0) return;
    const now = deps.now().toISOString();
    done += batchRows;
    const [first, ...rest] = batch.map((payload) => upsertLines(deps, region, importId, now, payload));
    if (!first) return;
    await deps.db.batch([first, ...rest, deps.db.update(salesImports).set({ rowsDone: done, rowsImported: done }).where(eq(salesImports.id, importId))]);
    batch = [];
    batchRows = 0;
  };
  const flushStatement = async () => {
    if (statement.length === 0) return;
    batch.push(JSON.stringify(statement.map(lineTuple)));
    batchRows += statement.length;
    statement = [];
    statementBytes = 0;
    if (batch.length >= STATEMENTS_PER_BATCH) await flushBatch();
  };
  try {
    for await (const { row, fields } of csvRecords(await openOriginal(deps.files, key))) {
      if (row === 1) continue;
      const checked = validateRow(fields, row, region);
      if (!checked.ok || keys.repeatOf(checked.line, row) !== undefined) continue;
      statement.push(checked.line);
      // A generous estimate of the line's JSON size: its text plus the numbers and quoting.
      statementBytes += fields.reduce((n, f) => n + f.length * 2 + 8, 0);
      if (statement.length >= ROWS_PER_STATEMENT || statementBytes >= MAX_STATEMENT_JSON) await flushStatement();
    }
  } catch (err) {
    if (err instanceof CsvFormatError) throw unreadable(err);
    throw err;
  }
  await flushStatement();
  await flushBatch();
  return done;
}

/** A line as the JSON array `upsertLines` unpacks (the 14 columns in file order). */
const lineTuple = (l: SalesLine) => [
  l.order_number,
  l.created_at,
  l.sku,
  l.name,
  l.qty,
  l.price,
  l.status,
  l.currency,
  l.grand_total,
  l.customer_email,
  l.customer_full_name,
  l.billing_address,
  l.shipping_address,
  l.customer_group_code,
];

/** `$[i]` of the current json_each element (a constant path, not a parameter). */
const field = (i: number) => sql`json_extract(value, ${sql.raw(`'$[${i}]'`)})`;
const excluded = (column: { name: string }) => sql`excluded.${sql.identifier(column.name)}`;

/**
 * One INSERT … SELECT FROM json_each(?) of up to ROWS_PER_STATEMENT lines, upserting on the
 * natural key. The select lists the table's columns in order (drizzle's insert-select contract).
 */
function upsertLines(deps: Pick<Deps, "db">, region: SalesRegion, importId: string, now: string, payload: string) {
  const t = salesRows;
  const columns = Array.from({ length: 14 }, (_, i) => field(i));
  return deps.db
    .insert(t)
    .select(sql`select null, ${region}, ${sql.join(columns, sql`, `)}, ${importId}, ${now}, ${now} from json_each(${payload}) where true`)
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
}

/** An import that has not moved for this long (ms) has lost its isolate: see `sweepStalledImports`. */
export const STALLED_IMPORT_MS = 10 * 60 * 1000;

/**
 * For the hourly cron: marks `failed` every import still `validating` or `importing` whose last
 * write (`updated_at`, moved by every batch's `rows_done`) is older than STALLED_IMPORT_MS. An
 * isolate that dies mid-import (a deploy, the `waitUntil` allowance running out) records
 * nothing; without this the import would show as running forever. No batch of a live import
 * takes minutes, so only dead ones match. Returns how many were marked.
 */
export async function sweepStalledImports(deps: Pick<Deps, "db" | "now">, stalledAfterMs = STALLED_IMPORT_MS): Promise<number> {
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
    .where(and(inArray(t.status, ["validating", "importing"]), lt(t.updatedAt, new Date(now.getTime() - stalledAfterMs).toISOString())))
    .returning({ id: t.id });
  if (swept.length > 0) log("warn", "stalled sales imports marked failed", { ids: swept.map((r) => r.id) });
  return swept.length;
}
