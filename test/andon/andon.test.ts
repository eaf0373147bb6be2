import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { AndonTimer } from "../../src/modules/andon/escalation";
import { arr, call, loginAs, str, unique } from "../helpers";
import { openSocket, type TestSocket } from "../ws";

const room = (lineId: string) => env.LINE_ROOM.get(env.LINE_ROOM.idFromName(lineId));

async function makeLine(token: string, extra: Record<string, unknown> = {}) {
  const line = await call("/api/v1/production/lines", {
    token,
    body: { line_code: unique("L"), name: "Bagging", equipment_codes: ["BP01.PACK.BAG1"], ...extra },
  });
  expect(line.status).toBe(201);
  return str(line.json.id);
}

async function watch(lineId: string, token: string): Promise<TestSocket> {
  const socket = await openSocket(`/ws/lines/${lineId}`, { token });
  await socket.next("system_alert");
  return socket;
}

/** Time passes for the line's andon clocks: every running deadline moves `minutes` earlier. */
async function advance(lineId: string, minutes: number) {
  const shift = (iso: string | null) => (iso === null ? null : new Date(Date.parse(iso) - minutes * 60_000).toISOString());
  for (const t of await room(lineId).andonTimers()) {
    const moved: AndonTimer = { ...t, acknowledgeDeadline: shift(t.acknowledgeDeadline), resolveDeadline: shift(t.resolveDeadline) };
    await room(lineId).setAndonTimer(t.id, moved);
  }
}

describe("andon: create → acknowledge → resolve", () => {
  it("an operator raises, a shift manager acknowledges and resolves; each step is pushed to the line", async () => {
    const pm = await loginAs("production_manager");
    const op = await loginAs("operator");
    const sm = await loginAs("shift_manager");
    const lineId = await makeLine(pm.token);
    const socket = await watch(lineId, op.token);

    const created = await call("/api/v1/andon/events", {
      token: op.token,
      body: { line_id: lineId, equipment_code: "BP01.PACK.BAG1", event_type: "stop", priority: "high", description: "Bagger jammed" },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ line_id: lineId, status: "open", priority: "high", reported_by: op.id, escalation_level: 0, acknowledged_at: null });
    const id = str(created.json.id);
    expect(await socket.next("andon_event")).toMatchObject({ line_id: lineId, data: { id, status: "open", action: "created" } });
    const [timer] = await room(lineId).andonTimers();
    expect(timer).toMatchObject({ id, priority: "high", acknowledgeMinutes: 5, resolveMinutes: 30, level: 0 });

    // Operators cannot acknowledge.
    expect((await call(`/api/v1/andon/events/${id}/acknowledge`, { method: "PUT", token: op.token })).status).toBe(403);
    const acked = await call(`/api/v1/andon/events/${id}/acknowledge`, { method: "PUT", token: sm.token });
    expect(acked.json).toMatchObject({ status: "acknowledged", acknowledged_by: sm.id });
    expect((await call(`/api/v1/andon/events/${id}/acknowledge`, { method: "PUT", token: sm.token })).status).toBe(409);
    expect(await socket.next("andon_event")).toMatchObject({ data: { id, status: "acknowledged" } });
    expect((await room(lineId).andonTimers())[0]).toMatchObject({ acknowledgeDeadline: null });

    const resolved = await call(`/api/v1/andon/events/${id}/resolve?resolution_notes=Cleared%20the%20jam`, { method: "PUT", token: sm.token });
    expect(resolved.status).toBe(200);
    expect(resolved.json).toMatchObject({ status: "resolved", resolved_by: sm.id, resolution_notes: "Cleared the jam" });
    expect(await socket.next("andon_event")).toMatchObject({ data: { id, status: "resolved" } });
    expect(await room(lineId).andonTimers()).toEqual([]);
    expect((await call(`/api/v1/andon/events/${id}/resolve`, { method: "PUT", token: sm.token })).status).toBe(409);
    socket.close();
  });

  it("resolve takes resolution_notes from a JSON body too; bad input is 4xx and stores nothing", async () => {
    const pm = await loginAs("production_manager");
    const lineId = await makeLine(pm.token);
    const raise = (body: Record<string, unknown>) =>
      call("/api/v1/andon/events", { token: pm.token, body: { line_id: lineId, event_type: "quality", description: "x", ...body } });
    expect((await raise({ priority: "urgent" })).status).toBe(422);
    expect((await raise({ description: "" })).status).toBe(422);
    expect((await raise({ line_id: "no-such-line" })).json).toMatchObject({ error: "VALIDATION_ERROR", details: [{ path: "body.line_id" }] });
    expect((await raise({ equipment_code: "NOT.ON.THIS.LINE" })).json).toMatchObject({ details: [{ path: "body.equipment_code" }] });
    expect((await call(`/api/v1/andon/events?line_id=${lineId}`, { token: pm.token })).json).toEqual([]);

    const id = str((await raise({})).json.id);
    const resolved = await call(`/api/v1/andon/events/${id}/resolve`, {
      method: "PUT",
      token: pm.token,
      body: { resolution_notes: "补料完成 (material refilled)" },
    });
    expect(resolved.json).toMatchObject({ status: "resolved", resolution_notes: "补料完成 (material refilled)", acknowledged_by: pm.id });
  });

  it("lists with filters and pagination, newest first", async () => {
    const pm = await loginAs("production_manager");
    const viewer = await loginAs("viewer");
    const lineId = await makeLine(pm.token);
    for (const priority of ["low", "critical", "low"]) {
      expect(
        (await call("/api/v1/andon/events", { token: pm.token, body: { line_id: lineId, event_type: "material", priority, description: priority } })).status,
      ).toBe(201);
    }
    const low = await call(`/api/v1/andon/events?line_id=${lineId}&priority=low&limit=1`, { token: viewer.token });
    // MS5's shape on its path: a bare array, the total in X-Total-Count.
    expect(low.res.headers.get("x-total-count")).toBe("2");
    expect(arr(low.json)).toHaveLength(1);
    const all = await call(`/api/v1/andon/events?line_id=${lineId}&status=open`, { token: viewer.token });
    expect(arr(all.json)).toHaveLength(3);
    const times = arr(all.json).map((a) => str(a.reported_at));
    expect([...times].sort().reverse()).toEqual(times);
    expect((await call("/api/v1/andon/events", { token: viewer.token, body: { line_id: lineId, event_type: "stop", description: "no" } })).status).toBe(403);
  });
});

describe("andon: escalation by the line room's alarm", () => {
  it("an unacknowledged critical andon climbs operator → shift_manager → production_manager → admin, recorded in D1 and pushed", async () => {
    const pm = await loginAs("production_manager");
    const lineId = await makeLine(pm.token);
    const socket = await watch(lineId, pm.token);
    const created = await call("/api/v1/andon/events", {
      token: pm.token,
      body: { line_id: lineId, event_type: "safety", priority: "critical", description: "Guard open" },
    });
    const id = str(created.json.id);
    await socket.next("andon_event");

    // Before its deadline the alarm does nothing.
    expect(await runDurableObjectAlarm(room(lineId))).toBe(true);
    expect(socket.pending().filter((m) => m.type === "escalation_event")).toEqual([]);
    expect((await call(`/api/v1/andon/events/${id}`, { token: pm.token })).json).toMatchObject({ escalation_level: 0, status: "open", escalations: [] });

    for (const [level, role] of [
      [1, "shift_manager"],
      [2, "production_manager"],
      [3, "admin"],
    ] as const) {
      await advance(lineId, 2);
      expect(await runDurableObjectAlarm(room(lineId))).toBe(true);
      const pushed = await socket.next("escalation_event");
      expect(pushed).toMatchObject({
        line_id: lineId,
        data: { level, escalated_to: role, reason: "acknowledge_timeout", andon: { id, status: "escalated", escalation_level: level } },
      });
    }
    const detail = await call(`/api/v1/andon/events/${id}`, { token: pm.token });
    expect(detail.json).toMatchObject({ status: "escalated", escalation_level: 3 });
    expect(arr(detail.json.escalations).map((e) => [e.level, e.escalated_to, e.reason])).toEqual([
      [1, "shift_manager", "acknowledge_timeout"],
      [2, "production_manager", "acknowledge_timeout"],
      [3, "admin", "acknowledge_timeout"],
    ]);
    // At the top of the chain the clocks stop.
    expect(await room(lineId).andonTimers()).toEqual([]);
    expect(await runDurableObjectAlarm(room(lineId))).toBe(false);
    socket.close();
  });

  it("acknowledging stops the acknowledge clock; the resolve clock still climbs", async () => {
    const pm = await loginAs("production_manager");
    const lineId = await makeLine(pm.token);
    const socket = await watch(lineId, pm.token);
    const id = str(
      (await call("/api/v1/andon/events", { token: pm.token, body: { line_id: lineId, event_type: "stop", priority: "medium", description: "Stopped" } })).json
        .id,
    );
    expect((await call(`/api/v1/andon/events/${id}/acknowledge`, { method: "PUT", token: pm.token })).status).toBe(200);

    await advance(lineId, 11); // past the 10-minute acknowledge deadline, before the 45-minute resolve one
    await runDurableObjectAlarm(room(lineId));
    expect((await call(`/api/v1/andon/events/${id}`, { token: pm.token })).json).toMatchObject({
      status: "acknowledged",
      escalation_level: 0,
      escalations: [],
    });

    await advance(lineId, 35);
    expect(await runDurableObjectAlarm(room(lineId))).toBe(true);
    expect(await socket.next("escalation_event")).toMatchObject({
      data: { level: 1, escalated_to: "shift_manager", reason: "resolve_timeout", andon: { status: "acknowledged" } },
    });
    expect((await call(`/api/v1/andon/events/${id}`, { token: pm.token })).json).toMatchObject({ status: "acknowledged", escalation_level: 1 });
    socket.close();
  });

  it("open andons and their deadlines survive the room being evicted; the alarm still fires", async () => {
    const pm = await loginAs("production_manager");
    const lineId = await makeLine(pm.token, { escalation_policy: { tiers: ["operator", "maintenance"], timeouts: { low: { acknowledge: 1, resolve: 5 } } } });
    const id = str(
      (await call("/api/v1/andon/events", { token: pm.token, body: { line_id: lineId, event_type: "maintenance", priority: "low", description: "Noise" } }))
        .json.id,
    );
    const before = await room(lineId).andonTimers();
    expect(before).toMatchObject([{ id, acknowledgeMinutes: 1, resolveMinutes: 5, tiers: ["operator", "maintenance"] }]);

    await evictDurableObject(room(lineId));
    expect(await room(lineId).andonTimers()).toEqual(before);
    await advance(lineId, 1);
    await evictDurableObject(room(lineId));
    expect(await runDurableObjectAlarm(room(lineId))).toBe(true);
    expect((await call(`/api/v1/andon/events/${id}`, { token: pm.token })).json).toMatchObject({
      status: "escalated",
      escalation_level: 1,
      escalations: [{ level: 1, escalated_to: "maintenance", reason: "acknowledge_timeout" }],
    });
    // A custom two-tier chain ends at its second tier.
    expect(await room(lineId).andonTimers()).toEqual([]);
  });

  it("D1 is the truth: an alarm for an andon the room did not hear was acknowledged does not escalate it", async () => {
    const pm = await loginAs("production_manager");
    const lineId = await makeLine(pm.token);
    const id = str(
      (await call("/api/v1/andon/events", { token: pm.token, body: { line_id: lineId, event_type: "stop", priority: "high", description: "x" } })).json.id,
    );
    await env.DB.prepare("update andon_events set status = 'acknowledged', acknowledged_at = ?, acknowledged_by = 'x' where id = ?")
      .bind(new Date().toISOString(), id)
      .run();
    await advance(lineId, 6);
    await runDurableObjectAlarm(room(lineId));
    expect((await call(`/api/v1/andon/events/${id}`, { token: pm.token })).json).toMatchObject({
      status: "acknowledged",
      escalation_level: 0,
      escalations: [],
    });
    expect(await room(lineId).andonTimers()).toMatchObject([{ id, acknowledgeDeadline: null, level: 0 }]);
  });
});
