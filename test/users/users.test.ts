import { describe, expect, it } from "vitest";
import { arr, call, DEFAULT_PASSWORD, loginAs, makeUser, str, unique } from "../helpers";

describe("/api/v1/users (RM365 shapes)", () => {
  it("GET /users lists usernames; /users/detailed lists {username, role, allowed_tabs, ...}", async () => {
    const admin = await loginAs("admin");
    const u = await makeUser("quality", { allowed_tabs: ["labels"] });
    const names = await call("/api/v1/users", { token: admin.token });
    expect(names.status).toBe(200);
    expect(arr(names.json)).toContain(u.username);
    const detailed = await call("/api/v1/users/detailed", { token: admin.token });
    const row = arr(detailed.json).find((r) => String(r.username) === u.username);
    expect(row).toMatchObject({ username: u.username, role: "quality", allowed_tabs: ["labels"] });
    expect(JSON.stringify(detailed.json)).not.toMatch(/password/);
  });

  it("POST creates (201), duplicate is 409, bad tab / role are 422 with field paths", async () => {
    const admin = await loginAs("admin");
    const username = unique("newbie");
    const created = await call("/api/v1/users", {
      token: admin.token,
      body: { username, password: "password-123", role: "operator", allowed_tabs: ["inventory"] },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ username, role: "operator", allowed_tabs: ["inventory"], is_active: true });
    expect((await call("/api/v1/auth/login", { body: { username, password: "password-123" } })).status).toBe(200);

    const dup = await call("/api/v1/users", { token: admin.token, body: { username, password: "password-123", role: "operator" } });
    expect(dup.status).toBe(409);
    expect(dup.json.error).toBe("CONFLICT");

    const badTab = await call("/api/v1/users", {
      token: admin.token,
      body: { username: unique("x"), password: "password-123", role: "operator", allowed_tabs: ["inventory", "warp-drive"] },
    });
    expect(badTab.status).toBe(422);
    expect(arr(badTab.json.details)[0]?.path).toBe("body.allowed_tabs.1");

    const badRole = await call("/api/v1/users", { token: admin.token, body: { username: unique("x"), password: "password-123", role: "emperor" } });
    expect(badRole.status).toBe(422);
    expect(arr(badRole.json.details)[0]?.path).toBe("body.role");

    const short = await call("/api/v1/users", { token: admin.token, body: { username: unique("x"), password: "short", role: "viewer" } });
    expect(short.status).toBe(422);
    expect(arr(short.json.details)[0]?.path).toBe("body.password");
  });

  it("PATCH renames, changes role, tabs and password; a new password ends the user's sessions", async () => {
    const admin = await loginAs("admin");
    const target = await loginAs("viewer");
    const newName = unique("renamed");
    const res = await call("/api/v1/users", {
      method: "PATCH",
      token: admin.token,
      body: { username: target.username, new_username: newName, role: "quality", allowed_tabs: ["labels.history"], new_password: "another-pass-1" },
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ username: newName, role: "quality", allowed_tabs: ["labels.history"] });
    expect(res.res.headers.get("etag")).toBe(`"${res.json.version}"`);
    expect((await call("/api/v1/auth/me", { token: target.token })).status).toBe(401);
    expect((await call("/api/v1/auth/login", { body: { username: newName, password: "another-pass-1" } })).status).toBe(200);
  });

  it("role changes apply to live tokens at once", async () => {
    const admin = await loginAs("admin");
    const target = await loginAs("admin");
    expect((await call("/api/v1/users", { token: target.token })).status).toBe(200);
    await call("/api/v1/users", { method: "PATCH", token: admin.token, body: { username: target.username, role: "viewer" } });
    expect((await call("/api/v1/users", { token: target.token })).status).toBe(403);
  });

  it("If-Match with a stale version is 409 and changes nothing", async () => {
    const admin = await loginAs("admin");
    const u = await makeUser("viewer");
    const first = await call("/api/v1/users", {
      method: "PATCH",
      token: admin.token,
      headers: { "if-match": '"1"' },
      body: { username: u.username, department: "Packing" },
    });
    expect(first.status).toBe(200);
    expect(first.json.version).toBe(2);
    const stale = await call("/api/v1/users", {
      method: "PATCH",
      token: admin.token,
      headers: { "if-match": '"1"' },
      body: { username: u.username, department: "Welding" },
    });
    expect(stale.status).toBe(409);
    const now = arr((await call("/api/v1/users/detailed", { token: admin.token })).json).find((r) => String(r.username) === u.username);
    expect(now?.department).toBe("Packing");
    const badHeader = await call("/api/v1/users", {
      method: "PATCH",
      token: admin.token,
      headers: { "if-match": "yesterday" },
      body: { username: u.username },
    });
    expect(badHeader.status).toBe(422);
  });

  it("a user's own profile edit moves the version, so an admin's stale If-Match is caught", async () => {
    const admin = await loginAs("admin");
    const u = await loginAs("viewer");
    const before = arr((await call("/api/v1/users/detailed", { token: admin.token })).json).find((r) => String(r.username) === u.username);
    expect((await call("/api/v1/auth/profile", { method: "PUT", token: u.token, body: { email: "mine@example.com" } })).status).toBe(200);
    const stale = await call("/api/v1/users", {
      method: "PATCH",
      token: admin.token,
      headers: { "if-match": `"${before?.version}"` },
      body: { username: u.username, email: "admins@example.com" },
    });
    expect(stale.status).toBe(409);
    expect((await call("/api/v1/auth/me", { token: u.token })).json.email).toBe("mine@example.com");
  });

  it("PATCH of an unknown user is 404", async () => {
    const admin = await loginAs("admin");
    expect((await call("/api/v1/users", { method: "PATCH", token: admin.token, body: { username: unique("ghost"), role: "viewer" } })).status).toBe(404);
  });

  it("DELETE ?username= removes a user; self-delete and unknown users are refused", async () => {
    const admin = await loginAs("admin");
    const u = await loginAs("operator");
    const del = await call(`/api/v1/users?username=${encodeURIComponent(u.username)}`, { method: "DELETE", token: admin.token });
    expect(del.status).toBe(200);
    expect((await call("/api/v1/auth/me", { token: u.token })).status).toBe(401);
    expect((await call(`/api/v1/users?username=${u.username}`, { method: "DELETE", token: admin.token })).status).toBe(404);
    const self = await call(`/api/v1/users?username=${admin.username}`, { method: "DELETE", token: admin.token });
    expect(self.status).toBe(409);
    const missing = await call("/api/v1/users", { method: "DELETE", token: admin.token });
    expect(missing.status).toBe(422);
    expect(arr(missing.json.details)[0]?.path).toBe("query.username");
  });

  it("admins can issue a reset token that sets a new password once", async () => {
    const admin = await loginAs("admin");
    const u = await makeUser("operator");
    const issued = await call("/api/v1/users/password-reset", { token: admin.token, body: { username: u.username } });
    expect(issued.status).toBe(201);
    const token = str(issued.json.reset_token);
    const reset = await call("/api/auth/reset_password_no_auth", { body: { username: u.username, new_password: "fresh-pass-99", reset_token: token } });
    expect(reset.status).toBe(200);
    expect((await call("/api/v1/auth/login", { body: { username: u.username, password: DEFAULT_PASSWORD } })).status).toBe(401);
    expect((await call("/api/v1/auth/login", { body: { username: u.username, password: "fresh-pass-99" } })).status).toBe(200);
  });
});

describe("/api/v1/roles", () => {
  it("lists built-in roles in RM365's shape with permissions", async () => {
    const admin = await loginAs("admin");
    const { status, json } = await call("/api/v1/roles", { token: admin.token });
    expect(status).toBe(200);
    const operator = arr(json).find((r) => String(r.role_name) === "operator");
    expect(operator).toMatchObject({ is_builtin: true, allowed_tabs: ["inventory.management", "labels.generator", "orders.order-fulfillment"] });
    expect(arr(operator?.permissions)).toContain("andon:create");
    expect(arr(operator?.permissions)).not.toContain("andon:acknowledge");
  });

  it("GET /roles/{name} answers one role as the list does (RM365's getRole); unknown 404; /permissions stays static", async () => {
    const admin = await loginAs("admin");
    const one = await call("/api/v1/roles/operator", { token: admin.token });
    expect(one.status).toBe(200);
    const list = await call("/api/v1/roles", { token: admin.token });
    expect(one.json).toEqual(arr(list.json).find((r) => String(r.role_name) === "operator"));
    expect((await call("/api/v1/roles/no-such-role", { token: admin.token })).status).toBe(404);
    expect((await call("/api/v1/roles/bad%20name", { token: admin.token })).status).toBe(422);
    expect(Array.isArray((await call("/api/v1/roles/permissions", { token: admin.token })).json)).toBe(true);
  });

  it("a custom role grants exactly its permissions and tabs", async () => {
    const admin = await loginAs("admin");
    const role = unique("auditor");
    const created = await call("/api/v1/roles", {
      token: admin.token,
      body: { role_name: role, allowed_tabs: ["usermanagement"], permissions: ["users:read"] },
    });
    expect(created.status).toBe(201);
    const auditor = await loginAs(role);
    expect((await call("/api/v1/users", { token: auditor.token })).status).toBe(200);
    expect((await call("/api/v1/users", { token: auditor.token, body: { username: unique("n"), password: "password-123", role: "viewer" } })).status).toBe(403);
    const renamed = unique("auditor2");
    const patch = await call("/api/v1/roles", {
      method: "PATCH",
      token: admin.token,
      body: { role_name: role, new_role_name: renamed, permissions: ["users:read", "users:write"] },
    });
    expect(patch.status).toBe(200);
    // users follow the rename (ON UPDATE CASCADE) and pick up the new permission at once
    const me = await call("/api/v1/auth/me", { token: auditor.token });
    expect(me.json.role).toBe(renamed);
    expect((await call("/api/v1/users", { token: auditor.token, body: { username: unique("n"), password: "password-123", role: renamed } })).status).toBe(201);
  });

  it("refuses unknown permissions, duplicate names, renaming built-ins and deleting held roles", async () => {
    const admin = await loginAs("admin");
    const bad = await call("/api/v1/roles", { token: admin.token, body: { role_name: unique("r"), permissions: ["users:read", "launch:missiles"] } });
    expect(bad.status).toBe(422);
    expect(arr(bad.json.details)[0]?.path).toBe("body.permissions.1");
    const name = unique("dup");
    expect((await call("/api/v1/roles", { token: admin.token, body: { role_name: name } })).status).toBe(201);
    expect((await call("/api/v1/roles", { token: admin.token, body: { role_name: name } })).status).toBe(409);
    expect((await call("/api/v1/roles", { method: "PATCH", token: admin.token, body: { role_name: "viewer", new_role_name: "watcher" } })).status).toBe(409);
    expect((await call("/api/v1/roles", { method: "PATCH", token: admin.token, body: { role_name: "viewer", permissions: ["*"] } })).status).toBe(422);
    expect((await call("/api/v1/roles?role_name=viewer", { method: "DELETE", token: admin.token })).status).toBe(409);
    await makeUser(name);
    expect((await call(`/api/v1/roles?role_name=${name}`, { method: "DELETE", token: admin.token })).status).toBe(409);
    const free = unique("free");
    await call("/api/v1/roles", { token: admin.token, body: { role_name: free } });
    expect((await call(`/api/v1/roles?role_name=${free}`, { method: "DELETE", token: admin.token })).status).toBe(200);
    expect((await call(`/api/v1/roles?role_name=${free}`, { method: "DELETE", token: admin.token })).status).toBe(404);
  });

  it("GET /roles/permissions lists every grantable permission", async () => {
    const admin = await loginAs("admin");
    const { json } = await call("/api/v1/roles/permissions", { token: admin.token });
    expect(arr(json)).toEqual(expect.arrayContaining(["andon:create", "users:write", "api_keys:manage"]));
  });
});
