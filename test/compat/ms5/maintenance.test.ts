/**
 * MS5's maintenance schedules beyond the list: the tablet's create, PUT and complete, and what
 * they refuse (a closed schedule, a stale If-Match, a missing field, a caller without
 * maintenance:write, a retired item), each refusal changing nothing.
 */
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { equipmentMaintenance } from "../../../src/db/schema";
import { ErrorSchema } from "../../../src/lib/surface";
import { MaintenanceSchedule } from "../../../src/modules/equipment/maintenance";
import { call, db, loginAs, unique } from "../../helpers";

type Login = Awaited<ReturnType<typeof loginAs>>;
const BASE = "/api/v1/equipment/maintenance-schedules";

describe("MS5 maintenance schedules", () => {
  let tech: Login;
  let op: Login;
  let code: string;
  beforeAll(async () => {
    tech = await loginAs("maintenance");
    op = await loginAs("operator");
    const pm = await loginAs("production_manager");
    const item = await call("/api/v1/equipment", { token: pm.token, body: { code: unique("EQ"), name: "Sealer", status: "running" } });
    expect(item.status).toBe(201);
    code = String(item.json.code);
  });

  const create = async (extra: Record<string, unknown> = {}) => {
    const res = await call(BASE, {
      token: tech.token,
      body: { equipmentId: code, maintenanceType: "preventive", scheduledDate: "2020-01-01T06:00:00Z", estimatedDuration: 20, ...extra },
      schema: MaintenanceSchedule,
    });
    expect(res.status).toBe(201);
    return res.json;
  };

  it("creates from the canonical snake_case body too, and derives overdue without changing status", async () => {
    const res = await call(BASE, {
      token: tech.token,
      body: { equipment_code: code, maintenance_type: "inspection", scheduled_at: "2020-01-01 06:00", priority: "low" },
      schema: MaintenanceSchedule,
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ equipmentId: code, type: "inspection", status: "scheduled", overdue: true, created_by: tech.username });
    const got = await call(`${BASE}/${res.json.id}`, { token: op.token, schema: MaintenanceSchedule });
    expect(got.status).toBe(200);
    expect(got.res.headers.get("etag")).toBe('"1"');
  });

  it("refuses a body without the item, type or date (422), an unknown item (404) and an operator (403), storing nothing", async () => {
    const before = await db().select().from(equipmentMaintenance);
    const missing = await call(BASE, { token: tech.token, body: { description: "x" }, schema: ErrorSchema });
    expect(missing.status).toBe(422);
    const unknown = await call(BASE, {
      token: tech.token,
      body: { equipmentId: "NOPE-1", maintenanceType: "preventive", scheduledDate: "2030-01-01T00:00:00Z" },
      schema: ErrorSchema,
    });
    expect(unknown.status).toBe(404);
    const tooLong = await call(BASE, {
      token: tech.token,
      body: { equipmentId: code, maintenanceType: "preventive", scheduledDate: "2030-01-01T00:00:00Z", notes: "x".repeat(2001) },
      schema: ErrorSchema,
    });
    expect(tooLong.status).toBe(422);
    const denied = await call(BASE, {
      token: op.token,
      body: { equipmentId: code, maintenanceType: "preventive", scheduledDate: "2030-01-01T00:00:00Z" },
      schema: ErrorSchema,
    });
    expect(denied.status).toBe(403);
    expect(await db().select().from(equipmentMaintenance)).toHaveLength(before.length);
  });

  it("completes once: a second complete and a PUT after it are 409 maintenance_closed and change nothing", async () => {
    const s = await create();
    const done = await call(`${BASE}/${s.id}/complete`, { token: tech.token, body: { actual_duration: 25, notes: "ok" }, schema: MaintenanceSchedule });
    expect(done.status).toBe(200);
    expect(done.json).toMatchObject({ status: "completed", actualDuration: 25, completed_by: tech.username, overdue: false, version: 2 });
    expect(done.json.completedDate).toEqual(expect.any(String));
    const again = await call(`${BASE}/${s.id}/complete`, { token: tech.token, body: { actual_duration: 99 }, schema: ErrorSchema });
    expect(again.status).toBe(409);
    expect(again.json.details).toMatchObject({ current: { actualDuration: 25 } });
    const put = await call(`${BASE}/${s.id}`, { method: "PUT", token: tech.token, body: { notes: "late edit" }, schema: ErrorSchema });
    expect(put.status).toBe(409);
    const [row] = await db().select().from(equipmentMaintenance).where(eq(equipmentMaintenance.id, s.id));
    expect(row).toMatchObject({ status: "completed", actualDurationMinutes: 25, notes: "ok", version: 2 });
  });

  it("a stale If-Match on PUT is 409 stale_version; the right one changes the schedule", async () => {
    const s = await create();
    const stale = await call(`${BASE}/${s.id}`, {
      method: "PUT",
      token: tech.token,
      headers: { "if-match": '"7"' },
      body: { priority: "high" },
      schema: ErrorSchema,
    });
    expect(stale.status).toBe(409);
    expect(stale.json.message).toMatch(/Stale version/);
    const ok = await call(`${BASE}/${s.id}`, {
      method: "PUT",
      token: tech.token,
      headers: { "if-match": '"1"' },
      body: { priority: "high", scheduledDate: "2031-05-05T08:00:00Z", estimatedDuration: null },
      schema: MaintenanceSchedule,
    });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ priority: "high", scheduledDate: "2031-05-05T08:00:00.000Z", estimatedDuration: null, version: 2, overdue: false });
  });

  it("PUT cannot set completed (only complete records who and when)", async () => {
    const s = await create();
    const res = await call(`${BASE}/${s.id}`, { method: "PUT", token: tech.token, body: { status: "completed" }, schema: ErrorSchema });
    expect(res.status).toBe(422);
  });

  it("an unknown schedule is 404 on every verb", async () => {
    const id = crypto.randomUUID();
    expect((await call(`${BASE}/${id}`, { token: tech.token })).status).toBe(404);
    expect((await call(`${BASE}/${id}`, { method: "PUT", token: tech.token, body: { notes: "x" } })).status).toBe(404);
    expect((await call(`${BASE}/${id}/complete`, { token: tech.token, body: { actual_duration: 1 } })).status).toBe(404);
  });
});
