/** POST /api/v1/imports/files: what it stores, and what it refuses without storing anything. */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { AppError } from "../../src/lib/errors";
import { MAX_UPLOADS_PER_SENDER, uploadAdmission, uploadSenders } from "../../src/lib/uploads";
import { type ImportFileDeadlines, importFileKind, storeImportFile } from "../../src/modules/bridge/upload";
import { freshIp, loginAs, testDeps } from "../helpers";
import { uploadLegacyFile } from "./helpers";

const stored = async () => (await env.FILES.list({ prefix: "imports/" })).objects.length;

describe("legacy file uploads", () => {
  it("stores a SQLite file, a gzip and a JSON export under imports/, judged by their first bytes", async () => {
    const { token } = await loginAs("admin");
    const sqlite = new Uint8Array(4096);
    sqlite.set(new TextEncoder().encode("SQLite format 3\0"));
    const up = await uploadLegacyFile(token, sqlite);
    expect(up).toMatchObject({ status: 201, json: { kind: "sqlite", size: 4096 } });
    const object = await env.FILES.get(String(up.json.file_key));
    expect(object?.size).toBe(4096);
    await object?.body.cancel();
    expect(importFileKind(new Uint8Array([0x1f, 0x8b, 8, 0]))).toBe("gzip");
    expect(importFileKind(new TextEncoder().encode('\uFEFF\r\n {"CC_USER":[]}'))).toBe("json");
    expect(importFileKind(new TextEncoder().encode("id,name\n"))).toBeNull();
  });

  it("refuses a body without a length, and another kind of file, storing nothing", async () => {
    const { token } = await loginAs("admin");
    const before = await stored();
    const chunked = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"CC_USER":[]}'));
        c.close();
      },
    });
    const res = await exports.default.fetch(
      new Request("http://localhost/api/v1/imports/files", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "cf-connecting-ip": freshIp() },
        body: chunked,
      }),
    );
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ error: "VALIDATION_ERROR" });
    const csv = await uploadLegacyFile(token, "CCM_ID,CC_SIZE\n".repeat(100));
    expect(csv).toMatchObject({ status: 415, json: { error: "UNSUPPORTED_MEDIA_TYPE" } });
    expect(await stored()).toBe(before);
  });

  it("counts against its sender's uploads in progress: the 5th is a 429 and stores nothing", async () => {
    const admin = await loginAs("admin");
    const places = Array.from({ length: MAX_UPLOADS_PER_SENDER }, () => uploadSenders.take(`user:${admin.id}`));
    const before = await stored();
    try {
      const refused = await uploadLegacyFile(admin.token, '{"CC_USER":[]}');
      expect(refused).toMatchObject({ status: 429, json: { error: "RATE_LIMITED", retry_after: 10 } });
      expect(await stored()).toBe(before);
    } finally {
      for (const p of places) p.release();
    }
    // Its place came back: the same upload goes through.
    expect(await uploadLegacyFile(admin.token, '{"CC_USER":[]}')).toMatchObject({ status: 201 });
    expect(uploadSenders.held()).toBe(0);
  });

  /** A SQLite file's body that sends its first 4 KiB, then `trickle` bytes every `everyMs` (none: nothing more). */
  function slowFile(trickle?: { bytes: number; everyMs: number }) {
    let timer: ReturnType<typeof setInterval> | undefined;
    const first = new Uint8Array(4096);
    first.set(new TextEncoder().encode("SQLite format 3\0"));
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(first);
        if (trickle) timer = setInterval(() => c.enqueue(new Uint8Array(trickle.bytes)), trickle.everyMs);
      },
      cancel() {
        clearInterval(timer);
      },
    });
    return { body, stop: () => clearInterval(timer) };
  }
  const store = (body: ReadableStream<Uint8Array>, declared: number, deadlines: ImportFileDeadlines, sender = `user:legacy-${crypto.randomUUID()}`) =>
    storeImportFile(testDeps(), { headers: new Headers({ "content-length": String(declared) }), body, sender }, deadlines).then(
      () => "stored",
      (err: unknown) => err,
    );

  it("a body that stalls is refused (400, upload_stalled), stores nothing and gives its admission and place back", async () => {
    const before = await stored();
    const slow = slowFile();
    const err = await store(slow.body, 1024 * 1024, { stallMs: 300 });
    slow.stop();
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ status: 400, details: [{ code: "upload_stalled" }] });
    expect(await stored()).toBe(before);
    expect([uploadAdmission.free, uploadAdmission.waiting, uploadSenders.held()]).toEqual([uploadAdmission.slots, 0, 0]);
  });

  it("a body bringing just enough per window is still refused at the receive deadline (400, upload_too_slow)", async () => {
    const before = await stored();
    // 64 KiB every 50 ms passes every 200 ms window, forever: the 700 ms deadline ends it.
    const slow = slowFile({ bytes: 64 * 1024, everyMs: 50 });
    const err = await store(slow.body, 50 * 1024 * 1024, { stallMs: 200, maxReceiveMs: 700 });
    slow.stop();
    expect(err).toMatchObject({ status: 400, details: [{ code: "upload_too_slow" }] });
    expect(await stored()).toBe(before);
    expect([uploadAdmission.free, uploadSenders.held()]).toEqual([uploadAdmission.slots, 0]);
  });

  it("takes one of the isolate's upload admissions: with none free it waits, then is a 503, storing nothing", async () => {
    const admin = await loginAs("admin");
    const wait = uploadAdmission.waitMs;
    const held = await Promise.all(Array.from({ length: uploadAdmission.slots }, () => uploadAdmission.acquire()));
    const before = await stored();
    try {
      uploadAdmission.waitMs = 200;
      const refused = await uploadLegacyFile(admin.token, '{"CC_USER":[]}');
      expect(refused).toMatchObject({ status: 503, json: { error: "SERVICE_UNAVAILABLE" } });
      expect(await stored()).toBe(before);
    } finally {
      uploadAdmission.waitMs = wait;
      for (const slot of held) slot.release();
    }
    expect(await uploadLegacyFile(admin.token, '{"CC_USER":[]}')).toMatchObject({ status: 201 });
    expect([uploadAdmission.free, uploadSenders.held()]).toEqual([uploadAdmission.slots, 0]);
  });
});
