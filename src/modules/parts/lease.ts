/**
 * STEP → GLB conversions as a leased job kind (src/lib/jobs.ts): the reaper's queries and
 * message. Shared by the API (cron, reads) and the convert worker (dead letters).
 */
import { and, asc, eq, inArray, isNull, lte, or } from "drizzle-orm";
import { conversionJobs } from "../../db/schema";
import type { JobKind } from "../../lib/jobs";
import type { ConvertStepMessage } from "../../queues/messages";

type Row = typeof conversionJobs.$inferSelect;

/** Deliveries of one conversion: the first plus `max_retries` (3, workers/convert/wrangler.toml). */
export const CONVERSION_MAX_ATTEMPTS = 4;

const ACTIVE = ["queued", "converting"] as const;

const unchanged = (row: Row) =>
  and(
    eq(conversionJobs.partId, row.partId),
    eq(conversionJobs.jobId, row.jobId),
    eq(conversionJobs.state, row.state),
    row.heartbeatAt === null ? isNull(conversionJobs.heartbeatAt) : eq(conversionJobs.heartbeatAt, row.heartbeatAt),
  );

export const conversionJobKind: JobKind<Row> = {
  name: "model conversion",
  maxAttempts: CONVERSION_MAX_ATTEMPTS,
  isQueued: (row) => row.state === "queued",
  isActive: (row) => row.state === "queued" || row.state === "converting",
  expired: (db, cutoff, limit) =>
    db
      .select()
      .from(conversionJobs)
      .where(and(inArray(conversionJobs.state, ACTIVE), or(isNull(conversionJobs.heartbeatAt), lte(conversionJobs.heartbeatAt, cutoff))))
      .orderBy(asc(conversionJobs.heartbeatAt))
      .limit(limit),
  requeue: async (db, row, { now, attempts, reason }) =>
    (await db.update(conversionJobs).set({ state: "queued", heartbeatAt: now, attempts, error: reason }).where(unchanged(row)).returning())[0],
  fail: async (db, row, { now, reason }) =>
    (
      await db
        .update(conversionJobs)
        .set({ state: "failed", error: reason, finishedAt: now, heartbeatAt: now })
        .where(and(unchanged(row), inArray(conversionJobs.state, ACTIVE)))
        .returning()
    )[0],
  send: async (deps, row) => {
    const message: ConvertStepMessage = { type: "convert_step", partId: row.partId, jobId: row.jobId, stepKey: row.stepKey, requestId: deps.requestId };
    await deps.queues.convert.send(message, { contentType: "json" });
  },
};
