import { describe, expect, it } from "vitest";
import { call, DEFAULT_PASSWORD, loginAs, str, unique } from "../helpers";

/** A delegate with users:read/users:write and the usermanagement tab (not an admin). */
async function delegate() {
  const admin = await loginAs("admin");
  const role = unique("usermgr");
  const created = await call("/api/v1/roles", {
    token: admin.token,
    body: { role_name: role, permissions: ["users:read", "users:write"], allowed_tabs: ["usermanagement"] },
  });
  expect(created.status).toBe(201);
  return { admin, role, actor: await loginAs(role) };
}

describe("one's own password needs the current one", () => {
  it("PATCH /api/v1/users refuses new_password for oneself with 403 pointing to change-password", async () => {
    const { actor } = await delegate();
    const res = await call("/api/v1/users", { method: "PATCH", token: actor.token, body: { username: actor.username, new_password: "no-current-asked-1" } });
    expect(res.status).toBe(403);
    expect(res.json.message).toMatch(/change-password/);
    expect((await call("/api/v1/auth/login", { body: { username: actor.username, password: DEFAULT_PASSWORD } })).status).toBe(200);
  });

  it("PUT /api/reset_password refuses oneself with 403, even for an admin", async () => {
    const admin = await loginAs("admin");
    const res = await call("/api/reset_password", {
      method: "PUT",
      token: admin.token,
      body: { target_username: admin.username, new_password: "admin-own-1" },
    });
    expect(res.status).toBe(403);
    expect(res.json.success).toBe(false);
    expect((await call("/api/v1/auth/me", { token: admin.token })).status).toBe(200);
    expect((await call("/api/v1/auth/login", { body: { username: admin.username, password: DEFAULT_PASSWORD } })).status).toBe(200);
  });

  it("an API key cannot set its creator's password without the current one", async () => {
    const admin = await loginAs("admin");
    const role = unique("keyed");
    const perms = ["users:read", "users:write", "api_keys:manage"];
    await call("/api/v1/roles", { token: admin.token, body: { role_name: role, permissions: perms, allowed_tabs: ["usermanagement"] } });
    const creator = await loginAs(role);
    const key = str((await call("/api/v1/api-keys", { token: creator.token, body: { name: "ops", permissions: perms } })).json.key);
    const res = await call("/api/v1/users", {
      method: "PATCH",
      headers: { "x-api-key": key },
      body: { username: creator.username, new_password: "via-key-123" },
    });
    expect(res.status).toBe(403);
    expect((await call("/api/v1/auth/login", { body: { username: creator.username, password: DEFAULT_PASSWORD } })).status).toBe(200);
  });

  it("the admin tools still set other users' passwords and end their sessions", async () => {
    const { actor, role } = await delegate();
    const peer = await loginAs(role);
    const res = await call("/api/reset_password", {
      method: "PUT",
      token: actor.token,
      body: { target_username: peer.username, new_password: "set-by-peer-1" },
    });
    expect(res.status).toBe(200);
    expect((await call("/api/v1/auth/me", { token: peer.token })).status).toBe(401);
    const patched = await call("/api/v1/users", { method: "PATCH", token: actor.token, body: { username: peer.username, new_password: "set-by-peer-2" } });
    expect(patched.status).toBe(200);
    expect((await call("/api/v1/auth/login", { body: { username: peer.username, password: "set-by-peer-2" } })).status).toBe(200);
  });
});
