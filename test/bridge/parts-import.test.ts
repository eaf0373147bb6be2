/**
 * Part Management / Aerie → Floorline end to end: a 3,000-part SQLite database built from the
 * seeds' models, in one .tar.gz with the seed's uploads/ folder (STEP and PDF files), uploaded,
 * imported through the import queue, verified; 100 rows changed, re-imported: exactly those 100
 * change; an imported part's STEP becomes a GLB through the conversion queue.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import occtWasm from "occt-import-js/dist/occt-import-js.wasm";
import sqlWasm from "sql.js/dist/sql-wasm-browser.wasm";
import { beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { tarEntries } from "../../src/modules/bridge/parts/archive";
import { sqlJsFor } from "../../src/modules/bridge/parts/sqlite";
import { type ImportJob, ImportVerification } from "../../src/modules/bridge/schemas";
import { ConvertMessage } from "../../src/queues/messages";
import { convertStep } from "../../workers/convert/job";
import { consumeBatch } from "../../workers/shared";
import { buildPartsDb, defect, type LegacyPartRow, partRows } from "../fixtures/legacy/parts-db";
import archiveB64 from "../fixtures/legacy/parts-uploads.tar.gz.b64?raw";
import { tarGz } from "../fixtures/legacy/tar";
import { call, freshIp, loginAs } from "../helpers";
import { importFile, uploadLegacyFile } from "./helpers";

// Enough for a chain of deliveries (each new part is three D1 queries: 9,000 against a budget
// of 800 an invocation); test/bridge/parts-reader.test.ts pages a 12,000-part database.
const ROWS = 3_000;
let admin: { token: string };
let rows: LegacyPartRow[];
let uploads: { path: string; bytes: Uint8Array }[];
let first: z.infer<typeof ImportJob>;

/** The seed's backend folder as `tar czf export.tar.gz parts.db uploads` packs it. */
async function exportOf(parts: LegacyPartRow[]): Promise<Uint8Array> {
  const db = buildPartsDb(await sqlJsFor(sqlWasm), parts);
  return tarGz([{ path: "parts.db", bytes: db }, ...uploads]);
}

const floorlineIdOf = async (legacyId: number) =>
  Number(
    (
      await env.DB.prepare("select floorline_id from legacy_keys where legacy_source = 'aerie' and legacy_table = 'parts' and legacy_id = ?")
        .bind(String(legacyId))
        .first<{ floorline_id: string }>()
    )?.floorline_id,
  );

beforeAll(async () => {
  admin = await loginAs("admin");
  rows = partRows({ rows: ROWS });
  uploads = [];
  const bytes = Uint8Array.from(atob(archiveB64.replace(/\s/g, "")), (c) => c.charCodeAt(0));
  for await (const entry of tarEntries(new Blob([bytes]).stream()))
    uploads.push({ path: entry.path, bytes: new Uint8Array(await new Response(entry.body()).arrayBuffer()) });
});

describe("Part Management / Aerie import", () => {
  it("imports the database and its files, reports every row it could not take, and verifies", { timeout: 300_000 }, async () => {
    const archive = await exportOf(rows);
    const up = await uploadLegacyFile(admin.token, archive);
    expect(up.status).toBe(201);
    expect(up.json.kind).toBe("gzip");
    first = await importFile(admin.token, "aerie", String(up.json.file_key));
    const defective = rows.filter((r) => defect(r.id) !== null);
    expect(first.tables).toEqual({
      parts: { read: ROWS, written: ROWS - defective.length, updated: 0, skipped: 0, failed: defective.length },
      // Parts 1–6 have their file in uploads/ (five STEP, one PDF); part 7's is missing.
      part_files: { read: 7, written: 6, updated: 0, skipped: 0, failed: 1 },
    });
    expect(first.failures).toEqual(
      expect.arrayContaining([
        { table: "parts", legacy_id: "997", reason: expect.stringMatching(/^type /) },
        { table: "parts", legacy_id: "1499", reason: "name: missing" },
        { table: "part_files", legacy_id: "7", reason: expect.stringMatching(/"missing.step" is not in the archive/) },
      ]),
    );
    const verify = await call(`/api/v1/imports/${first.id}/verify`, { token: admin.token, schema: ImportVerification });
    expect(verify.status).toBe(200);
    for (const t of verify.json.tables) expect(t, t.table).toMatchObject({ match: true });

    const part = await call(`/api/v1/parts/${await floorlineIdOf(12)}`, { token: admin.token });
    expect(part.json).toMatchObject({ name: rows[11]?.name, status: rows[11]?.status, category: rows[11]?.category, amount: rows[11]?.amount });
  });

  it("an imported part's STEP file converts to a GLB through the conversion queue; its PDF downloads", { timeout: 120_000 }, async () => {
    const id = await floorlineIdOf(1);
    // The import recorded the job queued; the first read of it sends it to the queue.
    const job = await call(`/api/v1/parts/${id}/conversion`, { token: admin.token });
    expect(job.json).toMatchObject({ state: "queued" });
    const row = await env.DB.prepare("select job_id, step_key from conversion_jobs where part_id = ?").bind(id).first<{ job_id: string; step_key: string }>();
    if (!row) throw new Error("no conversion job");
    const batch = createMessageBatch("floorline-convert", [
      { id: "m1", timestamp: new Date(), attempts: 1, body: { type: "convert_step", partId: id, jobId: row.job_id, stepKey: row.step_key, requestId: "test" } },
    ]);
    const ctx = createExecutionContext();
    await consumeBatch(batch.queue, batch.messages, ConvertMessage, async (message, meta) => {
      if (message.type === "convert_step") await convertStep({ db: env.DB, files: env.FILES, wasm: occtWasm, now: () => new Date() }, message, meta);
    });
    expect((await getQueueResult(batch, ctx)).retryMessages).toEqual([]);
    const model = await exports.default.fetch(
      new Request(`http://localhost/api/v1/parts/${id}/model`, { headers: { authorization: `Bearer ${admin.token}`, "cf-connecting-ip": freshIp() } }),
    );
    expect(model.status).toBe(200);
    expect(model.headers.get("content-type")).toBe("model/gltf-binary");
    expect(new TextDecoder().decode((await model.arrayBuffer()).slice(0, 4))).toBe("glTF");
    const pdf = await exports.default.fetch(
      new Request(`http://localhost/api/v1/parts/${await floorlineIdOf(6)}/file`, {
        headers: { authorization: `Bearer ${admin.token}`, "cf-connecting-ip": freshIp() },
      }),
    );
    expect(pdf.status).toBe(200);
    expect(new TextDecoder().decode((await pdf.arrayBuffer()).slice(0, 5))).toBe("%PDF-");
  });

  it("re-import after 100 rows changed in the old system writes exactly those 100, and keeps converted models", { timeout: 300_000 }, async () => {
    const changed = rows.map((r) => ({ ...r }));
    const picked = changed.filter((r) => defect(r.id) === null && r.id % 23 === 0).slice(0, 100);
    expect(picked).toHaveLength(100);
    for (const r of picked) r.notes = `changed after cutover ${r.id}`;
    const up = await uploadLegacyFile(admin.token, await exportOf(changed));
    const again = await importFile(admin.token, "aerie", String(up.json.file_key));
    expect(again.tables.parts).toEqual({
      read: ROWS,
      written: 0,
      updated: 100,
      skipped: ROWS - 100 - (first.tables.parts?.failed ?? 0),
      failed: first.tables.parts?.failed,
    });
    expect(again.tables.part_files).toEqual({ read: 7, written: 0, updated: 0, skipped: 6, failed: 1 });
    const part = await call(`/api/v1/parts/${await floorlineIdOf(picked[0]?.id ?? 0)}`, { token: admin.token });
    expect(part.json.notes).toBe(`changed after cutover ${picked[0]?.id}`);
    const model = await call(`/api/v1/parts/${await floorlineIdOf(1)}/conversion`, { token: admin.token });
    expect(model.json).toMatchObject({ state: "ready" });
  });
});
