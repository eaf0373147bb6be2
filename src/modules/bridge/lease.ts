/**
 * Import jobs as a leased job kind (src/lib/jobs.ts): the reaper's queries and message. A job
 * re-queued after its lease expired resumes at its cursor.
 */
import { and, asc, eq, inArray, isNull, lte, or } from "drizzle-orm";
import { importJobs } from "../../db/schema";
import type { JobKind } from "../../lib/jobs";
import type { ImportJobMessage } from "../../queues/messages";
import { jobFileDue } from "./upload-outbox";

type Row = typeof importJobs.$inferSelect;

/** Attempts of one import (worker claims, re-queues of a job never claimed) before it is failed. */
export const IMPORT_JOB_MAX_ATTEMPTS = 3;

const ACTIVE = ["queued", "running"] as const;

const unchanged = (row: Row) =>
  and(
    eq(importJobs.id, row.id),
    eq(importJobs.state, row.state),
    row.heartbeatAt === null ? isNull(importJobs.heartbeatAt) : eq(importJobs.heartbeatAt, row.heartbeatAt),
  );

export const importJobKind: JobKind<Row> = {
  name: "import job",
  maxAttempts: IMPORT_JOB_MAX_ATTEMPTS,
  isQueued: (row) => row.state === "queued",
  isActive: (row) => row.state === "queued" || row.state === "running",
  expired: (db, cutoff, limit) =>
    db
      .select()
      .from(importJobs)
      .where(and(inArray(importJobs.state, ACTIVE), or(isNull(importJobs.heartbeatAt), lte(importJobs.heartbeatAt, cutoff))))
      .orderBy(asc(importJobs.heartbeatAt))
      .limit(limit),
  requeue: async (db, row, { now, attempts, reason }) =>
    (await db.update(importJobs).set({ state: "queued", heartbeatAt: now, attempts, error: reason }).where(unchanged(row)).returning())[0],
  // Failed for good: its uploaded file is due in the same batch (the hourly sweep deletes it).
  fail: async (db, row, { now, reason }) => {
    const [failed] = await db.batch([
      db
        .update(importJobs)
        .set({ state: "failed", error: reason, finishedAt: now, heartbeatAt: now })
        .where(and(unchanged(row), inArray(importJobs.state, ACTIVE)))
        .returning(),
      jobFileDue(db, row.id),
    ]);
    return failed[0];
  },
  send: (deps, row) => sendImportJob(deps.queues.imports, row.id, deps.requestId),
};

/** Sends a job's `import_job` message (the reaper's re-queue, and a run's budget hand-off: ./runner.ts). */
export async function sendImportJob(queue: Queue | undefined, jobId: string, requestId: string): Promise<void> {
  if (!queue) throw new Error("No import queue bound");
  const message: ImportJobMessage = { type: "import_job", jobId, requestId };
  await queue.send(message, { contentType: "json" });
}
