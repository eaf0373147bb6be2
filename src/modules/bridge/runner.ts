/**
 * Runs one import job (the queue consumer calls `runImport`): the loop described in
 * ./source.ts. Crash-safe: each page's rows, their legacy keys and the job's progress (counts,
 * failures, cursor) are one D1 batch, so a run killed at any point resumes after the last page
 * that committed (the lease re-queues it), and a page written twice changes nothing (legacy
 * keys and row hashes).
 */
import { and, eq, getTableName, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
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
import { IMPORT_JOB_MAX_ATTEMPTS } from "./lease";
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
import { BadValue, legacyKey } from "./values";
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

export interface RunDeps {
  db: Db;
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

/** Floorline ids of legacy keys of one legacy table, as a map legacyId → floorlineId. */
export async function lookupKeys(
  db: Db,
  source: string,
  table: string,
  ids: readonly string[],
): Promise<Map<string, { floorlineId: string; rowHash: string }>> {
  const found = new Map<string, { floorlineId: string; rowHash: string }>();
  if (ids.length === 0) return found;
  const rows = await db
    .select({ legacyId: legacyKeys.legacyId, floorlineId: legacyKeys.floorlineId, rowHash: legacyKeys.rowHash })
    .from(legacyKeys)
    .where(
      and(
        eq(legacyKeys.legacySource, source),
        eq(legacyKeys.legacyTable, table),
        sql`${legacyKeys.legacyId} IN (SELECT value FROM json_each(${JSON.stringify([...new Set(ids)])}))`,
      ),
    );
  for (const r of rows) found.set(r.legacyId, { floorlineId: r.floorlineId, rowHash: r.rowHash });
  return found;
}

/** The text of a legacy key value, or undefined when it is not usable. */
function keyText(value: unknown): string | undefined {
  try {
    return legacyKey(value);
  } catch {
    return undefined;
  }
}

/** Maps a page's rows; resolves their references first. */
export async function mapPage(db: Db, source: LegacySource, spec: AnyTableSpec, rows: readonly LegacyRow[], now: Date) {
  const refs = new Map<string, Map<string, { floorlineId: string }>>();
  for (const [column, table] of Object.entries(spec.refs)) {
    const ids = rows.map((r) => keyText(r[column])).filter((v): v is string => v !== undefined);
    const found = await lookupKeys(db, source.name, table, ids);
    const existing = refs.get(table);
    if (existing) for (const [k, v] of found) existing.set(k, v);
    else refs.set(table, found);
  }
  const ctx = {
    now,
    ref(table: string, legacyId: unknown): string | undefined {
      const key = keyText(legacyId);
      return key === undefined ? undefined : refs.get(table)?.get(key)?.floorlineId;
    },
  };
  return rows.map((row) => {
    const legacyId = keyText(row[spec.read.key]) ?? String(row[spec.read.key]).slice(0, 60);
    try {
      if (keyText(row[spec.read.key]) === undefined) return { legacyId, result: { error: "unusable legacy key" } as const };
      return { legacyId, result: spec.map(row, ctx) };
    } catch (err) {
      const reason = err instanceof BadValue ? err.message : `mapping failed: ${describeError(err).error}`;
      return { legacyId, result: { error: reason } as const };
    }
  });
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
 * Claims a queued job (counts the attempt, stamps the heartbeat). Returns the row, or
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

/** Renews the heartbeat before a page is written; throws `LostLease` when the run no longer holds the job. */
export async function assertHeld(db: Db, job: Pick<JobRow, "id" | "attempts">, now: string): Promise<void> {
  const [res] = await db.batch([db.update(importJobs).set({ heartbeatAt: now }).where(held(job))]);
  if (res.meta.changes === 0) throw new LostLease();
}

/** The run lost its job (reaped or failed meanwhile): stop without writing more. */
export class LostLease extends Error {}

export interface RunSources {
  get(name: string): LegacySource | undefined;
}

/** Runs (or resumes) one import job. Throws on source/D1 errors so the queue retries it. */
export async function runImport(deps: RunDeps, sources: RunSources, jobId: string): Promise<"completed" | "skipped" | "lost"> {
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
  const verification: ImportVerificationTable[] = [];
  try {
    reader = await source.open({ hyperdrive: deps.hyperdrive, files: deps.files, input, plantTimeZone: deps.plantTimeZone });
    const startAt = job.cursor ? source.tables.findIndex((t) => t.read.name === job.cursor?.table) : 0;
    for (let i = Math.max(0, startAt); i < source.tables.length; i++) {
      const spec = source.tables[i] as AnyTableSpec;
      const resumed = job.cursor && job.cursor.table === spec.read.name ? job.cursor : null;
      await importTable(deps, reader, source, spec, job, progress, resumed);
    }
    // Verified while the source is open (an uploaded file is deleted when the job ends).
    for (const spec of source.tables) {
      await assertHeld(deps.db, job, deps.now().toISOString());
      verification.push(await verifyTable(deps.db, source, reader, spec as AnyTableSpec, deps.now()));
    }
  } catch (err) {
    if (err instanceof LostLease) {
      log("warn", "import job lost its lease; stopping", { jobId });
      return "lost";
    }
    // Back to queued at its cursor so the queue's next delivery resumes it, or failed for good.
    const reason = `The import stopped: ${describeError(err).error}`.slice(0, 500);
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
): Promise<void> {
  const name = spec.read.name;
  const floorlineTable = getTableName(spec.table);
  progress.report[name] ??= emptyCounts();
  let since: string | null = null;
  if (resumed) since = resumed.since;
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
    const rows = await reader.page(spec.read, after, PAGE_ROWS, since);
    if (rows.length === 0) break;
    const now = deps.now();
    const at = now.toISOString();
    const mapped = await mapPage(deps.db, source, spec, rows, now);
    const existing = await lookupKeys(
      deps.db,
      source.name,
      name,
      mapped.map((m) => m.legacyId),
    );
    const counts = progress.report[name] as ImportTableCounts;
    const writes: { legacyId: string; statements: BatchItem<"sqlite">[]; isNew: boolean }[] = [];
    for (const row of rows) high = later(high, updateTime(row, spec.read.updatedAt));
    for (const { legacyId, result } of mapped) {
      counts.read++;
      if ("error" in result) {
        addFailure(progress, name, legacyId, result.error);
        continue;
      }
      if ("skip" in result) {
        counts.skipped++;
        continue;
      }
      const hash = await rowHash(result.values);
      const known = existing.get(legacyId);
      if (known && known.rowHash === hash) {
        counts.skipped++;
        continue;
      }
      const id = known?.floorlineId ?? crypto.randomUUID();
      const key = deps.db
        .insert(legacyKeys)
        .values({ legacySource: source.name, legacyTable: name, legacyId, floorlineTable, floorlineId: id, rowHash: hash, jobId: job.id })
        .onConflictDoUpdate({
          target: [legacyKeys.legacySource, legacyKeys.legacyTable, legacyKeys.legacyId],
          set: { rowHash: hash, jobId: job.id, updatedAt: at },
        });
      writes.push({ legacyId, statements: [...spec.write(deps.db, id, result.values, known !== undefined), key], isNew: known === undefined });
    }
    after = String(keyText(rows[rows.length - 1]?.[spec.read.key]) ?? after);
    const cursor: ImportCursor = { table: name, after, since, high };
    await assertHeld(deps.db, job, deps.now().toISOString());
    const landed = await writePage(deps.db, writes, (w, reason) => addFailure(progress, name, w.legacyId, reason));
    for (const w of landed) {
      if (w.isNew) counts.written++;
      else counts.updated++;
    }
    const [res] = await deps.db.batch([progressUpdate(deps.db, job, progress, cursor, at)]);
    if (res.meta.changes === 0) throw new LostLease();
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
  const next = source.tables[source.tables.indexOf(spec) + 1];
  const cursor: ImportCursor | null = next ? { table: next.read.name, after: null, since: null, high: null } : null;
  statements.push(progressUpdate(deps.db, job, progress, cursor, at));
  const results = await deps.db.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
  const last = results[results.length - 1] as { meta: { changes: number } };
  if (last.meta.changes === 0) throw new LostLease();
}

/**
 * Writes a page's rows in one batch; when it fails (a row breaks a constraint), writes them one
 * by one so only the bad rows fail (`onFail` with D1's reason). Returns the rows that landed.
 */
async function writePage<W extends { statements: BatchItem<"sqlite">[] }>(db: Db, writes: W[], onFail: (w: W, reason: string) => void): Promise<W[]> {
  if (writes.length === 0) return [];
  const all = writes.flatMap((w) => w.statements);
  try {
    await db.batch(all as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
    return writes;
  } catch (err) {
    log("warn", "import page failed as a whole; writing its rows one by one", describeError(err));
  }
  const landed: W[] = [];
  for (const w of writes) {
    try {
      await db.batch(w.statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
      landed.push(w);
    } catch (err) {
      onFail(w, `D1 refused the row: ${rootMessage(err)}`);
    }
  }
  return landed;
}

function rootMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}
