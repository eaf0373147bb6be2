import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { attendanceEmployees, attendanceEvents } from "../../src/db/schema";
import { clockObserved } from "../../src/modules/attendance/service";
import { arr, call, db, loginAs, str, testDeps } from "../helpers";
import { manager } from "./fixtures";

const events = (employeeId: string) => db().select().from(attendanceEvents).where(eq(attendanceEvents.employeeId, employeeId)).orderBy(attendanceEvents.seq);

describe("clocking", () => {
  it("RM365's toggle: in, then out, answering {status, direction}", async () => {
    const m = await manager();
    const e = await m.employee();
    const first = await m.clock({ employee_id: e.id });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ status: "success", direction: "in", employee_id: e.id, employee_name: e.name });
    const second = await m.clock({ employee_id: e.code });
    expect(second.json).toMatchObject({ status: "success", direction: "out" });
    const rows = await events(e.id);
    expect(rows.map((r) => r.direction)).toEqual(["in", "out"]);
    expect(rows[0]?.closedBy).toBe(rows[1]?.id);
    const got = await call(`/api/v1/attendance/employees/${e.id}`, { token: m.token });
    expect(got.json.status).toBe("out");
  });

  it("no double clock-in, no clock-out without clock-in; nothing written", async () => {
    const m = await manager();
    const e = await m.employee();
    const out = await m.clock({ employee_id: e.id, direction: "out" });
    expect(out.status).toBe(409);
    expect(out.json.message).toMatch(/not clocked in/);
    expect((await m.clock({ employee_id: e.id, direction: "in" })).status).toBe(200);
    const again = await m.clock({ employee_id: e.id, direction: "in" });
    expect(again.status).toBe(409);
    expect(again.json.message).toMatch(/already clocked in/);
    expect((await events(e.id)).map((r) => r.direction)).toEqual(["in"]);
  });

  it("two taps that read the same state: one clocks in, the other writes nothing (409)", async () => {
    const m = await manager();
    const e = await m.employee();
    const [observed] = await db().select().from(attendanceEmployees).where(eq(attendanceEmployees.id, e.id));
    if (!observed) throw new Error("no employee");
    const actor = {
      kind: "user" as const,
      userId: m.admin.id,
      username: m.admin.username,
      role: "admin",
      permissions: new Set(["*" as const]),
      tabs: [],
      sessionId: "",
    };
    const results = await Promise.allSettled([
      clockObserved(testDeps(), observed, undefined, undefined, "manual", actor),
      clockObserved(testDeps(), observed, undefined, undefined, "manual", actor),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const rejected = results.find((r) => r.status === "rejected");
    expect(rejected?.status === "rejected" && String(rejected.reason)).toMatch(/same moment/);
    expect((await events(e.id)).map((r) => r.direction)).toEqual(["in"]);
    // Over HTTP too: concurrent toggles never leave two ins in a row.
    const burst = await Promise.all([m.clock({ employee_id: e.id }), m.clock({ employee_id: e.id }), m.clock({ employee_id: e.id })]);
    expect(burst.every((r) => r.status === 200 || r.status === 409)).toBe(true);
    const directions = (await events(e.id)).map((r) => r.direction);
    for (let i = 1; i < directions.length; i++) expect(directions[i]).not.toBe(directions[i - 1]);
  });

  it("RM365 sends employee_id as its integer id (the employee's number); a negative or fractional one is 422, nothing written", async () => {
    const m = await manager();
    const code = String(100_000 + Math.floor(Math.random() * 900_000_000));
    const created = await call("/api/v1/attendance/employees", { token: m.token, body: { code, name: "Numeric badge" } });
    expect(created.status).toBe(201);
    const id = str(created.json.id);
    const [row] = await db().select({ number: attendanceEmployees.number }).from(attendanceEmployees).where(eq(attendanceEmployees.id, id));
    const number = Number(row?.number);
    expect(number).toBeGreaterThan(0);
    const tap = await m.clock({ employee_id: number });
    expect(tap.status).toBe(200);
    expect(tap.json).toMatchObject({ status: "success", direction: "in", employee_id: id });
    for (const employee_id of [-1, 1.5, number + 0.5]) {
      const bad = await m.clock({ employee_id });
      expect(bad.status, String(employee_id)).toBe(422);
      expect(bad.json.error).toBe("VALIDATION_ERROR");
    }
    expect((await events(id)).map((r) => r.direction)).toEqual(["in"]);
  });

  it("an inactive employee cannot clock; an unknown one is 404", async () => {
    const m = await manager();
    const e = await m.employee();
    const off = await call(`/api/v1/attendance/employees/${e.id}`, { method: "PATCH", token: m.token, body: { active: false } });
    expect(off.status).toBe(200);
    expect((await m.clock({ employee_id: e.id })).status).toBe(409);
    expect((await m.clock({ employee_id: "NOBODY-HERE" })).status).toBe(404);
    expect(await events(e.id)).toEqual([]);
  });

  it("a reader's API key scoped to attendance:clock clocks by card once per Idempotency-Key, cannot clock by code, and can do nothing else", async () => {
    const m = await manager();
    const e = await m.employee();
    const created = await call("/api/v1/api-keys", { token: m.token, body: { name: "gate reader", permissions: ["attendance:clock"] } });
    expect(created.status).toBe(201);
    const key = str(created.json.key);
    const uid = [...crypto.getRandomValues(new Uint8Array(7))].map((b) => b.toString(16).padStart(2, "0")).join("");
    expect((await call("/api/v1/enrollment/cards", { token: m.token, body: { employee_id: e.id, uid } })).status).toBe(201);
    const headers = { "x-api-key": key, "idempotency-key": crypto.randomUUID() };
    const first = await call("/api/v1/attendance/clock-by-card", { headers, body: { card_uid: uid } });
    expect(first.status).toBe(200);
    expect(first.json.direction).toBe("in");
    const retry = await call("/api/v1/attendance/clock-by-card", { headers, body: { card_uid: uid } });
    expect(retry.status).toBe(200);
    expect(retry.res.headers.get("idempotent-replayed")).toBe("true");
    expect(retry.json).toEqual(first.json);
    expect((await events(e.id)).map((r) => r.direction)).toEqual(["in"]);
    expect((await events(e.id))[0]?.actorName).toBe("api-key:gate reader");
    // A new tap (new key) toggles.
    const next = await call("/api/v1/attendance/clock-by-card", {
      headers: { "x-api-key": key, "idempotency-key": crypto.randomUUID() },
      body: { card_uid: uid },
    });
    expect(next.json.direction).toBe("out");
    // A reader cannot clock anyone by code (its key carries its creator's tabs): 403, nothing written.
    const byCode = await call("/api/v1/attendance/clock", { headers: { "x-api-key": key }, body: { employee_id: e.code } });
    expect(byCode.status).toBe(403);
    expect((await events(e.id)).map((r) => r.direction)).toEqual(["in", "out"]);
    // Nothing but clocking.
    for (const [path, method] of [
      ["/api/v1/attendance/events", "GET"],
      ["/api/v1/attendance/roster", "GET"],
      ["/api/v1/attendance/reports/summary", "GET"],
      ["/api/v1/enrollment/cards", "GET"],
      ["/api/v1/inventory/items", "GET"],
    ] as const) {
      expect((await call(path, { method, headers: { "x-api-key": key } })).status, path).toBe(403);
    }
    const createEmployee = await call("/api/v1/attendance/employees", { headers: { "x-api-key": key }, body: { code: "X1", name: "X" } });
    expect(createEmployee.status).toBe(403);
  });

  it("tabs: an operator holds attendance:clock but not the attendance tab; a viewer sees the overview but not the logs", async () => {
    const m = await manager();
    const e = await m.employee();
    const operator = await loginAs("operator");
    const denied = await call("/api/v1/attendance/clock", { token: operator.token, body: { employee_id: e.id } });
    expect(denied.status).toBe(403);
    expect(denied.json.message).toMatch(/'attendance.manual' tab/);
    const viewer = await loginAs("viewer");
    expect((await call("/api/v1/attendance/reports/summary", { token: viewer.token })).status).toBe(200);
    const logs = await call("/api/v1/attendance/events", { token: viewer.token });
    expect(logs.status).toBe(403);
    expect(logs.json.message).toMatch(/'attendance.logs' tab/);
    const shift = await loginAs("shift_manager");
    expect((await call("/api/v1/attendance/clock", { token: shift.token, body: { employee_id: e.id } })).status).toBe(200);
    expect(arr((await call(`/api/v1/attendance/events?employee_id=${e.id}`, { token: shift.token })).json)).toHaveLength(1);
    expect(await events(e.id)).toHaveLength(1);
  });
});
