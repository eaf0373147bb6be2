import { describe, expect, it } from "vitest";
import { BUILTIN_ROLE_NAMES } from "../../src/lib/rbac";
import { call, loginAs, unique } from "../helpers";

/**
 * Each seed-004 role against the user/role management endpoints. Besides the permission, the
 * RM365 tab `usermanagement` is required, and only admin holds it by default.
 */
const EXPECTED: Record<string, { readUsers: number; writeUsers: number; readRoles: number; writeRoles: number }> = {
  admin: { readUsers: 200, writeUsers: 201, readRoles: 200, writeRoles: 201 },
  production_manager: { readUsers: 403, writeUsers: 403, readRoles: 403, writeRoles: 403 },
  shift_manager: { readUsers: 403, writeUsers: 403, readRoles: 403, writeRoles: 403 },
  engineer: { readUsers: 403, writeUsers: 403, readRoles: 403, writeRoles: 403 },
  operator: { readUsers: 403, writeUsers: 403, readRoles: 403, writeRoles: 403 },
  maintenance: { readUsers: 403, writeUsers: 403, readRoles: 403, writeRoles: 403 },
  quality: { readUsers: 403, writeUsers: 403, readRoles: 403, writeRoles: 403 },
  viewer: { readUsers: 403, writeUsers: 403, readRoles: 403, writeRoles: 403 },
};

async function matrixRow(role: string, tabs?: string[]) {
  const s = await loginAs(role, tabs ? { allowed_tabs: tabs } : {});
  const readUsers = (await call("/api/v1/users/detailed", { token: s.token })).status;
  const writeUsers = (await call("/api/v1/users", { token: s.token, body: { username: unique("made"), password: "password-123", role: "viewer" } })).status;
  const readRoles = (await call("/api/v1/roles", { token: s.token })).status;
  const writeRoles = (await call("/api/v1/roles", { token: s.token, body: { role_name: unique("r"), allowed_tabs: [] } })).status;
  return { readUsers, writeUsers, readRoles, writeRoles };
}

describe("role matrix: users and roles", () => {
  it.each(BUILTIN_ROLE_NAMES)("%s with its default tabs", async (role) => {
    expect(await matrixRow(role)).toEqual(EXPECTED[role]);
  });

  it("the tab alone is not enough: a viewer given usermanagement still lacks users:read", async () => {
    expect(await matrixRow("viewer", ["usermanagement"])).toEqual({ readUsers: 403, writeUsers: 403, readRoles: 403, writeRoles: 403 });
  });

  it("permission plus tab opens reads: a production_manager given usermanagement reads but cannot write", async () => {
    expect(await matrixRow("production_manager", ["usermanagement.management"])).toEqual({ readUsers: 200, writeUsers: 403, readRoles: 200, writeRoles: 403 });
  });

  it("403 says whether the permission or the tab was missing", async () => {
    const pm = await loginAs("production_manager");
    const noTab = await call("/api/v1/users", { token: pm.token });
    expect(noTab.json).toMatchObject({ error: "AUTHORIZATION_ERROR" });
    expect(noTab.json.message).toMatch(/usermanagement/);
    const op = await loginAs("operator");
    const noPerm = await call("/api/v1/users", { token: op.token });
    expect(noPerm.json.message).toMatch(/users:read/);
  });
});
