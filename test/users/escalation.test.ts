import { describe, expect, it } from "vitest";
import { call, loginAs, makeUser, str, unique } from "../helpers";

/** A custom role with exactly these permissions and the usermanagement tab. */
async function delegate(permissions: string[]) {
  const admin = await loginAs("admin");
  const role = unique("delegate");
  const created = await call("/api/v1/roles", { token: admin.token, body: { role_name: role, permissions, allowed_tabs: ["usermanagement"] } });
  expect(created.status).toBe(201);
  return { admin, role, actor: await loginAs(role) };
}

describe("nobody grants more than they hold", () => {
  it("a users:write delegate cannot make anyone admin, nor touch users who outrank them", async () => {
    const { admin, role, actor } = await delegate(["users:read", "users:write"]);
    const selfPromote = await call("/api/v1/users", { method: "PATCH", token: actor.token, body: { username: actor.username, role: "admin" } });
    expect(selfPromote.status).toBe(403);
    expect((await call("/api/v1/users", { token: actor.token, body: { username: unique("x"), password: "password-123", role: "admin" } })).status).toBe(403);
    // viewer grants read permissions this delegate lacks
    expect((await call("/api/v1/users", { token: actor.token, body: { username: unique("x"), password: "password-123", role: "viewer" } })).status).toBe(403);
    // a role within the delegate's own permissions is fine
    const peer = await call("/api/v1/users", { token: actor.token, body: { username: unique("peer"), password: "password-123", role } });
    expect(peer.status).toBe(201);

    const adminReset = await call("/api/reset_password", {
      method: "PUT",
      token: actor.token,
      body: { target_username: admin.username, new_password: "taken-over-1" },
    });
    expect(adminReset.status).toBe(403);
    expect((await call("/api/v1/users/password-reset", { token: actor.token, body: { username: admin.username } })).status).toBe(403);
    expect((await call(`/api/v1/users?username=${admin.username}`, { method: "DELETE", token: actor.token })).status).toBe(403);
    expect((await call("/api/v1/users", { method: "PATCH", token: actor.token, body: { username: admin.username, is_active: false } })).status).toBe(403);
    expect((await call("/api/v1/auth/login", { body: { username: admin.username, password: admin.password } })).status).toBe(200);
  });

  it("nobody grants RM365 tabs they do not hold, directly or through a role's tabs", async () => {
    const { admin, role, actor } = await delegate(["users:read", "users:write"]);
    const widen = await call("/api/v1/users", {
      method: "PATCH",
      token: actor.token,
      body: { username: actor.username, allowed_tabs: ["usermanagement", "salesdata"] },
    });
    expect(widen.status).toBe(403);
    expect(
      (await call("/api/v1/users", { token: actor.token, body: { username: unique("x"), password: "password-123", role, allowed_tabs: ["orders"] } })).status,
    ).toBe(403);
    expect(
      (
        await call("/api/v1/users", {
          token: actor.token,
          body: { username: unique("x"), password: "password-123", role, allowed_tabs: ["usermanagement.management"] },
        })
      ).status,
    ).toBe(201);
    // a role whose own tabs exceed the delegate's cannot be handed out with them
    const wide = unique("wide");
    await call("/api/v1/roles", { token: admin.token, body: { role_name: wide, permissions: [], allowed_tabs: ["salesdata"] } });
    expect((await call("/api/v1/users", { token: actor.token, body: { username: unique("x"), password: "password-123", role: wide } })).status).toBe(403);
    expect(
      (await call("/api/v1/users", { token: actor.token, body: { username: unique("x"), password: "password-123", role: wide, allowed_tabs: [] } })).status,
    ).toBe(201);
  });

  it("a roles:write delegate cannot widen a role beyond its own permissions", async () => {
    const { role, actor } = await delegate(["roles:read", "roles:write"]);
    const own = await call("/api/v1/roles", { method: "PATCH", token: actor.token, body: { role_name: role, permissions: ["*"] } });
    expect(own.status).toBe(403);
    expect((await call("/api/v1/roles", { token: actor.token, body: { role_name: unique("r"), permissions: ["users:write"] } })).status).toBe(403);
    expect((await call("/api/v1/roles", { method: "PATCH", token: actor.token, body: { role_name: "admin", allowed_tabs: [] } })).status).toBe(403);
    expect((await call("/api/v1/roles", { token: actor.token, body: { role_name: unique("r"), permissions: ["roles:read"] } })).status).toBe(201);
    expect((await call("/api/v1/roles", { token: actor.token, body: { role_name: unique("r"), allowed_tabs: ["salesdata"] } })).status).toBe(403);
    expect((await call("/api/v1/api-keys", { token: actor.token })).status).toBe(403);
  });

  it("an api_keys:manage delegate cannot mint keys broader than itself", async () => {
    const { actor } = await delegate(["api_keys:manage"]);
    expect((await call("/api/v1/api-keys", { token: actor.token, body: { name: "k", permissions: ["*"] } })).status).toBe(403);
    expect((await call("/api/v1/api-keys", { token: actor.token, body: { name: "k", permissions: ["users:write"] } })).status).toBe(403);
    const ok = await call("/api/v1/api-keys", { token: actor.token, body: { name: "k", permissions: ["api_keys:manage"] } });
    expect(ok.status).toBe(201);
    expect(str(ok.json.key)).toMatch(/^fl_/);
  });

  it("PUT /api/reset_password answers 403 before revealing whether a username exists", async () => {
    // (access is checked by route() before the handler looks anything up)
    const op = await loginAs("operator");
    const real = await makeUser("viewer");
    const a = await call("/api/reset_password", { method: "PUT", token: op.token, body: { target_username: real.username, new_password: "whatever-12" } });
    const b = await call("/api/reset_password", { method: "PUT", token: op.token, body: { target_username: unique("ghost"), new_password: "whatever-12" } });
    expect([a.status, b.status]).toEqual([403, 403]);
  });
});
