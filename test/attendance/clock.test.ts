import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { attendanceEmployees, attendanceEvents } from "../../src/db/schema";
import { clockObserved } from "../../src/modules/attendance/service";
import { arr, call, db, loginAs, str, testDeps } from "../helpers";
import { manager } from "./fixtures";

const events = (employeeId: string) => db().select().from(attendanceEvents).where(eq(attendanceEvents.employeeId, employeeId)).orderBy(attendanceEvents.seq);

const hex = (n: number) => [...crypto.getRandomValues(new Uint8Array(n))].map((b) => b.toString(16).padStart(2, "0")).join("");

/** An employee with an enrolled card, and a tap of it by the manager (a reader's own key would do the same). */
async function carded() {
  const m = await manager();
  const e = await m.employee();
  const uid = hex(7).toUpperCase();
  const enrolled = await call("/api/v1/enrollment/cards", { token: m.token, body: { employee_id: e.id, uid } });
  if (enrolled.status !== 201) throw new Error(`enrol: ${enrolled.status}`);
  return { m, e, tap: (extra: Record<string, unknown> = {}) => m.clock({ card_uid: uid, ...extra }, {}, "/api/v1/attendance/clock-by-card") };
}

describe("reader taps are debounced per employee", () => {
  it("a second card tap inside the window answers the first tap's event with duplicate: true and writes nothing", async () => {
    const { e, tap } = await carded();
    const first = await tap();
    expect(first.json).toMatchObject({ direction: "in", duplicate: false });
    const second = await tap();
    expect(second.status).toBe(200);
    expect(second.json).toMatchObject({ direction: "in", duplicate: true, event_id: first.json.event_id, timestamp: first.json.timestamp });
    expect((await events(e.id)).map((r) => r.direction)).toEqual(["in"]);
  });

  it("simultaneous taps: exactly one writes, every answer names its event", async () => {
    const { e, tap } = await carded();
    const burst = await Promise.all([tap(), tap(), tap(), tap()]);
    expect(burst.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(burst.map((r) => r.json.duplicate as unknown).filter((d) => d === false)).toHaveLength(1);
    const rows = await events(e.id);
    expect(rows.map((r) => r.direction)).toEqual(["in"]);
    expect(new Set(burst.map((r) => r.json.event_id))).toEqual(new Set([rows[0]?.id]));
  });

  it("two taps that read the same state: the write refuses the second in D1 (not a read before it), which answers the first's event", async () => {
    const m = await manager();
    const e = await m.employee();
    const [observed] = await db().select().from(attendanceEmployees).where(eq(attendanceEmployees.id, e.id));
    if (!observed) throw new Error("no employee");
    const actor = { kind: "api_key" as const, keyId: "k", name: "gate", permissions: new Set(["attendance:clock" as const]), tabs: [], createdBy: m.admin.id };
    const results = await Promise.all([
      clockObserved(testDeps(), observed, undefined, undefined, "card", actor),
      clockObserved(testDeps(), observed, undefined, undefined, "card", actor),
    ]);
    expect(results.map((r) => r.duplicate).sort()).toEqual([false, true]);
    expect(results[0]?.event_id).toBe(results[1]?.event_id);
    expect((await events(e.id)).map((r) => r.direction)).toEqual(["in"]);
  });

  it("after the window a tap toggles again; a manager's manual clock is never debounced", async () => {
    const m = await manager();
    const e = await m.employee();
    const actor = { kind: "api_key" as const, keyId: "k", name: "gate", permissions: new Set(["attendance:clock" as const]), tabs: [], createdBy: m.admin.id };
    const read = async () => {
      const [row] = await db().select().from(attendanceEmployees).where(eq(attendanceEmployees.id, e.id));
      if (!row) throw new Error("no employee");
      return row;
    };
    const t0 = Date.now();
    const at = (ms: number) => testDeps({ now: () => new Date(t0 + ms) });
    expect((await clockObserved(at(0), await read(), undefined, undefined, "card", actor)).direction).toBe("in");
    expect(await clockObserved(at(59_000), await read(), undefined, undefined, "fingerprint", actor)).toMatchObject({ direction: "in", duplicate: true });
    expect(await clockObserved(at(61_000), await read(), undefined, undefined, "card", actor)).toMatchObject({ direction: "out", duplicate: false });
    // Manual toggles right after a tap, and right after each other, all write.
    const manual = await m.clock({ employee_id: e.id });
    expect(manual.json).toMatchObject({ direction: "in", duplicate: false });
    expect((await m.clock({ employee_id: e.id })).json).toMatchObject({ direction: "out", duplicate: false });
    expect((await events(e.id)).map((r) => r.source)).toEqual(["card", "card", "manual", "manual"]);
  });
});

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
    expect((await events(e.id))[0]?.actorName).toBe("api_key:gate reader");
    // A new tap (new key) within the debounce window repeats the first; an explicit out clocks out.
    const next = await call("/api/v1/attendance/clock-by-card", {
      headers: { "x-api-key": key, "idempotency-key": crypto.randomUUID() },
      body: { card_uid: uid },
    });
    expect(next.json).toMatchObject({ direction: "in", duplicate: true, event_id: first.json.event_id });
    const out = await call("/api/v1/attendance/clock-by-card", { headers: { "x-api-key": key }, body: { card_uid: uid, direction: "out" } });
    expect(out.json).toMatchObject({ direction: "out", duplicate: false });
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
