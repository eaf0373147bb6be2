import { describe, expect, it } from "vitest";
import { arr, call, loginAs, str } from "../helpers";
import { makeSchedule } from "../production/fixtures";

describe("dashboard", () => {
  it("answers from the rooms' live state: open andons, active jobs, running stops, last OEE", async () => {
    const pm = await loginAs("production_manager");
    const op = await loginAs("operator");
    const { lineId, scheduleId } = await makeSchedule(pm.token);
    const andon = await call("/api/v1/andon/events", {
      token: op.token,
      body: { line_id: lineId, event_type: "material", priority: "high", description: "Out of film" },
    });
    const job = await call("/api/v1/jobs", { token: pm.token, body: { schedule_id: scheduleId, user_id: op.id } });
    const stop = await call("/api/v1/downtime/events", {
      token: pm.token,
      body: { line_id: lineId, reason: "Film change", category: "planned", start_time: new Date().toISOString() },
    });
    expect([andon.status, job.status, stop.status]).toEqual([201, 201, 201]);

    const status = await call(`/api/v1/dashboard/lines/${lineId}/status`, { token: op.token });
    expect(status.status).toBe(200);
    expect(status.json.line).toMatchObject({ id: lineId });
    expect(arr(status.json.live?.open_andons).map((a) => a.id)).toEqual([andon.json.id]);
    expect(arr(status.json.live?.active_jobs).map((j) => j.id)).toEqual([job.json.id]);
    expect(arr(status.json.live?.running_downtime).map((d) => d.id)).toEqual([stop.json.id]);
    expect(status.json.live?.last_oee).toMatchObject({ line_id: lineId });
    expect(Number(status.json.live?.seq)).toBeGreaterThan(0);

    // Resolving and ending take them off the live state.
    await call(`/api/v1/andon/events/${str(andon.json.id)}/resolve`, { method: "PUT", token: pm.token });
    await call(`/api/v1/downtime/events/${str(stop.json.id)}/end`, { method: "PUT", token: pm.token, body: {} });
    const after = await call(`/api/v1/dashboard/lines/${lineId}/status`, { token: op.token });
    expect(after.json.live).toMatchObject({ open_andons: [], running_downtime: [] });

    const lines = await call("/api/v1/dashboard/lines", { token: op.token });
    const mine = arr(lines.json.items).find((i) => str(i.line?.id) === lineId);
    expect(mine?.live).toMatchObject({ open_andons: [], active_jobs: [{ id: job.json.id }] });

    const summary = await call("/api/v1/dashboard/summary", { token: op.token });
    expect(summary.status).toBe(200);
    expect(Number(summary.json.lines?.total)).toBeGreaterThanOrEqual(1);
    expect(Number(summary.json.jobs?.active)).toBeGreaterThanOrEqual(1);

    const oee = await call(`/api/v1/dashboard/lines/${lineId}/oee`, { token: op.token });
    expect(oee.json).toMatchObject({ line_id: lineId, current: { line_id: lineId }, last_pushed: { line_id: lineId } });
    expect((await call("/api/v1/dashboard/lines/nope/status", { token: op.token })).status).toBe(404);
  });
});
