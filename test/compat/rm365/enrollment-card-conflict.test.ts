/**
 * Adding or changing an employee with a card enrolled to someone else is a 409 that writes
 * nothing: no employee is created (a client retrying would add one per try), and a rename sent
 * with the taken card is not applied.
 */
import { describe, expect, it } from "vitest";
import { call, loginAs } from "../../helpers";

const uid = () =>
  [...crypto.getRandomValues(new Uint8Array(7))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("")
    .toUpperCase();

describe("RM365 enrollment with a taken card", () => {
  it("POST /employees with another employee's card: 409 and no employee added; PATCH with it: 409 and nothing renamed", async () => {
    const { token: admin } = await loginAs("admin");
    const taken = uid();
    const first = await call("/api/v1/enrollment/employees", { token: admin, body: { name: "Holder", location: "UK", nfc_uid: taken } });
    expect(first.status, JSON.stringify(first.json)).toBe(200);
    const count = async () => Number((await call("/api/v1/enrollment/employees", { token: admin })).res.headers.get("x-total-count"));
    const before = await count();

    const dup = await call("/api/v1/enrollment/employees", { token: admin, body: { name: "Duplicate", location: "UK", nfc_uid: taken } });
    expect(dup.status).toBe(409);
    expect(await count()).toBe(before);

    const other = await call("/api/v1/enrollment/employees", { token: admin, body: { name: "Other", location: "UK" } });
    const otherId = Number((other.json.employee as unknown as { id: number }).id);
    const patched = await call(`/api/v1/enrollment/employees/${otherId}`, { method: "PATCH", token: admin, body: { name: "Renamed", nfc_uid: taken } });
    expect(patched.status).toBe(409);
    const list = (await call("/api/v1/enrollment/employees", { token: admin })).json as unknown as { id: number; name: string; nfc_uid: string | null }[];
    expect(list.find((e) => e.id === otherId)).toMatchObject({ name: "Other", nfc_uid: null });
    // The holder's own card may be sent back unchanged with a rename.
    const holderId = Number((first.json.employee as unknown as { id: number }).id);
    const own = await call(`/api/v1/enrollment/employees/${holderId}`, { method: "PATCH", token: admin, body: { name: "Holder 2", nfc_uid: taken } });
    expect(own.status, JSON.stringify(own.json)).toBe(200);
    expect(own.json.employee).toMatchObject({ name: "Holder 2", nfc_uid: taken });
  });
});
