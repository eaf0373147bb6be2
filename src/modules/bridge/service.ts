/**
 * Legacy imports (issue 19): start, read, list, watch and verify import jobs. The run itself is
 * ./runner.ts, driven by the import queue (src/index.ts `queue`).
 */

import { and, asc, desc, eq, getTableColumns, getTableName, gt, inArray, type SQL } from "drizzle-orm";
import type { z } from "zod";
import { isConstraintError } from "../../db/client";
import { importJobs, legacyKeys } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError, notFound } from "../../lib/errors";
import { reapIfExpired } from "../../lib/jobs";
import { describeError, log } from "../../lib/logging";
import { type Page, paginate } from "../../lib/pagination";
import { actorOf, type Principal } from "../../lib/principal";
import type { ImportJobMessage } from "../../queues/messages";
import { attendanceConfig } from "../attendance/config";
import { importJobKind } from "./lease";
import { canonical, mapPage } from "./runner";
import type { ImportJob, ImportListQuery, ImportVerification, StartImport } from "./schemas";
import { type AnyTableSpec, type LegacySource, type LegacySourceName, PAGE_ROWS } from "./source";
import { LEGACY_SOURCES_BY_NAME } from "./sources";

type JobRow = typeof importJobs.$inferSelect;
type ImportJobOut = z.infer<typeof ImportJob>;
type JobDeps = Pick<Deps, "db" | "queues" | "requestId" | "now" | "config">;

export function toImportJob(row: JobRow): ImportJobOut {
  const totals = { read: 0, written: 0, updated: 0, skipped: 0, failed: 0 };
  for (const c of Object.values(row.report)) {
    totals.read += c.read;
    totals.written += c.written;
    totals.updated += c.updated;
    totals.skipped += c.skipped;
    totals.failed += c.failed;
  }
  return {
    id: row.id,
    source: row.source,
    state: row.state,
    mode: row.mode,
    tables: row.report,
    totals,
    failures: row.failures,
    failure_count: row.failureCount,
    cursor: row.cursor ? { table: row.cursor.table, after: row.cursor.after } : null,
    error: row.error,
    attempts: row.attempts,
    created_by: row.createdBy,
    username: row.username,
    created_at: row.createdAt,
    started_at: row.startedAt,
    finished_at: row.finishedAt,
  };
}

function sourceOf(name: string): LegacySource {
  const source = LEGACY_SOURCES_BY_NAME.get(name);
  if (!source) throw new AppError("VALIDATION_ERROR", `No importer for ${name} in this build`, { details: [{ path: "body.source", message: "no importer" }] });
  return source;
}

/**
 * Records an import job and queues it (202). One import per source may be queued or running
 * (409 otherwise: two runs would race on the same legacy keys); a failed send deletes the job.
 */
export async function startImport(deps: JobDeps, input: z.infer<typeof StartImport>, actor: Principal): Promise<ImportJobOut> {
  sourceOf(input.source);
  // An active job of this source whose lease expired is re-queued or failed first.
  const active = await deps.db
    .select()
    .from(importJobs)
    .where(and(eq(importJobs.source, input.source), inArray(importJobs.state, ["queued", "running"])));
  for (const row of active) await reapIfExpired(deps, importJobKind, row);
  const who = actorOf(actor);
  const id = crypto.randomUUID();
  let row: JobRow | undefined;
  try {
    [row] = await deps.db
      .insert(importJobs)
      .values({
        id,
        source: input.source,
        mode: input.mode,
        input: input.file_key ? { file_key: input.file_key, mode: input.mode } : { mode: input.mode },
        report: {},
        failures: [],
        createdBy: who.userId,
        username: who.name,
      })
      .returning();
  } catch (err) {
    if (isConstraintError(err, "UNIQUE")) throw new AppError("CONFLICT", `An import of ${input.source} is already queued or running; wait for it to finish`);
    throw err;
  }
  const message: ImportJobMessage = { type: "import_job", jobId: id, requestId: deps.requestId };
  try {
    if (!deps.queues.imports) throw new Error("IMPORT_QUEUE is not bound");
    await deps.queues.imports.send(message, { contentType: "json" });
  } catch (err) {
    log("error", "could not enqueue import job", { jobId: id, ...describeError(err) });
    await deps.db.delete(importJobs).where(eq(importJobs.id, id));
    throw new AppError("SERVICE_UNAVAILABLE", "The import could not be queued; nothing was saved. Try again.");
  }
  return toImportJob(row as JobRow);
}

async function loadJob(deps: JobDeps, id: string): Promise<JobRow> {
  const [row] = await deps.db.select().from(importJobs).where(eq(importJobs.id, id));
  if (!row) throw notFound("Import");
  return reapIfExpired(deps, importJobKind, row);
}

export async function getImport(deps: JobDeps, id: string): Promise<ImportJobOut> {
  return toImportJob(await loadJob(deps, id));
}

export async function listImports(deps: Pick<Deps, "db">, query: z.infer<typeof ImportListQuery>): Promise<Page<ImportJobOut>> {
  const where: SQL[] = [];
  if (query.source) where.push(eq(importJobs.source, query.source));
  const page = await paginate(
    deps.db,
    deps.db
      .select()
      .from(importJobs)
      .where(and(...where))
      .$dynamic(),
    query,
    {
      orderBy: [desc(importJobs.createdAt)],
      tiebreaker: importJobs.id,
    },
  );
  return { ...page, items: page.items.map(toImportJob) };
}

/** A job's progress as it changes (SSE): its state at once, then each change, until it ends or `maxMs`. */
export async function* watchImport(deps: JobDeps, id: string, options: { intervalMs?: number; maxMs?: number } = {}): AsyncGenerator<ImportJobOut> {
  let last = await getImport(deps, id);
  yield last;
  const deadline = Date.now() + Math.min(options.maxMs ?? 300_000, 300_000);
  while ((last.state === "queued" || last.state === "running") && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 1000));
    const now = await getImport(deps, id);
    if (now.state !== last.state || now.totals.read !== last.totals.read || now.failure_count !== last.failure_count) {
      last = now;
      yield now;
    }
  }
}

/** Sum of per-row hashes modulo 2^64, as 16 hex digits: the same set of rows in any order gives the same sum. */
class Checksum {
  private sum = 0n;
  async add(legacyId: string, values: unknown): Promise<void> {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${legacyId}\u001f${canonical(values)}`)));
    let n = 0n;
    for (let i = 0; i < 8; i++) n = (n << 8n) | BigInt(digest[i] as number);
    this.sum = (this.sum + n) & 0xffffffffffffffffn;
  }
  hex(): string {
    return this.sum.toString(16).padStart(16, "0");
  }
}

const pick = (values: Record<string, unknown>, keys: readonly string[]) => Object.fromEntries(keys.map((k) => [k, values[k] ?? null]));

/**
 * Compares each table of the job's source with D1: row counts, and a checksum of the key
 * columns (`target.checksum`) of every mapped row, computed from the legacy rows (mapped again)
 * and from the Floorline rows their legacy keys name.
 */
export async function verifyImport(
  deps: JobDeps & Pick<Deps, "files" | "feature">,
  hyperdrive: (source: LegacySourceName) => Hyperdrive,
  id: string,
): Promise<z.infer<typeof ImportVerification>> {
  const job = await loadJob(deps, id);
  if (job.state !== "completed") throw new AppError("CONFLICT", `The import is ${job.state}; verify it once it has completed`);
  const source = sourceOf(job.source);
  const reader = await source.open({ hyperdrive, files: deps.files, input: job.input, plantTimeZone: () => deps.feature(attendanceConfig).timeZone });
  const tables: z.infer<typeof ImportVerification>["tables"] = [];
  try {
    for (const spec of source.tables) {
      const sourceSum = new Checksum();
      let mappedRows = 0;
      let after: string | null = null;
      for (;;) {
        const rows = await reader.page(spec.read, after, PAGE_ROWS, null);
        if (rows.length === 0) break;
        for (const { legacyId, result } of await mapPage(deps.db, source, spec, rows, deps.now())) {
          if (!("values" in result)) continue;
          mappedRows++;
          await sourceSum.add(legacyId, pick(result.values, spec.checksum));
        }
        after = String(rows[rows.length - 1]?.[spec.read.key]);
        if (rows.length < PAGE_ROWS) break;
      }
      const d1 = await floorlineChecksum(deps, source.name, spec);
      const sourceRows = await reader.count(spec.read);
      const sourceChecksum = sourceSum.hex();
      tables.push({
        table: spec.read.name,
        floorline_table: getTableName(spec.table),
        source_rows: sourceRows,
        source_mapped: mappedRows,
        floorline_rows: d1.rows,
        source_checksum: sourceChecksum,
        floorline_checksum: d1.checksum,
        match: mappedRows === d1.rows && sourceChecksum === d1.checksum,
      });
    }
  } finally {
    await reader.close();
  }
  return { import_id: job.id, source: job.source, match: tables.every((t) => t.match), tables };
}

async function floorlineChecksum(deps: Pick<Deps, "db">, source: string, spec: AnyTableSpec): Promise<{ rows: number; checksum: string }> {
  const columns = getTableColumns(spec.table);
  const selected = Object.fromEntries(spec.checksum.map((k) => [k, columns[k] as (typeof columns)[string]]));
  const sum = new Checksum();
  let rows = 0;
  let after = "";
  for (;;) {
    const page = await deps.db
      .select({ legacyId: legacyKeys.legacyId, ...selected })
      .from(legacyKeys)
      .innerJoin(spec.table, eq(spec.table.id, legacyKeys.floorlineId))
      .where(and(eq(legacyKeys.legacySource, source), eq(legacyKeys.legacyTable, spec.read.name), gt(legacyKeys.legacyId, after)))
      .orderBy(asc(legacyKeys.legacyId))
      .limit(1000);
    for (const row of page) {
      const { legacyId, ...values } = row as Record<string, unknown> & { legacyId: string };
      rows++;
      await sum.add(legacyId, pick(values, spec.checksum));
    }
    if (page.length < 1000) break;
    after = (page[page.length - 1] as { legacyId: string }).legacyId;
  }
  return { rows, checksum: sum.hex() };
}
