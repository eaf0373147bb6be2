import { log } from "../../src/lib/logging";
import { ConvertMessage } from "../../src/queues/messages";
import { consumeBatch } from "../shared";

/** Consumer of the conversion queue. STEP → GLB jobs arrive with the parts issue. */
export default {
  async queue(batch, _env, _ctx) {
    await consumeBatch(batch.queue, batch.messages, ConvertMessage, async (message, meta) => {
      switch (message.type) {
        case "probe":
          log("info", "convert queue probe received", { requestId: message.requestId, messageId: meta.id, sentAt: message.sentAt });
          return;
      }
    });
  },
} satisfies ExportedHandler<ConvertEnv>;
