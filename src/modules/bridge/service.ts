/**
 * Legacy imports (issue 19): start, read, list, watch and verify import jobs. The run itself is
 * ./runner.ts, driven by the import queue, which the import worker consumes (workers/import): this
 * module runs in the API and imports no importer (the bundle carries neither sql.js nor `pg`).
 */

import { and, desc, eq, inArray, type SQL } from "drizzle-orm";
import type { z } from "zod";
import { isConstraintError } from "../../db/client";
import { importJobs } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError, notFound } from "../../lib/errors";
import { reapIfExpired } from "../../lib/jobs";
import { describeError, log } from "../../lib/logging";
import { type Page, paginate } from "../../lib/pagination";
import { actorOf, type Principal } from "../../lib/principal";
import type { ImportJobMessage } from "../../queues/messages";
import { importJobKind } from "./lease";
import type { ImportJob, ImportListQuery, ImportVerification, StartImport } from "./schemas";
import { attachUpload, uploadState } from "./upload-outbox";

type JobRow = typeof importJobs.$inferSelect;
type ImportJobOut = z.infer<typeof ImportJob>;
type JobDeps = Pick<Deps, "db" | "queues" | "requestId" | "now" | "config">;
type StartDeps = JobDeps & Pick<Deps, "files">;

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

const FILE_SOURCES: ReadonlySet<string> = new Set(["parts", "aerie", "ccbackend"]);

const badFileKey = (message: string) => new AppError("VALIDATION_ERROR", message, { details: [{ path: "body.file_key", message, code: "invalid" }] });

/**
 * The uploaded file a job of a file source reads: it must be in the bucket, not already taken by
 * another job (one job per file: the file is deleted when that job ends) nor due for deletion.
 */
async function checkFileKey(deps: StartDeps, input: z.infer<typeof StartImport>): Promise<void> {
  if (!FILE_SOURCES.has(input.source)) {
    if (input.file_key) throw badFileKey(`${input.source} is read through its database connection; it takes no file_key`);
    return;
  }
  const key = input.file_key;
  if (!key) throw badFileKey(`An import of ${input.source} needs the file_key of an uploaded file (POST /api/v1/imports/files)`);
  const [taken] = await deps.db.select({ id: importJobs.id }).from(importJobs).where(eq(importJobs.fileKey, key));
  if (taken) throw new AppError("CONFLICT", `That file was already given to import ${taken.id} (a file is deleted when its import ends); upload it again`);
  if ((await uploadState(deps.db, key)) === "due") throw badFileKey("That upload has been deleted (it waited too long for an import); upload it again");
  if (!(await deps.files.head(key))) throw badFileKey("No uploaded file has that key; upload it again");
}

/**
 * Records an import job and queues it (202). One import per source may be queued or running
 * (409 otherwise: two runs would race on the same legacy keys); a failed send deletes the job.
 */
export async function startImport(deps: StartDeps, input: z.infer<typeof StartImport>, actor: Principal): Promise<ImportJobOut> {
  await checkFileKey(deps, input);
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
    const insert = deps.db
      .insert(importJobs)
      .values({
        id,
        source: input.source,
        mode: input.mode,
        input: input.file_key ? { file_key: input.file_key, mode: input.mode } : { mode: input.mode },
        fileKey: input.file_key ?? null,
        report: {},
        failures: [],
        createdBy: who.userId,
        username: who.name,
      })
      .returning();
    // The upload's hold ends with the job row that takes it (the job's end deletes the file).
    [[row]] = input.file_key ? await deps.db.batch([insert, attachUpload(deps.db, input.file_key)]) : [await insert];
  } catch (err) {
    if (isConstraintError(err, "UNIQUE")) {
      if (/file_key/.test(`${err instanceof Error ? `${err.message} ${String(err.cause ?? "")}` : ""}`)) {
        throw new AppError("CONFLICT", "That file was already given to another import; upload it again");
      }
      throw new AppError("CONFLICT", `An import of ${input.source} is already queued or running; wait for it to finish`);
    }
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

/**
 * A completed import's verification: each table of the source against D1 (counts and a checksum
 * of key columns), as the import worker found it at the end of the run (./verify.ts).
 */
export async function verifyImport(deps: JobDeps, id: string): Promise<z.infer<typeof ImportVerification>> {
  const job = await loadJob(deps, id);
  if (job.state !== "completed") throw new AppError("CONFLICT", `The import is ${job.state}; verify it once it has completed`);
  if (!job.verification) throw new AppError("CONFLICT", "This import completed before imports were verified as they end; run it again to verify it");
  // Verifications stored before scopes existed compared every row.
  const tables = job.verification.map((t) => ({ ...t, scope: t.scope ?? "all", since: t.since ?? null }));
  return { import_id: job.id, source: job.source, match: tables.every((t) => t.match), tables };
}
