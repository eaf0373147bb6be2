/**
 * The CAD pipeline end to end inside workerd: upload each fixture STEP, run the conversion
 * consumer on what was queued, fetch /model and read the GLB. Fixtures: test/fixtures/step
 * (read at test time only; sources, licences and reference figures in its README).
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import occtWasm from "occt-import-js/dist/occt-import-js.wasm";
import { describe, expect, it } from "vitest";
import { featureReader } from "../../src/lib/config";
import { incomingUpload } from "../../src/lib/uploads";
import { getConversion, openModel, uploadPartFile } from "../../src/modules/parts/files";
import { ConvertMessage } from "../../src/queues/messages";
import type { Principal } from "../../src/types";
import { convertStep } from "../../workers/convert/job";
import { consumeBatch } from "../../workers/shared";
import as1 from "../fixtures/step/as1-oc-214.stp?raw";
import cube from "../fixtures/step/cube.stp?raw";
import cubeIn from "../fixtures/step/cube-in.step?raw";
import dm1 from "../fixtures/step/dm1-id-214.stp?raw";
import io1 from "../fixtures/step/io1-cm-214.stp?raw";
import rounded from "../fixtures/step/rounded-cube.step?raw";
import { call, freshIp, loginAs, testDeps, unique } from "../helpers";

const FIXTURES = [
  { file: "cube.stp", text: cube, meshes: 1, triangles: 12 },
  { file: "cube-in.step", text: cubeIn, meshes: 1, triangles: 12 },
  { file: "rounded-cube.step", text: rounded, meshes: 1, triangles: 84 },
  { file: "io1-cm-214.stp", text: io1, meshes: 1, triangles: 3288 },
  { file: "dm1-id-214.stp", text: dm1, meshes: 7, triangles: 1576 },
  { file: "as1-oc-214.stp", text: as1, meshes: 18, triangles: 5040 },
];

const upload = (id: unknown, name: string, bytes: string, token: string, path = `/api/parts/${id}/upload`) => {
  const form = new FormData();
  form.append("file", new File([bytes], name));
  return call(path, { token, method: "POST", body: form });
};

async function newPart(token: string) {
  const res = await call("/api/v1/parts", { token, body: { type: "cnc", name: unique("Model"), part_id: unique("M"), material: "al", subsystem: "CAD" } });
  expect(res.status).toBe(201);
  return Number(res.json.id);
}

/** The message the upload queued, rebuilt from the job it recorded (the test runtime has no consumer). */
async function queuedMessage(partId: number) {
  const job = await env.DB.prepare("select job_id, step_key from conversion_jobs where part_id = ?").bind(partId).first<{ job_id: string; step_key: string }>();
  if (!job) throw new Error("no job recorded");
  return { type: "convert_step" as const, partId, jobId: job.job_id, stepKey: job.step_key, requestId: "test" };
}

/** Runs the consumer on one message as the queue would deliver it (attempt `attempts`). */
async function consume(body: unknown, attempts = 1) {
  const batch = createMessageBatch("floorline-convert", [{ id: crypto.randomUUID(), timestamp: new Date(), attempts, body }]);
  const ctx = createExecutionContext();
  await consumeBatch(batch.queue, batch.messages, ConvertMessage, async (message, meta) => {
    if (message.type === "convert_step") await convertStep({ db: env.DB, files: env.FILES, wasm: occtWasm, now: () => new Date() }, message, meta);
  });
  return getQueueResult(batch, ctx);
}

/** Reads a GLB: header, JSON chunk, meshes and triangles (index count / 3). */
function readGlb(bytes: ArrayBuffer) {
  const view = new DataView(bytes);
  const magic = new TextDecoder().decode(new Uint8Array(bytes, 0, 4));
  const version = view.getUint32(4, true);
  const length = view.getUint32(8, true);
  const jsonLength = view.getUint32(12, true);
  const chunkType = view.getUint32(16, true);
  const json = JSON.parse(new TextDecoder().decode(new Uint8Array(bytes, 20, jsonLength))) as {
    asset: { version: string };
    meshes: { name?: string; primitives: { indices: number; material?: number }[] }[];
    accessors: { count: number }[];
    materials: { pbrMetallicRoughness?: { baseColorFactor?: number[] } }[];
  };
  const triangles = json.meshes.flatMap((m) => m.primitives).reduce((n, p) => n + (json.accessors[p.indices]?.count ?? 0) / 3, 0);
  return { magic, version, length, chunkType, json, triangles };
}

describe("STEP → GLB pipeline", () => {
  it.each(FIXTURES)(
    "$file: upload → queued (202) → consumer → GLB with $meshes meshes and $triangles triangles",
    async (fixture) => {
      const { token } = await loginAs("engineer");
      const id = await newPart(token);
      const up = await upload(id, fixture.file, fixture.text, token);
      expect(up.status).toBe(201);
      expect(up.json).toMatchObject({
        message: "File uploaded successfully",
        filename: fixture.file,
        conversion: { success: true, state: "queued", error: null },
      });
      const waiting = await call(`/api/parts/${id}/model`, { token });
      expect(waiting.status).toBe(202);
      expect(waiting.json).toMatchObject({ state: "queued", attempts: 0 });

      const result = await consume(await queuedMessage(id));
      expect(result.retryMessages).toEqual([]);
      expect(result.explicitAcks).toHaveLength(1);

      const model = await call(`/api/parts/${id}/model`, { token });
      expect(model.status).toBe(200);
      expect(model.res.headers.get("content-type")).toBe("model/gltf-binary");
      const raw = await (await fetchBinary(`/api/v1/parts/${id}/model`, token)).arrayBuffer();
      const glb = readGlb(raw);
      expect(glb.magic).toBe("glTF");
      expect(glb.version).toBe(2);
      expect(glb.length).toBe(raw.byteLength);
      expect(glb.chunkType).toBe(0x4e4f534a); // "JSON"
      expect(glb.json.asset.version).toBe("2.0");
      expect(glb.json.meshes).toHaveLength(fixture.meshes);
      expect(glb.triangles).toBe(fixture.triangles);
      const job = await call(`/api/v1/parts/${id}/conversion`, { token });
      expect(job.json).toMatchObject({ state: "ready", attempts: 1, error: null, meshes: fixture.meshes, triangles: fixture.triangles });
      expect(typeof job.json.finished_at).toBe("string");
    },
    60_000,
  );

  it("keeps the STEP's per-body names and colours (dm1-id-214 has colours)", async () => {
    const { token } = await loginAs("engineer");
    const id = await newPart(token);
    await upload(id, "dm1-id-214.stp", dm1, token);
    await consume(await queuedMessage(id));
    const glb = readGlb(await (await fetchBinary(`/api/v1/parts/${id}/model`, token)).arrayBuffer());
    const colours = new Set(glb.json.materials.map((m) => JSON.stringify(m.pbrMetallicRoughness?.baseColorFactor)));
    expect(colours.size).toBeGreaterThan(1);
    expect(glb.json.meshes.every((m) => typeof m.name === "string" && m.name.length > 0)).toBe(true);
  }, 60_000);

  it("a corrupt STEP fails for good on its first delivery (acknowledged, never retried); other messages in the batch still succeed", async () => {
    const { token } = await loginAs("engineer");
    const bad = await newPart(token);
    const good = await newPart(token);
    const corrupt = "ISO-10303-21;\nHEADER;\nthis is not a STEP model at all\nENDSEC;\nEND-ISO-10303-21;\n";
    expect((await upload(bad, "broken.step", corrupt, token)).status).toBe(201);
    expect((await upload(good, "cube.stp", cube, token)).status).toBe(201);

    const batch = createMessageBatch("floorline-convert", [
      { id: "bad", timestamp: new Date(), attempts: 1, body: await queuedMessage(bad) },
      { id: "good", timestamp: new Date(), attempts: 1, body: await queuedMessage(good) },
    ]);
    const ctx = createExecutionContext();
    await consumeBatch(batch.queue, batch.messages, ConvertMessage, async (message, meta) => {
      if (message.type === "convert_step") await convertStep({ db: env.DB, files: env.FILES, wasm: occtWasm, now: () => new Date() }, message, meta);
    });
    const result = await getQueueResult(batch, ctx);
    expect(result.retryMessages).toEqual([]);
    expect([...result.explicitAcks].sort()).toEqual(["bad", "good"]);
    const failed = await call(`/api/v1/parts/${bad}/conversion`, { token });
    expect(failed.json).toMatchObject({ state: "failed", attempts: 1 });
    expect(String(failed.json.error)).toMatch(/could not be read as a STEP model/);
    const model = await call(`/api/parts/${bad}/model`, { token });
    expect(model.status).toBe(422);
    expect(String(model.json.error)).toMatch(/cannot be converted: .*could not be read as a STEP model/);
    expect((await call(`/api/v1/parts/${bad}/model`, { token })).status).toBe(400);
    expect((await call(`/api/parts/${good}/model`, { token })).status).toBe(200);
  }, 60_000);

  it("a non-STEP named .step is 415 and nothing is stored or queued; a PDF is stored without a job", async () => {
    const { token } = await loginAs("engineer");
    const id = await newPart(token);
    const fake = await upload(id, "model.step", "solid cube\nfacet normal 0 0 1\nendsolid\n", token);
    expect(fake.status).toBe(415);
    expect((await call(`/api/v1/parts/${id}/conversion`, { token })).status).toBe(404);
    expect((await call(`/api/v1/parts/${id}`, { token })).json.file).toBeNull();
    const listed = await env.FILES.list({ prefix: "parts/files/" });
    const sizeBefore = listed.objects.length;

    // Service level, with a recording queue: a STEP sends exactly one message, anything else none.
    const sent: unknown[] = [];
    const deps = { ...testDeps(), queues: { convert: { send: async (m: unknown) => void sent.push(m) } as unknown as Queue, documents: env.DOCUMENTS_QUEUE } };
    const actor: Principal = { kind: "user", userId: "u", username: "t", role: "engineer", permissions: new Set(["parts:write"]), tabs: [], sessionId: "s" };
    const request = (name: string, text: string) => {
      const form = new FormData();
      form.append("file", new File([text], name));
      return incomingUpload(new Request("http://x/upload", { method: "POST", body: form }), actor);
    };
    await expect(uploadPartFile(deps, { id, upload: request("a.stp", "<html>not a model</html>") }, actor)).rejects.toMatchObject({ status: 415 });
    expect(sent).toEqual([]);
    expect((await env.FILES.list({ prefix: "parts/files/" })).objects.length).toBe(sizeBefore);
    const pdf = await uploadPartFile(deps, { id, upload: request("drawing.pdf", "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n") }, actor);
    expect(pdf).toMatchObject({ kind: "pdf", job: null, filename: "drawing.pdf" });
    expect(sent).toEqual([]);
    const step = await uploadPartFile(deps, { id, upload: request("cube.stp", cube) }, actor);
    expect(step.job?.state).toBe("queued");
    expect(sent).toEqual([
      { type: "convert_step", partId: id, jobId: step.job?.job_id, stepKey: expect.stringMatching(/^parts\/files\//), requestId: expect.any(String) },
    ]);

    const download = await fetchBinary(`/api/parts/${id}/download`, token);
    expect(download.headers.get("content-disposition")).toMatch(/^attachment; filename="cube.stp"/);
    expect(await download.text()).toBe(cube);
    const inline = await fetchBinary(`/api/parts/${id}/file`, token);
    expect(inline.headers.get("content-disposition")).toMatch(/^inline/);
    await inline.body?.cancel();
  });

  it("a STEP over the conversion cap is refused at upload (413) with nothing queued", async () => {
    const { token } = await loginAs("engineer");
    const id = await newPart(token);
    const actor: Principal = { kind: "user", userId: "u", username: "t", role: "engineer", permissions: new Set(["parts:write"]), tabs: [], sessionId: "s" };
    const sent: unknown[] = [];
    const base = testDeps();
    const deps = {
      ...base,
      feature: featureReader({ ...base.env, PARTS_MAX_STEP_BYTES: "1000" }),
      queues: { convert: { send: async (m: unknown) => void sent.push(m) } as unknown as Queue, documents: env.DOCUMENTS_QUEUE },
    };
    const form = new FormData();
    form.append("file", new File([cube], "cube.stp"));
    const err = await uploadPartFile(deps, { id, upload: incomingUpload(new Request("http://x/u", { method: "POST", body: form }), actor) }, actor).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ status: 413, reason: "step_too_large" });
    expect(String((err as Error).message)).toMatch(/too large to convert/);
    expect(sent).toEqual([]);
    expect((await call(`/api/v1/parts/${id}/conversion`, { token })).status).toBe(404);
  });

  it("a re-upload replaces the model and removes the old objects; a job for a replaced or deleted part is dropped", async () => {
    const { token } = await loginAs("engineer");
    const admin = await loginAs("admin");
    const id = await newPart(token);
    await upload(id, "cube.stp", cube, token);
    const first = await queuedMessage(id);
    await consume(first);
    const firstGlb = `parts/models/${first.jobId}.glb`;
    expect(await env.FILES.head(firstGlb)).not.toBeNull();

    await upload(id, "rounded-cube.step", rounded, token);
    const second = await queuedMessage(id);
    expect(second.jobId).not.toBe(first.jobId);
    // The old message arrives again: dropped, nothing changes.
    const replay = await consume(first);
    expect(replay.explicitAcks).toHaveLength(1);
    expect((await call(`/api/v1/parts/${id}/conversion`, { token })).json).toMatchObject({ job_id: second.jobId, state: "queued" });
    await consume(second);
    const glb = readGlb(await (await fetchBinary(`/api/v1/parts/${id}/model`, token)).arrayBuffer());
    expect(glb.triangles).toBe(84);
    expect(await env.FILES.head(firstGlb)).toBeNull();
    expect(await env.FILES.head(first.stepKey)).toBeNull();
    // Delivered twice: idempotent.
    expect((await consume(second)).explicitAcks).toHaveLength(1);

    // Deleted while queued: the job is dropped.
    const gone = await newPart(token);
    await upload(gone, "cube.stp", cube, token);
    const orphan = await queuedMessage(gone);
    expect((await call(`/api/v1/parts/${gone}`, { token: admin.token, method: "DELETE" })).status).toBe(200);
    const dropped = await consume(orphan);
    expect(dropped.explicitAcks).toHaveLength(1);
    expect(await env.FILES.head(`parts/models/${orphan.jobId}.glb`)).toBeNull();
  }, 60_000);

  it("a job queued past its lease and never started is re-sent once when read", async () => {
    const { token } = await loginAs("engineer");
    const id = await newPart(token);
    const actor: Principal = { kind: "user", userId: "u", username: "t", role: "engineer", permissions: new Set(["parts:write"]), tabs: [], sessionId: "s" };
    const sent: unknown[] = [];
    const pending: Promise<unknown>[] = [];
    const later = new Date(Date.now() + testDeps().config.JOB_LEASE_SECONDS * 1000 + 1000);
    const deps = {
      ...testDeps({ now: () => later, waitUntil: (p) => void pending.push(p) }),
      queues: { convert: { send: async (m: unknown) => void sent.push(m) } as unknown as Queue, documents: env.DOCUMENTS_QUEUE },
    };
    const form = new FormData();
    form.append("file", new File([cube], "cube.stp"));
    await uploadPartFile(
      { ...deps, now: () => new Date() },
      { id, upload: incomingUpload(new Request("http://x/u", { method: "POST", body: form }), actor) },
      actor,
    );
    expect(sent).toHaveLength(1);
    await Promise.all([getConversion(deps, id), getConversion(deps, id), openModel(deps, id)]);
    await Promise.all(pending);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toEqual(sent[0]);
  });

  it("only holders of parts:write upload; viewers may read the model", async () => {
    const viewer = await loginAs("viewer");
    const { token } = await loginAs("engineer");
    const id = await newPart(token);
    expect((await upload(id, "cube.stp", cube, viewer.token)).status).toBe(403);
    expect((await upload(id, "cube.stp", cube, token, `/api/v1/parts/${id}/file`)).status).toBe(201);
    expect((await call(`/api/v1/parts/${id}/model`, { token: viewer.token })).status).toBe(202);
  });
});

/** A GET whose body the test reads itself (call() reads it as text). */
function fetchBinary(path: string, token: string) {
  return exports.default.fetch(new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${token}`, "cf-connecting-ip": freshIp() } }));
}
