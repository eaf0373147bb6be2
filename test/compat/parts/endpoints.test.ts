/**
 * One test per endpoint each Part Management / Aerie client calls (endpoints.ts), per client: the
 * client's request with its API key, the fields it reads. The part each test acts on is created
 * and brought to the row's state through the same `/api/parts` calls the clients make; a STEP
 * upload is converted by running the convert consumer on what the upload queued.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import occtWasm from "occt-import-js/dist/occt-import-js.wasm";
import { describe, expect, it } from "vitest";
import { ConvertMessage } from "../../../src/queues/messages";
import { convertStep } from "../../../workers/convert/job";
import { consumeBatch } from "../../../workers/shared";
import cube from "../../fixtures/step/cube.stp?raw";
import { call, unique } from "../../helpers";
import { expectReads, fill, type Vars } from "../rm365/fixture";
import { createPart, keyCall, newKey } from "./client";
import { AERIE_MAIN, AERIE_ONSHAPE_OAUTH, PART_MANAGEMENT, type PartsEndpoint } from "./endpoints";

const png = (i: number) => new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, i])], { type: "image/png" });

function multipart(kind: "file" | "views"): FormData {
  const form = new FormData();
  if (kind === "file") form.append("file", new File([cube], "bracket.step"));
  else for (let i = 0; i < 8; i++) form.append(`view_${i}`, png(i), `view_${i}.png`);
  return form;
}

/** Runs the convert consumer on the job the upload queued (the test runtime has no consumer). */
async function convert(partId: number): Promise<void> {
  const job = await env.DB.prepare("select job_id, step_key from conversion_jobs where part_id = ?").bind(partId).first<{ job_id: string; step_key: string }>();
  if (!job) throw new Error("the upload queued no conversion");
  const body = { type: "convert_step" as const, partId, jobId: job.job_id, stepKey: job.step_key, requestId: "test" };
  const batch = createMessageBatch("floorline-convert", [{ id: crypto.randomUUID(), timestamp: new Date(), attempts: 1, body }]);
  const ctx = createExecutionContext();
  await consumeBatch(batch.queue, batch.messages, ConvertMessage, async (message, meta) => {
    if (message.type === "convert_step") await convertStep({ db: env.DB, files: env.FILES, wasm: occtWasm, now: () => new Date() }, message, meta);
  });
  await getQueueResult(batch, ctx);
}

/** A part in the state the row needs, reached through the clients' own calls. */
async function fixture(key: string, endpoint: PartsEndpoint): Promise<Vars> {
  const needs = endpoint.needs ?? [];
  const part = await createPart(key, { type: needs.includes("hand") ? "hand" : "cnc" });
  const id = Number(part.id);
  const step = async (path: string, method: string, body?: unknown) => {
    const res = await keyCall(key, `/api/parts/${id}${path}`, method, body);
    expect(res.status, `${method} ${path}: ${JSON.stringify(res.json)}`).toBeLessThan(300);
  };
  for (const need of needs) {
    if (need === "approved") await step("/approve", "POST", {});
    if (need === "assigned") await step("/assign", "POST", { assigned: "Sam" });
    if (need === "completed") await step("/complete", "POST", {});
    if (need === "file") {
      const up = await call(`/api/parts/${id}/upload`, { method: "POST", body: multipart("file"), headers: { "x-api-key": key } });
      expect(up.status, JSON.stringify(up.json)).toBeLessThan(300);
    }
    if (need === "converted") await convert(id);
    if (need === "views") {
      const up = await call(`/api/parts/${id}/views`, { method: "POST", body: multipart("views"), headers: { "x-api-key": key } });
      expect(up.status, JSON.stringify(up.json)).toBeLessThan(300);
    }
  }
  return { part: id, key, newPartId: unique("P"), newName: unique("Bracket") };
}

function suite(client: string, table: PartsEndpoint[]) {
  describe(client, () => {
    for (const endpoint of table) {
      it(`${endpoint.method} ${endpoint.path} (${endpoint.from})`, async () => {
        const key = await newKey();
        const vars = await fixture(key, endpoint);
        const path = String(fill(endpoint.path, vars));
        const headers = { "x-api-key": key };
        if (endpoint.blob) {
          const res = await fetchAs(path, headers);
          expect(res.ok, `${path}: ${res.status}`).toBe(true);
          expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0);
          return;
        }
        const body = endpoint.multipart ? multipart(endpoint.multipart) : fill(endpoint.body, vars);
        const res = endpoint.multipart ? await call(path, { method: endpoint.method, body, headers }) : await keyCall(key, path, endpoint.method, body);
        expect(res.status, `${endpoint.method} ${path}: ${JSON.stringify(res.json)?.slice(0, 400)}`).toBe(endpoint.status ?? 200);
        expectReads(res.json, endpoint.reads, `${endpoint.method} ${path}`);
      }, 60_000);
    }
  });
}

/** A raw GET as the clients' `fetch(url, {headers})` (the body is read as a blob). */
async function fetchAs(path: string, headers: Record<string, string>): Promise<Response> {
  const { exports } = await import("cloudflare:workers");
  return exports.default.fetch(new Request(`http://localhost${path}`, { headers }));
}

suite("Part Management @e71ab91: every endpoint it calls", PART_MANAGEMENT);
suite("Aerie main @450b403: every endpoint it calls", AERIE_MAIN);
suite("Aerie Onshape-Oauth @4879280: every endpoint it calls", AERIE_ONSHAPE_OAUTH);
