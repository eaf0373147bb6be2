import { describe, expect, it } from "vitest";
import { BUILTIN_ROLES, holdsAll, isAllowed, PERMISSIONS, permissionSet, rolePermissions, tabAllows } from "../../src/lib/rbac";
import type { ApiKeyPrincipal, UserPrincipal } from "../../src/types";

const user = (permissions: string[], tabs: string[] = []): UserPrincipal => ({
  kind: "user",
  userId: "u",
  username: "u",
  role: "custom",
  permissions: permissionSet(permissions),
  tabs,
  sessionId: "s",
});
const key = (permissions: string[], tabs: string[] = []): ApiKeyPrincipal => ({
  kind: "api_key",
  keyId: "k",
  name: "k",
  permissions: permissionSet(permissions),
  tabs,
  createdBy: "u",
});

describe("roles and permissions", () => {
  it("built-in roles only name real permissions; admin holds all", () => {
    for (const [role, perms] of Object.entries(BUILTIN_ROLES)) {
      for (const p of perms) expect(p === "*" || (PERMISSIONS as readonly string[]).includes(p), `${role}: ${p}`).toBe(true);
    }
    expect(rolePermissions("admin", []).has("*")).toBe(true);
    expect([...rolePermissions("viewer", ["*"])].every((p) => p.endsWith(":read"))).toBe(true);
  });

  it("MS5's operator: reads, job accept/complete, andon create, no acknowledge", () => {
    const op = rolePermissions("operator", null);
    for (const p of [
      "production:read",
      "line:read",
      "job:accept",
      "job:complete",
      "oee:read",
      "downtime:read",
      "andon:read",
      "andon:create",
      "equipment:read",
      "dashboard:read",
    ] as const) {
      expect(op.has(p), p).toBe(true);
    }
    expect(op.has("andon:acknowledge")).toBe(false);
    expect(op.has("users:read")).toBe(false);
  });

  it("custom roles keep only known permissions", () => {
    expect([...rolePermissions("auditor", ["users:read", "launch:missiles"])]).toEqual(["users:read"]);
  });

  it("holdsAll: nobody grants what they lack; '*' only from '*'", () => {
    expect(holdsAll(permissionSet(["users:read", "users:write"]), ["users:read"])).toBe(true);
    expect(holdsAll(permissionSet(["users:read"]), ["users:read", "users:write"])).toBe(false);
    expect(holdsAll(permissionSet(["users:read", "users:write"]), ["*"])).toBe(false);
    expect(holdsAll(permissionSet(["*"]), ["*", "users:write"])).toBe(true);
    expect(holdsAll(permissionSet([]), [])).toBe(true);
  });
});

describe("tabs", () => {
  it("a tab opens itself and its sub-tabs; a sub-tab opens its module's routes but not siblings", () => {
    expect(tabAllows(["inventory"], "inventory.management")).toBe(true);
    expect(tabAllows(["inventory.management"], "inventory.management")).toBe(true);
    expect(tabAllows(["inventory.management"], "inventory")).toBe(true);
    expect(tabAllows(["labels.generator"], "labels.history")).toBe(false);
    expect(tabAllows(["labels"], "inventory")).toBe(false);
    expect(tabAllows([], "usermanagement")).toBe(false);
  });
});

describe("isAllowed", () => {
  it("needs the permission and, for users, the route's tab", () => {
    const spec = { access: "users:read", tab: "usermanagement" } as const;
    expect(isAllowed(user(["users:read"], ["usermanagement"]), spec)).toBe(true);
    expect(isAllowed(user(["users:read"], []), spec)).toBe(false);
    expect(isAllowed(user([], ["usermanagement"]), spec)).toBe(false);
    expect(isAllowed(user(["*"], []), spec)).toBe(true);
  });

  it("API keys need the permission and their creator's tab, and are refused where a route says so", () => {
    expect(isAllowed(key(["users:read"], ["usermanagement"]), { access: "users:read", tab: "usermanagement" })).toBe(true);
    expect(isAllowed(key(["users:read"]), { access: "users:read", tab: "usermanagement" })).toBe(false);
    expect(isAllowed(key(["*"]), { access: "users:read", tab: "usermanagement" })).toBe(true);
    expect(isAllowed(key(["users:read"]), { access: "users:read", apiKey: false })).toBe(false);
    expect(isAllowed(key([]), { access: "authenticated" })).toBe(true);
    expect(isAllowed(key([]), { access: "public" })).toBe(true);
  });
});
