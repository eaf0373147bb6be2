/**
 * Large sales imports as queue jobs (issue 20 goal 3): the upload answers 202 with the import,
 * the import queue's consumer runs it, progress is readable by GET and SSE; a delivery that dies
 * mid-job resumes after the last committed chunk; a bad file ends `rejected` with its first bad
 * rows and writes nothing; and a swept or superseded run's commit writes nothing.
 */
import { env } from "cloudflare:workers";
import { eq, like, sql } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import type { Db } from "../../src/db/client";
import { salesImportLines, salesImports, salesRows } from "../../src/db/schema";
import { incomingUpload, PART_BYTES } from "../../src/lib/uploads";
import { SalesImport } from "../../src/modules/salesdata/schemas";
import {
  BACKGROUND_IMPORT_BYTES,
  importSalesFile,
  LostImport,
  MAX_REPORTED_ERRORS,
  ROWS_PER_BATCH,
  runSalesJob,
  STALLED_IMPORT_MS,
  sweepStalledImports,
} from "../../src/modules/salesdata/service";
import type { SalesImportMessage } from "../../src/queues/messages";
import type { Principal } from "../../src/types";
import { call, loginAs, testDeps, unique } from "../helpers";

const HEADER =
  "order_number,created_at,sku,name,qty,price,status,currency,grand_total,customer_email,customer_full_name,billing_address,shipping_address,customer_group_code";

const line = (order: string, sku = "S", qty = "2") =>
  `${order},2026-03-04 10:11:12,${sku},"Widget, ${sku}",${qty},12.50,complete,GBP,25.00,jo@example.com,Jo Bloggs,"1 High St, Leeds","1 High St, Leeds",General`;
const csv = (lines: string[]) => `${HEADER}\r\n${lines.join("\r\n")}\r\n`;
const lines = (tag: string, n: number) => Array.from({ length: n }, (_, i) => line(`${tag}-${i}`));

const actor: Principal = { kind: "user", userId: "u-salesjob", username: "salesjob", role: "admin", permissions: new Set(["*"]), tabs: [], sessionId: "" };

const form = (text: string, filename: string) => {
  const f = new FormData();
  f.append("file", new File([text], filename, { type: "text/csv" }));
  return new Request("http://localhost/", { method: "POST", body: f });
};

/** Deps whose import queue only records what is sent (the real consumer never sees it): the test runs the job itself. */
function heldQueueDeps(overrides: Parameters<typeof testDeps>[0] = {}) {
  const deps = testDeps(overrides);
  const sent: SalesImportMessage[] = [];
  const queue = { send: async (message: SalesImportMessage) => void sent.push(message) } as unknown as Queue;
  return { deps: { ...deps, queues: { ...deps.queues, imports: queue } }, sent };
}

const visible = async (tag: string) =>
  (
    await testDeps()
      .db.select({ n: sql<number>`count(*)` })
      .from(salesRows)
      .where(like(salesRows.orderNumber, `${tag}-%`))
  )[0]?.n;
const staged = async (importId: string) =>
  (await testDeps().db.select({ n: sql<number>`count(*)` }).from(salesImportLines).where(eq(salesImportLines.importId, importId)))[0]?.n;
const record = async (importId: string) => (await testDeps().db.select().from(salesImports).where(eq(salesImports.id, importId)))[0];

async function waitForEnd(token: string, id: string) {
  let job = (await call(`/api/v1/salesdata/imports/${id}`, { token, schema: SalesImport })).json;
  await vi.waitUntil(
    async () => {
      job = (await call(`/api/v1/salesdata/imports/${id}`, { token, schema: SalesImport })).json;
      return !["queued", "validating", "importing"].includes(job.status);
    },
    { timeout: 120_000, interval: 200 },
  );
  return job;
}

describe("sales imports as queue jobs", () => {
  it("a file over the threshold: 202 with the queued import, the queue runs it in chunks, progress by GET and SSE, the rows readable", async () => {
    const admin = await loginAs("admin");
    const tag = unique("JOB");
    const n = 2 * ROWS_PER_BATCH + 1_500;
    const text = csv(lines(tag, n));
    expect(text.length).toBeGreaterThan(BACKGROUND_IMPORT_BYTES);
    const f = new FormData();
    f.append("file", new File([text], "big.csv", { type: "text/csv" }));
    const res = await call("/api/v1/salesdata/uk/upload", { token: admin.token, body: f, schema: SalesImport });
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({ status: "queued", background: true, region: "uk", filename: "big.csv", rows_done: 0, attempts: 0, finished_at: null });

    const job = await waitForEnd(admin.token, res.json.id);
    expect(job).toMatchObject({ status: "completed", rows_total: n, rows_done: n, rows_imported: n, attempts: 1, chunks_done: 3, errors: [] });
    const list = await call(`/api/v1/salesdata/uk?search=${tag}&limit=5`, { token: admin.token });
    expect(list.json).toMatchObject({ total_count: n });
    expect(await staged(res.json.id)).toBe(0);

    // The SSE stream of an ended import: one `completed` event with the record, then the end.
    const events = await call(`/api/v1/salesdata/imports/${res.json.id}/events`, { token: admin.token });
    expect(events.status).toBe(200);
    expect(events.res.headers.get("content-type")).toBe("text/event-stream");
    const frames = String(events.json).trim().split("\n\n");
    expect(frames).toHaveLength(1);
    expect(frames[0]?.split("\n")[0]).toBe("event: completed");
    expect(JSON.parse(frames[0]?.split("\n")[1]?.slice("data: ".length) ?? "null")).toMatchObject({ id: res.json.id, status: "completed", rows_imported: n });
    // Another region's history tab does not open it.
    const other = await loginAs("production_manager", { allowed_tabs: ["salesdata.history", "salesdata.fr-sales"] });
    expect((await call(`/api/v1/salesdata/imports/${res.json.id}/events`, { token: other.token })).status).toBe(404);
    // Each stream polls D1 for up to 5 minutes: a user opens at most 10 a minute (USER_LIMIT_IMPORTS).
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await call(`/api/v1/salesdata/imports/${res.json.id}/events`, { token: admin.token })).status);
    expect(statuses).toContain(429);
  });

  it("a small file stays synchronous (200, RM365's answer) unless background=true asks for a job", async () => {
    const admin = await loginAs("admin");
    const tag = unique("SMALL");
    const sync = new FormData();
    sync.append("file", new File([csv(lines(`${tag}a`, 3))], "small.csv"));
    const now = await call("/api/v1/salesdata/uk/upload", { token: admin.token, body: sync });
    expect(now.status).toBe(200);
    expect(now.json).toMatchObject({ status: "success", rows_imported: 3, errors: [] });

    const bg = new FormData();
    bg.append("file", new File([csv(lines(`${tag}b`, 3))], "small.csv"));
    const queued = await call("/api/v1/salesdata/uk/upload?background=true", { token: admin.token, body: bg, schema: SalesImport });
    expect(queued.status).toBe(202);
    expect(await waitForEnd(admin.token, queued.json.id)).toMatchObject({ status: "completed", rows_imported: 3 });
    expect(await visible(`${tag}b`)).toBe(3);
  });

  it("a bad file: the job ends rejected with the first 100 bad rows and their count, and writes nothing (lines staged before the bad rows deleted)", async () => {
    const admin = await loginAs("admin");
    const tag = unique("BADJOB");
    const bad = Array.from({ length: MAX_REPORTED_ERRORS + 20 }, (_, i) => line(`${tag}-bad${i}`, "S", "many"));
    const f = new FormData();
    f.append("file", new File([csv([...lines(tag, ROWS_PER_BATCH + 10), ...bad])], "bad.csv"));
    const res = await call("/api/v1/salesdata/uk/upload?background=true", { token: admin.token, body: f, schema: SalesImport });
    expect(res.status).toBe(202);
    const job = await waitForEnd(admin.token, res.json.id);
    expect(job).toMatchObject({
      status: "rejected",
      rows_total: ROWS_PER_BATCH + 10 + bad.length,
      rows_failed: bad.length,
      rows_imported: 0,
      errors_more: 20,
      message: `${bad.length} of ${ROWS_PER_BATCH + 10 + bad.length} rows failed validation (the first 100 are listed); nothing was imported`,
    });
    expect(job.errors).toHaveLength(MAX_REPORTED_ERRORS);
    expect(job.errors[0]).toBe(`Row ${ROWS_PER_BATCH + 12}: Invalid qty "many" (expected a number like 1,234.56)`);
    expect(await visible(tag)).toBe(0);
    expect(await staged(res.json.id)).toBe(0);
    const events = await call(`/api/v1/salesdata/imports/${res.json.id}/events`, { token: admin.token });
    expect(String(events.json).split("\n")[0]).toBe("event: failed");
  });

  it("a delivery that dies after chunk 2 goes back to queued at that chunk; the next delivery stages only the rest and commits all", async () => {
    const { deps, sent } = heldQueueDeps();
    const tag = unique("RESUME");
    const n = 2 * ROWS_PER_BATCH + 700;
    const outcome = await importSalesFile(
      deps,
      { upload: incomingUpload(form(csv(lines(tag, n)), "resume.csv"), actor), region: "uk", background: true },
      actor,
    );
    if (!outcome.queued) throw new Error("expected a queued import");
    const id = outcome.job.id;
    expect(sent).toEqual([expect.objectContaining({ type: "sales_import", importId: id })]);

    // First delivery: the hook stops it once chunk 2 has committed (as a killed isolate or a D1 error would).
    const first: number[] = [];
    await expect(
      runSalesJob(deps, id, {
        afterChunk: (chunk) => {
          first.push(chunk);
          if (chunk === 2) throw new Error("delivery died");
        },
      }),
    ).rejects.toThrow("delivery died");
    expect(first).toEqual([1, 2]);
    expect(await record(id)).toMatchObject({ status: "queued", attempts: 1, chunksDone: 2, rowsDone: 2 * ROWS_PER_BATCH, cursorRow: 2 * ROWS_PER_BATCH + 1 });
    expect(await staged(id)).toBe(2 * ROWS_PER_BATCH);
    expect(await visible(tag)).toBe(0);

    // Second delivery: chunk 3 only (the 700 lines after the cursor), then the commit of all n.
    const second: number[] = [];
    let stagedBeforeCommit = -1;
    expect(
      await runSalesJob(deps, id, {
        afterChunk: (chunk) => void second.push(chunk),
        beforeCommit: async () => {
          stagedBeforeCommit = (await staged(id)) ?? -1;
        },
      }),
    ).toBe("completed");
    expect(second).toEqual([3]);
    expect(stagedBeforeCommit).toBe(n);
    expect(await record(id)).toMatchObject({ status: "completed", attempts: 2, chunksDone: 3, rowsImported: n, rowsDone: n, rowsTotal: n });
    expect(await visible(tag)).toBe(n);
    expect(await staged(id)).toBe(0);
    // A third delivery of the same message finds nothing to claim.
    expect(await runSalesJob(deps, id)).toBe("skipped");
  });

  it("a staging batch that fails part-way (its statements half run) rolls back whole; the retry resumes at the last committed chunk and imports every line exactly once", async () => {
    const { deps } = heldQueueDeps();
    const tag = unique("MID");
    const n = 3 * ROWS_PER_BATCH + 700;
    const outcome = await importSalesFile(deps, { upload: incomingUpload(form(csv(lines(tag, n)), "mid.csv"), actor), region: "uk", background: true }, actor);
    if (!outcome.queued) throw new Error("expected a queued import");
    const id = outcome.job.id;
    // The third staging batch runs its progress write and its lines, then a statement that fails: D1 rolls the batch back.
    let stagingBatches = 0;
    const db = new Proxy(deps.db, {
      get(target, prop) {
        if (prop === "batch") {
          return (statements: Parameters<Db["batch"]>[0]) => {
            // Staging batches (progress, guard, lines) come before the commit's: the third of three or more statements is chunk 3.
            if (statements.length >= 3 && ++stagingBatches === 3) {
              return target.batch([...statements, target.run(sql`select json('a crash mid-batch')`)] as unknown as Parameters<Db["batch"]>[0]);
            }
            return target.batch(statements);
          };
        }
        const v: unknown = Reflect.get(target, prop, target);
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    await expect(runSalesJob({ ...deps, db }, id)).rejects.toThrow();
    expect(await record(id)).toMatchObject({ status: "queued", chunksDone: 2, rowsDone: 2 * ROWS_PER_BATCH });
    expect(await staged(id)).toBe(2 * ROWS_PER_BATCH);
    expect(await visible(tag)).toBe(0);
    expect(await runSalesJob(deps, id)).toBe("completed");
    expect(await record(id)).toMatchObject({ status: "completed", rowsImported: n, attempts: 2 });
    expect(await visible(tag)).toBe(n);
    const distinct = await testDeps()
      .db.select({ n: sql<number>`count(distinct ${salesRows.orderNumber})` })
      .from(salesRows)
      .where(like(salesRows.orderNumber, `${tag}-%`));
    expect(distinct[0]?.n).toBe(n);
    expect(await staged(id)).toBe(0);
  });

  it("an upload that ends before its closing boundary (a file past one R2 part, cut off) is 400 and leaves nothing: no import, no stored file", async () => {
    const admin = await loginAs("admin");
    const tag = unique("CUT");
    const text = csv(lines(tag, 45_000));
    expect(text.length).toBeGreaterThan(PART_BYTES + 100_000);

    const boundary = `----floorline-${tag}`;
    const cut = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${tag}.csv"\r\nContent-Type: text/csv\r\n\r\n${text}`;
    const keys = async () => (await env.FILES.list({ prefix: "salesdata/" })).objects.map((o) => o.key).sort();
    const imports = async () => (await testDeps().db.select({ n: sql<number>`count(*)` }).from(salesImports))[0]?.n;
    const [keysBefore, importsBefore] = [await keys(), await imports()];
    const res = await call("/api/v1/salesdata/uk/upload", {
      token: admin.token,
      body: cut,
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
    });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ error: "BAD_REQUEST" });
    expect(await imports()).toBe(importsBefore);
    expect(await keys()).toEqual(keysBefore);
    expect(await visible(tag)).toBe(0);
  });

  it("a job that fails on its last attempt ends failed, its staged lines deleted, nothing written", async () => {
    const { deps } = heldQueueDeps();
    const tag = unique("LAST");
    const outcome = await importSalesFile(
      deps,
      { upload: incomingUpload(form(csv(lines(tag, ROWS_PER_BATCH + 5)), "last.csv"), actor), region: "uk", background: true },
      actor,
    );
    if (!outcome.queued) throw new Error("expected a queued import");
    const id = outcome.job.id;
    // Every delivery stops just before its commit (the first after staging everything, the next with nothing left to stage).
    const die = { beforeCommit: () => Promise.reject(new Error("D1 went away")) };
    await expect(runSalesJob(deps, id, die)).rejects.toThrow("D1 went away");
    await expect(runSalesJob(deps, id, die)).rejects.toThrow("D1 went away");
    expect(await runSalesJob(deps, id, die)).toBe("failed");
    const row = await record(id);
    expect(row).toMatchObject({ status: "failed", attempts: 3, rowsImported: 0 });
    expect(row?.message).toBe("The import stopped on an error on its last attempt (3 of 3): Error: D1 went away; nothing was imported");
    expect(await staged(id)).toBe(0);
    expect(await visible(tag)).toBe(0);
  });
});

describe("the sweep fences the commit", () => {
  it("an import run within its upload that the sweep marks failed before its commit writes nothing, and its staged lines stay deleted", async () => {
    const tag = unique("SWEPT");
    const deps = testDeps();
    const future = () => new Date(Date.now() + STALLED_IMPORT_MS + 60_000);
    const upload = importSalesFile(
      { ...deps, queues: { ...deps.queues, imports: undefined } },
      { upload: incomingUpload(form(csv(lines(tag, ROWS_PER_BATCH + 50)), `${tag}.csv`), actor), region: "uk" },
      actor,
      // Between the last staged chunk and the commit, the hourly sweep judges the import dead.
      { beforeCommit: async () => void (await sweepStalledImports(testDeps({ now: future }))) },
    );
    await expect(upload).rejects.toBeInstanceOf(LostImport);
    const [row] = await deps.db
      .select()
      .from(salesImports)
      .where(eq(salesImports.filename, `${tag}.csv`));
    expect(row).toMatchObject({ status: "failed", rowsImported: 0 });
    expect(row?.message).toMatch(/^The import stopped without finishing/);
    expect(await visible(tag)).toBe(0);
    expect(await staged(row?.id ?? "")).toBe(0);
  });

  it("a queue job whose lease the reaper took (re-queued) cannot commit from the old run; the next delivery does, once", async () => {
    const { deps, sent } = heldQueueDeps();
    const tag = unique("REAPED");
    const n = ROWS_PER_BATCH + 30;
    const outcome = await importSalesFile(
      deps,
      { upload: incomingUpload(form(csv(lines(tag, n)), "reaped.csv"), actor), region: "uk", background: true },
      actor,
    );
    if (!outcome.queued) throw new Error("expected a queued import");
    const id = outcome.job.id;
    const later = () => new Date(Date.now() + 3_600_000);
    const reaper = { ...heldQueueDeps({ now: later }).deps, queues: deps.queues };
    expect(
      await runSalesJob(deps, id, {
        beforeCommit: async () => {
          await sweepStalledImports(reaper);
        },
      }),
    ).toBe("lost");
    expect(await record(id)).toMatchObject({ status: "queued", attempts: 1, rowsImported: 0 });
    expect(await visible(tag)).toBe(0);
    expect(sent.filter((m) => m.importId === id)).toHaveLength(2);
    expect(await runSalesJob(deps, id)).toBe("completed");
    expect(await visible(tag)).toBe(n);
    expect(await record(id)).toMatchObject({ status: "completed", attempts: 2, rowsImported: n });
  });

  it("a staging chunk of a run that lost its hold writes nothing (the batch's guard rolls it back)", async () => {
    const { deps } = heldQueueDeps();
    const tag = unique("FENCED");
    const outcome = await importSalesFile(
      deps,
      { upload: incomingUpload(form(csv(lines(tag, 2 * ROWS_PER_BATCH + 10)), "fenced.csv"), actor), region: "uk", background: true },
      actor,
    );
    if (!outcome.queued) throw new Error("expected a queued import");
    const id = outcome.job.id;
    const realBatch = deps.db.batch.bind(deps.db);
    let batches = 0;
    // Before the run's second chunk is sent, another claim takes the import (attempts moves on).
    const stealing = (async (statements: Parameters<Db["batch"]>[0]) => {
      if (++batches === 2) await deps.db.update(salesImports).set({ attempts: 7 }).where(eq(salesImports.id, id));
      return realBatch(statements);
    }) as unknown as Db["batch"];
    const db = new Proxy(deps.db, { get: (target, prop, receiver) => (prop === "batch" ? stealing : Reflect.get(target, prop, receiver)) });
    expect(await runSalesJob({ ...deps, db }, id)).toBe("lost");
    expect(await staged(id)).toBe(ROWS_PER_BATCH);
    expect(await record(id)).toMatchObject({ chunksDone: 1, attempts: 7, status: "validating" });
  });
});
