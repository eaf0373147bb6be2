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
import { holdFiles, referencedIn, releaseFiles } from "../../src/lib/files";
import { describeError, log } from "../../src/lib/logging";
import { REPORT_MAX_ATTEMPTS } from "../../src/modules/reports/lease";
import type { ProductionReportMessage } from "../../src/queues/messages";
import { gatherReport } from "./report-data";
import { type ReportFont, renderReportPdf } from "./report-pdf";

export { REPORT_MAX_ATTEMPTS } from "../../src/modules/reports/lease";

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
    .set({ state: "rendering", attempts: sql`${productionReports.attempts} + 1`, startedAt: ctx.now().toISOString(), heartbeatAt: ctx.now().toISOString() })
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
    // Pending in the file outbox until the ready row points to it (src/lib/files.ts).
    await holdFiles(db, [key], ctx.now());
    await ctx.files.put(key, rendered.pdf, { httpMetadata: { contentType: "application/pdf" } });
    await db.batch([
      db
        .update(productionReports)
        .set({ state: "ready", pdfKey: key, pdfBytes: rendered.pdf.byteLength, pageCount: rendered.pages, error: null, finishedAt: ctx.now().toISOString() })
        .where(and(mine, eq(productionReports.state, "rendering"))),
      releaseFiles(db, [key], referencedIn(db, productionReports.pdfKey)),
    ]);
    log("info", "report ready", {
      reportId: report.id,
      pages: rendered.pages,
      bytes: rendered.pdf.byteLength,
      lines: data.lines.length,
      ms: Date.now() - started,
    });
  } catch (err) {
    // The row counts every claim, including those of messages the reaper sent again.
    const last = Math.max(meta.attempts, report.attempts) >= REPORT_MAX_ATTEMPTS;
    const reason = `Rendering failed: ${describeError(err).error}`;
    // Only while the report is still this attempt's: a duplicate delivery that claimed it since
    // (attempts moved on) or finished it (ready) keeps what it wrote.
    await db
      .update(productionReports)
      .set({
        state: last ? "failed" : "queued",
        error: reason.slice(0, 500),
        finishedAt: last ? ctx.now().toISOString() : null,
        heartbeatAt: ctx.now().toISOString(),
      })
      .where(and(mine, eq(productionReports.state, "rendering"), eq(productionReports.attempts, report.attempts)));
    throw err;
  }
}
