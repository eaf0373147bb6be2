/** POST /api/v1/imports/files: what it stores, and what it refuses without storing anything. */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_UPLOADS_PER_SENDER, uploadSenders } from "../../src/lib/uploads";
import { importFileKind } from "../../src/modules/bridge/upload";
import { freshIp, loginAs } from "../helpers";
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
});
