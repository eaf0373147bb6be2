import { describe, expect, it } from "vitest";
import { call, loginAs } from "../helpers";

// Storage is isolated per test file, so this file starts with no admins at all.
describe("the last active admin", () => {
  it("cannot be demoted, deactivated or deleted; with a second admin it can", async () => {
    const only = await loginAs("admin");
    const demote = await call("/api/v1/users", { method: "PATCH", token: only.token, body: { username: only.username, role: "viewer" } });
    expect(demote.status).toBe(409);
    expect(demote.json.message).toMatch(/last active admin/);
    const deactivate = await call("/api/v1/users", { method: "PATCH", token: only.token, body: { username: only.username, is_active: false } });
    expect(deactivate.status).toBe(409);
    expect((await call("/api/v1/auth/me", { token: only.token })).json.role).toBe("admin");

    const second = await loginAs("admin");
    const ok = await call("/api/v1/users", { method: "PATCH", token: second.token, body: { username: only.username, role: "viewer" } });
    expect(ok.status).toBe(200);
    const lastDelete = await call(`/api/v1/users?username=${second.username}`, { method: "DELETE", token: second.token });
    expect(lastDelete.status).toBe(409);
  });
});
