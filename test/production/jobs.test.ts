import { describe, expect, it } from "vitest";
import { arr, call, loginAs, str, unique } from "../helpers";
import { openSocket } from "../ws";
import { makeSchedule } from "./fixtures";

describe("production lines", () => {
  it("create, read, update with If-Match, list, and delete only without schedules", async () => {
    const pm = await loginAs("production_manager");
    const code = unique("L");
    const created = await call("/api/v1/production/lines", { token: pm.token, body: { line_code: code, name: "Line A", target_speed: 60 } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ line_code: code, status: "idle", enabled: true, equipment_codes: [], version: 1 });
    expect(created.res.headers.get("etag")).toBe('"1"');
    const id = str(created.json.id);

    expect((await call("/api/v1/production/lines", { token: pm.token, body: { line_code: code, name: "Again" } })).status).toBe(409);
    expect((await call("/api/v1/production/lines", { token: pm.token, body: { line_code: code, name: "x".repeat(101) } })).status).toBe(422);

    const updated = await call(`/api/v1/production/lines/${id}`, {
      method: "PUT",
      token: pm.token,
      body: { status: "running" },
      headers: { "if-match": '"1"' },
    });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({ status: "running", version: 2 });
    const stale = await call(`/api/v1/production/lines/${id}`, { method: "PUT", token: pm.token, body: { status: "fault" }, headers: { "if-match": '"1"' } });
    expect(stale.status).toBe(409);
    expect((await call(`/api/v1/production/lines/${id}`, { token: pm.token })).json).toMatchObject({ status: "running", version: 2 });

    const viewer = await loginAs("viewer");
    const list = await call("/api/v1/production/lines?status=running&limit=200", { token: viewer.token });
    expect(list.status).toBe(200);
    expect(arr(list.json).map((l) => l.id)).toContain(id);
    expect((await call("/api/v1/production/lines", { token: viewer.token, body: { line_code: unique("L"), name: "No" } })).status).toBe(403);

    expect((await call(`/api/v1/production/lines/${id}`, { method: "DELETE", token: pm.token })).status).toBe(200);
    expect((await call(`/api/v1/production/lines/${id}`, { token: pm.token })).status).toBe(404);

    const { lineId } = await makeSchedule(pm.token);
    const refused = await call(`/api/v1/production/lines/${lineId}`, { method: "DELETE", token: pm.token });
    expect(refused.status).toBe(409);
    expect((await call(`/api/v1/production/lines/${lineId}`, { token: pm.token })).status).toBe(200);
  });
});

describe("jobs: the state machine", () => {
  it("assigned → accepted → in_progress ⇄ paused → completed; illegal actions are 409 with allowed_actions", async () => {
    const sm = await loginAs("shift_manager");
    const pm = await loginAs("production_manager");
    const op = await loginAs("operator");
    const { scheduleId, lineId } = await makeSchedule(pm.token);

    const socket = await openSocket(`/ws/lines/${lineId}`, { token: op.token });
    await socket.next("system_alert");

    const job = await call("/api/v1/jobs", { token: sm.token, body: { schedule_id: scheduleId, user_id: op.id } });
    expect(job.status).toBe(201);
    expect(job.json).toMatchObject({ status: "assigned", user_id: op.id, line_id: lineId, allowed_actions: ["accept", "cancel"] });
    const id = str(job.json.id);
    expect(await socket.next("job_update")).toMatchObject({ line_id: lineId, data: { id, status: "assigned", action: "assigned" } });

    const act = (action: string, token = op.token) => call(`/api/v1/jobs/${id}/${action}`, { method: "POST", token });

    const early = await act("complete");
    expect(early.status).toBe(409);
    expect(early.json).toMatchObject({ error: "CONFLICT", details: { status: "assigned", action: "complete", allowed_actions: ["accept", "cancel"] } });

    expect((await act("accept")).json).toMatchObject({ status: "accepted", allowed_actions: ["start", "cancel"] });
    expect((await act("accept")).status).toBe(409);
    expect((await act("start")).json).toMatchObject({ status: "in_progress" });
    expect((await act("pause")).json).toMatchObject({ status: "paused", allowed_actions: ["start", "cancel"] });
    const resumed = await act("start");
    expect(resumed.json).toMatchObject({ status: "in_progress", paused_at: null });
    const done = await act("complete");
    expect(done.json).toMatchObject({ status: "completed", allowed_actions: [] });
    expect(typeof done.json.completed_at).toBe("string");
    expect((await act("cancel", sm.token)).status).toBe(409);

    const pushed: unknown[] = [];
    for (let i = 0; i < 5; i++) pushed.push((await socket.next("job_update")).data?.status);
    expect(pushed).toEqual(["accepted", "in_progress", "paused", "in_progress", "completed"]);
    // Refused actions push nothing.
    expect(socket.pending().filter((m) => m.type === "job_update")).toEqual([]);
    socket.close();

    const mine = await call("/api/v1/jobs/my-jobs", { token: op.token });
    expect(arr(mine.json.items).map((j) => j.id)).toContain(id);
  });

  it("only the assignee works a job; only those who assign jobs cancel one; others' jobs are 404", async () => {
    const pm = await loginAs("production_manager");
    const [op, other] = [await loginAs("operator"), await loginAs("operator")];
    const { scheduleId } = await makeSchedule(pm.token);
    const job = await call("/api/v1/jobs", { token: pm.token, body: { schedule_id: scheduleId, user_id: op.id } });
    const id = str(job.json.id);

    expect((await call(`/api/v1/jobs/${id}/accept`, { method: "POST", token: other.token })).status).toBe(403);
    expect((await call(`/api/v1/jobs/${id}`, { token: other.token })).status).toBe(404);
    expect((await call(`/api/v1/jobs/${id}`, { token: op.token })).status).toBe(200);
    expect((await call(`/api/v1/jobs/${id}/cancel`, { method: "POST", token: op.token })).status).toBe(403);
    expect((await call("/api/v1/jobs", { token: op.token, body: { schedule_id: scheduleId, user_id: op.id } })).status).toBe(403);
    expect((await call(`/api/v1/jobs/${id}/cancel`, { method: "POST", token: pm.token })).json).toMatchObject({ status: "cancelled" });

    const bad = await call("/api/v1/jobs", { token: pm.token, body: { schedule_id: "nope", user_id: "nobody" } });
    expect(bad.status).toBe(422);
    expect(arr(bad.json.details).map((d) => d.path)).toEqual(["body.schedule_id", "body.user_id"]);
  });
});
