/**
 * Production reports as a leased job kind (src/lib/jobs.ts): the reaper's queries and message.
 * Shared by the API (cron, reads) and the documents worker (dead letters).
 */
import { and, asc, eq, inArray, isNull, lte, or } from "drizzle-orm";
import { productionReports } from "../../db/schema";
import type { JobKind } from "../../lib/jobs";
import type { ProductionReportMessage } from "../../queues/messages";

type Row = typeof productionReports.$inferSelect;

/** Deliveries of one report: the first plus `max_retries` (3, workers/documents/wrangler.toml). */
export const REPORT_MAX_ATTEMPTS = 4;

const ACTIVE = ["queued", "rendering"] as const;

const unchanged = (row: Row) =>
  and(
    eq(productionReports.id, row.id),
    eq(productionReports.state, row.state),
    row.heartbeatAt === null ? isNull(productionReports.heartbeatAt) : eq(productionReports.heartbeatAt, row.heartbeatAt),
  );

export const reportJobKind: JobKind<Row> = {
  name: "production report",
  maxAttempts: REPORT_MAX_ATTEMPTS,
  isQueued: (row) => row.state === "queued",
  isActive: (row) => row.state === "queued" || row.state === "rendering",
  expired: (db, cutoff, limit) =>
    db
      .select()
      .from(productionReports)
      .where(and(inArray(productionReports.state, ACTIVE), or(isNull(productionReports.heartbeatAt), lte(productionReports.heartbeatAt, cutoff))))
      .orderBy(asc(productionReports.heartbeatAt))
      .limit(limit),
  requeue: async (db, row, { now, attempts, reason }) =>
    (await db.update(productionReports).set({ state: "queued", heartbeatAt: now, attempts, error: reason }).where(unchanged(row)).returning())[0],
  fail: async (db, row, { now, reason }) =>
    (
      await db
        .update(productionReports)
        .set({ state: "failed", error: reason, finishedAt: now, heartbeatAt: now })
        .where(and(unchanged(row), inArray(productionReports.state, ACTIVE)))
        .returning()
    )[0],
  send: async (deps, row) => {
    const message: ProductionReportMessage = { type: "production_report", reportId: row.id, requestId: deps.requestId.slice(0, 100) };
    await deps.queues.documents.send(message, { contentType: "json" });
  },
};
