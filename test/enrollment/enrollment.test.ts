import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { attendanceEvents } from "../../src/db/schema";
import { clockObserved } from "../../src/modules/attendance/service";
import { employeeByCard } from "../../src/modules/enrollment/repo";
import { manager } from "../attendance/fixtures";
import { arr, call, db, loginAs, str, testDeps } from "../helpers";

const randomUid = () => [...crypto.getRandomValues(new Uint8Array(7))].map((b) => b.toString(16).padStart(2, "0")).join(":");
const events = (employeeId: string) => db().select().from(attendanceEvents).where(eq(attendanceEvents.employeeId, employeeId));

describe("cards", () => {
  it("registers a UID normalised, clocks by it in any spelling, and refuses a card active for someone else", async () => {
    const m = await manager();
    const a = await m.employee();
    const b = await m.employee();
    const uid = randomUid();
    const card = await call("/api/v1/enrollment/cards", { token: m.token, body: { employee_id: a.id, uid: ` ${uid.toLowerCase()} `, label: "Blue fob" } });
    expect(card.status).toBe(201);
    const normalised = uid.replaceAll(":", "").toUpperCase();
    expect(card.json).toMatchObject({ employee_id: a.id, uid: normalised, active: true, label: "Blue fob" });
    // The same card for another employee, in another spelling: 409, nothing stored.
    const taken = await call("/api/v1/enrollment/cards", { token: m.token, body: { employee_id: b.id, uid: normalised.match(/../g)?.join("-") } });
    expect(taken.status).toBe(409);
    expect(arr((await call(`/api/v1/enrollment/cards?employee_id=${b.id}`, { token: m.token })).json.items)).toEqual([]);
    const tap = await m.clock({ card_uid: uid.toUpperCase() }, {}, "/api/v1/attendance/clock-by-card");
    expect(tap.status).toBe(200);
    expect(tap.json).toMatchObject({ status: "success", direction: "in", employee_id: a.id });
    expect((await events(a.id))[0]).toMatchObject({ source: "card", credentialId: str(card.json.id) });
    // Two enrolments of one new card at once: exactly one wins.
    const fresh = randomUid();
    const both = await Promise.all([a, b].map((e) => call("/api/v1/enrollment/cards", { token: m.token, body: { employee_id: e.id, uid: fresh } })));
    expect(both.map((r) => r.status).sort()).toEqual([201, 409]);
  });

  it("a revoked card stops clocking at once; its UID may then be enrolled to someone else", async () => {
    const m = await manager();
    const a = await m.employee();
    const b = await m.employee();
    const uid = randomUid();
    const card = await call("/api/v1/enrollment/cards", { token: m.token, body: { employee_id: a.id, uid } });
    const revoked = await call(`/api/v1/enrollment/cards/${str(card.json.id)}/revoke`, { token: m.token, body: { reason: "Lost" } });
    expect(revoked.status).toBe(200);
    expect(revoked.json).toMatchObject({ active: false, revoke_reason: "Lost", revoked_by: m.admin.id });
    const tap = await m.clock({ card_uid: uid }, {}, "/api/v1/attendance/clock-by-card");
    expect(tap.status).toBe(404);
    expect(await events(a.id)).toEqual([]);
    expect((await call(`/api/v1/enrollment/cards/${str(card.json.id)}/revoke`, { token: m.token, body: { reason: "Lost" } })).status).toBe(409);
    expect((await call("/api/v1/enrollment/cards", { token: m.token, body: { employee_id: b.id, uid } })).status).toBe(201);
    expect((await m.clock({ card_uid: uid }, {}, "/api/v1/attendance/clock-by-card")).json.employee_id).toBe(b.id);
  });

  it("a card revoked after the reader's lookup but before its write does not clock", async () => {
    const m = await manager();
    const a = await m.employee();
    const uid = randomUid();
    const card = await call("/api/v1/enrollment/cards", { token: m.token, body: { employee_id: a.id, uid } });
    const found = await employeeByCard(db(), uid.replaceAll(":", "").toUpperCase());
    if (!found) throw new Error("card not found");
    await call(`/api/v1/enrollment/cards/${str(card.json.id)}/revoke`, { token: m.token, body: { reason: "Stolen" } });
    const actor = {
      kind: "user" as const,
      userId: m.admin.id,
      username: m.admin.username,
      role: "admin",
      permissions: new Set(["*" as const]),
      tabs: [],
      sessionId: "",
    };
    await expect(clockObserved(testDeps(), found.employee, found.credential, undefined, "card", actor)).rejects.toThrow(/not enrolled/);
    expect(await events(a.id)).toEqual([]);
  });

  it("replace is all or nothing: a new UID in use leaves the old card working", async () => {
    const m = await manager();
    const a = await m.employee();
    const b = await m.employee();
    const oldUid = randomUid();
    const otherUid = randomUid();
    const card = await call("/api/v1/enrollment/cards", { token: m.token, body: { employee_id: a.id, uid: oldUid } });
    await call("/api/v1/enrollment/cards", { token: m.token, body: { employee_id: b.id, uid: otherUid } });
    const clash = await call(`/api/v1/enrollment/cards/${str(card.json.id)}/replace`, { token: m.token, body: { uid: otherUid } });
    expect(clash.status).toBe(409);
    expect((await m.clock({ card_uid: oldUid }, {}, "/api/v1/attendance/clock-by-card")).status).toBe(200);
    const newUid = randomUid();
    const replaced = await call(`/api/v1/enrollment/cards/${str(card.json.id)}/replace`, { token: m.token, body: { uid: newUid, reason: "Broken" } });
    expect(replaced.status).toBe(200);
    expect(replaced.json.revoked).toMatchObject({ active: false, revoke_reason: "Broken" });
    expect(replaced.json.card).toMatchObject({ active: true, employee_id: a.id });
    expect((await m.clock({ card_uid: oldUid }, {}, "/api/v1/attendance/clock-by-card")).status).toBe(404);
    // The new card is the same employee's: a tap within the debounce window of the last one repeats it.
    expect((await m.clock({ card_uid: newUid }, {}, "/api/v1/attendance/clock-by-card")).json).toMatchObject({
      employee_id: a.id,
      direction: "in",
      duplicate: true,
    });
    const overview = await call(`/api/v1/enrollment/employees/${a.code}`, { token: m.token });
    expect(arr(overview.json.cards).map((c) => c.active)).toEqual([false, true]);
  });

  it("deactivating an employee revokes their cards, so the card can go to someone else", async () => {
    const m = await manager();
    const a = await m.employee();
    const b = await m.employee();
    const uid = randomUid();
    await call("/api/v1/enrollment/cards", { token: m.token, body: { employee_id: a.id, uid } });
    const off = await call(`/api/v1/attendance/employees/${a.id}`, {
      method: "PATCH",
      token: m.token,
      body: { active: false },
      headers: { "if-match": '"1"' },
    });
    expect(off.status).toBe(200);
    expect((await m.clock({ card_uid: uid }, {}, "/api/v1/attendance/clock-by-card")).status).toBe(404);
    const cards = await call(`/api/v1/enrollment/cards?employee_id=${a.id}&include_revoked=true`, { token: m.token });
    expect(arr(cards.json.items)[0]).toMatchObject({ active: false });
    expect(str(arr(cards.json.items)[0]?.revoke_reason)).toMatch(/deactivated/);
    expect((await call("/api/v1/enrollment/cards", { token: m.token, body: { employee_id: a.id, uid: randomUid() } })).status).toBe(409);
    expect((await call("/api/v1/enrollment/cards", { token: m.token, body: { employee_id: b.id, uid } })).status).toBe(201);
    // A stale version changes nothing.
    const stale = await call(`/api/v1/attendance/employees/${b.id}`, {
      method: "PATCH",
      token: m.token,
      body: { active: false },
      headers: { "if-match": '"7"' },
    });
    expect(stale.status).toBe(409);
    expect((await m.clock({ card_uid: uid }, {}, "/api/v1/attendance/clock-by-card")).status).toBe(200);
  });

  it("refuses UIDs that are not hex", async () => {
    const m = await manager();
    const a = await m.employee();
    const bad = await call("/api/v1/enrollment/cards", { token: m.token, body: { employee_id: a.id, uid: "not-a-card!" } });
    expect(bad.status).toBe(422);
    expect(arr(bad.json.details)[0]?.path).toBe("body.uid");
  });
});

describe("fingerprints", () => {
  it("clocks by the reader's template id or by RM365's template_b64; revoked stops at once; ids are unique while active", async () => {
    const m = await manager();
    const a = await m.employee();
    const b = await m.employee();
    const templateId = `T-${crypto.randomUUID().slice(0, 8)}`;
    const bytes = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(64))));
    const enrolled = await call("/api/v1/enrollment/fingerprints", {
      token: m.token,
      body: { employee_id: a.id, template_id: templateId, template_b64: bytes, finger: 1 },
    });
    expect(enrolled.status).toBe(201);
    expect(enrolled.json).toMatchObject({ template_id: templateId, has_template: true, finger: 1, active: true });
    expect(JSON.stringify(enrolled.json)).not.toContain(bytes);
    expect((await call("/api/v1/enrollment/fingerprints", { token: m.token, body: { employee_id: b.id, template_id: templateId } })).status).toBe(409);
    const byId = await m.clock({ template_id: templateId }, {}, "/api/v1/attendance/clock-by-fingerprint");
    expect(byId.json).toMatchObject({ direction: "in", employee_id: a.id });
    // An explicit direction the last tap did not have is not a repeat of it.
    const byBytes = await m.clock({ template_b64: bytes, direction: "out" }, {}, "/api/v1/attendance/clock-by-fingerprint");
    expect(byBytes.json).toMatchObject({ direction: "out", employee_id: a.id });
    const other = btoa("some other finger");
    expect((await m.clock({ template_b64: other }, {}, "/api/v1/attendance/clock-by-fingerprint")).status).toBe(404);
    expect((await m.clock({ template_b64: bytes, template_id: templateId }, {}, "/api/v1/attendance/clock-by-fingerprint")).status).toBe(422);
    const revoked = await call(`/api/v1/enrollment/fingerprints/${str(enrolled.json.id)}/revoke`, { token: m.token, body: { reason: "Re-enrolling" } });
    expect(revoked.status).toBe(200);
    expect((await m.clock({ template_id: templateId }, {}, "/api/v1/attendance/clock-by-fingerprint")).status).toBe(404);
    expect(await events(a.id)).toHaveLength(2);
  });
});

describe("enrollment access", () => {
  it("needs enrollment:write and the card or fingerprint tab", async () => {
    const m = await manager();
    const a = await m.employee();
    // A production manager holds enrollment:read but neither enrollment:write nor the enrollment tab.
    const pm = await loginAs("production_manager");
    expect((await call("/api/v1/enrollment/cards", { token: pm.token, body: { employee_id: a.id, uid: randomUid() } })).status).toBe(403);
    expect((await call("/api/v1/enrollment/cards", { token: pm.token })).status).toBe(403);
    // A role with enrollment:write and only the fingerprint tab may enrol fingerprints, not cards.
    const roleName = `enrol_${crypto.randomUUID().slice(0, 6)}`;
    const role = await call("/api/v1/roles", {
      token: m.token,
      body: { role_name: roleName, permissions: ["enrollment:read", "enrollment:write"], allowed_tabs: ["enrollment.fingerprint"] },
    });
    expect(role.status).toBe(201);
    const enroller = await loginAs(roleName);
    const card = await call("/api/v1/enrollment/cards", { token: enroller.token, body: { employee_id: a.id, uid: randomUid() } });
    expect(card.status).toBe(403);
    expect(card.json.message).toMatch(/'enrollment.card' tab/);
    const finger = await call("/api/v1/enrollment/fingerprints", {
      token: enroller.token,
      body: { employee_id: a.id, template_id: `T-${crypto.randomUUID().slice(0, 8)}` },
    });
    expect(finger.status).toBe(201);
    expect(arr((await call(`/api/v1/enrollment/cards?employee_id=${a.id}`, { token: m.token })).json.items)).toEqual([]);
  });
});
