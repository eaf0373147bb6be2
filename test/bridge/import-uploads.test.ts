/**
 * Uploaded legacy files (R2 `imports/…`) are not kept for ever (review finding): an upload no job
 * takes is swept after a day; the job that takes one deletes it when it ends (completed, or
 * failed for good); a worker that dies between the job's end and the delete leaves the file due,
 * and the sweep deletes it. Starting a job checks the file it names.
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { importJobs, pendingFileDeletions } from "../../src/db/schema";
import { sweepFiles } from "../../src/lib/files";
import { reapExpired } from "../../src/lib/jobs";
import { importJobKind } from "../../src/modules/bridge/lease";
import { ImportJob, ImportVerification } from "../../src/modules/bridge/schemas";
import { UNATTACHED_UPLOAD_HOURS } from "../../src/modules/bridge/upload-outbox";
import { ccExportData, ccExportText } from "../fixtures/legacy/ccbackend-export";
import { call, db, loginAs, testDeps } from "../helpers";
import { importFile, uploadLegacyFile } from "./helpers";

const inBucket = async (key: string) => (await env.FILES.head(key)) !== null;
const outboxRow = async (key: string) => (await db().select().from(pendingFileDeletions).where(eq(pendingFileDeletions.key, key)))[0];
const sweepAt = (at: Date) => sweepFiles({ ...testDeps(), now: () => at });
const smallExport = () => ccExportText(ccExportData({ items: 3, logs: 5, reports: 1, users: 2 }));

async function upload(token: string, text = smallExport()): Promise<string> {
  const up = await uploadLegacyFile(token, text);
  expect(up.status).toBe(201);
  return String(up.json.file_key);
}

describe("uploaded import files", () => {
  it("an upload no job takes is kept for a day, then swept", async () => {
    const { token } = await loginAs("admin");
    const key = await upload(token);
    expect((await outboxRow(key))?.heartbeatAt).not.toBeNull();
    expect(await sweepAt(new Date(Date.now() + (UNATTACHED_UPLOAD_HOURS - 1) * 3_600_000))).toBe(0);
    expect(await inBucket(key)).toBe(true);
    await sweepAt(new Date(Date.now() + (UNATTACHED_UPLOAD_HOURS + 1) * 3_600_000));
    expect(await inBucket(key)).toBe(false);
    expect(await outboxRow(key)).toBeUndefined();
    // Gone: a job can no longer take it.
    const start = await call("/api/v1/imports", { token, body: { source: "ccbackend", file_key: key } });
    expect(start.status).toBe(422);
  });

  it("the job that takes an upload deletes it when it completes; its verification stays readable", { timeout: 120_000 }, async () => {
    const { token } = await loginAs("admin");
    const key = await upload(token);
    const job = await importFile(token, "ccbackend", key);
    expect(await inBucket(key)).toBe(false);
    expect(await outboxRow(key)).toBeUndefined();
    // The day-old sweep has nothing left of it either.
    await sweepAt(new Date(Date.now() + (UNATTACHED_UPLOAD_HOURS + 1) * 3_600_000));
    const verify = await call(`/api/v1/imports/${job.id}/verify`, { token, schema: ImportVerification });
    expect(verify.status).toBe(200);
    expect(verify.json.match).toBe(true);
    // One job per file: it was this job's, and it is gone.
    const again = await call("/api/v1/imports", { token, body: { source: "ccbackend", file_key: key } });
    expect(again.status).toBe(409);
  });

  it("a job that fails for good deletes its upload", { timeout: 120_000 }, async () => {
    const { token } = await loginAs("admin");
    // JSON, so the upload takes it; not a CCbackend export, so every delivery of the run fails.
    const key = await upload(token, '{"NOT_CCBACKEND": true}');
    const started = await call("/api/v1/imports", { token, body: { source: "ccbackend", file_key: key }, schema: ImportJob });
    expect(started.status).toBe(202);
    let job = started.json;
    await vi.waitUntil(
      async () => {
        job = (await call(`/api/v1/imports/${started.json.id}`, { token, schema: ImportJob })).json;
        return job.state === "failed";
      },
      { timeout: 100_000, interval: 250 },
    );
    expect(job.error).toMatch(/attempt 3 of 3|import stopped/);
    expect(await inBucket(key)).toBe(false);
    expect(await outboxRow(key)).toBeUndefined();
  });

  it("a worker that dies before the delete leaves the file due: the reaper fails the job and the sweep deletes it", async () => {
    const { token, id: userId } = await loginAs("admin");
    const key = await upload(token);
    // A job at its last attempt whose worker died (stale heartbeat), written as startImport does.
    const id = crypto.randomUUID();
    await db()
      .insert(importJobs)
      .values({
        id,
        source: "ccbackend",
        state: "running",
        mode: "incremental",
        input: { file_key: key, mode: "incremental" },
        fileKey: key,
        report: {},
        failures: [],
        attempts: 3,
        heartbeatAt: "2020-01-01T00:00:00.000Z",
        createdBy: userId,
        username: "admin",
      });
    await db().delete(pendingFileDeletions).where(eq(pendingFileDeletions.key, key)); // attached
    expect((await reapExpired(testDeps(), importJobKind)).failed).toBe(1);
    expect((await outboxRow(key))?.heartbeatAt).toBeNull();
    expect(await inBucket(key)).toBe(true);
    await sweepAt(new Date());
    expect(await inBucket(key)).toBe(false);
    expect(await outboxRow(key)).toBeUndefined();
  });

  it("starting an import checks its file: needed by file sources, refused by database sources, known, not taken twice", async () => {
    const { token } = await loginAs("admin");
    const key = await upload(token);
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [{ source: "ccbackend" }, 422, /needs the file_key/],
      [{ source: "parts", file_key: "imports/never-uploaded" }, 422, /No uploaded file/],
      [{ source: "ms5", file_key: key }, 422, /takes no file_key/],
    ];
    for (const [body, status, message] of cases) {
      const res = await call("/api/v1/imports", { token, body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(JSON.stringify(res.json)).toMatch(message);
    }
    // Nothing was recorded, and the upload is still held for a job.
    expect((await db().select().from(importJobs).where(eq(importJobs.fileKey, key))).length).toBe(0);
    expect((await outboxRow(key))?.heartbeatAt).not.toBeNull();
  });
});
