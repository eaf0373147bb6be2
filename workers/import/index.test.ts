import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { importJobs } from "../../src/db/schema";
import { ccExportData, ccExportText } from "../../test/fixtures/legacy/ccbackend-export";
import { describeConsumer } from "../consumer-test";
import worker from "./index";

// Runs in the test runtime beside the API worker; typechecked by this worker's own tsconfig.
describeConsumer("import", worker, "floorline-imports");

it("the import worker runs an import job from its message, stores its verification and deletes its file", { timeout: 60_000 }, async () => {
  const db = createDb(env.DB);
  const key = `imports/${crypto.randomUUID()}`;
  await env.FILES.put(key, ccExportText(ccExportData({ items: 2, logs: 3, reports: 1, users: 1 })));
  const id = crypto.randomUUID();
  // Recorded without a message (as if the API's send had been lost): only this batch runs it.
  await db.insert(importJobs).values({
    id,
    source: "ccbackend",
    mode: "full",
    input: { file_key: key, mode: "full" },
    fileKey: key,
    report: {},
    failures: [],
    createdBy: "test",
    username: "test",
  });
  const batch = createMessageBatch("floorline-imports", [
    { id: "m1", timestamp: new Date(), attempts: 1, body: { type: "import_job", jobId: id, requestId: "r1" } },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["m1"]);
  const [job] = await db.select().from(importJobs).where(eq(importJobs.id, id));
  expect(job).toMatchObject({ state: "completed", error: null });
  expect(job?.verification?.length).toBeGreaterThan(0);
  expect(job?.verification?.every((t) => t.match)).toBe(true);
  expect(await env.FILES.head(key)).toBeNull();
});
