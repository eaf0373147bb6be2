import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { idempotencyKeys, users } from "../../src/db/schema";
import { isoNow } from "../../src/db/schema/columns";
import { withIdempotency } from "../../src/lib/idempotency";
import { route } from "../../src/lib/route";
import { call, db, loginAs, str, unique } from "../helpers";

/** The hash the middleware computes: method, path with query, then the body bytes. */
async function requestHashOf(method: string, pathAndQuery: string, body: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${method} ${pathAndQuery}\n${body}`));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const countUsers = async (username: string) =>
  (await db().select({ n: sql<number>`count(*)` }).from(users).where(sql`${users.username} = ${username}`))[0]?.n ?? 0;

describe("Idempotency-Key on POST", () => {
  it("a retry with the same key and body replays the first response and writes nothing twice", async () => {
    const admin = await loginAs("admin");
    const key = crypto.randomUUID();
    const body = { username: unique("idem"), password: "password-123", role: "viewer" };
    const first = await call("/api/v1/users", { token: admin.token, body, headers: { "idempotency-key": key } });
    expect(first.status).toBe(201);
    const retry = await call("/api/v1/users", { token: admin.token, body, headers: { "idempotency-key": key } });
    expect(retry.status).toBe(201);
    expect(retry.res.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.json).toEqual(first.json);
    expect(await countUsers(body.username)).toBe(1);
    // without the key, the same request is a new request: 409 duplicate
    expect((await call("/api/v1/users", { token: admin.token, body })).status).toBe(409);
  });

  it("the same key with a different body is 409 and changes nothing", async () => {
    const admin = await loginAs("admin");
    const key = crypto.randomUUID();
    const a = { username: unique("idem"), password: "password-123", role: "viewer" };
    const b = { ...a, username: unique("idem") };
    expect((await call("/api/v1/users", { token: admin.token, body: a, headers: { "idempotency-key": key } })).status).toBe(201);
    const clash = await call("/api/v1/users", { token: admin.token, body: b, headers: { "idempotency-key": key } });
    expect(clash.status).toBe(409);
    expect(clash.json.error).toBe("CONFLICT");
    expect(await countUsers(b.username)).toBe(0);
  });

  it("keys are per caller: another user's identical key runs as a new request", async () => {
    const one = await loginAs("admin");
    const two = await loginAs("admin");
    const key = crypto.randomUUID();
    const r1 = await call("/api/v1/users", {
      token: one.token,
      body: { username: unique("a"), password: "password-123", role: "viewer" },
      headers: { "idempotency-key": key },
    });
    const r2 = await call("/api/v1/users", {
      token: two.token,
      body: { username: unique("b"), password: "password-123", role: "viewer" },
      headers: { "idempotency-key": key },
    });
    expect([r1.status, r2.status]).toEqual([201, 201]);
    expect(r2.res.headers.get("idempotent-replayed")).toBeNull();
  });

  it("a failed request releases its key, so the corrected retry runs", async () => {
    const admin = await loginAs("admin");
    const key = crypto.randomUUID();
    const bad = await call("/api/v1/users", {
      token: admin.token,
      body: { username: unique("c"), password: "short", role: "viewer" },
      headers: { "idempotency-key": key },
    });
    expect(bad.status).toBe(422);
    const good = await call("/api/v1/users", {
      token: admin.token,
      body: { username: unique("c"), password: "password-123", role: "viewer" },
      headers: { "idempotency-key": key },
    });
    expect(good.status).toBe(201);
  });

  it("stores replayed bodies encrypted: an API key's secret is never in the table in clear", async () => {
    const admin = await loginAs("admin");
    const key = crypto.randomUUID();
    const body = { name: "scanner", permissions: ["parts:read"] };
    const first = await call("/api/v1/api-keys", { token: admin.token, body, headers: { "idempotency-key": key } });
    const replay = await call("/api/v1/api-keys", { token: admin.token, body, headers: { "idempotency-key": key } });
    expect(replay.res.headers.get("idempotent-replayed")).toBe("true");
    expect(replay.json.key).toBe(first.json.key);
    const rows = await db().select().from(idempotencyKeys).where(sql`${idempotencyKeys.key} = ${key}`);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.responseBody).not.toContain(String(first.json.key));
    expect(rows[0]?.responseBody).not.toContain("scanner");
  });

  it("is ignored on routes that mint credentials: a replayed refresh is judged afresh", async () => {
    const u = await loginAs("viewer");
    const key = crypto.randomUUID();
    const ip = { "idempotency-key": key, "cf-connecting-ip": "192.0.2.80" };
    const first = await call("/api/v1/auth/refresh", { body: { refresh_token: u.refresh }, headers: ip });
    expect(first.status).toBe(200);
    await call("/api/v1/auth/refresh", { body: { refresh_token: str(first.json.refresh_token) } });
    const replay = await call("/api/v1/auth/refresh", { body: { refresh_token: u.refresh }, headers: ip });
    expect(replay.status).toBe(401);
    expect(replay.res.headers.get("idempotent-replayed")).toBeNull();
  });

  it("a retry while the first attempt still runs is 409; after the lease it takes the key over", async () => {
    const admin = await loginAs("admin");
    const key = crypto.randomUUID();
    const body = { username: unique("lease"), password: "password-123", role: "viewer" };
    const path = "/api/v1/users";
    // The first attempt's claim, as it looks while that request is still running.
    const hash = await requestHashOf("POST", path, JSON.stringify(body));
    await db()
      .insert(idempotencyKeys)
      .values({ scope: `user:${admin.id}`, key, requestHash: hash, state: "pending", createdAt: isoNow(), expiresAt: isoNow(new Date(Date.now() + 60_000)) });
    const busy = await call(path, { token: admin.token, body, headers: { "idempotency-key": key } });
    expect(busy.status).toBe(409);
    expect(busy.json.message).toMatch(/in progress/);
    expect(await countUsers(body.username)).toBe(0);
    // The first attempt died two minutes ago: a retry runs and completes.
    await db()
      .update(idempotencyKeys)
      .set({ createdAt: isoNow(new Date(Date.now() - 120_000)) })
      .where(sql`${idempotencyKeys.key} = ${key}`);
    const retry = await call(path, { token: admin.token, body, headers: { "idempotency-key": key } });
    expect(retry.status).toBe(201);
    expect(await countUsers(body.username)).toBe(1);
    // The takeover re-claimed the row: the dead attempt's release (by its old claim) misses it.
    await db().delete(idempotencyKeys).where(sql`${idempotencyKeys.key} = ${key} and ${idempotencyKeys.claim} = ''`);
    const replay = await call(path, { token: admin.token, body, headers: { "idempotency-key": key } });
    expect(replay.res.headers.get("idempotent-replayed")).toBe("true");
  });

  it("the query string is part of the request: same key and body on another query is 409", async () => {
    const admin = await loginAs("admin");
    const key = crypto.randomUUID();
    const body = { username: unique("q"), password: "password-123", role: "viewer" };
    expect((await call("/api/v1/users?source=a", { token: admin.token, body, headers: { "idempotency-key": key } })).status).toBe(201);
    expect((await call("/api/v1/users?source=b", { token: admin.token, body, headers: { "idempotency-key": key } })).status).toBe(409);
  });

  it("rejects an unusable key", async () => {
    const admin = await loginAs("admin");
    const res = await call("/api/v1/users", {
      token: admin.token,
      body: { username: unique("d"), password: "password-123", role: "viewer" },
      headers: { "idempotency-key": "x".repeat(300) },
    });
    expect(res.status).toBe(422);
  });
});

describe("Idempotency-Key on upload routes ({ hashBody: false })", () => {
  let runs = 0;
  // route() will pass { hashBody: false } itself for bodyLimit "upload"; until then a wrapper does.
  const app = createApp({
    extend: (a) =>
      a.post(
        "/api/v1/test/idempotent-upload",
        route({ access: "public", summary: "probe", tags: ["test"], bodyLimit: "upload", idempotent: false }),
        (c, next) => withIdempotency(c, next, { hashBody: false }),
        async (c) => {
          const untouched = !c.req.raw.bodyUsed;
          let bytes = 0;
          const reader = c.req.raw.body?.getReader();
          for (let r = await reader?.read(); r && !r.done; r = await reader?.read()) bytes += r.value.length;
          runs++;
          return c.json({ untouched, bytes, run: runs }, 201);
        },
      ),
  });
  const send = (key: string, boundary: string, body: string) => {
    const bytes = new TextEncoder().encode(body);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.subarray(0, 3));
        controller.enqueue(bytes.subarray(3));
        controller.close();
      },
    });
    const headers = {
      "content-type": `multipart/form-data; boundary=${boundary}`,
      "content-length": String(bytes.length),
      "idempotency-key": key,
      "cf-connecting-ip": "192.0.2.90",
    };
    return app.fetch(new Request("http://localhost/api/v1/test/idempotent-upload", { method: "POST", headers, body: stream }), env, createExecutionContext());
  };

  it("leaves the body stream to the handler and replays a retry that carries another boundary", async () => {
    const key = crypto.randomUUID();
    const body = "--aaaa\r\nbody-of-one\r\n--aaaa--";
    const first = await send(key, "aaaa", body);
    expect(first.status).toBe(201);
    const firstJson = await first.json<{ untouched: boolean; bytes: number; run: number }>();
    expect(firstJson.untouched).toBe(true);
    expect(firstJson.bytes).toBe(body.length);
    // A retry of the same form: browsers pick a fresh boundary for every attempt.
    const retry = await send(key, "bbbb", "--bbbb\r\nbody-of-one\r\n--bbbb--");
    expect(retry.status).toBe(201);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await retry.json()).toEqual(firstJson);
    expect(runs).toBe(firstJson.run);
  });

  it("the same key with another Content-Length is 409 and the handler does not run", async () => {
    const key = crypto.randomUUID();
    expect((await send(key, "aaaa", "--aaaa\r\nshort\r\n--aaaa--")).status).toBe(201);
    const before = runs;
    const clash = await send(key, "aaaa", "--aaaa\r\na longer body\r\n--aaaa--");
    expect(clash.status).toBe(409);
    expect(runs).toBe(before);
  });
});

describe("what an anonymous caller can make us store", () => {
  it("a forged, huge client address does not make a long idempotency record", async () => {
    const key = unique("anon-key");
    const ip = "x".repeat(10_000);
    const res = await call("/api/auth/verify_username", { body: { username: unique("nobody") }, headers: { "idempotency-key": key, "cf-connecting-ip": ip } });
    expect(res.status).toBe(404);
    const ok = await call("/api/register", {
      body: { username: unique("anon"), password: "a-long-password" },
      headers: { "idempotency-key": key, "cf-connecting-ip": ip },
    });
    expect(ok.status).toBe(201);
    const rows = await db().select().from(idempotencyKeys).where(eq(idempotencyKeys.key, key));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.scope.length).toBeLessThanOrEqual(70);
  });
});
