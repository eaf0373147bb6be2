import occtWasm from "occt-import-js/dist/occt-import-js.wasm";
import { log } from "../../src/lib/logging";
import { ConvertMessage } from "../../src/queues/messages";
import { consumeBatch } from "../shared";
import { convertStep } from "./job";

/**
 * Consumer of the conversion queue: STEP → GLB jobs (see ./job.ts). The occt-import-js WASM is
 * imported here, as a compiled module, and nowhere in the API worker.
 */
export default {
  async queue(batch, env, _ctx) {
    await consumeBatch(batch.queue, batch.messages, ConvertMessage, async (message, meta) => {
      switch (message.type) {
        case "probe":
          log("info", "convert queue probe received", { requestId: message.requestId, messageId: meta.id, sentAt: message.sentAt });
          return;
        case "convert_step":
          await convertStep({ db: env.DB, files: env.FILES, wasm: occtWasm, now: () => new Date() }, message, meta);
          return;
      }
    });
  },
} satisfies ExportedHandler<ConvertEnv>;
