/**
 * The import queue's consumer, run by the import worker (workers/import/index.ts): each message
 * runs or resumes one import job (./runner.ts). A run that throws (the legacy database
 * unreachable, D1 down) is retried with back-off; after the last delivery the job is marked
 * failed with the error (dead letter) and its uploaded file deleted. A run near D1's 1,000 queries
 * an invocation (counted here, per batch) sends its job's message again to IMPORT_QUEUE and stops.
 */
import { eq } from "drizzle-orm";
import { consumeBatch } from "../../../workers/shared";
import { createDb } from "../../db/client";
import { importJobs } from "../../db/schema";
import { featureReader } from "../../lib/config";
import { failDeadLettered } from "../../lib/jobs";
import { ImportMessage } from "../../queues/messages";
import { attendanceConfig } from "../attendance/config";
import { consumeSalesImport } from "../salesdata/import";
import { IMPORT_JOB_MAX_ATTEMPTS, importJobKind } from "./lease";
import { countQueries, D1_QUERY_BUDGET, type RunDeps, runImport } from "./runner";
import { LEGACY_SOURCES_BY_NAME, legacyHyperdrive } from "./sources";
import { purgeJobFile } from "./upload-outbox";

/** Deliveries of one message: the first plus workers/import/wrangler.toml's `max_retries` (2). */
const MAX_DELIVERIES = 3;

/**
 * The bindings the import worker needs (workers/import/wrangler.toml; its generated ImportEnv
 * satisfies this), plus its optional vars (ATTENDANCE_TIME_ZONE: RM365's clock times).
 */
export interface ImportWorkerEnv {
  DB: D1Database;
  FILES: R2Bucket;
  /** The import queue itself: a run at its D1 query budget hands its job on (./runner.ts `handOff`). */
  IMPORT_QUEUE: Queue;
  LEGACY_DB: Hyperdrive;
  LEGACY_RM365_DB: Hyperdrive;
  LEGACY_RM365_INVENTORY_DB: Hyperdrive;
}

export async function consumeImports(batch: MessageBatch, env: ImportWorkerEnv): Promise<void> {
  // One count per invocation: D1's limit is the invocation's, whatever runs in it.
  const queries = { spent: 0, budget: D1_QUERY_BUDGET };
  const db = createDb(countQueries(env.DB, queries));
  const now = () => new Date();
  const deps: RunDeps = {
    db,
    queries,
    queue: env.IMPORT_QUEUE,
    files: env.FILES,
    hyperdrive: (source) => legacyHyperdrive(env, source),
    plantTimeZone: () => featureReader(env)(attendanceConfig).timeZone,
    now,
  };
  await consumeBatch(
    batch.queue,
    batch.messages,
    ImportMessage,
    async (message) => {
      switch (message.type) {
        case "probe":
          return;
        case "import_job":
          await runImport(deps, LEGACY_SOURCES_BY_NAME, message.jobId, message.requestId);
          return;
        case "sales_import":
          await consumeSalesImport(env, message);
          return;
      }
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
        await purgeJobFile(deps, message.jobId);
      },
    },
  );
}
