/**
 * Production reports (seed 004): the API records a request and queues it on the documents
 * queue; the documents worker (workers/documents/reports.ts) renders the PDF to R2. Reports
 * show lines' figures, so every read and every request also needs the right to read lines.
 */
import { and, asc, count, desc, eq, inArray, isNull, lte, or, sql } from "drizzle-orm";
import { productionLines, productionReports } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError } from "../../lib/errors";
import { purgeFiles, queueFileDeletionsOf } from "../../lib/files";
import { leaseMs, reapIfExpired } from "../../lib/jobs";
import { log } from "../../lib/logging";
import { paginate } from "../../lib/pagination";
import { insertWhere } from "../../lib/sql";
import type { ProductionReportMessage } from "../../queues/messages";
import type { Principal } from "../../types";
import { actorId } from "../production/service";
import { reportJobKind } from "./lease";
import { type GenerateReport, MAX_REPORT_LINES, type ProductionReport, type ReportListQuery } from "./schemas";

type Row = typeof productionReports.$inferSelect;

/** The one place a report row becomes a response. */
const toReport = (row: Row): ProductionReport => ({
  id: row.id,
  title: row.title,
  state: row.state,
  line_ids: row.lineIds,
  start_date: row.startDate,
  end_date: row.endDate,
  group_by: row.groupBy,
  utc_offset_minutes: row.utcOffsetMinutes,
  shift_start_hour: row.shiftStartHour,
  requested_by: row.requestedBy,
  attempts: row.attempts,
  error: row.error,
  page_count: row.pageCount,
  pdf_bytes: row.pdfBytes,
  pdf_url: `/api/v1/reports/production/${row.id}/pdf`,
  created_at: row.createdAt,
  updated_at: row.updatedAt,
  started_at: row.startedAt,
  finished_at: row.finishedAt,
});

const bodyError = (path: string, message: string) =>
  new AppError("VALIDATION_ERROR", `Invalid request body: ${path} ${message}`, { details: [{ path, message }] });

/** The lines a request names (all enabled ones when it names none), checked to exist. */
async function linesFor({ db }: Pick<Deps, "db">, input: GenerateReport): Promise<string[]> {
  const named = [...new Set([...(input.line_ids ?? []), ...(input.line_id ? [input.line_id] : [])])];
  if (named.length === 0) {
    const rows = await db
      .select({ id: productionLines.id })
      .from(productionLines)
      .where(eq(productionLines.enabled, true))
      .orderBy(asc(productionLines.lineCode))
      .limit(MAX_REPORT_LINES + 1);
    if (rows.length === 0) throw bodyError("body.line_ids", "No enabled production line to report on");
    if (rows.length > MAX_REPORT_LINES) throw bodyError("body.line_ids", `More than ${MAX_REPORT_LINES} enabled lines: name the lines to report on`);
    return rows.map((r) => r.id);
  }
  if (named.length > MAX_REPORT_LINES) throw bodyError("body.line_ids", `A report covers at most ${MAX_REPORT_LINES} lines`);
  const found = await db.select({ id: productionLines.id }).from(productionLines).where(inArray(productionLines.id, named));
  const known = new Set(found.map((r) => r.id));
  const missing = named.filter((id) => !known.has(id));
  if (missing.length > 0) throw bodyError("body.line_ids", `No such production line: ${missing.join(", ")}`);
  return named;
}

type ReapDeps = Pick<Deps, "db" | "queues" | "requestId" | "now" | "config">;

/**
 * Re-queues or fails the requester's reports whose lease expired (src/lib/jobs.ts), so a report
 * whose worker died never holds a place under the cap.
 */
async function reapOwnReports(deps: ReapDeps, requestedBy: string): Promise<void> {
  const cutoff = new Date(deps.now().getTime() - leaseMs(deps)).toISOString();
  const stale = await deps.db
    .select()
    .from(productionReports)
    .where(
      and(
        eq(productionReports.requestedBy, requestedBy),
        inArray(productionReports.state, ["queued", "rendering"]),
        or(isNull(productionReports.heartbeatAt), lte(productionReports.heartbeatAt, cutoff)),
      ),
    )
    .limit(MAX_ACTIVE_REPORTS);
  for (const row of stale) await reapIfExpired(deps, reportJobKind, row);
}

/** Reports one requester may have queued or rendering at once. */
export const MAX_ACTIVE_REPORTS = 5;

/**
 * Records a report request and queues it for the documents worker (202 with the job). The
 * request is only recorded while the requester has fewer than MAX_ACTIVE_REPORTS reports
 * queued or rendering (409 otherwise), checked in the same statement as the insert, so
 * concurrent requests cannot overshoot it. If the queue refuses the message, the report is
 * marked failed and the request answers 503.
 */
export async function generateReport(deps: ReapDeps, input: GenerateReport, actor: Principal): Promise<ProductionReport> {
  const lineIds = await linesFor(deps, input);
  const requestedBy = actorId(actor);
  await reapOwnReports(deps, requestedBy);
  const active = deps.db
    .select({ n: count() })
    .from(productionReports)
    .where(and(eq(productionReports.requestedBy, requestedBy), inArray(productionReports.state, ["queued", "rendering"])));
  const [row] = await insertWhere(
    deps,
    productionReports,
    {
      id: crypto.randomUUID(),
      title: input.title ?? `Production report ${input.start_date} – ${input.end_date}`,
      lineIds,
      startDate: input.start_date,
      endDate: input.end_date,
      groupBy: input.group_by,
      utcOffsetMinutes: input.utc_offset_minutes,
      shiftStartHour: input.shift_start_hour,
      requestedBy,
    },
    sql`${active} < ${MAX_ACTIVE_REPORTS}`,
  ).returning();
  if (!row) {
    throw new AppError("CONFLICT", `You have ${MAX_ACTIVE_REPORTS} reports queued or rendering; wait for one to finish`, { reason: "reports_busy" });
  }
  const message: ProductionReportMessage = { type: "production_report", reportId: row.id, requestId: deps.requestId.slice(0, 100) };
  try {
    await deps.queues.documents.send(message, { contentType: "json" });
  } catch (err) {
    await deps.db
      .update(productionReports)
      .set({ state: "failed", error: "The documents queue refused the job; request the report again" })
      .where(eq(productionReports.id, row.id));
    log("error", "report could not be queued", { reportId: row.id, error: err instanceof Error ? err.message : String(err) });
    throw new AppError("SERVICE_UNAVAILABLE", "The report could not be queued; try again", { cause: err });
  }
  return toReport(row);
}

const reportNotFound = () => new AppError("NOT_FOUND", "Production report not found", { reason: "report_not_found" });

/** A report, re-queued or failed first when its lease expired (src/lib/jobs.ts). */
async function findReport(deps: ReapDeps, id: string): Promise<Row> {
  const [row] = await deps.db.select().from(productionReports).where(eq(productionReports.id, id)).limit(1);
  if (!row) throw reportNotFound();
  return reapIfExpired(deps, reportJobKind, row);
}

/** One report's state. */
export async function getReport(deps: ReapDeps, id: string, _actor: Principal): Promise<ProductionReport> {
  return toReport(await findReport(deps, id));
}

/** Reports, newest first, optionally in one state. */
export async function listReports(deps: ReapDeps, q: ReportListQuery, _actor: Principal) {
  const { db } = deps;
  const query = db
    .select()
    .from(productionReports)
    .where(q.state ? eq(productionReports.state, q.state) : undefined)
    .$dynamic();
  const page = await paginate(db, query, q, { orderBy: [desc(productionReports.createdAt), desc(productionReports.id)], tiebreaker: productionReports.id });
  const items = await Promise.all(page.items.map((row) => reapIfExpired(deps, reportJobKind, row)));
  return { ...page, items: items.map(toReport) };
}

export interface ReportPdf {
  body: ReadableStream;
  size: number;
  filename: string;
}

/**
 * A report's PDF when it is ready, or its state while it is queued or rendering. A failed
 * report answers 409 with its error (request a new one).
 */
export async function openReportPdf(
  deps: ReapDeps & Pick<Deps, "files">,
  id: string,
  _actor: Principal,
): Promise<{ pending: ProductionReport } | { ready: ReportPdf }> {
  const row = await findReport(deps, id);
  if (row.state === "queued" || row.state === "rendering") return { pending: toReport(row) };
  if (row.state === "failed")
    throw new AppError("CONFLICT", `The report failed: ${row.error ?? "unknown error"}`, { reason: "report_failed", details: toReport(row) });
  const object = row.pdfKey ? await deps.files.get(row.pdfKey) : null;
  if (!object) throw new AppError("INTERNAL_ERROR", "The report's PDF is missing from storage; request the report again");
  return { ready: { body: object.body, size: object.size, filename: `production-report-${row.startDate}-${row.endDate}-${row.id.slice(0, 8)}.pdf` } };
}

/**
 * Deletes a report that is finished (ready or failed) with its PDF: its requester's own, or any
 * for a holder of every permission. A report still queued or rendering is 409 (it ends on its own,
 * or its lease runs out and it fails). The PDF key is queued in the file outbox in the same batch.
 */
export async function deleteReport(deps: Pick<Deps, "db" | "files" | "waitUntil">, id: string, actor: Principal): Promise<void> {
  const [row] = await deps.db.select().from(productionReports).where(eq(productionReports.id, id)).limit(1);
  if (!row) throw reportNotFound();
  if (row.requestedBy !== actorId(actor) && !actor.permissions.has("*")) {
    throw new AppError("AUTHORIZATION_ERROR", "Only the report's requester or an administrator may delete it", { reason: "report_not_yours" });
  }
  if (row.state === "queued" || row.state === "rendering") {
    throw new AppError("CONFLICT", `The report is ${row.state}; delete it once it is ready or failed`, {
      reason: "report_in_progress",
      details: toReport(row),
    });
  }
  const finished = and(eq(productionReports.id, id), inArray(productionReports.state, ["ready", "failed"]));
  const [, deleted] = await deps.db.batch([
    queueFileDeletionsOf(deps.db, productionReports.pdfKey, finished),
    deps.db.delete(productionReports).where(finished).returning({ id: productionReports.id }),
  ]);
  if (deleted.length === 0) throw reportNotFound();
  if (row.pdfKey) deps.waitUntil(purgeFiles(deps, [row.pdfKey]));
}

/**
 * Records one run of a scheduled report and, if this call recorded it, queues it (the hourly
 * runner, modules/reports/runner.ts). Idempotent per (schedule, slot): the report row is unique
 * on them, so a retried or concurrent cron records the run once, and only the call that inserted
 * it sends. The schedule's `last_run_at` moves in the same batch. If the queue refuses the
 * message the report stays queued with its lease: the hourly reaper sends it again.
 * Not under the per-requester cap: a scheduled run is not dropped because its owner is busy.
 * Returns whether this call queued the run.
 */
export async function enqueueScheduledRun(
  deps: Pick<Deps, "db" | "queues" | "requestId">,
  input: GenerateReport,
  run: { scheduleId: string; slot: string; requestedBy: string; markRun: Parameters<Deps["db"]["batch"]>[0][number] },
): Promise<boolean> {
  const lineIds = await linesFor(deps, input);
  const [inserted] = await deps.db.batch([
    deps.db
      .insert(productionReports)
      .values({
        id: crypto.randomUUID(),
        title: input.title ?? `Production report ${input.start_date} – ${input.end_date}`,
        lineIds,
        startDate: input.start_date,
        endDate: input.end_date,
        groupBy: input.group_by,
        utcOffsetMinutes: input.utc_offset_minutes,
        shiftStartHour: input.shift_start_hour,
        requestedBy: run.requestedBy,
        scheduleId: run.scheduleId,
        scheduleSlot: run.slot,
      })
      .onConflictDoNothing()
      .returning({ id: productionReports.id }),
    run.markRun,
  ]);
  const row = inserted[0];
  if (!row) return false;
  const message: ProductionReportMessage = { type: "production_report", reportId: row.id, requestId: deps.requestId.slice(0, 100) };
  try {
    await deps.queues.documents.send(message, { contentType: "json" });
  } catch (err) {
    log("warn", "scheduled report not queued; the reaper sends it when its lease runs out", {
      reportId: row.id,
      error: err instanceof Error ? err.message : String(err),
    });
  }
  return true;
}
