import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DocumentsMessage } from "../../src/queues/messages";
import type { ReportFont } from "../../workers/documents/report-pdf";
import { REPORT_MAX_ATTEMPTS, renderProductionReport } from "../../workers/documents/reports";
import { consumeBatch } from "../../workers/shared";
import { call, loginAs, str, unique } from "../helpers";
import { LINE_NAME, REPORT_FONT, REPORTER_NAME, seedLine } from "./fixtures";
import { pdfText } from "./pdf-text";

const body = (lineId: string, extra: Record<string, unknown> = {}) => ({ line_ids: [lineId], start_date: "2026-11-10", end_date: "2026-11-11", ...extra });

/** Runs the documents consumer on one report as the queue would deliver it (attempt `attempts`). */
async function consume(reportId: string, attempts = 1, font: ReportFont = REPORT_FONT, files: R2Bucket = env.FILES) {
  const batch = createMessageBatch("floorline-documents", [
    { id: crypto.randomUUID(), timestamp: new Date(), attempts, body: { type: "production_report", reportId, requestId: "test" } },
  ]);
  const ctx = createExecutionContext();
  await consumeBatch(batch.queue, batch.messages, DocumentsMessage, async (message, meta) => {
    if (message.type === "production_report") await renderProductionReport({ db: env.DB, files, font, now: () => new Date() }, message, meta);
  });
  return getQueueResult(batch, ctx);
}

describe("production reports over HTTP", () => {
  it("generate → 202 queued; the PDF answers 202 while pending; the worker renders it; then the PDF (both paths)", async () => {
    const { lineId } = await seedLine();
    const manager = await loginAs("production_manager");
    const created = await call("/api/v1/reports/production/generate", { token: manager.token, body: body(lineId, { title: "週報 Weekly" }) });
    expect(created.status).toBe(202);
    expect(created.json).toMatchObject({ state: "queued", line_ids: [lineId], title: "週報 Weekly", group_by: "day", attempts: 0, page_count: null });
    const id = str(created.json.id);
    expect(created.res.headers.get("location")).toBe(`/api/v1/reports/production/${id}`);

    const viewer = await loginAs("viewer");
    expect((await call(`/api/v1/reports/production/${id}`, { token: viewer.token })).json).toMatchObject({ id, state: "queued" });
    const pending = await call(`/api/v1/reports/production/${id}/pdf`, { token: viewer.token });
    expect(pending.status).toBe(202);
    expect(pending.res.headers.get("retry-after")).toBe("5");
    expect(pending.json).toMatchObject({ id, state: "queued" });

    const result = await consume(id);
    expect(result.explicitAcks).toHaveLength(1);
    const ready = await call(`/api/v1/reports/production/${id}`, { token: viewer.token });
    expect(ready.json).toMatchObject({ state: "ready", attempts: 1, error: null });
    expect(Number(ready.json.page_count)).toBeGreaterThanOrEqual(1);

    for (const path of [`/api/v1/reports/production/${id}/pdf`, `/api/v1/reports/${id}/pdf`]) {
      const res = await call(path, { token: viewer.token });
      expect(res.status).toBe(200);
      expect(res.res.headers.get("content-type")).toBe("application/pdf");
      expect(res.res.headers.get("content-disposition")).toMatch(/^attachment; filename="production-report-2026-11-10-2026-11-11-/);
    }
    const download = await exports.default.fetch(
      new Request(`http://localhost/api/v1/reports/${id}/pdf`, { headers: { authorization: `Bearer ${viewer.token}` } }),
    );
    const bytes = new Uint8Array(await download.arrayBuffer());
    expect(bytes.byteLength).toBe(ready.json.pdf_bytes);
    const { pages, runs, blank } = await pdfText(bytes);
    expect(pages).toBe(ready.json.page_count);
    expect(blank).toEqual([]);
    expect(runs.flat()).toEqual(expect.arrayContaining(["週報 Weekly", REPORTER_NAME, "66.0%"]));
    expect(runs.flat().some((t) => t.endsWith(LINE_NAME))).toBe(true);
  });

  it("the seed code's POST /reports/production queues the same job; the list pages newest first and filters by state", async () => {
    const { lineId } = await seedLine();
    const manager = await loginAs("shift_manager");
    const first = await call("/api/v1/reports/production", {
      token: manager.token,
      body: { line_id: lineId, start_date: "2026-11-10", end_date: "2026-11-10", group_by: "shift" },
    });
    expect(first.status).toBe(202);
    expect(first.json).toMatchObject({ state: "queued", line_ids: [lineId], group_by: "shift", shift_start_hour: 6 });
    const second = await call("/api/v1/reports/production/generate", { token: manager.token, body: body(lineId) });
    await consume(str(second.json.id));
    const list = await call("/api/v1/reports/production?limit=2", { token: manager.token });
    expect(list.status).toBe(200);
    expect(list.json.limit).toBe(2);
    const ids = (list.json.items as unknown as { id: string }[]).map((r) => r.id);
    expect(ids).toEqual([second.json.id, first.json.id]);
    const queued = await call("/api/v1/reports/production?state=queued&limit=200", { token: manager.token });
    const queuedIds = (queued.json.items as unknown as { id: string; state: string }[]).map((r) => r.id);
    expect(queuedIds).toContain(first.json.id);
    expect(queuedIds).not.toContain(second.json.id);
  });

  it("refuses bad requests with 422 and records nothing", async () => {
    const { lineId } = await seedLine();
    const manager = await loginAs("production_manager");
    const mine = () => env.DB.prepare("select count(*) as n from production_reports where requested_by = ?").bind(manager.id).first<{ n: number }>();
    const before = await mine();
    const bad = [
      body(lineId, { end_date: "2026-11-09" }),
      body(lineId, { start_date: "2026-10-01", end_date: "2026-11-10" }),
      body("no-such-line"),
      body(lineId, { group_by: "week" }),
      body(lineId, { utc_offset_minutes: 900 }),
      body(lineId, { title: "x".repeat(101) }),
      body(lineId, { surprise: true }),
      { ...body(lineId), line_ids: Array.from({ length: 21 }, (_, i) => `l${i}`) },
    ];
    for (const b of bad) {
      const res = await call("/api/v1/reports/production/generate", { token: manager.token, body: b });
      expect(res.status, JSON.stringify(b)).toBe(422);
    }
    expect((await mine())?.n).toBe(before?.n);
    expect((await call(`/api/v1/reports/production/${crypto.randomUUID()}`, { token: manager.token })).status).toBe(404);
    expect((await call(`/api/v1/reports/${crypto.randomUUID()}/pdf`, { token: manager.token })).status).toBe(404);
  });
});

describe("report job states", () => {
  it("a failing render goes back to queued with its error, then failed on the last attempt; the PDF then answers 409", async () => {
    const { lineId } = await seedLine();
    const manager = await loginAs("production_manager");
    const id = str((await call("/api/v1/reports/production/generate", { token: manager.token, body: body(lineId) })).json.id);
    const broken = { ...REPORT_FONT, bytes: new Uint8Array([0, 1, 2, 3]) };

    const first = await consume(id, 1, broken);
    expect(first.retryMessages).toHaveLength(1);
    const retrying = await call(`/api/v1/reports/production/${id}`, { token: manager.token });
    expect(retrying.json).toMatchObject({ state: "queued", attempts: 1 });
    expect(str(retrying.json.error)).toMatch(/^Rendering failed: /);
    expect((await call(`/api/v1/reports/production/${id}/pdf`, { token: manager.token })).status).toBe(202);

    const last = await consume(id, REPORT_MAX_ATTEMPTS, broken);
    expect(last.retryMessages).toHaveLength(1); // the queue dead-letters it after max_retries
    expect((await call(`/api/v1/reports/production/${id}`, { token: manager.token })).json).toMatchObject({ state: "failed", attempts: 2 });
    const pdf = await call(`/api/v1/reports/production/${id}/pdf`, { token: manager.token });
    expect(pdf.status).toBe(409);
    expect(str(pdf.json.message)).toMatch(/^The report failed: Rendering failed/);

    // A late redelivery of a failed job changes nothing.
    expect((await consume(id, 1)).explicitAcks).toHaveLength(1);
    expect((await call(`/api/v1/reports/production/${id}`, { token: manager.token })).json).toMatchObject({ state: "failed", attempts: 2 });
  });

  it("a message delivered twice renders once", async () => {
    const { lineId } = await seedLine();
    const manager = await loginAs("production_manager");
    const id = str((await call("/api/v1/reports/production/generate", { token: manager.token, body: body(lineId) })).json.id);
    await consume(id);
    const once = await call(`/api/v1/reports/production/${id}`, { token: manager.token });
    expect((await consume(id)).explicitAcks).toHaveLength(1);
    const twice = await call(`/api/v1/reports/production/${id}`, { token: manager.token });
    expect(twice.json).toMatchObject({ state: "ready", attempts: 1, finished_at: once.json.finished_at });
  });
});

/** The report bucket, with `put` replaced (the hook runs where a render stores its PDF). */
const withPut = (put: (...args: Parameters<R2Bucket["put"]>) => ReturnType<R2Bucket["put"]>): R2Bucket =>
  new Proxy(env.FILES, {
    get(target, prop) {
      if (prop === "put") return put;
      const value: unknown = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });

describe("duplicate deliveries that fail", () => {
  it("a duplicate delivery failing after the other one made the report ready leaves it ready", async () => {
    const { lineId } = await seedLine();
    const manager = await loginAs("production_manager");
    const id = str((await call("/api/v1/reports/production/generate", { token: manager.token, body: body(lineId) })).json.id);
    // Delivery 1 claims and renders; while it stores the PDF, delivery 2 runs to the end; then 1's store fails.
    const failing = withPut(async () => {
      expect((await consume(id, 2)).explicitAcks).toHaveLength(1);
      throw new Error("R2 put failed");
    });
    expect((await consume(id, 1, REPORT_FONT, failing)).retryMessages).toHaveLength(1);
    const report = await call(`/api/v1/reports/production/${id}`, { token: manager.token });
    expect(report.json).toMatchObject({ state: "ready", attempts: 2, error: null });
    expect((await call(`/api/v1/reports/production/${id}/pdf`, { token: manager.token })).status).toBe(200);
  });

  it("an attempt that fails after a duplicate claimed the report leaves it to the duplicate, which makes it ready", async () => {
    const { lineId } = await seedLine();
    const manager = await loginAs("production_manager");
    const id = str((await call("/api/v1/reports/production/generate", { token: manager.token, body: body(lineId) })).json.id);
    // 1 claims and renders; at its store, 2 starts, claims and renders; at 2's store, 1 fails; then 2 stores.
    let secondAtPut: () => void = () => {};
    const secondReachedPut = new Promise<void>((resolve) => {
      secondAtPut = resolve;
    });
    let firstDone: () => void = () => {};
    const firstFinished = new Promise<void>((resolve) => {
      firstDone = resolve;
    });
    let second: Promise<unknown> = Promise.resolve();
    const secondFiles = withPut(async (...args) => {
      secondAtPut();
      await firstFinished;
      return env.FILES.put(...args);
    });
    const firstFiles = withPut(async () => {
      second = consume(id, 2, REPORT_FONT, secondFiles);
      await secondReachedPut;
      throw new Error("R2 put failed");
    });
    expect((await consume(id, 1, REPORT_FONT, firstFiles)).retryMessages).toHaveLength(1);
    expect((await call(`/api/v1/reports/production/${id}`, { token: manager.token })).json).toMatchObject({ state: "rendering", attempts: 2, error: null });
    firstDone();
    await second;
    expect((await call(`/api/v1/reports/production/${id}`, { token: manager.token })).json).toMatchObject({ state: "ready", attempts: 2, error: null });
  });
});

describe("report limits", () => {
  it("five queued or rendering reports per requester, held under concurrency on both paths; a finished one frees a slot", async () => {
    const { lineId } = await seedLine();
    const manager = await loginAs("production_manager");
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        call(i % 2 === 0 ? "/api/v1/reports/production/generate" : "/api/v1/reports/production", { token: manager.token, body: body(lineId) }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([...Array(5).fill(202), ...Array(7).fill(409)]);
    expect(results.find((r) => r.status === 409)?.json).toMatchObject({ error: "CONFLICT" });
    const mine = await env.DB.prepare("select count(*) as n from production_reports where requested_by = ?").bind(manager.id).first<{ n: number }>();
    expect(mine?.n).toBe(5);
    // Another requester is not held up by this one's reports.
    const other = await loginAs("production_manager");
    expect((await call("/api/v1/reports/production/generate", { token: other.token, body: body(lineId) })).status).toBe(202);
    // Once one renders, the requester may ask again.
    await consume(str(results.find((r) => r.status === 202)?.json.id));
    expect((await call("/api/v1/reports/production/generate", { token: manager.token, body: body(lineId) })).status).toBe(202);
    expect((await call("/api/v1/reports/production/generate", { token: manager.token, body: body(lineId) })).status).toBe(409);
  });
});

describe("report access", () => {
  it("operators cannot see reports; viewers read but cannot generate", async () => {
    const { lineId } = await seedLine();
    const operator = await loginAs("operator");
    expect((await call("/api/v1/reports/production", { token: operator.token })).status).toBe(403);
    expect((await call("/api/v1/reports/production/generate", { token: operator.token, body: body(lineId) })).status).toBe(403);
    const viewer = await loginAs("viewer");
    expect((await call("/api/v1/reports/production", { token: viewer.token })).status).toBe(200);
    expect((await call("/api/v1/reports/production/generate", { token: viewer.token, body: body(lineId) })).status).toBe(403);
  });

  it("a caller who may not read lines can neither request nor read a line's report, even holding the reports permissions", async () => {
    const { lineId } = await seedLine();
    const admin = await loginAs("admin");
    const role = unique("reporter");
    const made = await call("/api/v1/roles", {
      token: admin.token,
      body: { role_name: role, permissions: ["reports:read", "reports:generate"], allowed_tabs: [] },
    });
    expect(made.status).toBe(201);
    const outsider = await loginAs(role);
    const id = str((await call("/api/v1/reports/production/generate", { token: admin.token, body: body(lineId) })).json.id);
    await consume(id);

    const theirs = () => env.DB.prepare("select count(*) as n from production_reports where requested_by = ?").bind(outsider.id).first<{ n: number }>();
    const attempts = [
      call("/api/v1/reports/production/generate", { token: outsider.token, body: body(lineId) }),
      call("/api/v1/reports/production", { token: outsider.token, body: body(lineId) }),
      call("/api/v1/reports/production", { token: outsider.token }),
      call(`/api/v1/reports/production/${id}`, { token: outsider.token }),
      call(`/api/v1/reports/production/${id}/pdf`, { token: outsider.token }),
      call(`/api/v1/reports/${id}/pdf`, { token: outsider.token }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(403);
      expect(str(res.json.message)).toMatch(/line:read/);
    }
    expect((await theirs())?.n).toBe(0);

    // The same role with line:read gets the report.
    await call("/api/v1/roles", {
      method: "PATCH",
      token: admin.token,
      body: { role_name: role, permissions: ["reports:read", "reports:generate", "line:read"] },
    });
    const insider = await loginAs(role);
    expect((await call(`/api/v1/reports/${id}/pdf`, { token: insider.token })).status).toBe(200);
  });
});
