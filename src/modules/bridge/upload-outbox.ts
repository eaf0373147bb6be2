/**
 * Uploaded legacy files (R2 `imports/…`) in the file outbox (src/lib/files.ts), so none is kept
 * for ever (review finding):
 * - the upload route holds its key before the first byte, with a heartbeat dated so that the
 *   hourly sweep deletes it once it has waited UNATTACHED_UPLOAD_HOURS without a job;
 * - starting a job with it releases the hold in the batch that writes the job (`file_key`);
 * - the batch that ends the job (completed, or failed for good: attempts spent, dead letter,
 *   lease reaper) records the file as due (`jobFileDue`); it is deleted right after, or by the
 *   sweep if the worker dies in between.
 */
import { and, eq, inArray, isNotNull, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { importJobs, pendingFileDeletions } from "../../db/schema";
import { sqlNow } from "../../db/schema/columns";
import { holdFiles, purgeFiles, referencedIn, releaseFiles } from "../../lib/files";

/** How long an upload waits for its import before the sweep deletes it. */
export const UNATTACHED_UPLOAD_HOURS = 24;

/**
 * Holds a new upload's key. The sweep deletes a held key whose heartbeat is older than the job
 * lease, so the heartbeat is set that much short of UNATTACHED_UPLOAD_HOURS ahead.
 */
export function holdUpload(db: Db, key: string, now: Date, leaseSeconds: number) {
  const heartbeat = new Date(now.getTime() + UNATTACHED_UPLOAD_HOURS * 3_600_000 - leaseSeconds * 1000);
  return holdFiles(db, [key], heartbeat);
}

/** In the batch that inserts a job reading `key`: the upload is the job's now (only if the job row is there). */
export function attachUpload(db: Db, key: string) {
  return releaseFiles(db, [key], referencedIn(db, importJobs.fileKey));
}

/** Whether `key` is held by an upload not yet attached to a job, or already due for deletion. */
export async function uploadState(db: Db, key: string): Promise<"held" | "due" | "none"> {
  const [row] = await db.select({ heartbeatAt: pendingFileDeletions.heartbeatAt }).from(pendingFileDeletions).where(eq(pendingFileDeletions.key, key));
  if (!row) return "none";
  return row.heartbeatAt === null ? "due" : "held";
}

/**
 * In the batch that ends a job: records the job's file as due for deletion, only if the job has
 * ended (so a statement that follows a fenced update that matched nothing records nothing).
 */
export function jobFileDue(db: Db, jobId: string) {
  return db
    .insert(pendingFileDeletions)
    .select(
      db
        .select({
          key: sql<string>`${importJobs.fileKey}`.as("key"),
          requestedAt: sql<string>`${sqlNow}`.as("requested_at"),
          attempts: sql<number>`0`.as("attempts"),
          heartbeatAt: sql<string | null>`NULL`.as("heartbeat_at"),
        })
        .from(importJobs)
        .where(and(eq(importJobs.id, jobId), inArray(importJobs.state, ["completed", "failed"]), isNotNull(importJobs.fileKey))),
    )
    .onConflictDoUpdate({ target: pendingFileDeletions.key, set: { heartbeatAt: null } });
}

/** Deletes the file of an ended job now (what `jobFileDue` recorded); on failure the sweep retries. */
export async function purgeJobFile(deps: { db: Db; files: R2Bucket }, jobId: string): Promise<void> {
  const [row] = await deps.db
    .select({ key: importJobs.fileKey })
    .from(importJobs)
    .where(and(eq(importJobs.id, jobId), inArray(importJobs.state, ["completed", "failed"]), isNotNull(importJobs.fileKey)));
  if (row?.key) await purgeFiles(deps, [row.key]);
}
