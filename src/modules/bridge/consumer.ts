/**
 * The import queue's consumer (the API worker consumes it itself: src/index.ts `queue`): each
 * message runs or resumes one import job (./runner.ts). A run that throws (the legacy database
 * unreachable, D1 down) is retried with back-off; after the last delivery the job is marked
 * failed with the error (dead letter).
 */
import { eq } from "drizzle-orm";
import { consumeBatch } from "../../../workers/shared";
import { createDb } from "../../db/client";
import { importJobs } from "../../db/schema";
import { featureReader } from "../../lib/config";
import { failDeadLettered } from "../../lib/jobs";
import { ImportMessage } from "../../queues/messages";
import { attendanceConfig } from "../attendance/config";
import { consumeSalesImport } from "../salesdata/service";
import { IMPORT_JOB_MAX_ATTEMPTS, importJobKind } from "./lease";
import { runImport } from "./runner";
import { LEGACY_SOURCES_BY_NAME, legacyHyperdrive } from "./sources";

/** Deliveries of one message: the first plus wrangler.toml's `max_retries` (2). */
const MAX_DELIVERIES = 3;

export async function consumeImports(batch: MessageBatch, env: Env): Promise<void> {
  const db = createDb(env.DB);
  const now = () => new Date();
  await consumeBatch(
    "imports",
    batch.messages,
    ImportMessage,
    async (message) => {
      if (message.type === "probe") return;
      if (message.type === "sales_import") return consumeSalesImport(env, message);
      await runImport(
        {
          db,
          files: env.FILES,
          hyperdrive: (source) => legacyHyperdrive(env, source),
          plantTimeZone: () => featureReader(env)(attendanceConfig).timeZone,
          now,
        },
        LEGACY_SOURCES_BY_NAME,
        message.jobId,
      );
    },
    {
      maxAttempts: Math.min(MAX_DELIVERIES, IMPORT_JOB_MAX_ATTEMPTS),
      onDeadLetter: async (message, attempts, err) => {
        if (message.type !== "import_job") return;
        await failDeadLettered(
          { db, now },
          importJobKind,
          async (d) => (await d.select().from(importJobs).where(eq(importJobs.id, message.jobId)))[0],
          attempts,
          err,
        );
      },
    },
  );
}
