/**
 * One production-report job, as the documents queue delivers it. Idempotent: a message can
 * arrive twice, and only a report still queued (or left rendering by a crashed attempt) is
 * rendered. A failed attempt records its failure only while the report is still rendering under
 * that attempt, so a duplicate delivery's failure never undoes another delivery's `ready`.
 *
 *   queued → rendering → ready
 *                      ↘ queued (error recorded, retried with backoff) … → failed (last attempt;
 *                        the queue then moves the message to the dead-letter queue)
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import { createDb } from "../../src/db/client";
import { productionReports } from "../../src/db/schema";
import { describeError, log } from "../../src/lib/logging";
import type { ProductionReportMessage } from "../../src/queues/messages";
import { gatherReport } from "./report-data";
import { type ReportFont, renderReportPdf } from "./report-pdf";

/** Deliveries of one message: the first plus `max_retries` (3, workers/documents/wrangler.toml). */
export const REPORT_MAX_ATTEMPTS = 4;

/** Where a report's PDF lives in R2. */
export const reportPdfKey = (reportId: string) => `reports/production/${reportId}.pdf`;

export interface ReportContext {
  db: D1Database;
  files: R2Bucket;
  /** The CJK font and its subsetter. */
  font: ReportFont;
  now: () => Date;
}

/** Renders one report; throws (so the queue retries, then dead-letters) when it fails. */
export async function renderProductionReport(ctx: ReportContext, message: ProductionReportMessage, meta: { id: string; attempts: number }): Promise<void> {
  const db = createDb(ctx.db);
  const mine = eq(productionReports.id, message.reportId);
  const [report] = await db
    .update(productionReports)
    .set({ state: "rendering", attempts: sql`${productionReports.attempts} + 1`, startedAt: ctx.now().toISOString() })
    .where(and(mine, inArray(productionReports.state, ["queued", "rendering"])))
    .returning();
  if (!report) {
    log("info", "report dropped: already finished, failed or deleted", { reportId: message.reportId, messageId: meta.id });
    return;
  }
  const started = Date.now();
  try {
    const data = await gatherReport(ctx.db, report, ctx.now());
    const rendered = await renderReportPdf(data, ctx.font);
    if (rendered.missing.length > 0) {
      log("warn", "report text outside the font drawn as '?'", { reportId: report.id, characters: rendered.missing.slice(0, 50).join("") });
    }
    const key = reportPdfKey(report.id);
    await ctx.files.put(key, rendered.pdf, { httpMetadata: { contentType: "application/pdf" } });
    await db
      .update(productionReports)
      .set({ state: "ready", pdfKey: key, pdfBytes: rendered.pdf.byteLength, pageCount: rendered.pages, error: null, finishedAt: ctx.now().toISOString() })
      .where(and(mine, eq(productionReports.state, "rendering")));
    log("info", "report ready", {
      reportId: report.id,
      pages: rendered.pages,
      bytes: rendered.pdf.byteLength,
      lines: data.lines.length,
      ms: Date.now() - started,
    });
  } catch (err) {
    const last = meta.attempts >= REPORT_MAX_ATTEMPTS;
    const reason = `Rendering failed: ${describeError(err).error}`;
    // Only while the report is still this attempt's: a duplicate delivery that claimed it since
    // (attempts moved on) or finished it (ready) keeps what it wrote.
    await db
      .update(productionReports)
      .set({ state: last ? "failed" : "queued", error: reason.slice(0, 500), finishedAt: last ? ctx.now().toISOString() : null })
      .where(and(mine, eq(productionReports.state, "rendering"), eq(productionReports.attempts, report.attempts)));
    throw err;
  }
}
