/**
 * Issue 18 item 10: the registry is shared, but CCbackend's surface sees CCbackend's items only.
 * An MS5 machine (created with a production line, as MS5's demo line BP01.PACK.BAG1 is) is not
 * listed or counted there, and its code is a 404 for every lookup and write.
 */
import { describe, expect, it } from "vitest";
import { arr, call, DEFAULT_PASSWORD, makeUser, str, unique } from "../../helpers";

async function ccLogin(role: string) {
  const user = await makeUser(role);
  const { status, json } = await call("/api/auth/login", { body: { username: user.username, password: DEFAULT_PASSWORD } });
  expect(status).toBe(200);
  return str(json.access_token);
}

describe("CCbackend's equipment list keeps to its own items (issue 18.10)", () => {
  it("an MS5 machine is neither listed nor counted, and is a 404 to read, change, batch or delete", async () => {
    const admin = await ccLogin("admin");
    const machine = unique("BP01.PACK").toUpperCase();
    const mine = unique("CC").toUpperCase();
    const made = await call("/api/v1/equipment", {
      token: admin,
      body: { code: machine, name: "Bagger", production_line: "L-BAG1", status: "running_domains_test" },
    });
    expect(made.status).toBe(201);
    const added = await call("/api/equipment", { token: admin, body: { CCM_ID: mine, CC_STARTTIME: "2026-02-12 10:00:00", CC_STATUS: "在廠" } });
    expect(added.status).toBe(201);

    const list = await call("/api/equipment", { token: admin });
    expect(list.status).toBe(200);
    const ids = arr(list.json).map((e) => JSON.stringify(e));
    expect(ids.some((e) => e.includes(`"CCM_ID":"${mine}"`))).toBe(true);
    expect(ids.some((e) => e.includes(machine))).toBe(false);
    const counts = await call("/api/equipment/status_counts", { token: admin });
    expect(counts.json).not.toHaveProperty("running_domains_test");

    expect((await call(`/api/equipment/logs/${machine}`, { token: admin })).status).toBe(404);
    const put = await call(`/api/equipment/${machine}`, { token: admin, method: "PUT", body: { CC_STARTTIME: "2026-02-12 10:00:00", CC_STATUS: "報廢" } });
    expect(put.status).toBe(404);
    const batch = await call("/api/equipment/batch", { token: admin, method: "PUT", body: [{ CCM_ID: machine, CC_STATUS: "報廢" }] });
    expect(batch.status).toBe(409);
    expect((await call(`/api/equipment/${machine}`, { token: admin, method: "DELETE" })).status).toBe(404);

    // The machine is untouched and still MS5's on the native surface.
    const native = await call(`/api/v1/equipment/${machine}`, { token: admin });
    expect(native.status).toBe(200);
    expect(native.json).toMatchObject({ code: machine, status: "running_domains_test", version: 1 });
  });
});
