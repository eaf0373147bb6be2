/**
 * Crash states, recreated: rows left in progress by a killed isolate (leases expired), files
 * left pending by a killed upload or worker, and a message dead-lettered by a consumer. One run of
 * the scheduled handler (the hourly cron) must leave every job finished or failed with a reason
 * (or re-queued within its retry limit), no file that no row references, and no cap held by a
 * dead job. The live version, with `kill -9` of `wrangler dev`, is scripts/crash-test.mjs.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { conversionJobs, labelJobs, pendingFileDeletions, productionReports } from "../../src/db/schema";
import worker from "../../src/index";
import { failDeadLettered } from "../../src/lib/jobs";
import { LABEL_JOB_MAX_ATTEMPTS, labelJobKind } from "../../src/modules/labels/lease";
import { BUILTIN_TEMPLATES } from "../../src/modules/labels/templates";
import { CONVERSION_MAX_ATTEMPTS } from "../../src/modules/parts/lease";
import { REPORT_MAX_ATTEMPTS } from "../../src/modules/reports/lease";
import { consumeBatch } from "../../workers/shared";
import { call, db, loginAs, testDeps, unique } from "../helpers";
import { makeItems } from "../labels/fixtures";

const LEASE_MS = testDeps().config.JOB_LEASE_SECONDS * 1000;
/** A heartbeat the lease has run out on: the holder died a while ago. */
const dead = () => new Date(Date.now() - LEASE_MS - 60_000).toISOString();
const template = BUILTIN_TEMPLATES[0];
if (!template) throw new Error("no built-in label template");

async function runCron(): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ cron: "17 * * * *", scheduledTime: Date.now() }), env, ctx);
  await waitOnExecutionContext(ctx);
}

async function labelJob(userId: string, values: Partial<typeof labelJobs.$inferInsert>) {
  const id = crypto.randomUUID();
  await db()
    .insert(labelJobs)
    .values({
      id,
      templateId: template?.id ?? "",
      template: template as NonNullable<typeof template>,
      itemIds: [],
      total: 10_000,
      createdBy: userId,
      username: "t",
      ...values,
    });
  return id;
}

async function report(requestedBy: string, values: Partial<typeof productionReports.$inferInsert>) {
  const id = crypto.randomUUID();
  await db()
    .insert(productionReports)
    .values({ id, title: "r", lineIds: [], startDate: "2026-11-01", endDate: "2026-11-02", groupBy: "day", requestedBy, ...values });
  return id;
}

async function newPart(token: string): Promise<number> {
  const res = await call("/api/v1/parts", { token, body: { type: "cnc", name: unique("Model"), part_id: unique("M"), material: "al", subsystem: "CAD" } });
  expect(res.status).toBe(201);
  return Number(res.json.id);
}

const labelRow = async (id: string) => (await db().select().from(labelJobs).where(eq(labelJobs.id, id)))[0];
const reportRow = async (id: string) => (await db().select().from(productionReports).where(eq(productionReports.id, id)))[0];
const conversionRow = async (partId: number) => (await db().select().from(conversionJobs).where(eq(conversionJobs.partId, partId)))[0];

describe("jobs interrupted by a crash", () => {
  it("one cron run re-queues jobs with attempts left and fails the rest, with a reason, for every job kind", async () => {
    const engineer = await loginAs("engineer");
    const [partA, partB] = [await newPart(engineer.token), await newPart(engineer.token)];
    const user = crypto.randomUUID();
    // kill -9 mid-job: a label job at processing 9750/10000, a conversion converting, a report queued.
    const labelRetry = await labelJob(user, { status: "processing", done: 9750, attempts: 1, heartbeatAt: dead() });
    const labelDead = await labelJob(user, { status: "processing", done: 9750, attempts: LABEL_JOB_MAX_ATTEMPTS, heartbeatAt: dead() });
    const reportLost = await report(user, { state: "queued", attempts: 0, heartbeatAt: dead() });
    const reportDead = await report(user, { state: "rendering", attempts: REPORT_MAX_ATTEMPTS, heartbeatAt: dead() });
    const alive = await report(user, { state: "rendering", attempts: 1, heartbeatAt: new Date().toISOString() });
    await db()
      .insert(conversionJobs)
      .values([
        { partId: partA, jobId: crypto.randomUUID(), state: "converting", stepKey: "parts/files/a.step", attempts: 1, heartbeatAt: dead() },
        {
          partId: partB,
          jobId: crypto.randomUUID(),
          state: "converting",
          stepKey: "parts/files/b.step",
          attempts: CONVERSION_MAX_ATTEMPTS,
          heartbeatAt: dead(),
        },
      ]);

    await runCron();

    expect(await labelRow(labelRetry)).toMatchObject({
      status: "queued",
      done: 0,
      attempts: 1,
      error: expect.stringMatching(/no sign of life.*re-queued \(attempt 2 of 3\)/),
    });
    expect(await labelRow(labelDead)).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/no sign of life.*gave up after 3 of 3/),
      finishedAt: expect.any(String),
    });
    // Never claimed: the re-queue is its attempt.
    expect(await reportRow(reportLost)).toMatchObject({ state: "queued", attempts: 1, error: expect.stringMatching(/re-queued/) });
    expect(await reportRow(reportDead)).toMatchObject({ state: "failed", error: expect.stringMatching(/gave up/) });
    expect(await reportRow(alive)).toMatchObject({ state: "rendering", error: null });
    expect(await conversionRow(partA)).toMatchObject({ state: "queued", error: expect.stringMatching(/re-queued/) });
    expect(await conversionRow(partB)).toMatchObject({ state: "failed", error: expect.stringMatching(/gave up/) });
  });

  it("a read reaps the job it reads: a dead conversion reads as failed at once, not after the cron", async () => {
    const engineer = await loginAs("engineer");
    const part = await newPart(engineer.token);
    await db().insert(conversionJobs).values({
      partId: part,
      jobId: crypto.randomUUID(),
      state: "converting",
      stepKey: "parts/files/c.step",
      attempts: CONVERSION_MAX_ATTEMPTS,
      heartbeatAt: dead(),
    });
    const res = await call(`/api/v1/parts/${part}/conversion`, { token: engineer.token });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ state: "failed", error: expect.stringMatching(/no sign of life/) });
  });

  it("five dead label jobs no longer lock their creator out of the cap; the failed ones can be deleted", async () => {
    const printer = await loginAs("production_manager", { allowed_tabs: ["labels", "inventory"] });
    const userId = printer.id;
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await labelJob(userId, { status: "processing", done: 9750, attempts: LABEL_JOB_MAX_ATTEMPTS, heartbeatAt: dead() }));
    const items = await makeItems(2);
    const started = await call("/api/v1/labels/start-job", { token: printer.token, body: { item_ids: items.map((i) => i.id) } });
    expect(started.status).toBe(202);
    const failed = await call(`/api/v1/labels/job/${ids[0]}`, { token: printer.token });
    expect(failed.json).toMatchObject({ status: "failed", error: expect.stringMatching(/no sign of life/) });
    expect((await call(`/api/v1/labels/job/${ids[0]}`, { token: printer.token, method: "DELETE" })).status).toBe(200);
  });

  it("five dead reports no longer hold the report cap; a failed report can be deleted by its requester, not by another", async () => {
    const manager = await loginAs("production_manager");
    const other = await loginAs("production_manager");
    const userId = manager.id;
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await report(userId, { state: "rendering", attempts: REPORT_MAX_ATTEMPTS, heartbeatAt: dead() }));
    const line = await call("/api/v1/production/lines", { token: manager.token });
    const lineId = (line.json.items as { id: string }[] | undefined)?.[0]?.id;
    const body = { start_date: "2026-11-01", end_date: "2026-11-02", group_by: "day", ...(lineId ? { line_ids: [lineId] } : {}) };
    const generated = await call("/api/v1/reports/production/generate", { token: manager.token, body });
    expect([202, 422]).toContain(generated.status); // 422 only when no line exists: the cap was not what refused
    expect(generated.status).not.toBe(409);
    expect((await call(`/api/v1/reports/production/${ids[0]}`, { token: manager.token })).json).toMatchObject({ state: "failed" });
    expect((await call(`/api/v1/reports/production/${ids[0]}`, { token: other.token, method: "DELETE" })).status).toBe(403);
    expect((await call(`/api/v1/reports/production/${ids[0]}`, { token: manager.token, method: "DELETE" })).status).toBe(200);
    expect(await reportRow(ids[0] ?? "")).toBeUndefined();
  });

  it("a message a consumer dead-letters fails its job with the error", async () => {
    const user = crypto.randomUUID();
    const id = await labelJob(user, { status: "processing", done: 250, attempts: LABEL_JOB_MAX_ATTEMPTS, heartbeatAt: new Date().toISOString() });
    const acks: string[] = [];
    const message = {
      id: "m1",
      body: { type: "label_job", jobId: id, requestId: "r" },
      attempts: LABEL_JOB_MAX_ATTEMPTS,
      ack: () => acks.push("ack"),
      retry: () => acks.push("retry"),
    };
    const { DocumentsMessage } = await import("../../src/queues/messages");
    await consumeBatch(
      "floorline-documents",
      [message],
      DocumentsMessage,
      async () => {
        throw new Error("D1 went away");
      },
      {
        maxAttempts: LABEL_JOB_MAX_ATTEMPTS,
        onDeadLetter: (m, attempts, err) =>
          m.type === "label_job"
            ? failDeadLettered(
                testDeps(),
                labelJobKind,
                async (d) => (await d.select().from(labelJobs).where(eq(labelJobs.id, m.jobId)))[0],
                attempts,
                err,
              ).then(() => undefined)
            : Promise.resolve(),
      },
    );
    expect(acks).toEqual(["retry"]); // the queue dead-letters it
    expect(await labelRow(id)).toMatchObject({ status: "failed", error: expect.stringMatching(/last delivery \(3\): .*D1 went away/) });
  });
});

describe("files left by a crash", () => {
  const KINDS = ["reports/photo.jpg", "parts/files/model.step", "parts/models/job.glb", "parts/views/view.png", "labels/job.pdf", "reports/production/r.pdf"];

  it("one cron run deletes every file whose writer died before its row committed; files being written stay", async () => {
    const run = crypto.randomUUID().slice(0, 8);
    const abandoned = KINDS.map((k) => `${k.replace(/\.[a-z]+$/, "")}-${run}${k.slice(k.lastIndexOf("."))}`);
    const live = `reports/live-${run}.jpg`;
    for (const key of [...abandoned, live]) await env.FILES.put(key, "bytes");
    await db()
      .insert(pendingFileDeletions)
      .values([...abandoned.map((key) => ({ key, heartbeatAt: dead() })), { key: live, heartbeatAt: new Date().toISOString() }]);

    await runCron();

    for (const key of abandoned) expect(await env.FILES.head(key), key).toBeNull();
    expect(await env.FILES.head(live)).not.toBeNull();
    const left = await db().select().from(pendingFileDeletions);
    expect(left.map((r) => r.key).filter((k) => k.includes(run))).toEqual([live]);
  });

  it("a photo still pending is not served", async () => {
    const name = `${crypto.randomUUID()}.jpg`;
    await env.FILES.put(`reports/${name}`, new Uint8Array([0xff, 0xd8, 0xff, 0xe0]));
    await db()
      .insert(pendingFileDeletions)
      .values({ key: `reports/${name}`, heartbeatAt: new Date().toISOString() });
    expect((await call(`/uploads/${name}`)).status).toBe(404);
    await db()
      .delete(pendingFileDeletions)
      .where(eq(pendingFileDeletions.key, `reports/${name}`));
    expect((await call(`/uploads/${name}`)).status).toBe(200);
  });
});
