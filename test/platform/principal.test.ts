/**
 * One actor helper (src/lib/principal.ts): every module names an API key `api_key:<name>` in its
 * audit columns, and migration 0020 rewrote the rows older modules wrote as `api-key:<name>`.
 */
import { env } from "cloudflare:workers";
import { eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { attendanceEmployees, attendanceEvents, inventoryAdjustments } from "../../src/db/schema";
import { sameAccess } from "../../src/lib/auth";
import { actorOf, principalKey } from "../../src/lib/principal";
import { rolePermissions } from "../../src/lib/rbac";
import type { Principal } from "../../src/types";
import { db, unique } from "../helpers";

const user: Principal = { kind: "user", userId: "u1", username: "ada", role: "viewer", permissions: new Set(), tabs: [], sessionId: "s1" };
const key: Principal = { kind: "api_key", keyId: "k1", name: "gate reader", permissions: new Set(), tabs: [], createdBy: "u2" };

describe("actorOf", () => {
  it("names a user by username and a key by `api_key:<name>`, acting for its creator", () => {
    expect(actorOf(user)).toEqual({ userId: "u1", name: "ada" });
    expect(actorOf(key)).toEqual({ userId: "u2", name: "api_key:gate reader" });
    expect(principalKey(user)).toBe("user:u1");
    expect(principalKey(key)).toBe("api_key:k1");
  });
});

describe("migration 0020", () => {
  it("rewrites `api-key:` to `api_key:` in audit columns and leaves every other value alone", async () => {
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0020_"));
    if (!migration) throw new Error("migration 0020 is missing");
    const employeeId = crypto.randomUUID();
    await db()
      .insert(attendanceEmployees)
      .values({ id: employeeId, code: unique("MIG").toUpperCase(), name: "Migrated" });
    const names = ["api-key:old reader", "api_key:new reader", "plain-user", "xapi-key:not a prefix"];
    const eventIds = names.map(() => crypto.randomUUID());
    await db()
      .insert(attendanceEvents)
      .values(
        names.map((actorName, i) => ({
          id: eventIds[i] ?? "",
          employeeId,
          direction: "in" as const,
          at: new Date().toISOString(),
          source: "card" as const,
          actorName,
        })),
      );
    const adjustmentIds = names.map(() => crypto.randomUUID());
    await db()
      .insert(inventoryAdjustments)
      .values(
        names.map((username, i) => ({
          id: adjustmentIds[i] ?? "",
          itemId: "gone",
          sku: "SKU",
          location: "A",
          delta: 1,
          reason: "test",
          quantityAfter: 1,
          username,
        })),
      );

    await env.DB.batch(migration.queries.map((q) => env.DB.prepare(q)));

    const expected = ["api_key:old reader", "api_key:new reader", "plain-user", "xapi-key:not a prefix"];
    const events = await db().select().from(attendanceEvents).where(eq(attendanceEvents.employeeId, employeeId)).orderBy(attendanceEvents.seq);
    expect(events.map((e) => e.actorName)).toEqual(expected);
    const adjustments = await db().select().from(inventoryAdjustments).where(inArray(inventoryAdjustments.id, adjustmentIds)).orderBy(inventoryAdjustments.seq);
    expect(adjustments.map((a) => a.username)).toEqual(expected);
  });
});

describe("sameAccess (a pure read's claim against the session check)", () => {
  const user = (over: Partial<Extract<Principal, { kind: "user" }>> = {}): Principal => ({
    kind: "user",
    userId: "u1",
    username: "ana",
    role: "operator",
    permissions: rolePermissions("operator", null),
    tabs: ["production", "andon"],
    sessionId: "s1",
    ...over,
  });

  it("equal rights compare equal however they were built: a shared role set or a copy, tabs in any order", () => {
    expect(rolePermissions("operator", null)).toBe(rolePermissions("operator", null));
    expect(sameAccess(user(), user())).toBe(true);
    expect(sameAccess(user(), user({ permissions: new Set(rolePermissions("operator", null)) }))).toBe(true);
    expect(sameAccess(user(), user({ tabs: ["andon", "production"] }))).toBe(true);
  });

  it("any difference in role, permissions, tabs, user, name or session is a difference", () => {
    expect(sameAccess(user(), user({ role: "viewer", permissions: rolePermissions("viewer", null) }))).toBe(false);
    expect(sameAccess(user(), user({ permissions: new Set([...rolePermissions("operator", null)].slice(1)) }))).toBe(false);
    expect(sameAccess(user(), user({ tabs: ["production", "inventory"] }))).toBe(false);
    expect(sameAccess(user(), user({ tabs: ["production"] }))).toBe(false);
    expect(sameAccess(user(), user({ userId: "u2" }))).toBe(false);
    expect(sameAccess(user(), user({ username: "bo" }))).toBe(false);
    expect(sameAccess(user(), user({ sessionId: "s2" }))).toBe(false);
  });
});
