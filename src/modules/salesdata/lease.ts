/**
 * Background sales imports as a leased job kind (src/lib/jobs.ts): the reaper's queries and
 * message. The heartbeat moves with every committed chunk; a job silent for the lease is
 * re-queued (it resumes after its last committed chunk: `chunks_done`, `cursor_row`) while it has
 * attempts left, else failed with its staged lines deleted. Imports run within their upload's
 * request are not leased (`sweepStalledImports` ends those).
 */
import { and, asc, eq, inArray, isNull, lte, or, sql } from "drizzle-orm";
import { salesImportLines, salesImports } from "../../db/schema";
import type { JobKind } from "../../lib/jobs";
import type { SalesImportMessage } from "../../queues/messages";
import { SALES_JOB_MAX_ATTEMPTS } from "./shared";

type Row = typeof salesImports.$inferSelect;

const ACTIVE = ["queued", "validating", "importing"] as const;

const unchanged = (row: Row) =>
  and(
    eq(salesImports.id, row.id),
    eq(salesImports.background, true),
    eq(salesImports.status, row.status),
    eq(salesImports.attempts, row.attempts),
    row.heartbeatAt === null ? isNull(salesImports.heartbeatAt) : eq(salesImports.heartbeatAt, row.heartbeatAt),
  );

export const salesImportJobKind: JobKind<Row> = {
  name: "sales import",
  maxAttempts: SALES_JOB_MAX_ATTEMPTS,
  isQueued: (row) => row.status === "queued",
  isActive: (row) => row.background && (ACTIVE as readonly string[]).includes(row.status),
  expired: (db, cutoff, limit) =>
    db
      .select()
      .from(salesImports)
      .where(
        and(
          inArray(salesImports.status, ACTIVE),
          eq(salesImports.background, true),
          or(isNull(salesImports.heartbeatAt), lte(salesImports.heartbeatAt, cutoff)),
        ),
      )
      .orderBy(asc(salesImports.heartbeatAt))
      .limit(limit),
  // A re-queue keeps `attempts` as the claim counted it (the next claim adds one) unless the job
  // was never claimed: then the reaper's count is the attempt.
  requeue: async (db, row, { now, attempts, reason }) =>
    (await db.update(salesImports).set({ status: "queued", heartbeatAt: now, attempts, message: reason }).where(unchanged(row)).returning())[0],
  fail: async (db, row, { now, reason }) => {
    const [failed] = await db.batch([
      db
        .update(salesImports)
        .set({
          status: "failed",
          message: `${reason}; nothing was imported`,
          finishedAt: now,
          heartbeatAt: now,
          durationMs: sql<number>`max(0, cast(round((julianday(${now}) - julianday(${salesImports.startedAt})) * 86400000) as integer))`,
        })
        .where(unchanged(row))
        .returning(),
      // Its staged lines will never be committed (only when the failure above was written).
      db.delete(salesImportLines).where(and(eq(salesImportLines.importId, row.id), sql`changes() = 1`)),
    ]);
    return failed[0];
  },
  send: async (deps, row) => {
    if (!deps.queues.imports) throw new Error("No import queue bound");
    const message: SalesImportMessage = { type: "sales_import", importId: row.id, requestId: deps.requestId.slice(0, 100) };
    await deps.queues.imports.send(message, { contentType: "json" });
  },
};
