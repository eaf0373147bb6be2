/**
 * The enrollment screen adds, changes and deletes employees: on Floorline that is
 * `attendance:manage`, so a role holding only `enrollment:write` may set cards but not touch
 * employees through RM365's paths, and nothing changes when it tries.
 */
import { describe, expect, it } from "vitest";
import { call, loginAs, unique } from "../../helpers";
import { employees, tokenFor } from "./fixture";

describe("RM365 enrollment access", () => {
  it("enrollment:write without attendance:manage sets a card but cannot add, rename or delete employees", async () => {
    const admin = await tokenFor("admin");
    const role = unique("enroller");
    const created = await call("/api/v1/roles", {
      token: admin,
      body: { role_name: role, permissions: ["enrollment:read", "enrollment:write"], allowed_tabs: ["enrollment"] },
    });
    expect(created.status).toBe(201);
    const enroller = await loginAs(role);
    const { employee } = await employees();

    expect((await call("/api/v1/enrollment/employees", { token: enroller.token, body: { name: "Mallory", location: "UK" } })).status).toBe(403);
    expect((await call(`/api/v1/enrollment/employees/${employee}`, { method: "PATCH", token: enroller.token, body: { name: "Renamed" } })).status).toBe(403);
    expect((await call(`/api/v1/enrollment/employees/${employee}`, { method: "DELETE", token: enroller.token })).status).toBe(403);
    expect((await call("/api/v1/enrollment/employees/bulk-delete", { token: enroller.token, body: { ids: [employee] } })).status).toBe(403);
    const saved = await call("/api/v1/enrollment/save/nfc", { token: enroller.token, body: { employee_id: employee, uid: "0A0B0C0D0E" } });
    expect(saved.status).toBe(200);

    const listed = (await call("/api/v1/enrollment/employees", { token: admin })).json as unknown as {
      id: number;
      name: string;
      status: string;
      nfc_uid: string;
    }[];
    const row = listed.find((e) => e.id === employee);
    expect(row).toMatchObject({ status: "active", nfc_uid: "0A0B0C0D0E" });
    expect(row?.name).not.toBe("Renamed");
    expect(listed.some((e) => e.name === "Mallory")).toBe(false);
  });
});
