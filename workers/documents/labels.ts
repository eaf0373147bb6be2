/**
 * Label jobs in the documents worker: claim the job, read its items in one query, render the
 * PDF (barcodes once per distinct value, as vector XObjects) and the CSV, store both in R2 and
 * mark the job completed. Progress (`done` of `total`) is written to D1 every
 * {@link PROGRESS_EVERY} labels, and that write doubles as the check that the job still exists:
 * a job deleted meanwhile stops there and leaves nothing behind.
 *
 * Idempotent: a message delivered twice finds the job completed (or re-renders the same files
 * under the same keys); a message for a deleted job finds nothing to claim.
 */
import { and, eq, exists, inArray, sql } from "drizzle-orm";
import { createDb, type Db } from "../../src/db/client";
import { labelJobs } from "../../src/db/schema";
import { csvLine } from "../../src/lib/csv";
import { deleteFiles, holdFiles, releaseFiles } from "../../src/lib/files";
import { describeError, log } from "../../src/lib/logging";
import { itemsById, jobKeys, type LabelItem, labelData } from "../../src/modules/labels/items";
import { LABEL_JOB_MAX_ATTEMPTS } from "../../src/modules/labels/lease";
import { LabelDocument } from "../../src/modules/labels/pdf";
import { type LabelTemplate, labelsPerPage } from "../../src/modules/labels/render";
import type { LabelJobMessage } from "../../src/queues/messages";

/** Labels rendered between two progress writes. */
export const PROGRESS_EVERY = 250;
/** Deliveries of one job before it is marked failed instead of retried. */
export const MAX_ATTEMPTS = LABEL_JOB_MAX_ATTEMPTS;

export interface LabelJobDeps {
  db: Db;
  files: R2Bucket;
  now: () => Date;
}

export type LabelJobOutcome = "completed" | "failed" | "gone" | "retry";

const CSV_HEADER = ["position", "page", "slot", "item_id", "sku", "name", "value", "symbology", "location", "line_date"];

/** What a job renders from: its id (the PDF title), template, item ids in order and line date. */
export interface LabelJobSpec {
  id: string;
  template: LabelTemplate;
  itemIds: readonly string[];
  lineDate: string | null;
}

/**
 * The rendering half of a job, without D1 or R2 (the bench runs exactly this): every label in
 * order (items missing from `items` skipped), `progress(done)` every `progressEvery` labels
 * (it answers false to stop: the job is gone), then the PDF and the CSV.
 */
export async function renderLabelJob(
  job: LabelJobSpec,
  items: ReadonlyMap<string, LabelItem>,
  progressEvery: number,
  progress: (done: number) => Promise<boolean>,
): Promise<{ pdf: Uint8Array; csv: string; pages: number; labels: number; symbols: number; skipped: number } | null> {
  const { template } = job;
  const doc = await LabelDocument.create(template, `Labels ${job.id}`);
  const perPage = labelsPerPage(template);
  const csv: string[] = [csvLine(CSV_HEADER)];
  let skipped = 0;
  for (const [index, itemId] of job.itemIds.entries()) {
    const item = items.get(itemId);
    if (!item) skipped++;
    else {
      const label = labelData(item, template.symbology, job.lineDate);
      const position = doc.labels;
      doc.add(label);
      csv.push(
        csvLine([
          position + 1,
          Math.floor(position / perPage) + 1,
          (position % perPage) + 1,
          item.id,
          item.sku,
          item.name,
          label.value,
          template.symbology,
          item.location,
          job.lineDate,
        ]),
      );
    }
    const done = index + 1;
    if (done % progressEvery === 0 && done < job.itemIds.length && !(await progress(done))) return null;
  }
  const pdf = await doc.save();
  return { pdf, csv: csv.join(""), pages: doc.pages, labels: doc.labels, symbols: doc.symbols, skipped };
}

export interface LabelJobOptions {
  /** This delivery's attempt (1 first); the last one marks a failure instead of retrying. */
  attempt?: number;
  progressEvery?: number;
  /** Called after each progress write (tests read the job there, mid-run). */
  onProgress?: (done: number) => Promise<void>;
}

/**
 * Renders one label job: claiming it and each progress write renew its lease (src/lib/jobs.ts).
 * Returns what happened: `retry` when a failure before the last
 * attempt should be retried by the queue.
 */
export async function runLabelJob(deps: LabelJobDeps, message: Pick<LabelJobMessage, "jobId">, options: LabelJobOptions = {}): Promise<LabelJobOutcome> {
  const { attempt = 1, progressEvery = PROGRESS_EVERY, onProgress } = options;
  const { db, files } = deps;
  const id = message.jobId;
  const [job] = await db
    .update(labelJobs)
    .set({
      status: "processing",
      startedAt: deps.now().toISOString(),
      heartbeatAt: deps.now().toISOString(),
      attempts: sql`${labelJobs.attempts} + 1`,
      done: 0,
      error: null,
    })
    .where(and(eq(labelJobs.id, id), inArray(labelJobs.status, ["queued", "processing"])))
    .returning();
  if (!job) return "gone";

  const keys = jobKeys(id);
  try {
    const items = await itemsById(db, job.itemIds);
    const rendered = await renderLabelJob({ id, template: job.template, itemIds: job.itemIds, lineDate: job.lineDate }, items, progressEvery, async (done) => {
      const still = await db
        .update(labelJobs)
        .set({ done, heartbeatAt: deps.now().toISOString() })
        .where(and(eq(labelJobs.id, id), eq(labelJobs.status, "processing")))
        .returning({ id: labelJobs.id });
      if (still.length === 0) return false;
      await onProgress?.(done);
      return true;
    });
    if (!rendered) return "gone";
    const { pdf, csv, pages, skipped, labels, symbols } = rendered;
    // Pending in the file outbox until the completed row points to them (src/lib/files.ts).
    await holdFiles(db, [keys.pdf, keys.csv], deps.now());
    await Promise.all([
      files.put(keys.pdf, pdf, { httpMetadata: { contentType: "application/pdf" } }),
      files.put(keys.csv, csv, { httpMetadata: { contentType: "text/csv; charset=utf-8" } }),
    ]);
    const [finished] = await db.batch([
      db
        .update(labelJobs)
        .set({
          status: "completed",
          done: job.total,
          skipped,
          pages,
          pdfKey: keys.pdf,
          csvKey: keys.csv,
          pdfBytes: pdf.byteLength,
          finishedAt: deps.now().toISOString(),
          heartbeatAt: deps.now().toISOString(),
        })
        .where(and(eq(labelJobs.id, id), eq(labelJobs.status, "processing")))
        .returning({ id: labelJobs.id }),
      releaseFiles(
        db,
        [keys.pdf, keys.csv],
        exists(
          db
            .select({ id: labelJobs.id })
            .from(labelJobs)
            .where(and(eq(labelJobs.id, id), eq(labelJobs.status, "completed"))),
        ),
      ),
    ]);
    if (finished.length === 0) {
      // Deleted while rendering: take the files back out.
      await deleteFiles({ db, files }, [keys.pdf, keys.csv]);
      return "gone";
    }
    log("info", "label job completed", { jobId: id, labels, pages, symbols, skipped, bytes: pdf.byteLength });
    return "completed";
  } catch (err) {
    log("error", "label job failed", { jobId: id, attempt, ...describeError(err) });
    if (attempt < MAX_ATTEMPTS) return "retry";
    await db
      .update(labelJobs)
      .set({ status: "failed", error: err instanceof Error ? err.message.slice(0, 500) : "Rendering failed", finishedAt: deps.now().toISOString() })
      .where(and(eq(labelJobs.id, id), eq(labelJobs.status, "processing")));
    return "failed";
  }
}

/** The queue handler's entry: retries by throwing, as consumeBatch expects. */
export async function handleLabelJob(env: { DB: D1Database; FILES: R2Bucket }, message: LabelJobMessage, attempts: number): Promise<void> {
  const outcome = await runLabelJob({ db: createDb(env.DB), files: env.FILES, now: () => new Date() }, message, { attempt: attempts });
  if (outcome === "retry") throw new Error(`label job ${message.jobId} will be retried`);
}
