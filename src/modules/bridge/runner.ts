/**
 * Runs one import job (the queue consumer calls `runImport`): the loop described in
 * ./source.ts. Crash-safe: each page's rows, their legacy keys and the job's progress (counts,
 * failures, cursor) are one D1 batch, so a run killed at any point resumes after the last page
 * that committed (the lease re-queues it), and a page written twice changes nothing (legacy
 * keys and row hashes).
 *
 * D1 calls per page: one batch of the lease check and lookups (the legacy keys the page points
 * at and its own), then one batch that writes its new and changed rows with the job's progress
 * (only the progress when nothing changed); more only when the page is split (`writePage`).
 * Rows of a table with the default write or a `writeMany`, and every page's legacy keys, go in multi-row
 * `INSERT … VALUES … ON CONFLICT DO UPDATE` statements of SQL literals (`upsertStatements`):
 * a few statements a page instead of two a row, within D1's limits of 100 bound parameters and
 * 100 KB a statement.
 *
 * D1 also runs at most 1,000 queries in one Worker invocation (each statement of a batch counts;
 * local workerd does not enforce it): a run counts its queries (`countQueries`) and, before a page,
 * a write batch (`writePage`: a page's writes split in halves when they would pass the budget or
 * D1 refuses them, each batch with its progress and the cursor after its last row) or a
 * verification step (./verify.ts: a legacy page or a D1 page) that could take it past
 * `D1_QUERY_BUDGET`, hands the job to a fresh delivery (`handOff`): back to queued at its cursor
 * (inside a page, or inside a table's verification with its partial state) through the reaper's
 * own re-queue (./lease.ts), its message sent again, the attempt given back (attempts count failures).
 * Each cursor carries the `since` of the tables imported so far (`ranges`): an incremental run
 * verifies a table with an update time on that range only (./verify.ts, scope `changed`).
 * An uploaded file the importers refuse (`BAD_FILE_ERRORS`) fails its job at once: it would
 * fail the same way on every delivery.
 */
import { and, type Column, eq, getTableColumns, getTableName, is, SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "../../db/client";
import {
  type ImportCursor,
  type ImportFailure,
  type ImportTableCounts,
  type ImportVerificationTable,
  importJobs,
  legacyKeys,
  legacyWatermarks,
} from "../../db/schema";
import { describeError, log } from "../../lib/logging";
import { ExportError } from "./ccbackend/export";
import { ExportFileError } from "./ccbackend/reader";
import { IMPORT_JOB_MAX_ATTEMPTS, importJobKind, sendImportJob } from "./lease";
import { ArchiveError } from "./parts/archive";
import { PartsUploadError } from "./parts/reader";
import { LegacyDbError } from "./parts/sqlite";
import {
  type AnyTableSpec,
  type ImportInput,
  type LegacyDatabase,
  type LegacyRow,
  type LegacySource,
  type LegacySourceName,
  PAGE_ROWS,
  type SourceReader,
} from "./source";
import { jobFileDue, purgeJobFile } from "./upload-outbox";
import { BadValue, legacyKey, sqlLiteral } from "./values";
import { verifyTable } from "./verify";

/** Failures kept on a job with their legacy key and reason; the rest are counted. */
export const MAX_KEPT_FAILURES = 100;
const MAX_REASON = 300;

/**
 * An incremental run re-reads this far behind the last watermark. Legacy update times are the
 * writing transaction's start (Postgres `now()`), so a transaction that started before the last
 * run read but committed after it carries an older time than the watermark; times also lose
 * their microseconds on the way (JavaScript dates). Rows re-read in the overlap are unchanged
 * and skipped by their hash. A transaction open longer than this is not expected of the seeds.
 */
export const WATERMARK_OVERLAP_MS = 10 * 60_000;

/**
 * D1 queries a run lets its invocation reach before it hands the job on (`handOff`): D1 allows
 * 1,000; the rest is the margin for a page dearer than any before it, the hand-off itself (3)
 * and, on the consumer's side, a dead-letter's writes.
 */
export const D1_QUERY_BUDGET = 800;

/** What a page is assumed to cost before the run has measured one (lookups, writes, progress). */
const MIN_PAGE_QUERIES = 20;

/** The cursor of a job whose tables are imported and whose verification resumes at `after` (a table's name). */
const VERIFYING = "*verify";

/** Errors of an uploaded file the importers refuse: the job fails at once (a retry reads the same bytes). */
const BAD_FILE_ERRORS = [ExportError, ExportFileError, PartsUploadError, LegacyDbError, ArchiveError] as const;
const badFile = (err: unknown) => BAD_FILE_ERRORS.some((type) => err instanceof type);

/** D1 queries spent so far in this invocation: each statement, alone or in a batch, counts one. */
export interface QueryCount {
  spent: number;
}

export interface RunDeps {
  /** Over a D1 wrapped by `countQueries(…, queries)`. */
  db: Db;
  /** The invocation's count of D1 queries (`countQueries`), and the most a run lets it reach (`D1_QUERY_BUDGET`). */
  queries: QueryCount & { budget: number };
  /** The import queue: a run at its budget sends its job's message here (`handOff`). */
  queue: Queue;
  files: R2Bucket;
  hyperdrive: (database: LegacyDatabase) => Hyperdrive;
  /** SourceContext.plantTimeZone. */
  plantTimeZone: () => string;
  now: () => Date;
}

type JobRow = typeof importJobs.$inferSelect;

const emptyCounts = (): ImportTableCounts => ({ read: 0, written: 0, updated: 0, skipped: 0, failed: 0 });

/** Canonical JSON: object keys sorted, so equal values hash equally. */
export function canonical(value: unknown): string {
  if (value === undefined) return "null";
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
}

const encoder = new TextEncoder();

/** Hex SHA-256 (first 128 bits) of the canonical JSON of `values`. */
export async function rowHash(values: unknown): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(canonical(values))));
  return [...digest.subarray(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

type KeyMap = Map<string, { floorlineId: string; rowHash: string }>;

/** The legacy keys of `ids` in one legacy table: `keysQuery` for one table, `lookupMany` for several. */
function keysQuery(db: Db, source: string, table: string, ids: readonly string[]) {
  return db
    .select({ legacyId: legacyKeys.legacyId, floorlineId: legacyKeys.floorlineId, rowHash: legacyKeys.rowHash })
    .from(legacyKeys)
    .where(
      and(
        eq(legacyKeys.legacySource, source),
        eq(legacyKeys.legacyTable, table),
        sql`${legacyKeys.legacyId} IN (SELECT value FROM json_each(${JSON.stringify([...new Set(ids)])}))`,
      ),
    );
}

/** Floorline ids of legacy keys of one legacy table, as a map legacyId → floorlineId. */
export async function lookupKeys(db: Db, source: string, table: string, ids: readonly string[]): Promise<KeyMap> {
  return (await lookupMany(db, source, new Map([[table, ids]]))).get(table) ?? new Map();
}

/**
 * The legacy keys of several legacy tables (table → ids) in one D1 batch; table → legacyId → key.
 * With `lease` (the run's heartbeat, `renewHold`), it leads the batch: throws `LostLease` when it
 * matched nothing.
 */
async function lookupMany(
  db: Db,
  source: string,
  wanted: ReadonlyMap<string, readonly string[]>,
  lease?: ReturnType<typeof renewHold>,
): Promise<Map<string, KeyMap>> {
  const out = new Map<string, KeyMap>();
  const tables = [...wanted].filter(([table, ids]) => {
    out.set(table, new Map());
    return ids.length > 0;
  });
  const queries = tables.map(([table, ids]) => keysQuery(db, source, table, ids));
  if (lease) {
    const [held, ...results] = await db.batch([lease, ...queries]);
    if (held.meta.changes === 0) throw new LostLease();
    collect(results);
  } else {
    const [first, ...rest] = queries;
    if (first) collect(await db.batch([first, ...rest]));
  }
  function collect(results: readonly { legacyId: string; floorlineId: string; rowHash: string }[][]) {
    results.forEach((rows, i) => {
      const found = out.get((tables[i] as [string, unknown])[0]) as KeyMap;
      for (const r of rows) found.set(r.legacyId, { floorlineId: r.floorlineId, rowHash: r.rowHash });
    });
  }
  return out;
}

/** The text of a legacy key value, or undefined when it is not usable. */
function keyText(value: unknown): string | undefined {
  try {
    return legacyKey(value);
  } catch {
    return undefined;
  }
}

type MappedRow = { legacyId: string; result: ReturnType<AnyTableSpec["map"]> };

/** Maps a page's rows; resolves their references first. */
export async function mapPage(db: Db, source: LegacySource, spec: AnyTableSpec, rows: readonly LegacyRow[], now: Date): Promise<MappedRow[]> {
  return (await preparePage(db, source, spec, rows, now)).mapped;
}

/**
 * Maps a page's rows, with the legacy keys their references name and, with `lease` (an import
 * run), the page's own legacy keys (which rows exist and their hashes): every lookup in one D1
 * batch, led by the lease check (`LostLease` when the run no longer holds its job).
 */
async function preparePage(
  db: Db,
  source: LegacySource,
  spec: AnyTableSpec,
  rows: readonly LegacyRow[],
  now: Date,
  lease?: ReturnType<typeof renewHold>,
): Promise<{ mapped: MappedRow[]; existing: KeyMap }> {
  const own = lease !== undefined;
  const wanted = new Map<string, string[]>();
  const want = (table: string, ids: readonly string[]) => {
    const list = wanted.get(table);
    if (list) list.push(...ids);
    else wanted.set(table, [...ids]);
  };
  for (const [column, table] of Object.entries(spec.refs))
    want(
      table,
      rows.map((r) => keyText(r[column])).filter((v): v is string => v !== undefined),
    );
  if (own)
    want(
      spec.read.name,
      rows.map((r) => keyText(r[spec.read.key])).filter((v): v is string => v !== undefined),
    );
  const found = await lookupMany(db, source.name, wanted, lease);
  // Only the tables the spec declares: its own keys are looked up for `existing`, not as refs.
  const refTables = new Set(Object.values(spec.refs));
  const ctx = {
    now,
    ref(table: string, legacyId: unknown): string | undefined {
      const key = keyText(legacyId);
      return key === undefined || !refTables.has(table) ? undefined : found.get(table)?.get(key)?.floorlineId;
    },
  };
  const mapped = rows.map((row): MappedRow => {
    const legacyId = keyText(row[spec.read.key]) ?? String(row[spec.read.key]).slice(0, 60);
    try {
      if (keyText(row[spec.read.key]) === undefined) return { legacyId, result: { error: "unusable legacy key" } as const };
      return { legacyId, result: spec.map(row, ctx) };
    } catch (err) {
      const reason = err instanceof BadValue ? err.message : `mapping failed: ${describeError(err).error}`;
      return { legacyId, result: { error: reason } as const };
    }
  });
  return { mapped, existing: own ? (found.get(spec.read.name) ?? new Map()) : new Map() };
}

/** The latest of two ISO times (either may be null). */
const later = (a: string | null, b: string | null): string | null => (a === null ? b : b === null ? a : a > b ? a : b);

function updateTime(row: LegacyRow, column: string | undefined): string | null {
  if (!column) return null;
  const value = row[column];
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "string" && !Number.isNaN(Date.parse(value))) return new Date(value).toISOString();
  return null;
}

interface Progress {
  report: Record<string, ImportTableCounts>;
  failures: ImportFailure[];
  failureCount: number;
}

function addFailure(progress: Progress, table: string, legacyId: string, reason: string): void {
  progress.failureCount++;
  // In place: the caller holds this table's counts object.
  progress.report[table] ??= emptyCounts();
  (progress.report[table] as ImportTableCounts).failed++;
  if (progress.failures.length < MAX_KEPT_FAILURES) progress.failures.push({ table, legacy_id: legacyId, reason: reason.slice(0, MAX_REASON) });
}

/**
 * Claims a queued job (counts the attempt, stamps the heartbeat; a budget hand-off gave its
 * attempt back, so its next claim counts none). Returns the row, or
 * undefined when it is not queued (done, failed, or another delivery holds it).
 */
async function claim(db: Db, jobId: string, now: string): Promise<JobRow | undefined> {
  const [row] = await db
    .update(importJobs)
    .set({ state: "running", attempts: sql`${importJobs.attempts} + 1`, heartbeatAt: now, startedAt: sql`coalesce(${importJobs.startedAt}, ${now})` })
    .where(and(eq(importJobs.id, jobId), eq(importJobs.state, "queued")))
    .returning();
  return row;
}

/**
 * This run's hold on the job: running, and still at the attempt this run claimed. A run whose job
 * was reaped (stale heartbeat) and claimed again by another delivery sees a higher `attempts`, so
 * its writes match nothing and it stops (`LostLease`) instead of writing beside the new run.
 */
const held = (job: Pick<JobRow, "id" | "attempts">) => and(eq(importJobs.id, job.id), eq(importJobs.state, "running"), eq(importJobs.attempts, job.attempts));

/** The statement that records progress, only while this run still holds the job. */
function progressUpdate(db: Db, job: Pick<JobRow, "id" | "attempts">, progress: Progress, cursor: ImportCursor | null, now: string) {
  return db
    .update(importJobs)
    .set({ report: progress.report, failures: progress.failures, failureCount: progress.failureCount, cursor, heartbeatAt: now })
    .where(held(job));
}

/** The statement that renews the heartbeat while this run holds the job (changes nothing otherwise). */
const renewHold = (db: Db, job: Pick<JobRow, "id" | "attempts">, now: string) => db.update(importJobs).set({ heartbeatAt: now }).where(held(job));

/**
 * Renews the heartbeat; throws `LostLease` when the run no longer holds the job. The runner runs
 * the same statement at the head of each page's lookup batch, before the page is mapped and written.
 */
export async function assertHeld(db: Db, job: Pick<JobRow, "id" | "attempts">, now: string): Promise<void> {
  const [res] = await db.batch([renewHold(db, job, now)]);
  if (res.meta.changes === 0) throw new LostLease();
}

/** The run lost its job (reaped or failed meanwhile): stop without writing more. */
export class LostLease extends Error {}

export interface RunSources {
  get(name: string): LegacySource | undefined;
}

/** The run reached its query budget: the job goes on in a fresh delivery (`handOff`). */
class HandOff {
  /** `cursor`/`verification`: to record first (a hand-off between verified tables); a page's cursor is already stored. */
  constructor(readonly pending?: { cursor: ImportCursor; verification: ImportVerificationTable[] }) {}
}

/** Throws `HandOff` when `cost` more queries could take the invocation past the run's budget. */
function spend(deps: RunDeps, cost: number, pending?: HandOff["pending"]): void {
  if (deps.queries.spent + cost > deps.queries.budget) throw new HandOff(pending);
}

/**
 * Runs (or resumes) one import job. Throws on source/D1 errors so the queue retries it.
 * "handed_off": it reached its query budget and sent the job's message again (`handOff`).
 */
export async function runImport(
  deps: RunDeps,
  sources: RunSources,
  jobId: string,
  requestId: string = crypto.randomUUID(),
): Promise<"completed" | "skipped" | "lost" | "handed_off"> {
  const job = await claim(deps.db, jobId, deps.now().toISOString());
  if (!job) return "skipped";
  const source = sources.get(job.source);
  if (!source) {
    await finish(deps, job, { state: "failed", error: `Unknown legacy source ${job.source}` });
    return "completed";
  }
  const input = job.input as ImportInput;
  const progress: Progress = { report: { ...job.report }, failures: [...job.failures], failureCount: job.failureCount };
  let reader: SourceReader | undefined;
  // Resuming a verification a hand-off stopped: the tables are imported, some already verified.
  const verifyFrom = job.cursor?.table === VERIFYING ? job.cursor.after : null;
  const verification: ImportVerificationTable[] = verifyFrom === null ? [] : [...(job.verification ?? [])];
  const pageCost = { max: MIN_PAGE_QUERIES };
  // The `since` of each table this run imported (its verification's scope), carried on every cursor.
  const ranges = { done: { ...(job.cursor?.ranges ?? {}) } };
  try {
    reader = await source.open({ hyperdrive: deps.hyperdrive, files: deps.files, input, plantTimeZone: deps.plantTimeZone });
    const startAt = verifyFrom !== null ? source.tables.length : job.cursor ? source.tables.findIndex((t) => t.read.name === job.cursor?.table) : 0;
    for (let i = Math.max(0, startAt); i < source.tables.length; i++) {
      const spec = source.tables[i] as AnyTableSpec;
      const resumed = job.cursor && job.cursor.table === spec.read.name ? job.cursor : null;
      await importTable(deps, reader, source, spec, job, progress, resumed, pageCost, ranges);
    }
    // Every row is in: a run that stops from here on (a crash, the legacy database gone, a reaped
    // lease) resumes at the verification and never re-imports, which would count every row again.
    if (verifyFrom === null) {
      const first = (source.tables[0] as AnyTableSpec).read.name;
      const [res] = await deps.db.batch([
        progressUpdate(deps.db, job, progress, { table: VERIFYING, after: first, since: null, high: null, ranges: ranges.done }, deps.now().toISOString()),
      ]);
      if (res.meta.changes === 0) throw new LostLease();
    }
    // Verified while the source is open (an uploaded file is deleted when the job ends), step by
    // step (a legacy page, a D1 page): before each, the budget (a hand-off stores where the table's
    // verification is) and the hold.
    const first =
      verifyFrom === null
        ? 0
        : Math.max(
            0,
            source.tables.findIndex((t) => t.read.name === verifyFrom),
          );
    for (const spec of source.tables.slice(first) as AnyTableSpec[]) {
      const name = spec.read.name;
      const resumedState = verifyFrom === name ? job.cursor?.verify : undefined;
      verification.push(
        await verifyTable(deps.db, source, reader, spec, deps.now(), {
          since: ranges.done[name] ?? null,
          state: resumedState,
          before: async (cost, state) => {
            // One query kept for the hand-off's record of where the verification is.
            spend(deps, cost + 1, { cursor: { table: VERIFYING, after: name, since: null, high: null, ranges: ranges.done, verify: state }, verification });
            await assertHeld(deps.db, job, deps.now().toISOString());
          },
        }),
      );
    }
  } catch (err) {
    if (err instanceof LostLease) {
      log("warn", "import job lost its lease; stopping", { jobId });
      return "lost";
    }
    if (err instanceof HandOff) return await handOff(deps, job, err, requestId);
    const reason = `The import stopped: ${describeError(err).error}`.slice(0, 500);
    // A file the importers refuse fails the same way on every delivery: failed at once.
    if (badFile(err)) {
      await finish(deps, job, { state: "failed", error: reason });
      log("warn", "import job failed: its file was refused", { jobId, ...describeError(err) });
      return "completed";
    }
    // Back to queued at its cursor so the queue's next delivery resumes it, or failed for good.
    if (job.attempts >= IMPORT_JOB_MAX_ATTEMPTS) {
      await finish(deps, job, { state: "failed", error: `${reason} (attempt ${job.attempts} of ${IMPORT_JOB_MAX_ATTEMPTS})` });
      return "completed";
    }
    await deps.db.update(importJobs).set({ state: "queued", error: reason, heartbeatAt: deps.now().toISOString() }).where(held(job));
    throw err;
  } finally {
    await reader?.close();
  }
  await finish(deps, job, { state: "completed", error: null, verification });
  log("info", "import job completed", { jobId, source: job.source, failures: progress.failureCount });
  return "completed";
}

/**
 * Hands the job to a fresh delivery: records the pending cursor (a verification's), then
 * re-queues it as the reaper does (`importJobKind.requeue`: only while the row is as read, i.e.
 * still held by this run's attempt) with the attempt given back, and sends its message again.
 * A send that fails throws: the queue retries this message, whose delivery resumes the job.
 */
async function handOff(deps: RunDeps, job: Pick<JobRow, "id" | "attempts">, stop: HandOff, requestId: string): Promise<"lost" | "handed_off"> {
  const now = deps.now().toISOString();
  const spent = deps.queries.spent;
  const [row] = stop.pending
    ? await deps.db
        .update(importJobs)
        .set({ cursor: stop.pending.cursor, verification: stop.pending.verification, heartbeatAt: now })
        .where(held(job))
        .returning()
    : await deps.db.select().from(importJobs).where(held(job));
  const reason = `Handed on to a fresh delivery after ${spent} D1 queries (D1 runs at most 1,000 in one invocation)`;
  const requeued = row && (await importJobKind.requeue(deps.db, row, { now, attempts: row.attempts - 1, reason }));
  if (!requeued) {
    log("warn", "import job lost its lease at its hand-off; stopping", { jobId: job.id });
    return "lost";
  }
  await sendImportJob(deps.queue, job.id, requestId);
  log("info", "import job handed on to a fresh delivery", { jobId: job.id, queries: spent });
  return "handed_off";
}

/** Ends the job (while this run holds it) and, in the same batch, records its uploaded file as due; then deletes it. */
async function finish(
  deps: RunDeps,
  job: Pick<JobRow, "id" | "attempts">,
  end: { state: "completed" | "failed"; error: string | null; verification?: ImportVerificationTable[] },
): Promise<void> {
  const now = deps.now().toISOString();
  await deps.db.batch([
    deps.db
      .update(importJobs)
      .set({ state: end.state, error: end.error, finishedAt: now, heartbeatAt: now, cursor: null, verification: end.verification ?? null })
      .where(held(job)),
    jobFileDue(deps.db, job.id),
  ]);
  await purgeJobFile(deps, job.id);
}

async function importTable(
  deps: RunDeps,
  reader: SourceReader,
  source: LegacySource,
  spec: AnyTableSpec,
  job: JobRow,
  progress: Progress,
  resumed: ImportCursor | null,
  pageCost: { max: number },
  ranges: { done: Record<string, string | null> },
): Promise<void> {
  const name = spec.read.name;
  const floorlineTable = getTableName(spec.table);
  progress.report[name] ??= emptyCounts();
  let since: string | null = null;
  // A table resumed before its first page (after the previous table ended) starts afresh: an incremental run reads from its watermark.
  if (resumed && resumed.after !== null) since = resumed.since;
  else if (job.mode === "incremental" && spec.read.updatedAt) {
    const [mark] = await deps.db
      .select({ watermark: legacyWatermarks.watermark })
      .from(legacyWatermarks)
      .where(and(eq(legacyWatermarks.legacySource, source.name), eq(legacyWatermarks.legacyTable, name)));
    since = mark ? new Date(Date.parse(mark.watermark) - WATERMARK_OVERLAP_MS).toISOString() : null;
  }
  let after = resumed?.after ?? null;
  let high = resumed?.high ?? null;
  for (;;) {
    // Stopped before a page as dear as the dearest so far could pass the budget (the last page's cursor is stored).
    spend(deps, pageCost.max);
    const spentBefore = deps.queries.spent;
    const rows = await reader.page(spec.read, after, PAGE_ROWS, since);
    if (rows.length === 0) break;
    const now = deps.now();
    const at = now.toISOString();
    // The lease check leads the page's lookups: a run that lost its job stops before writing.
    const { mapped, existing } = await preparePage(deps.db, source, spec, rows, now, renewHold(deps.db, job, at));
    // The page's rows in order, each with what it does and the cursor that resumes right after it.
    const steps: Step[] = [];
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as LegacyRow;
      const { legacyId, result } = mapped[i] as MappedRow;
      high = later(high, updateTime(row, spec.read.updatedAt));
      after = keyText(row[spec.read.key]) ?? after;
      const cursor: ImportCursor = { table: name, after, since, high, ranges: ranges.done };
      if ("error" in result) {
        steps.push({ legacyId, cursor, error: result.error });
        continue;
      }
      if ("skip" in result) {
        steps.push({ legacyId, cursor });
        continue;
      }
      const hash = await rowHash(result.values);
      const known = existing.get(legacyId);
      if (known && known.rowHash === hash) steps.push({ legacyId, cursor });
      else
        steps.push({
          legacyId,
          cursor,
          write: { legacyId, id: known?.floorlineId ?? crypto.randomUUID(), values: result.values, isNew: known === undefined, hash },
        });
    }
    const page: PageWrite = { db: deps.db, spec, source: source.name, table: name, floorlineTable, jobId: job.id, at };
    await writePage(deps, job, page, steps, progress);
    pageCost.max = Math.max(pageCost.max, deps.queries.spent - spentBefore);
    if (rows.length < PAGE_ROWS) break;
  }
  // The table is done: its watermark moves to the latest update time read.
  const at = deps.now().toISOString();
  const statements: BatchItem<"sqlite">[] = [];
  if (high !== null && spec.read.updatedAt) {
    statements.push(
      deps.db
        .insert(legacyWatermarks)
        .values({ legacySource: source.name, legacyTable: name, watermark: high, jobId: job.id })
        .onConflictDoUpdate({ target: [legacyWatermarks.legacySource, legacyWatermarks.legacyTable], set: { watermark: high, jobId: job.id, updatedAt: at } }),
    );
  }
  // The table's range joins the cursor's: what an incremental verification checks.
  ranges.done = { ...ranges.done, [name]: since };
  const next = source.tables[source.tables.indexOf(spec) + 1];
  const cursor: ImportCursor | null = next ? { table: next.read.name, after: null, since: null, high: null, ranges: ranges.done } : null;
  statements.push(progressUpdate(deps.db, job, progress, cursor, at));
  const results = await deps.db.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
  const last = results[results.length - 1] as { meta: { changes: number } };
  if (last.meta.changes === 0) throw new LostLease();
}

/** One new or changed row of a page. */
interface RowWrite {
  legacyId: string;
  /** Its Floorline id: the legacy key's, or a new UUID. */
  id: string;
  values: Record<string, unknown>;
  isNew: boolean;
  hash: string;
}

/** What every write of one page shares. */
interface PageWrite {
  db: Db;
  spec: AnyTableSpec;
  source: LegacySourceName;
  table: string;
  floorlineTable: string;
  jobId: string;
  at: string;
}

/** The legacy_keys row of a written row (on conflict: its hash, job and update time). */
const keyRow = (p: PageWrite, w: RowWrite) => ({
  legacySource: p.source,
  legacyTable: p.table,
  legacyId: w.legacyId,
  floorlineTable: p.floorlineTable,
  floorlineId: w.id,
  rowHash: w.hash,
  jobId: p.jobId,
  updatedAt: p.at,
});

const KEY_CONFLICT = ["legacySource", "legacyTable", "legacyId"] as const;
const KEY_UPDATE = ["rowHash", "jobId", "updatedAt"] as const;

/** A row's legacy key upsert, bound. */
const keyStatement = (p: PageWrite, w: RowWrite) =>
  p.db
    .insert(legacyKeys)
    .values(keyRow(p, w))
    .onConflictDoUpdate({
      target: [legacyKeys.legacySource, legacyKeys.legacyTable, legacyKeys.legacyId],
      set: { rowHash: w.hash, jobId: p.jobId, updatedAt: p.at },
    });

/** One row's statements, bound: the spec's write, then its legacy key upsert. */
const rowStatements = (p: PageWrite, w: RowWrite): BatchItem<"sqlite">[] => [...p.spec.write(p.db, w.id, w.values, !w.isNew), keyStatement(p, w)];

/**
 * A page's statements. Default write (`plainUpsert`): the rows in multi-row upserts, then their
 * legacy keys likewise (a row that cannot be a literal is bound on its own). `writeMany`: its
 * statements for the rows, their keys likewise, then its statements that read those keys
 * (RM365's event pairs). Custom write: row by row, each followed by its key, as the write may
 * read the keys of the rows before it or insert the key itself (./integer-target.ts); the keys'
 * upsert then only sets hash and job.
 */
function pageStatements(p: PageWrite, writes: readonly RowWrite[]): BatchItem<"sqlite">[] {
  if (p.spec.writeMany) {
    const many = p.spec.writeMany(
      p.db,
      writes.map((w) => ({ id: w.id, values: w.values, existing: !w.isNew })),
    );
    return [...many.rows, ...keyStatements(p, writes), ...many.afterKeys];
  }
  if (!p.spec.plainUpsert) return writes.flatMap((w) => rowStatements(p, w));
  const out: BatchItem<"sqlite">[] = [];
  const rows = upsertStatements(
    p.spec.table,
    writes.map((w) => ({ ...w.values, id: w.id })),
    ["id"],
    "all",
  );
  for (const text of rows.statements) out.push(p.db.run(sql.raw(text)));
  for (const i of rows.rest) {
    const w = writes[i] as RowWrite;
    out.push(...p.spec.write(p.db, w.id, w.values, !w.isNew));
  }
  out.push(...keyStatements(p, writes));
  return out;
}

/** The legacy keys of `writes`, in multi-row upserts (a key that cannot be literals bound on its own). */
function keyStatements(p: PageWrite, writes: readonly RowWrite[]): BatchItem<"sqlite">[] {
  const out: BatchItem<"sqlite">[] = [];
  const keys = upsertStatements(
    legacyKeys,
    writes.map((w) => keyRow(p, w)),
    KEY_CONFLICT,
    KEY_UPDATE,
  );
  for (const text of keys.statements) out.push(p.db.run(sql.raw(text)));
  for (const i of keys.rest) out.push(keyStatement(p, writes[i] as RowWrite));
  return out;
}

/** One row of a page, in page order: a failure (`error`), a write (`write`), or skipped (neither); `cursor` resumes after it. */
interface Step {
  legacyId: string;
  cursor: ImportCursor;
  error?: string;
  write?: RowWrite;
}

const cloneProgress = (p: Progress): Progress => ({
  report: Object.fromEntries(Object.entries(p.report).map(([table, counts]) => [table, { ...counts }])),
  failures: [...p.failures],
  failureCount: p.failureCount,
});

/** Counts `step` into `progress`: read, and failed, skipped, written or updated (`refused`: D1's reason for refusing its write). */
function count(progress: Progress, table: string, step: Step, refused?: string): void {
  progress.report[table] ??= emptyCounts();
  const counts = progress.report[table] as ImportTableCounts;
  counts.read++;
  if (step.error !== undefined) addFailure(progress, table, step.legacyId, step.error);
  else if (refused !== undefined) addFailure(progress, table, step.legacyId, `D1 refused the row: ${refused}`);
  else if (!step.write) counts.skipped++;
  else if (step.write.isNew) counts.written++;
  else counts.updated++;
}

/**
 * Writes a page's rows, each batch with the job's progress through its last row and the cursor
 * after it (one transaction), so a run stopped anywhere resumes after the last row that landed,
 * no row counted twice. The whole page is one batch when it fits the run's query budget. A batch
 * D1 refuses (a row breaks a constraint), or one that would pass the budget, is split in two
 * halves written in order, down to single rows: a bad row among n costs about 2·log2(n) batches,
 * not n, and is reported once with D1's reason (with the next batch's progress). A single row
 * that would pass the budget stops the run there: the progress so far is stored (cursor in the
 * middle of the page) and the job handed on (`HandOff`). `progress` ends as stored.
 * Throws `LostLease` when a progress update finds the job no longer held.
 */
async function writePage(deps: RunDeps, job: Pick<JobRow, "id" | "attempts">, p: PageWrite, steps: readonly Step[], progress: Progress): Promise<void> {
  /** Steps counted in `progress`, and whether D1 holds that progress (a refused row's failure is held back for the next batch). */
  let counted = 0;
  let stored = true;
  const writes = steps.flatMap((step, i) => (step.write ? [i] : []));
  const through = (end: number, refused?: { index: number; reason: string }) => {
    const next = cloneProgress(progress);
    for (let i = counted; i < end; i++) count(next, p.table, steps[i] as Step, i === refused?.index ? refused.reason : undefined);
    return next;
  };
  const store = async (next: Progress, end: number) => {
    const [res] = await p.db.batch([progressUpdate(p.db, job, next, (steps[end - 1] as Step).cursor, p.at)]);
    if (res.meta.changes === 0) throw new LostLease();
  };
  /** Writes `writes[lo, hi)` with the progress through the step before the next write (the page's end for the last). */
  const chunk = async (lo: number, hi: number): Promise<void> => {
    const end = hi < writes.length ? (writes[hi] as number) : steps.length;
    const statements = pageStatements(
      p,
      writes.slice(lo, hi).map((i) => (steps[i] as Step).write as RowWrite),
    );
    // Its statements, its progress update, and one kept for the progress a hand-off stores.
    if (deps.queries.spent + statements.length + 2 > deps.queries.budget) {
      if (hi - lo > 1) return await halves(lo, hi);
      if (!stored) await store(progress, counted);
      throw new HandOff();
    }
    const next = through(end);
    let results: { meta?: { changes: number } }[];
    try {
      statements.push(progressUpdate(p.db, job, next, (steps[end - 1] as Step).cursor, p.at));
      results = (await p.db.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]])) as typeof results;
    } catch (err) {
      if (hi - lo > 1) {
        if (lo === 0 && hi === writes.length) log("warn", "import page failed as a whole; writing it in halves", describeError(err));
        return await halves(lo, hi);
      }
      // One row left: written off only when D1 refused the row itself; anything else (a lost
      // connection, an overloaded database) is retried with the job, the row still unwritten.
      if (!isRowRefusal(err)) throw err;
      Object.assign(progress, through(end, { index: writes[lo] as number, reason: rootMessage(err) }));
      counted = end;
      stored = false;
      return;
    }
    if (results[results.length - 1]?.meta?.changes === 0) throw new LostLease();
    Object.assign(progress, next);
    counted = end;
    stored = true;
  };
  const halves = async (lo: number, hi: number) => {
    const mid = (lo + hi) >> 1;
    await chunk(lo, mid);
    await chunk(mid, hi);
  };
  if (writes.length > 0) await chunk(0, writes.length);
  // A page without writes, or ending in skipped or refused rows: its progress.
  if (counted < steps.length || !stored) {
    const next = through(steps.length);
    await store(next, steps.length);
    Object.assign(progress, next);
  }
}

/** D1 refuses a statement over 100,000 bytes of SQL; the runner's stay below this. */
export const MAX_STATEMENT_BYTES = 90_000;

const UTF8 = new TextEncoder();
// biome-ignore lint/suspicious/noControlCharactersInRegex: any byte beyond ASCII
const NON_ASCII = /[^\x00-\x7f]/;
const utf8Length = (text: string) => (NON_ASCII.test(text) ? UTF8.encode(text).length : text.length);
const quoteName = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * Multi-row upserts of SQL literals into `table`: what drizzle's
 * `insert(table).values(row).onConflictDoUpdate({ target: conflict, set })` does for each row,
 * with the rows `INSERT … VALUES (…), (…) … ON CONFLICT (…) DO UPDATE SET c = excluded.c` in
 * statements of at most MAX_STATEMENT_BYTES. Rows are keyed by drizzle property names; an
 * undefined value is left to the column's default as drizzle does (a `$defaultFn` is called, an
 * SQL default is the database's), and rows are grouped by the properties they set, so each
 * statement has one column list. `update`: the properties set on conflict (`"all"`: every one
 * the row sets but the conflict target); `extraSet`: more `column = expression` SQL for the
 * update (e.g. a version moved); columns with `$onUpdate` are set too, as drizzle's
 * update does. Values go through each column's `mapToDriverValue` and `sqlLiteral`.
 * Returns the statements' SQL text and the indexes of the rows it could not write as literals
 * (a value `sqlLiteral` refuses, an SQL expression, a row too large for a statement): the caller
 * binds those.
 */
export function upsertStatements(
  table: SQLiteTable,
  rows: readonly Record<string, unknown>[],
  conflict: readonly string[],
  update: "all" | readonly string[],
  extraSet: readonly string[] = [],
): { statements: string[]; rest: number[] } {
  const columns = getTableColumns(table) as Record<string, Column>;
  const entries = Object.entries(columns);
  const nameOf = (prop: string) => quoteName((columns[prop] as Column).name);
  const statements: string[] = [];
  const rest: number[] = [];
  // Rows by the properties they set: one column list and one update per statement.
  const groups = new Map<string, number[]>();
  rows.forEach((row, i) => {
    const signature = entries
      .filter(([prop]) => row[prop] !== undefined)
      .map(([prop]) => prop)
      .join(",");
    const group = groups.get(signature);
    if (group) group.push(i);
    else groups.set(signature, [i]);
  });
  for (const [signature, members] of groups) {
    const given = new Set(signature ? signature.split(",") : []);
    // What drizzle inserts: the values given and, for the others, a `$defaultFn`/`$onUpdate` value
    // when the column has no SQL default (the database's default otherwise).
    const inserted = entries.filter(([prop, column]) => given.has(prop) || insertDefault(column) !== undefined);
    const setProps = update === "all" ? [...given].filter((prop) => !conflict.includes(prop)) : update.filter((prop) => given.has(prop));
    const set = [...setProps.map((prop) => `${nameOf(prop)} = excluded.${nameOf(prop)}`), ...extraSet];
    // Columns with `$onUpdate` that the update leaves out get its value, as drizzle's update does.
    let literalSet = true;
    for (const [prop, column] of entries) {
      if (setProps.includes(prop) || conflict.includes(prop) || column.onUpdateFn === undefined) continue;
      const literal = literalOf(column, column.onUpdateFn());
      if (literal === undefined) literalSet = false;
      set.push(`${quoteName(column.name)} = ${literal}`);
    }
    if (!literalSet || set.length === 0) {
      rest.push(...members);
      continue;
    }
    const head = `INSERT INTO ${quoteName(getTableName(table))} (${inserted.map(([, column]) => quoteName(column.name)).join(", ")}) VALUES `;
    const tail = ` ON CONFLICT (${conflict.map(nameOf).join(", ")}) DO UPDATE SET ${set.join(", ")}`;
    const room = MAX_STATEMENT_BYTES - utf8Length(head) - utf8Length(tail);
    let tuples: string[] = [];
    let bytes = 0;
    for (const i of members) {
      const row = rows[i] as Record<string, unknown>;
      const literals: string[] = [];
      for (const [prop, column] of inserted) {
        const literal = literalOf(column, given.has(prop) ? row[prop] : insertDefault(column)?.());
        if (literal === undefined) break;
        literals.push(literal);
      }
      const tuple = `(${literals.join(", ")})`;
      const size = utf8Length(tuple) + 2;
      if (literals.length < inserted.length || size > room) {
        rest.push(i);
        continue;
      }
      if (bytes + size > room) {
        statements.push(head + tuples.join(", ") + tail);
        tuples = [];
        bytes = 0;
      }
      tuples.push(tuple);
      bytes += size;
    }
    if (tuples.length > 0) statements.push(head + tuples.join(", ") + tail);
  }
  return { statements, rest: rest.sort((a, b) => a - b) };
}

/**
 * `items` as SQL literals of JSON arrays (for `json_each(…)` in literal SQL: drizzle's D1 batch
 * cannot bind a raw statement's parameters), split so each is at most `maxBytes`, in order. An
 * item too large alone is left out, its index in `large`: the caller binds it.
 */
export function jsonLiterals(items: readonly unknown[], maxBytes = MAX_STATEMENT_BYTES - 10_000): { literals: string[]; large: number[] } {
  const literals: string[] = [];
  const large: number[] = [];
  let group: string[] = [];
  let bytes = 0;
  const flush = () => {
    if (group.length > 0) literals.push(sqlLiteral(`[${group.join(",")}]`) as string);
    group = [];
    bytes = 0;
  };
  items.forEach((item, i) => {
    const json = JSON.stringify(item);
    // Quotes double in the literal.
    const size = utf8Length(json) + (json.match(/'/g)?.length ?? 0) + 1;
    if (size > maxBytes) {
      large.push(i);
      return;
    }
    if (bytes + size > maxBytes) flush();
    group.push(json);
    bytes += size;
  });
  flush();
  return { literals, large };
}

/** The function drizzle calls for a column a row leaves undefined, when the column has no SQL default. */
function insertDefault(column: Column): (() => unknown) | undefined {
  if (column.default !== undefined && column.default !== null) return undefined;
  return column.defaultFn ?? column.onUpdateFn;
}

/** `value` as the column's driver value, as an SQL literal; undefined when it cannot be one. */
function literalOf(column: Column, value: unknown): string | undefined {
  if (value === null || value === undefined) return value === null ? "NULL" : undefined;
  if (is(value, SQL)) return undefined;
  const driver = column.mapToDriverValue(value);
  return is(driver, SQL) ? undefined : sqlLiteral(driver);
}

/**
 * What D1 says when it refuses a row's values (a constraint, a type, a size), as opposed to
 * failing to run. SQLite's own wording only: D1's "overloaded … queued for too long" must not
 * read as a value "too long".
 */
const ROW_REFUSAL =
  /constraint failed|SQLITE_(CONSTRAINT|TOOBIG|MISMATCH|RANGE)|string or blob too big|datatype mismatch|malformed JSON|D1_TYPE_ERROR|not supported for value/i;
/** What D1 and the runtime say when the database, not the row, failed: always retried. */
const TRANSIENT =
  /overloaded|queued for too long|network connection lost|connection (reset|closed|refused)|storage (was )?reset|timed? ?out|try again|temporarily unavailable|internal error/i;

/** Whether `err` (or an error it was caused by) is D1 refusing the row's own values. */
export function isRowRefusal(err: unknown): boolean {
  const messages: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    messages.push(e instanceof Error ? e.message : String(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  if (messages.some((m) => TRANSIENT.test(m))) return false;
  return messages.some((m) => ROW_REFUSAL.test(m));
}

function rootMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

/**
 * `d1` with each query counted into `count` (D1's per-invocation limit counts every statement,
 * a batch's each): what the import worker's runs see (`RunDeps.queries`). Plain classes, as
 * src/lib/deps.ts's counted D1 (drizzle prepares, binds, runs and batches).
 */
export function countQueries(d1: D1Database, count: QueryCount): D1Database {
  return new CountingD1(d1, count) as unknown as D1Database;
}

class CountingStatement {
  constructor(
    readonly inner: D1PreparedStatement,
    private readonly count: QueryCount,
  ) {}
  bind(...values: unknown[]): CountingStatement {
    return new CountingStatement(this.inner.bind(...values), this.count);
  }
  first<T>(column?: string): Promise<T | null> {
    this.count.spent++;
    return column === undefined ? this.inner.first<T>() : this.inner.first<T>(column);
  }
  run<T>(): Promise<D1Result<T>> {
    this.count.spent++;
    return this.inner.run<T>();
  }
  all<T>(): Promise<D1Result<T>> {
    this.count.spent++;
    return this.inner.all<T>();
  }
  raw<T>(options?: { columnNames?: boolean }): Promise<T[] | [string[], ...T[]]> {
    this.count.spent++;
    return options?.columnNames ? this.inner.raw<T>({ columnNames: true }) : this.inner.raw<T>();
  }
}

class CountingD1 {
  constructor(
    private readonly d1: D1Database,
    private readonly count: QueryCount,
  ) {}
  prepare(query: string): CountingStatement {
    return new CountingStatement(this.d1.prepare(query), this.count);
  }
  batch<T>(statements: (D1PreparedStatement | CountingStatement)[]): Promise<D1Result<T>[]> {
    this.count.spent += statements.length;
    return this.d1.batch<T>(statements.map((s) => (s instanceof CountingStatement ? s.inner : s)));
  }
  exec(query: string): Promise<D1ExecResult> {
    this.count.spent++;
    return this.d1.exec(query);
  }
  withSession(constraintOrBookmark?: string): D1DatabaseSession {
    return this.d1.withSession(constraintOrBookmark);
  }
  dump(): Promise<ArrayBuffer> {
    return this.d1.dump();
  }
}
