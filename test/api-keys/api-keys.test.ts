import { describe, expect, it } from "vitest";
import { arr, call, loginAs, str } from "../helpers";

async function newKey(permissions: string[], extra: Record<string, unknown> = {}) {
  const admin = await loginAs("admin");
  const res = await call("/api/v1/api-keys", { token: admin.token, body: { name: "cnc-router", permissions, ...extra } });
  expect(res.status).toBe(201);
  return { admin, key: str(res.json.key), id: str(res.json.id), created: res.json };
}

describe("API keys", () => {
  it("are created by admins, shown once, listed without their secret", async () => {
    const { admin, key, id, created } = await newKey(["parts:read"]);
    expect(key).toMatch(/^fl_[A-Za-z0-9_-]{43}$/);
    expect(created).toMatchObject({
      name: "cnc-router",
      permissions: ["parts:read"],
      rate_limit_per_minute: 120,
      prefix: key.slice(0, 10),
      revoked_at: null,
      last_used_at: null,
    });
    expect(created.created_by).toBe(admin.id);
    expect(created.created_at).toBeTypeOf("string");
    const list = await call("/api/v1/api-keys", { token: admin.token });
    expect(list.status).toBe(200);
    expect(list.json).toMatchObject({ limit: 50, offset: 0 });
    const row = arr(list.json.items).find((k) => String(k.id) === id);
    expect(row).toMatchObject({ name: "cnc-router" });
    expect(row?.key).toBeUndefined();
    expect(JSON.stringify(list.json)).not.toContain(key);
  });

  it("authenticate via X-API-Key header and ?api_key= query", async () => {
    const { key } = await newKey(["parts:read"]);
    const viaHeader = await call("/api/parts/auth/check", { headers: { "x-api-key": key } });
    expect(viaHeader.status).toBe(200);
    expect(viaHeader.json).toMatchObject({ status: "authenticated", message: "API key is valid" });
    expect(viaHeader.json.timestamp).toBeTypeOf("string");
    const viaQuery = await call(`/api/parts/auth/check?api_key=${encodeURIComponent(key)}`);
    expect(viaQuery.status).toBe(200);
  });

  it("missing and invalid keys answer in Part Management's shape", async () => {
    const none = await call("/api/parts/auth/check");
    expect(none.status).toBe(401);
    expect(none.json).toEqual({ error: "API key required" });
    const bad = await call("/api/parts/auth/check", { headers: { "x-api-key": "fl_not-a-real-key" } });
    expect(bad.status).toBe(401);
    expect(bad.json).toEqual({ error: "Invalid API key" });
  });

  it("a revoked key stops working at once", async () => {
    const { admin, key, id } = await newKey(["parts:read"]);
    expect((await call("/api/parts/auth/check", { headers: { "x-api-key": key } })).status).toBe(200);
    const revoked = await call(`/api/v1/api-keys/${id}`, { method: "DELETE", token: admin.token });
    expect(revoked.status).toBe(200);
    expect(revoked.json.revoked_at).toBeTypeOf("string");
    expect((await call("/api/parts/auth/check", { headers: { "x-api-key": key } })).status).toBe(401);
    expect((await call(`/api/v1/api-keys/${crypto.randomUUID()}`, { method: "DELETE", token: admin.token })).status).toBe(404);
    const listed = await call("/api/v1/api-keys?include_revoked=true", { token: admin.token });
    expect(arr(listed.json.items).some((k) => String(k.id) === id)).toBe(true);
    const active = await call("/api/v1/api-keys", { token: admin.token });
    expect(arr(active.json.items).some((k) => String(k.id) === id)).toBe(false);
  });

  it("are limited to their scope: out-of-scope routes are 403, user-only routes refuse keys", async () => {
    const { key } = await newKey(["users:read"]);
    expect((await call("/api/v1/users", { headers: { "x-api-key": key } })).status).toBe(200);
    const write = await call("/api/v1/users", { headers: { "x-api-key": key }, body: { username: "k", password: "password-123", role: "viewer" } });
    expect(write.status).toBe(403);
    expect(write.json.message).toMatch(/users:write/);
    expect((await call("/api/v1/roles", { headers: { "x-api-key": key } })).status).toBe(403);
    expect((await call("/api/v1/api-keys", { headers: { "x-api-key": key } })).status).toBe(403);
    expect((await call("/api/v1/auth/me", { headers: { "x-api-key": key } })).status).toBe(403);
  });

  it("snap a requested rate limit down to its tier and show the limit enforced", async () => {
    expect((await newKey(["parts:read"], { rate_limit_per_minute: 250 })).created.rate_limit_per_minute).toBe(120);
    expect((await newKey(["parts:read"], { rate_limit_per_minute: 6000 })).created.rate_limit_per_minute).toBe(6000);
    const admin = await loginAs("admin");
    const tooLow = await call("/api/v1/api-keys", { token: admin.token, body: { name: "x", permissions: ["parts:read"], rate_limit_per_minute: 3 } });
    expect(tooLow.status).toBe(422);
    expect(arr(tooLow.json.details)[0]?.path).toBe("body.rate_limit_per_minute");
  });

  it("enforce each key's rate limit with Part Management's 429 shape", async () => {
    // the 60-a-minute tier; vitest.config.ts lowers its binding (API_KEY_LIMIT_60) to 3
    const { key } = await newKey(["parts:read"], { rate_limit_per_minute: 60 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call("/api/parts/auth/check", { headers: { "x-api-key": key } })).status);
    expect(statuses).toEqual([200, 200, 200]);
    const limited = await call("/api/parts/auth/check", { headers: { "x-api-key": key } });
    expect(limited.status).toBe(429);
    expect(limited.json).toMatchObject({ error: "Rate limited" });
    expect(limited.json.retry_after).toBeTypeOf("number");
    expect(limited.res.headers.get("retry-after")).not.toBeNull();
  });

  it("only admins manage keys; bad input is 422", async () => {
    const pm = await loginAs("production_manager");
    expect((await call("/api/v1/api-keys", { token: pm.token, body: { name: "x", permissions: ["parts:read"] } })).status).toBe(403);
    const admin = await loginAs("admin");
    const bad = await call("/api/v1/api-keys", { token: admin.token, body: { name: "", permissions: [] } });
    expect(bad.status).toBe(422);
    expect(arr(bad.json.details).map((d) => d.path)).toEqual(expect.arrayContaining(["body.name", "body.permissions"]));
  });
});
