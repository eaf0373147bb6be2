/**
 * Reads start on what the access token claims while the session check is in flight (one D1
 * wait instead of two); the answer is released only when the check confirms the claim.
 */
import { describe, expect, it } from "vitest";
import { call, loginAs, str, unique } from "../helpers";

const d1 = (res: Response) => {
  const timing = res.headers.get("server-timing") ?? "";
  const read = (name: string) => Number(new RegExp(`${name};desc="(\\d+)"`).exec(timing)?.[1] ?? Number.NaN);
  return { queries: read("d1q"), waits: read("d1w") };
};

describe("reads beside the session check", () => {
  it("an authenticated read waits on one D1 round trip (session check and query run together)", async () => {
    const u = await loginAs("viewer");
    // The session check rides at the head of the read's own batch (page + total): one D1 call.
    const lines = await call("/api/v1/production/lines", { token: u.token });
    expect(lines.status).toBe(200);
    expect(d1(lines.res)).toEqual({ queries: 1, waits: 1 });
    // A single select (a statement's all()): the check rides with it in one D1 batch too.
    const single = await call("/api/equipment", { token: u.token });
    expect(single.status).toBe(200);
    expect(d1(single.res)).toEqual({ queries: 1, waits: 1 });
    // A drizzle builder select (raw rows, which a batch cannot give): the check runs beside it.
    const counts = await call("/api/v1/equipment/status-counts", { token: u.token });
    expect(counts.status).toBe(200);
    expect(d1(counts.res)).toEqual({ queries: 2, waits: 1 });
    // /me answers with the user row the session check read: one query in all.
    const me = await call("/api/v1/auth/me", { token: u.token });
    expect(me.status).toBe(200);
    expect(me.json.username).toBe(u.username);
    expect(d1(me.res)).toEqual({ queries: 1, waits: 1 });
    // A write waits for the check first.
    const put = await call("/api/v1/auth/profile", { method: "PUT", token: u.token, body: { first_name: "Ada" } });
    expect(put.status).toBe(200);
    expect(d1(put.res).waits).toBeGreaterThanOrEqual(2);
  });

  it("a revoked session gets 401, never the read's answer (not even its 404)", async () => {
    const u = await loginAs("admin");
    expect((await call("/api/v1/auth/logout", { method: "POST", token: u.token })).status).toBe(200);
    const me = await call("/api/v1/auth/me", { token: u.token });
    expect(me.status).toBe(401);
    expect(me.json.username).toBeUndefined();
    const listed = await call("/api/v1/users/detailed", { token: u.token });
    expect(listed.status).toBe(401);
    expect(Array.isArray(listed.json)).toBe(false);
    // A read whose batch carried the check: refused all the same.
    const lines = await call("/api/v1/production/lines", { token: u.token });
    expect(lines.status).toBe(401);
    expect(Array.isArray(lines.json)).toBe(false);
    // A single select that carried the check (CCbackend's list, one statement): refused too.
    const single = await call("/api/equipment", { token: u.token });
    expect(single.status).toBe(401);
    expect(Array.isArray(single.json)).toBe(false);
    expect(d1(single.res)).toEqual({ queries: 1, waits: 1 });
    const missing = await call("/api/v1/production/lines/00000000-0000-4000-8000-000000000999", { token: u.token });
    expect(missing.status).toBe(401);
  });

  it("a read whose handler refuses before any D1 call still waits for the check: a revoked token learns nothing (review finding)", async () => {
    const fr = await loginAs("production_manager", { allowed_tabs: ["salesdata.history", "salesdata.fr-sales"] });
    expect((await call("/api/v1/salesdata/imports?region=uk", { token: fr.token })).status).toBe(403);
    expect((await call("/api/v1/auth/logout", { method: "POST", token: fr.token })).status).toBe(200);
    expect((await call("/api/v1/salesdata/imports?region=uk", { token: fr.token })).status).toBe(401);
  });

  it("a single-select read that carried the check answers with the rights as they are now", async () => {
    const admin = await loginAs("admin");
    const u = await loginAs("operator");
    const before = await call("/api/equipment", { token: u.token });
    expect(before.status).toBe(200);
    expect(Array.isArray(before.json)).toBe(true);
    // Deactivated: the next list is a 401, not the items.
    const off = await call("/api/v1/users", { method: "PATCH", token: admin.token, body: { username: u.username, is_active: false } });
    expect(off.status).toBe(200);
    const refused = await call("/api/equipment", { token: u.token });
    expect(refused.status).toBe(401);
    expect(Array.isArray(refused.json)).toBe(false);
    // Demoted (another role: its rights changed since the token): 401 to refresh, not the items.
    const v = await loginAs("operator");
    expect((await call("/api/equipment", { token: v.token })).status).toBe(200);
    const demote = await call("/api/v1/users", { method: "PATCH", token: admin.token, body: { username: v.username, role: "viewer" } });
    expect(demote.status).toBe(200);
    const stale = await call("/api/equipment", { token: v.token });
    expect(stale.status).toBe(401);
    expect(Array.isArray(stale.json)).toBe(false);
  });

  it("rights that changed after the token was issued: 403 if now refused, else 401 to refresh; the stale answer is discarded", async () => {
    const admin = await loginAs("admin");
    const demoted = await loginAs("admin");
    expect((await call("/api/v1/users/detailed", { token: demoted.token })).status).toBe(200);
    const patch = await call("/api/v1/users", { method: "PATCH", token: admin.token, body: { username: demoted.username, role: "viewer" } });
    expect(patch.status).toBe(200);
    const stale = await call("/api/v1/users/detailed", { token: demoted.token });
    expect(stale.status).toBe(403);
    expect(Array.isArray(stale.json)).toBe(false);
    // Tabs too: taking a tab away invalidates what the token claims.
    const target = await loginAs("admin");
    const u = await loginAs("production_manager");
    expect((await call("/api/v1/production/lines", { token: u.token })).status).toBe(200);
    const tabs = await call("/api/v1/users", { method: "PATCH", token: target.token, body: { username: u.username, allowed_tabs: ["inventory"] } });
    expect(tabs.status).toBe(200);
    const refused = await call("/api/v1/production/lines", { token: u.token });
    expect(refused.status).toBe(401);
    expect(Array.isArray(refused.json)).toBe(false);
    // /me waits for the check and shows the rights as they are now.
    const current = await call("/api/v1/auth/me", { token: u.token });
    expect(current.status).toBe(200);
    expect(current.json.allowed_tabs).toEqual(["inventory"]);
    // A refreshed token carries the new rights and reads again.
    const refreshed = await call("/api/v1/auth/refresh", { body: { refresh_token: u.refresh } });
    expect(refreshed.status).toBe(200);
    const fresh = str(refreshed.json.access_token);
    expect((await call("/api/v1/production/lines", { token: fresh })).status).toBe(200);
    const me = await call("/api/v1/auth/me", { token: fresh });
    expect(me.status).toBe(200);
    expect(me.json.allowed_tabs).toEqual(["inventory"]);
  });

  it("custom roles (permissions held in D1) wait for the check before the read", async () => {
    const admin = await loginAs("admin");
    const role = unique("custom");
    expect((await call("/api/v1/roles", { token: admin.token, body: { role_name: role, permissions: ["equipment:read"], allowed_tabs: [] } })).status).toBe(
      201,
    );
    const u = await loginAs(role);
    const list = await call("/api/v1/equipment?limit=1", { token: u.token });
    expect(list.status).toBe(200);
    expect(d1(list.res)).toEqual({ queries: 2, waits: 2 });
  });
});
