import hbSubset from "harfbuzzjs/dist/harfbuzz-subset.wasm";
import { log } from "../../src/lib/logging";
import { DocumentsMessage } from "../../src/queues/messages";
import { consumeBatch } from "../shared";
import reportFont from "./generated/report-font.bin";
import { handleLabelJob } from "./labels";
import { renderProductionReport } from "./reports";

/** Consumer of the documents queue. Label and report PDF jobs arrive with their issues. */
export default {
  async queue(batch, env, _ctx) {
    await consumeBatch(batch.queue, batch.messages, DocumentsMessage, async (message, meta) => {
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
    });
  },
} satisfies ExportedHandler<DocumentsEnv>;
