import { eq } from "drizzle-orm";
import hbSubset from "harfbuzzjs/dist/harfbuzz-subset.wasm";
import { createDb } from "../../src/db/client";
import { labelJobs, productionReports } from "../../src/db/schema";
import { failDeadLettered } from "../../src/lib/jobs";
import { log } from "../../src/lib/logging";
import { LABEL_JOB_MAX_ATTEMPTS, labelJobKind } from "../../src/modules/labels/lease";
import { REPORT_MAX_ATTEMPTS, reportJobKind } from "../../src/modules/reports/lease";
import { DocumentsMessage } from "../../src/queues/messages";
import { consumeBatch } from "../shared";
import reportFont from "./generated/report-font.bin";
import { handleLabelJob } from "./labels";
import { renderProductionReport } from "./reports";

/** The single-label renderer the API calls through its DOCUMENTS service binding (RPC only). */
export { LabelRenderer } from "./single-label";

/** Consumer of the documents queue. Label and report PDF jobs arrive with their issues. */
export default {
  async queue(batch, env, _ctx) {
    await consumeBatch(
      batch.queue,
      batch.messages,
      DocumentsMessage,
      async (message, meta) => {
        switch (message.type) {
          case "probe":
            log("info", "documents queue probe received", { requestId: message.requestId, messageId: meta.id, sentAt: message.sentAt });
            return;
          case "label_job":
            return handleLabelJob(env, message, meta.attempts);
          case "production_report":
            return renderProductionReport(
              { db: env.DB, files: env.FILES, font: { bytes: reportFont, subsetter: hbSubset }, now: () => new Date() },
              message,
              meta,
            );
        }
      },
      {
        maxAttempts: Math.min(LABEL_JOB_MAX_ATTEMPTS, REPORT_MAX_ATTEMPTS),
        async onDeadLetter(message, attempts, err) {
          const deps = { db: createDb(env.DB), now: () => new Date() };
          if (message.type === "label_job" && attempts >= LABEL_JOB_MAX_ATTEMPTS) {
            await failDeadLettered(
              deps,
              labelJobKind,
              async (db) => (await db.select().from(labelJobs).where(eq(labelJobs.id, message.jobId)))[0],
              attempts,
              err,
            );
          } else if (message.type === "production_report" && attempts >= REPORT_MAX_ATTEMPTS) {
            await failDeadLettered(
              deps,
              reportJobKind,
              async (db) => (await db.select().from(productionReports).where(eq(productionReports.id, message.reportId)))[0],
              attempts,
              err,
            );
          }
        },
      },
    );
  },
} satisfies ExportedHandler<DocumentsEnv>;
