import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { users } from "../../src/db/schema";
import { call, db, loginAs, str } from "../helpers";

const activeAdmins = async () =>
  (await db().select({ n: sql<number>`count(*)` }).from(users).where(sql`${users.role} = 'admin' and ${users.isActive} = 1`))[0]?.n ?? 0;

// Storage is isolated per test file, so this file starts with no admins at all.
describe("the last active admin", () => {
  it("cannot be demoted, deactivated or deleted, even by two admins racing each other", async () => {
    const a = await loginAs("admin");
    const demote = await call("/api/v1/users", { method: "PATCH", token: a.token, body: { username: a.username, role: "viewer" } });
    expect(demote.status).toBe(409);
    expect(demote.json.message).toMatch(/last active admin/);
    const deactivate = await call("/api/v1/users", { method: "PATCH", token: a.token, body: { username: a.username, is_active: false } });
    expect(deactivate.status).toBe(409);
    expect((await call("/api/v1/auth/me", { token: a.token })).json.role).toBe("admin");

    // Two admins demote each other at the same moment: the check is part of each write.
    const b = await loginAs("admin");
    const results = await Promise.all([
      call("/api/v1/users", { method: "PATCH", token: a.token, body: { username: b.username, role: "viewer" } }),
      call("/api/v1/users", { method: "PATCH", token: b.token, body: { username: a.username, role: "viewer" } }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409].sort());
    expect(await activeAdmins()).toBe(1);

    // The survivor cannot be deleted by someone else either (here: a full-scope API key).
    const survivor = results[0]?.status === 200 ? a : b;
    const key = await call("/api/v1/api-keys", { token: survivor.token, body: { name: "ops", permissions: ["*"] } });
    const del = await call(`/api/v1/users?username=${survivor.username}`, { method: "DELETE", headers: { "x-api-key": str(key.json.key) } });
    expect(del.status).toBe(409);
    expect(del.json.message).toMatch(/last active admin/);
    expect(await activeAdmins()).toBe(1);
  });
});
