/**
 * The attendance log (`GET /api/v1/attendance/events`) is a plain read (src/lib/sql.ts): its
 * SQL names every column itself, so these tests pin each field of an entry (a wrong column or a
 * lost null would fail), every filter, the order and the paging, and that the session check
 * batched with it still refuses a revoked session or a demoted user on the next request.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { attendanceEmployees, attendanceEvents, users } from "../../src/db/schema";
import { LogEntry } from "../../src/modules/attendance/schemas";
import { call, db, unique } from "../helpers";
import { manager } from "./fixtures";

const Log = z.array(LogEntry);

/** An employee and events written straight to D1, with every column chosen by the test. */
async function seeded(department: string | null) {
  const code = unique("L").toUpperCase();
  const id = crypto.randomUUID();
  await db()
    .insert(attendanceEmployees)
    .values({ id, code, name: `Name of ${code}`, department });
  const event = async (at: string, direction: "in" | "out", source: "card" | "manual" = "card", actorName = "Gate 3") => {
    const eventId = crypto.randomUUID();
    await db().insert(attendanceEvents).values({ id: eventId, employeeId: id, direction, at, source, actorName, actorId: null });
    return eventId;
  };
  return { id, code, name: `Name of ${code}`, event };
}

describe("attendance log", () => {
  it("maps every field of an entry: plant date and time (Europe/London), employee, department (and its null), source, recorder", async () => {
    const m = await manager();
    const e = await seeded(unique("Dept"));
    const none = await seeded(null);
    const a = await e.event("2026-06-30T23:59:59.999Z", "in", "card", "Gate 3");
    const b = await none.event("2026-01-15T08:30:00.000Z", "out", "manual", "Dana Boss");

    const first = await call(`/api/v1/attendance/events?employee_id=${e.id}`, { token: m.token, schema: Log });
    expect(first.status).toBe(200);
    expect(first.res.headers.get("x-total-count")).toBe("1");
    const [row] = await db().select().from(attendanceEmployees).where(eq(attendanceEmployees.id, e.id));
    expect(first.json).toEqual([
      {
        id: a,
        employee: e.name,
        employee_id: e.id,
        employee_code: e.code,
        department: row?.department,
        date: "2026-07-01",
        time: "00:59:59",
        direction: "in",
        timestamp: "2026-06-30T23:59:59.999Z",
        source: "card",
        recorded_by: "Gate 3",
      },
    ]);
    const second = await call(`/api/v1/attendance/events?employee_id=${none.code}`, { token: m.token, schema: Log });
    expect(second.json).toEqual([
      {
        id: b,
        employee: none.name,
        employee_id: none.id,
        employee_code: none.code,
        department: null,
        date: "2026-01-15",
        time: "08:30:00",
        direction: "out",
        timestamp: "2026-01-15T08:30:00.000Z",
        source: "manual",
        recorded_by: "Dana Boss",
      },
    ]);
  });

  it("filters by plant dates, direction, department and search (LIKE characters literal); newest first, paged, with the total", async () => {
    const m = await manager();
    const department = unique("Dept");
    const code = unique("P%C").toUpperCase();
    const id = crypto.randomUUID();
    await db().insert(attendanceEmployees).values({ id, code, name: "Percent_Person", department });
    const at = ["2026-03-02T07:00:00.000Z", "2026-03-02T16:00:00.000Z", "2026-03-03T07:00:00.000Z", "2026-03-03T16:00:00.000Z", "2026-03-04T00:30:00.000Z"];
    const ids: string[] = [];
    for (const [i, t] of at.entries()) {
      const eventId = crypto.randomUUID();
      ids.push(eventId);
      await db()
        .insert(attendanceEvents)
        .values({ id: eventId, employeeId: id, direction: i % 2 === 0 ? "in" : "out", at: t, source: "card", actorName: "r" });
    }
    const q = (query: string) => call(`/api/v1/attendance/events?department=${department}&${query}`, { token: m.token, schema: Log });
    const all = await q("limit=50");
    expect(all.json.map((r) => r.id)).toEqual([...ids].reverse());
    expect(all.res.headers.get("x-total-count")).toBe("5");
    // Plant days (GMT in March): 3 March is two events; 4 March 00:30 UTC is 4 March.
    const day = await q("from_date=2026-03-03&to_date=2026-03-03");
    expect(day.json.map((r) => r.id)).toEqual([ids[3], ids[2]]);
    expect((await q("from_date=2026-03-04")).json.map((r) => r.id)).toEqual([ids[4]]);
    expect((await q("to_date=2026-03-02")).json.map((r) => r.id)).toEqual([ids[1], ids[0]]);
    expect((await q("direction=out")).json.map((r) => r.id)).toEqual([ids[3], ids[1]]);
    expect((await q(`employee_id=${encodeURIComponent(code)}`)).json).toHaveLength(5);
    // `%` and `_` are literal: "ent_p" is in "Percent_Person"; as wildcards "nt%P" and "rcen_" would match it too.
    expect((await q("search=ent_p")).json).toHaveLength(5);
    expect((await q("search=nt%25P")).json).toHaveLength(0);
    expect((await q("search=rcen_")).json).toHaveLength(0);
    const paged = await q("limit=2&offset=2");
    expect(paged.json.map((r) => r.id)).toEqual([ids[2], ids[1]]);
    expect(paged.res.headers.get("x-total-count")).toBe("5");
    expect((await call(`/api/v1/attendance/events?department=${unique("none")}`, { token: m.token, schema: Log })).json).toEqual([]);

    // Without a condition on the employee the total counts events alone: the same figure.
    const day2044 = ["2044-02-29T09:00:00.000Z", "2044-02-29T17:00:00.000Z", "2044-03-01T09:00:00.000Z"];
    for (const t of day2044)
      await db().insert(attendanceEvents).values({ id: crypto.randomUUID(), employeeId: id, direction: "in", at: t, source: "card", actorName: "r" });
    const leap = await call("/api/v1/attendance/events?from_date=2044-02-29&to_date=2044-02-29&direction=in", { token: m.token, schema: Log });
    expect(leap.json).toHaveLength(2);
    expect(leap.res.headers.get("x-total-count")).toBe("2");
    const later = await call("/api/v1/attendance/events?from_date=2044-02-29&limit=1", { token: m.token, schema: Log });
    expect(later.res.headers.get("x-total-count")).toBe("3");
  });

  it("a logged-out session or a demoted user is refused on the next read of the log", async () => {
    const m = await manager();
    expect((await call("/api/v1/attendance/events?limit=1", { token: m.token })).status).toBe(200);
    expect((await call("/api/v1/auth/logout", { method: "POST", token: m.token })).status).toBe(200);
    const loggedOut = await call("/api/v1/attendance/events?limit=1", { token: m.token });
    expect(loggedOut.status).toBe(401);
    // The read ran beside the session check; the refusal carries nothing it set (no counting oracle).
    expect(loggedOut.res.headers.get("x-total-count")).toBeNull();

    const other = await manager();
    expect((await call("/api/v1/attendance/events?limit=1", { token: other.token })).status).toBe(200);
    await db().update(users).set({ role: "viewer" }).where(eq(users.id, other.admin.id));
    const demoted = await call("/api/v1/attendance/events?limit=1", { token: other.token });
    // A viewer has no logs tab: refused, and no rows.
    expect(demoted.status).toBe(403);
    expect(demoted.json.message).toMatch(/'attendance.logs' tab/);
    expect(demoted.res.headers.get("x-total-count")).toBeNull();
  });
});
