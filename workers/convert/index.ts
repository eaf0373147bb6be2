import { and, eq } from "drizzle-orm";
import occtWasm from "occt-import-js/dist/occt-import-js.wasm";
import { createDb } from "../../src/db/client";
import { conversionJobs } from "../../src/db/schema";
import { failDeadLettered } from "../../src/lib/jobs";
import { log } from "../../src/lib/logging";
import { CONVERSION_MAX_ATTEMPTS, conversionJobKind } from "../../src/modules/parts/lease";
import { ConvertMessage } from "../../src/queues/messages";
import { consumeBatch } from "../shared";
import { convertStep } from "./job";

/**
 * Consumer of the conversion queue: STEP → GLB jobs (see ./job.ts). The occt-import-js WASM is
 * imported here, as a compiled module, and nowhere in the API worker.
 */
export default {
  async queue(batch, env, _ctx) {
    await consumeBatch(
      batch.queue,
      batch.messages,
      ConvertMessage,
      async (message, meta) => {
        switch (message.type) {
          case "probe":
            log("info", "convert queue probe received", { requestId: message.requestId, messageId: meta.id, sentAt: message.sentAt });
            return;
          case "convert_step":
            await convertStep({ db: env.DB, files: env.FILES, wasm: occtWasm, now: () => new Date() }, message, meta);
            return;
        }
      },
      {
        maxAttempts: CONVERSION_MAX_ATTEMPTS,
        async onDeadLetter(message, attempts, err) {
          if (message.type !== "convert_step") return;
          const mine = and(eq(conversionJobs.partId, message.partId), eq(conversionJobs.jobId, message.jobId));
          await failDeadLettered(
            { db: createDb(env.DB), now: () => new Date() },
            conversionJobKind,
            async (db) => (await db.select().from(conversionJobs).where(mine))[0],
            attempts,
            err,
          );
        },
      },
    );
  },
} satisfies ExportedHandler<ConvertEnv>;
