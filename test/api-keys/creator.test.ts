import { describe, expect, it } from "vitest";
import { call, loginAs, str, unique } from "../helpers";

async function keyFrom(token: string, permissions: string[]) {
  const res = await call("/api/v1/api-keys", { token, body: { name: unique("key"), permissions } });
  expect(res.status).toBe(201);
  return { key: str(res.json.key), id: str(res.json.id) };
}

const withKey = (key: string, path: string, init: { method?: string; body?: unknown } = {}) => call(path, { ...init, headers: { "x-api-key": key } });

describe("API keys act within their creator's current rights", () => {
  it("a key stops working (401) once its creator is deactivated", async () => {
    const admin = await loginAs("admin");
    const creator = await loginAs("admin");
    const { key } = await keyFrom(creator.token, ["users:read"]);
    expect((await withKey(key, "/api/v1/users")).status).toBe(200);
    expect((await call("/api/v1/users", { method: "PATCH", token: admin.token, body: { username: creator.username, is_active: false } })).status).toBe(200);
    expect((await withKey(key, "/api/v1/users")).status).toBe(401);
    expect((await withKey(key, "/api/parts/auth/check")).status).toBe(401);
  });

  it("a key stops working (401) once its creator is deleted", async () => {
    const admin = await loginAs("admin");
    const creator = await loginAs("admin");
    const { key } = await keyFrom(creator.token, ["parts:read"]);
    expect((await withKey(key, "/api/parts/auth/check")).status).toBe(200);
    expect((await call(`/api/v1/users?username=${creator.username}`, { method: "DELETE", token: admin.token })).status).toBe(200);
    expect((await withKey(key, "/api/parts/auth/check")).status).toBe(401);
  });

  it("a key loses what its creator loses: demoting the creator narrows the key at once", async () => {
    const admin = await loginAs("admin");
    const creator = await loginAs("admin");
    const { key } = await keyFrom(creator.token, ["users:read", "equipment:read"]);
    expect((await withKey(key, "/api/v1/users")).status).toBe(200);
    expect((await call("/api/v1/users", { method: "PATCH", token: admin.token, body: { username: creator.username, role: "operator" } })).status).toBe(200);
    expect((await withKey(key, "/api/v1/users")).status).toBe(403);
    // promoted again, the key's own scope applies again
    expect((await call("/api/v1/users", { method: "PATCH", token: admin.token, body: { username: creator.username, role: "admin" } })).status).toBe(200);
    expect((await withKey(key, "/api/v1/users")).status).toBe(200);
  });

  it("a key carries its creator's tabs: no usermanagement tab, no user routes", async () => {
    const admin = await loginAs("admin");
    const role = unique("keymaker");
    await call("/api/v1/roles", {
      token: admin.token,
      body: { role_name: role, permissions: ["users:read", "users:write", "api_keys:manage"], allowed_tabs: ["inventory"] },
    });
    const maker = await loginAs(role);
    expect((await call("/api/v1/users", { token: maker.token })).status).toBe(403);
    const { key } = await keyFrom(maker.token, ["users:read", "users:write"]);
    expect((await withKey(key, "/api/v1/users")).status).toBe(403);
    const write = await withKey(key, "/api/v1/users", { body: { username: unique("x"), password: "password-123", role } });
    expect(write.status).toBe(403);
  });

  it("revoking a key requires holding what it grants", async () => {
    const admin = await loginAs("admin");
    const role = unique("keyadmin");
    await call("/api/v1/roles", { token: admin.token, body: { role_name: role, permissions: ["api_keys:manage"] } });
    const manager = await loginAs(role);
    const { id, key } = await keyFrom(admin.token, ["*"]);
    const denied = await call(`/api/v1/api-keys/${id}`, { method: "DELETE", token: manager.token });
    expect(denied.status).toBe(403);
    expect((await withKey(key, "/api/parts/auth/check")).status).toBe(200);
    const own = await keyFrom(manager.token, ["api_keys:manage"]);
    expect((await call(`/api/v1/api-keys/${own.id}`, { method: "DELETE", token: manager.token })).status).toBe(200);
  });
});
