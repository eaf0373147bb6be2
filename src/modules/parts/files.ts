/**
 * A part's file and its 3D model: uploads (STEP or PDF, judged by their bytes) stream to R2; a
 * STEP records a conversion job and enqueues it, and the conversion worker (workers/convert)
 * writes the GLB. The file and the model are read back from R2 as streams.
 */
import { and, eq, exists, sql } from "drizzle-orm";
import { conversionJobs, parts } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError } from "../../lib/errors";
import { purgeFiles, queueFileDeletions } from "../../lib/files";
import { reapIfExpired } from "../../lib/jobs";
import { describeError, log } from "../../lib/logging";
import { type IncomingUpload, receiveUpload } from "../../lib/uploads";
import type { ConvertStepMessage } from "../../queues/messages";
import type { Principal } from "../../types";
import { partsConfig } from "./config";
import { conversionJobKind } from "./lease";
import type { ConversionJob, Part } from "./schemas";
import { loadPart, toPart } from "./service";

type JobRow = typeof conversionJobs.$inferSelect;

/** The one place a job row becomes a response. */
export const toJob = (row: JobRow): ConversionJob => ({
  part_id: row.partId,
  job_id: row.jobId,
  state: row.state,
  attempts: row.attempts,
  error: row.error,
  meshes: row.meshes,
  triangles: row.triangles,
  glb_size: row.glbSize,
  queued_at: row.queuedAt,
  started_at: row.startedAt,
  finished_at: row.finishedAt,
});

export interface UploadResult {
  part: Part;
  filename: string;
  kind: "step" | "pdf";
  /** The conversion job a STEP upload queued; null for a PDF. */
  job: ConversionJob | null;
}

const noFile = () =>
  new AppError("VALIDATION_ERROR", "No file provided", { reason: "no_file", details: [{ path: "body.file", message: "No file provided", code: "required" }] });

/**
 * Takes a part's file from a multipart body (field `file`): STEP (by its ISO-10303-21 header)
 * or PDF (by `%PDF`), anything else 415 with nothing stored. A STEP over the conversion cap is a
 * 413 as soon as the bytes past it arrive (checked while streaming), before anything is queued.
 * The part, its job, the end of the file's pending state and the old file's and model's deletion
 * are one batch; the old objects go after; then the job is enqueued and returned (201 at once).
 */
export async function uploadPartFile(
  deps: Pick<Deps, "db" | "files" | "queues" | "config" | "feature" | "waitUntil" | "requestId" | "now">,
  input: { id: number; upload: IncomingUpload },
  _actor: Principal,
): Promise<UploadResult> {
  const { db, files } = deps;
  const before = await loadPart(deps, input.id);
  const stepCap = deps.feature(partsConfig).maxStepBytes;
  const upload = await receiveUpload(input.upload, {
    bucket: files,
    db,
    now: deps.now,
    prefix: "parts/files/",
    accept: ["step", "pdf"],
    maxFileBytes: deps.config.MAX_UPLOAD_BYTES,
    kindLimits: {
      step: {
        maxBytes: stepCap,
        error: (path, max) =>
          new AppError("PAYLOAD_TOO_LARGE", `STEP files over ${max} bytes are too large to convert to a 3D model; simplify or split the model`, {
            reason: "step_too_large",
            details: [{ path, message: `at most ${max} bytes`, code: "too_large" }],
          }),
      },
    },
    maxFiles: 1,
    fileFields: ["file"],
    waitUntil: deps.waitUntil,
  });
  const file = upload.files[0];
  if (!file || (file.kind !== "step" && file.kind !== "pdf")) {
    await upload.discard();
    throw noFile();
  }
  const kind = file.kind;
  const [oldJob] = await db.select().from(conversionJobs).where(eq(conversionJobs.partId, before.id));
  const jobId = crypto.randomUUID();
  const now = deps.now().toISOString();
  const updatePart = db
    .update(parts)
    .set({ file: file.filename, fileKey: file.key, fileKind: kind, fileContentType: file.contentType, fileSize: file.size, version: sql`${parts.version} + 1` })
    .where(eq(parts.id, before.id))
    .returning();
  const jobWrite =
    kind === "step"
      ? db
          .insert(conversionJobs)
          .values({ partId: before.id, jobId, state: "queued", stepKey: file.key, attempts: 0, queuedAt: now })
          .onConflictDoUpdate({
            target: conversionJobs.partId,
            set: {
              jobId,
              state: "queued",
              stepKey: file.key,
              glbKey: null,
              glbSize: null,
              meshes: null,
              triangles: null,
              attempts: 0,
              error: null,
              queuedAt: now,
              startedAt: null,
              finishedAt: null,
            },
          })
          .returning()
      : db.delete(conversionJobs).where(eq(conversionJobs.partId, before.id)).returning();
  const stale = [before.fileKey, oldJob?.glbKey].filter((k): k is string => typeof k === "string" && k !== file.key);
  // Only if the part now points to the file (it may have been deleted while the body streamed in).
  const release = upload.release(
    exists(
      db
        .select({ one: sql`1` })
        .from(parts)
        .where(and(eq(parts.id, before.id), eq(parts.fileKey, file.key))),
    ),
  );
  let updated: Awaited<typeof updatePart>;
  let jobs: JobRow[];
  try {
    [updated, jobs] = await db.batch([updatePart, jobWrite, ...(release ? [release] : []), ...(stale.length > 0 ? [queueFileDeletions(db, stale)] : [])]);
  } catch (err) {
    await upload.discard();
    throw err;
  }
  const row = updated[0];
  if (!row) {
    // Deleted while the body streamed in.
    await upload.discard();
    throw new AppError("NOT_FOUND", "Part not found", { reason: "part_not_found" });
  }
  if (stale.length > 0) deps.waitUntil(purgeFiles(deps, stale));

  const job = kind === "step" ? jobs[0] : undefined;
  if (!job) return { part: toPart(row), filename: file.filename, kind, job: null };
  const message: ConvertStepMessage = { type: "convert_step", partId: row.id, jobId, stepKey: file.key, requestId: deps.requestId };
  try {
    await deps.queues.convert.send(message, { contentType: "json" });
  } catch (err) {
    log("error", "could not enqueue conversion", { partId: row.id, jobId, ...describeError(err) });
    const [failed] = await db
      .update(conversionJobs)
      .set({ state: "failed", error: "The conversion could not be queued; upload the file again", finishedAt: deps.now().toISOString() })
      .where(and(eq(conversionJobs.partId, row.id), eq(conversionJobs.jobId, jobId)))
      .returning();
    return { part: toPart(row), filename: file.filename, kind, job: failed ? toJob(failed) : toJob(job) };
  }
  return { part: toPart(row), filename: file.filename, kind, job: toJob(job) };
}

type RequeueDeps = Pick<Deps, "db" | "queues" | "now" | "requestId" | "config">;

/** The part's conversion job (404 when it has none: no STEP uploaded). */
export async function getConversion(deps: RequeueDeps, id: number): Promise<ConversionJob> {
  const { db } = deps;
  await loadPart({ db }, id);
  const [job] = await db.select().from(conversionJobs).where(eq(conversionJobs.partId, id));
  if (!job) throw new AppError("NOT_FOUND", "This part has no STEP file to convert", { reason: "no_model" });
  // A job past its lease is re-queued or failed first (src/lib/jobs.ts).
  return toJob(await reapIfExpired(deps, conversionJobKind, job));
}

export interface StoredFile {
  body: ReadableStream;
  filename: string;
  contentType: string;
  size: number;
}

/** The part's uploaded file, as stored (404 when there is none). */
export async function openPartFile({ db, files }: Pick<Deps, "db" | "files">, id: number): Promise<StoredFile> {
  const part = await loadPart({ db }, id);
  if (!part.fileKey || !part.file) throw new AppError("NOT_FOUND", "No file associated with this part", { reason: "no_file_stored" });
  const object = await files.get(part.fileKey);
  if (!object) throw new AppError("NOT_FOUND", "File not found on server", { reason: "file_missing" });
  return { body: object.body, filename: part.file, contentType: part.fileContentType ?? "application/octet-stream", size: object.size };
}

/** The model when ready (a GLB stream), or the job while it is queued or converting. */
export async function openModel(deps: RequeueDeps & Pick<Deps, "files">, id: number): Promise<{ ready: StoredFile } | { pending: ConversionJob }> {
  const { db, files } = deps;
  const part = await loadPart({ db }, id);
  const [found] = await db.select().from(conversionJobs).where(eq(conversionJobs.partId, id));
  if (!found) throw new AppError("NOT_FOUND", "No file associated with this part", { reason: "no_file_stored" });
  const job = await reapIfExpired(deps, conversionJobKind, found);
  if (job.state === "failed" && job.unconvertible) {
    throw new AppError("BUSINESS_LOGIC_ERROR", `The model cannot be converted: ${job.error ?? "unreadable STEP file"}`, {
      reason: "conversion_unconvertible",
      details: toJob(job),
    });
  }
  if (job.state === "failed") {
    throw new AppError("CONFLICT", `Model conversion failed: ${job.error ?? "unknown error"}`, { reason: "conversion_failed", details: toJob(job) });
  }
  if (job.state !== "ready" || !job.glbKey) return { pending: toJob(job) };
  const object = await files.get(job.glbKey);
  if (!object) throw new AppError("NOT_FOUND", "Model not found on server", { reason: "file_missing" });
  const stem = (part.file ?? `part-${id}`).replace(/\.[^.]*$/, "");
  return { ready: { body: object.body, filename: `${stem}.glb`, contentType: "model/gltf-binary", size: object.size } };
}
