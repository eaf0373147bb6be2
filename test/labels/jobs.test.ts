import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DocumentsMessage } from "../../src/queues/messages";
import { handleLabelJob, runLabelJob } from "../../workers/documents/labels";
import { consumeBatch } from "../../workers/shared";
import { arr, call, db, freshIp, loginAs, str } from "../helpers";
import { decodePdf } from "./decode";
import { labelValueOf, makeItems } from "./fixtures";

/** A role that prints labels: labels:generate + inventory:read, with both tabs. */
const PRINTER = { allowed_tabs: ["labels", "inventory"] };
const MM = 72 / 25.4;
const deps = () => ({ db: db(), files: env.FILES, now: () => new Date() });

/** GET as a client, the body as bytes. */
async function fetchBytes(path: string, token: string) {
  const res = await exports.default.fetch(
    new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${token}`, "cf-connecting-ip": freshIp() } }),
  );
  return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) };
}

describe("label jobs", () => {
  it("a 1,000-label job: queued, progress readable mid-run, 143 pages of 103×200 mm, every barcode decodes to its value, CSV", async () => {
    const manager = await loginAs("production_manager", PRINTER);
    const items = await makeItems(1000);
    const started = await call("/api/v1/labels/start-job", {
      token: manager.token,
      body: { item_ids: items.map((i) => i.id), line_date: "2026-11-22" },
    });
    expect(started.status).toBe(202);
    expect(started.json).toMatchObject({ status: "queued", item_count: 1000 });
    const jobId = str(started.json.job_id);

    const queued = await call(`/api/v1/labels/job/${jobId}`, { token: manager.token });
    expect(queued.json).toMatchObject({ status: "queued", done: 0, total: 1000, template_id: "rm365" });
    expect((await call(`/api/v1/labels/job/${jobId}/pdf`, { token: manager.token })).status).toBe(409);

    // The worker's code path, with a look at the job (through the API) after each progress write.
    const seen: { status: unknown; done: unknown }[] = [];
    const outcome = await runLabelJob(
      deps(),
      { jobId },
      {
        progressEvery: 100,
        onProgress: async () => {
          const mid = await call(`/api/v1/labels/job/${jobId}`, { token: manager.token });
          seen.push({ status: mid.json.status, done: mid.json.done });
        },
      },
    );
    expect(outcome).toBe("completed");
    expect(seen).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900].map((done) => ({ status: "processing", done })));

    const job = await call(`/api/v1/labels/job/${jobId}`, { token: manager.token });
    expect(job.json).toMatchObject({ status: "completed", done: 1000, total: 1000, progress: 1, pages: 143, skipped: 0 });

    const pdf = await fetchBytes(`/api/v1/labels/job/${jobId}/pdf`, manager.token);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get("content-type")).toBe("application/pdf");
    expect(new TextDecoder().decode(pdf.bytes.slice(0, 5))).toBe("%PDF-");
    const decoded = await decodePdf(pdf.bytes, "code128");
    expect(decoded.pages).toBe(143);
    for (const [w, h] of decoded.sizes) {
      expect(w).toBeCloseTo(103 * MM, 1);
      expect(h).toBeCloseTo(200 * MM, 1);
    }
    expect(decoded.values).toEqual(items.map(labelValueOf));

    const csv = await fetchBytes(`/api/v1/labels/job/${jobId}/csv`, manager.token);
    expect(csv.status).toBe(200);
    const lines = new TextDecoder().decode(csv.bytes).trim().split("\r\n");
    expect(lines).toHaveLength(1001);
    expect(lines[0]).toBe("position,page,slot,item_id,sku,name,value,symbology,location,line_date");
    expect(lines[8]).toBe(`8,2,1,${items[7]?.id},${items[7]?.sku},${items[7]?.name},${items[7]?.sku},code128,${items[7]?.location},2026-11-22`);
  }, 60_000);

  it("the queue consumer renders a job; a second delivery of the same message changes nothing", async () => {
    const manager = await loginAs("production_manager", PRINTER);
    const items = await makeItems(10);
    const started = await call("/api/v1/labels/start-job", { token: manager.token, body: { item_ids: [items[0]?.sku, ...items.slice(1).map((i) => i.id)] } });
    expect(started.status).toBe(202);
    const jobId = str(started.json.job_id);
    for (const attempt of [1, 2]) {
      const batch = createMessageBatch("floorline-documents", [
        { id: `m${attempt}`, timestamp: new Date(), attempts: attempt, body: { type: "label_job", jobId, requestId: "t" } },
      ]);
      const ctx = createExecutionContext();
      // What workers/documents/index.ts does with a batch (its own tsconfig checks that file).
      await consumeBatch(batch.queue, batch.messages, DocumentsMessage, async (message, meta) => {
        if (message.type === "label_job") await handleLabelJob(env, message, meta.attempts);
      });
      expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual([`m${attempt}`]);
    }
    const job = await call(`/api/v1/labels/job/${jobId}`, { token: manager.token });
    expect(job.json).toMatchObject({ status: "completed", total: 10, pages: 2 });
    const decoded = await decodePdf((await fetchBytes(`/api/v1/labels/job/${jobId}/pdf`, manager.token)).bytes, "code128");
    expect(decoded.values).toEqual(items.map(labelValueOf));
  });

  it("progress is pushed over Server-Sent Events until the job completes", async () => {
    const manager = await loginAs("production_manager", PRINTER);
    const items = await makeItems(30);
    const started = await call("/api/v1/labels/start-job", { token: manager.token, body: { item_ids: items.map((i) => i.id) } });
    const jobId = str(started.json.job_id);
    const res = await exports.default.fetch(
      new Request(`http://localhost/api/v1/labels/job/${jobId}/events`, {
        headers: { authorization: `Bearer ${manager.token}`, "cf-connecting-ip": freshIp() },
      }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const text = res.text();
    expect(await runLabelJob(deps(), { jobId })).toBe("completed");
    const events = (await text)
      .split("\n\n")
      .filter((block) => block.includes("data:"))
      .map((block) => ({ event: /event: (\w+)/.exec(block)?.[1], data: JSON.parse(/data: (.*)/.exec(block)?.[1] ?? "null") }));
    expect(events[0]).toMatchObject({ event: "progress", data: { job_id: jobId, status: "queued", done: 0, total: 30 } });
    expect(events.at(-1)).toMatchObject({ event: "completed", data: { status: "completed", done: 30, total: 30, pages: 5 } });
  }, 30_000);

  it("one user holds at most five progress streams open (429 beyond); a stream that ends gives its slot back", async () => {
    const manager = await loginAs("production_manager", PRINTER);
    const items = await makeItems(2);
    const jobId = str((await call("/api/v1/labels/start-job", { token: manager.token, body: { item_ids: items.map((i) => i.id) } })).json.job_id);
    const open = () =>
      exports.default.fetch(
        new Request(`http://localhost/api/v1/labels/job/${jobId}/events`, {
          headers: { authorization: `Bearer ${manager.token}`, "cf-connecting-ip": freshIp() },
        }),
      );
    const streams = [];
    for (let i = 0; i < 5; i++) {
      const res = await open();
      expect(res.status).toBe(200);
      streams.push(res.text());
    }
    const sixth = await open();
    expect(sixth.status).toBe(429);
    expect(await sixth.json()).toMatchObject({ error: "RATE_LIMITED" });
    // Another user is not held up.
    const other = await loginAs("admin");
    const theirs = await exports.default.fetch(
      new Request(`http://localhost/api/v1/labels/job/${jobId}/events`, { headers: { authorization: `Bearer ${other.token}`, "cf-connecting-ip": freshIp() } }),
    );
    expect(theirs.status).toBe(200);
    // The job completes, so every open stream ends, and a new one may open.
    expect(await runLabelJob(deps(), { jobId })).toBe("completed");
    for (const text of [...streams, theirs.text()]) expect(await text).toContain("event: completed");
    const again = await open();
    expect(again.status).toBe(200);
    expect(await again.text()).toContain("event: completed");
  }, 30_000);

  it("a job deleted while it renders stops and leaves no files; delete is the creator's (or an admin's)", async () => {
    const manager = await loginAs("production_manager", PRINTER);
    const other = await loginAs("production_manager", PRINTER);
    const items = await makeItems(300);
    const started = await call("/api/v1/labels/start-job", { token: manager.token, body: { item_ids: items.map((i) => i.id) } });
    const jobId = str(started.json.job_id);
    expect((await call(`/api/v1/labels/job/${jobId}`, { method: "DELETE", token: other.token })).status).toBe(403);
    const outcome = await runLabelJob(
      deps(),
      { jobId },
      {
        progressEvery: 100,
        onProgress: async () => {
          expect((await call(`/api/v1/labels/job/${jobId}`, { method: "DELETE", token: manager.token })).status).toBe(200);
        },
      },
    );
    expect(outcome).toBe("gone");
    expect((await call(`/api/v1/labels/job/${jobId}`, { token: manager.token })).status).toBe(404);
    expect(await env.FILES.list({ prefix: `labels/${jobId}/` })).toMatchObject({ objects: [] });
    // A late delivery of its message finds nothing to do.
    expect(await runLabelJob(deps(), { jobId })).toBe("gone");

    const admin = await loginAs("admin");
    const second = await call("/api/v1/labels/start-job", { token: manager.token, body: { item_ids: [items[0]?.id] } });
    const secondId = str(second.json.job_id);
    await runLabelJob(deps(), { jobId: secondId });
    expect((await call(`/api/v1/labels/job/${secondId}`, { method: "DELETE", token: admin.token })).status).toBe(200);
    expect(await env.FILES.list({ prefix: `labels/${secondId}/` })).toMatchObject({ objects: [] });
  });

  it("an item deleted after the job was queued is skipped, the rest print", async () => {
    const manager = await loginAs("production_manager", PRINTER);
    const items = await makeItems(3);
    const started = await call("/api/v1/labels/start-job", { token: manager.token, body: { item_ids: items.map((i) => i.id) } });
    const jobId = str(started.json.job_id);
    const gone = items[1];
    if (!gone) throw new Error("no item");
    expect((await call(`/api/v1/inventory/items/${gone.sku}`, { method: "DELETE", token: manager.token })).status).toBe(200);
    expect(await runLabelJob(deps(), { jobId })).toBe("completed");
    expect((await call(`/api/v1/labels/job/${jobId}`, { token: manager.token })).json).toMatchObject({ status: "completed", skipped: 1, pages: 1 });
    const decoded = await decodePdf((await fetchBytes(`/api/v1/labels/job/${jobId}/pdf`, manager.token)).bytes, "code128");
    expect(decoded.values).toEqual([items[0], items[2]].map((i) => labelValueOf(i ?? { barcode: null, sku: "" })));
  });

  it("lists jobs newest first, ?mine=true and ?status=", async () => {
    const manager = await loginAs("production_manager", PRINTER);
    const items = await makeItems(2);
    const ids: string[] = [];
    for (const item of items) ids.push(str((await call("/api/v1/labels/start-job", { token: manager.token, body: { item_ids: [item.id] } })).json.job_id));
    await runLabelJob(deps(), { jobId: ids[0] ?? "" });
    const mine = await call("/api/v1/labels/jobs?mine=true", { token: manager.token });
    expect(mine.status).toBe(200);
    expect(arr(mine.json.items).map((j) => j.id)).toEqual([ids[1], ids[0]]);
    const queued = await call("/api/v1/labels/jobs?mine=true&status=queued", { token: manager.token });
    expect(arr(queued.json.items).map((j) => j.id)).toEqual([ids[1]]);
  });
});

describe("label job validation and limits", () => {
  it("bad bodies are 422 and queue nothing: empty, over 10,000, unknown items, bad template, bad date", async () => {
    const manager = await loginAs("production_manager", PRINTER);
    const [item] = await makeItems(1);
    const before = await call("/api/v1/labels/jobs?mine=true", { token: manager.token });
    const bodies = [
      {},
      { item_ids: [] },
      { item_ids: Array.from({ length: 10_001 }, () => item?.id) },
      { item_ids: [item?.id, "NO-SUCH-ITEM"] },
      { item_ids: [item?.id], template: "no-such-template" },
      { item_ids: [item?.id], template: { page_width_mm: 50, page_height_mm: 50, label_width_mm: 60, label_height_mm: 20 } },
      { item_ids: [item?.id], line_date: "22/11/2026" },
      { item_ids: [item?.id], surprise: true },
      { item_ids: Array.from({ length: 2001 }, (_, i) => `SKU-${i}`), template: "qr-50x25" },
    ];
    for (const body of bodies) {
      const res = await call("/api/v1/labels/start-job", { token: manager.token, body });
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(422);
    }
    const unknown = await call("/api/v1/labels/start-job", { token: manager.token, body: { item_ids: [item?.id, "NO-SUCH-ITEM"] } });
    expect(unknown.json).toMatchObject({ details: [{ path: "body.item_ids.1", message: "No item 'NO-SUCH-ITEM'" }] });
    const after = await call("/api/v1/labels/jobs?mine=true", { token: manager.token });
    expect(after.json.total).toBe(before.json.total);
  });

  it("EAN-13 refuses values that are not EAN-13s; a 12-digit barcode prints with its check digit", async () => {
    const manager = await loginAs("production_manager", PRINTER);
    const items = await makeItems(2, { barcode: (i) => (i === 0 ? "590123412345" : "NOT-DIGITS") });
    const refused = await call("/api/v1/labels/start-job", { token: manager.token, body: { item_ids: items.map((i) => i.id), template: "ean13-50x30" } });
    expect(refused.status).toBe(422);
    expect(refused.json).toMatchObject({ details: [{ path: "body.item_ids.1" }] });
    const ok = await call("/api/v1/labels/start-job", { token: manager.token, body: { item_ids: [items[0]?.id], template: "ean13-50x30" } });
    expect(ok.status).toBe(202);
    const jobId = str(ok.json.job_id);
    await runLabelJob(deps(), { jobId });
    const decoded = await decodePdf((await fetchBytes(`/api/v1/labels/job/${jobId}/pdf`, manager.token)).bytes, "ean13");
    expect(decoded.values).toEqual(["5901234123457"]);
  });

  it("five queued or running jobs per user at most (409)", async () => {
    const manager = await loginAs("production_manager", PRINTER);
    const [item] = await makeItems(1);
    for (let i = 0; i < 5; i++) expect((await call("/api/v1/labels/start-job", { token: manager.token, body: { item_ids: [item?.id] } })).status).toBe(202);
    const sixth = await call("/api/v1/labels/start-job", { token: manager.token, body: { item_ids: [item?.id] } });
    expect(sixth.status).toBe(409);
  });

  it("the cap holds under concurrency: 12 simultaneous start-jobs from one user queue exactly five (the rest 409)", async () => {
    const manager = await loginAs("production_manager", PRINTER);
    const [item] = await makeItems(1);
    const results = await Promise.all(
      Array.from({ length: 12 }, () => call("/api/v1/labels/start-job", { token: manager.token, body: { item_ids: [item?.id] } })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(5).fill(202), ...Array(7).fill(409)]);
    expect(results.find((r) => r.status === 409)?.json).toMatchObject({ error: "CONFLICT" });
    const queued = await call("/api/v1/labels/jobs?mine=true&status=queued", { token: manager.token });
    expect(queued.json.total).toBe(5);
  });
});
