import { describe, expect, it } from "vitest";
import { arr, call, loginAs, makeUser, unique } from "../helpers";

/** A delegate holding users:read/write with exactly the usermanagement tab, and a role with wider tabs. */
async function setup() {
  const admin = await loginAs("admin");
  const role = unique("tabbed");
  // The role's own tabs are wide; its delegate users are narrowed to usermanagement.
  expect(
    (
      await call("/api/v1/roles", {
        token: admin.token,
        body: { role_name: role, permissions: ["users:read", "users:write"], allowed_tabs: ["usermanagement", "salesdata"] },
      })
    ).status,
  ).toBe(201);
  const actor = await loginAs(role, { allowed_tabs: ["usermanagement"] });
  return { admin, role, actor };
}

describe("RM365 tabs: nobody grants or manages tabs they do not hold", () => {
  it("allowed_tabs: null cannot widen another user to the role's tabs", async () => {
    const { role, actor } = await setup();
    const peer = await makeUser(role, { allowed_tabs: ["usermanagement"] });
    const res = await call("/api/v1/users", { method: "PATCH", token: actor.token, body: { username: peer.username, allowed_tabs: null } });
    expect(res.status).toBe(403);
  });

  it("allowed_tabs: null cannot widen oneself to the role's tabs", async () => {
    const { actor } = await setup();
    const res = await call("/api/v1/users", { method: "PATCH", token: actor.token, body: { username: actor.username, allowed_tabs: null } });
    expect(res.status).toBe(403);
    const me = await call("/api/v1/auth/me", { token: actor.token });
    expect(arr(me.json.allowed_tabs)).toEqual(["usermanagement"]);
  });

  it("creating a user who takes the role's wider tabs is refused", async () => {
    const { role, actor } = await setup();
    expect((await call("/api/v1/users", { token: actor.token, body: { username: unique("x"), password: "password-123", role } })).status).toBe(403);
    expect(
      (await call("/api/v1/users", { token: actor.token, body: { username: unique("x"), password: "password-123", role, allowed_tabs: ["usermanagement"] } }))
        .status,
    ).toBe(201);
  });

  it("managing a user requires holding their effective tabs (edit, reset, delete, reset token)", async () => {
    const { role, actor } = await setup();
    // same permissions as the actor, but the role's wider tabs
    const wider = await makeUser(role);
    const attempts = [
      await call("/api/v1/users", { method: "PATCH", token: actor.token, body: { username: wider.username, department: "Packing" } }),
      await call("/api/reset_password", { method: "PUT", token: actor.token, body: { target_username: wider.username, new_password: "taken-over-1" } }),
      await call("/api/v1/users/password-reset", { token: actor.token, body: { username: wider.username } }),
      await call(`/api/v1/users?username=${wider.username}`, { method: "DELETE", token: actor.token }),
    ];
    expect(attempts.map((r) => r.status)).toEqual([403, 403, 403, 403]);
    expect((await call("/api/v1/auth/login", { body: { username: wider.username, password: wider.password } })).status).toBe(200);
  });

  it("admins hold every tab", async () => {
    const { admin, role } = await setup();
    const wider = await makeUser(role);
    expect(
      (await call("/api/v1/users", { method: "PATCH", token: admin.token, body: { username: wider.username, allowed_tabs: null, department: "QA" } })).status,
    ).toBe(200);
  });
});
