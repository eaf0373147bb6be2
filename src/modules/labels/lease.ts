/**
 * Label jobs as a leased job kind (src/lib/jobs.ts): the reaper's queries and message. Shared by
 * the API (cron, reads) and the documents worker (dead letters).
 */
import { and, asc, eq, inArray, isNull, lte, or } from "drizzle-orm";
import { labelJobs } from "../../db/schema";
import type { JobKind } from "../../lib/jobs";
import type { LabelJobMessage } from "../../queues/messages";

type Row = typeof labelJobs.$inferSelect;

/** Attempts of one job (worker claims, re-queues of a job never claimed) before it is failed. */
export const LABEL_JOB_MAX_ATTEMPTS = 3;

const ACTIVE = ["queued", "processing"] as const;

/** Only while the row is as it was read. */
const unchanged = (row: Row) =>
  and(
    eq(labelJobs.id, row.id),
    eq(labelJobs.status, row.status),
    row.heartbeatAt === null ? isNull(labelJobs.heartbeatAt) : eq(labelJobs.heartbeatAt, row.heartbeatAt),
  );

export const labelJobKind: JobKind<Row> = {
  name: "label job",
  maxAttempts: LABEL_JOB_MAX_ATTEMPTS,
  isQueued: (row) => row.status === "queued",
  isActive: (row) => row.status === "queued" || row.status === "processing",
  expired: (db, cutoff, limit) =>
    db
      .select()
      .from(labelJobs)
      .where(and(inArray(labelJobs.status, ACTIVE), or(isNull(labelJobs.heartbeatAt), lte(labelJobs.heartbeatAt, cutoff))))
      .orderBy(asc(labelJobs.heartbeatAt))
      .limit(limit),
  requeue: async (db, row, { now, attempts, reason }) =>
    (await db.update(labelJobs).set({ status: "queued", heartbeatAt: now, attempts, done: 0, error: reason }).where(unchanged(row)).returning())[0],
  fail: async (db, row, { now, reason }) =>
    (
      await db
        .update(labelJobs)
        .set({ status: "failed", error: reason, finishedAt: now, heartbeatAt: now })
        .where(and(unchanged(row), inArray(labelJobs.status, ACTIVE)))
        .returning()
    )[0],
  send: async (deps, row) => {
    const message: LabelJobMessage = { type: "label_job", jobId: row.id, requestId: deps.requestId };
    await deps.queues.documents.send(message, { contentType: "json" });
  },
};
