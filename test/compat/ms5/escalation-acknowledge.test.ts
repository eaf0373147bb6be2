/**
 * MS5's escalation acknowledge writes the escalation and its andon together (review finding: the
 * two writes used to be separate, so a failure between them left the escalation answered, the
 * andon open and every retry a 409). A row left half-written is finished by the client's retry.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { ErrorSchema } from "../../../src/lib/surface";
import { AndonEscalation } from "../../../src/modules/andon/escalations";
import { AndonEvent } from "../../../src/modules/andon/schemas";
import { arr, call, loginAs, str, unique } from "../../helpers";
import { openSocket } from "../../ws";

type Login = Awaited<ReturnType<typeof loginAs>>;

const room = (lineId: string) => env.LINE_ROOM.get(env.LINE_ROOM.idFromName(lineId));

describe("MS5 escalation acknowledge: both writes or neither", () => {
  let pm: Login;
  let sm: Login;
  let op: Login;
  let lineId: string;
  beforeAll(async () => {
    pm = await loginAs("production_manager");
    sm = await loginAs("shift_manager");
    op = await loginAs("operator");
    const line = await call("/api/v1/production/lines", { token: pm.token, body: { line_code: unique("L"), name: "Esc" } });
    lineId = str(line.json.id);
  });

  /** An andon escalated to level 1 (status `escalated`) and its level-1 escalation. */
  const escalated = async () => {
    const raised = await call("/api/v1/andon/events", {
      token: op.token,
      body: { line_id: lineId, event_type: "stop", priority: "critical", description: "Down" },
    });
    expect(raised.status).toBe(201);
    const andon = str(raised.json.id);
    expect((await call(`/api/v1/andon/events/${andon}/escalate`, { token: pm.token, body: { escalation_level: 1 } })).status).toBe(200);
    const list = await call(`/api/v1/andon/escalations?event_id=${andon}`, { token: op.token });
    const [esc] = arr(list.json).map((j) => AndonEscalation.parse(j));
    if (!esc) throw new Error("no escalation");
    return { andon, esc };
  };
  const andonOf = async (id: string) => (await call(`/api/v1/andon/events/${id}`, { token: pm.token, schema: AndonEvent })).json;

  it("a retry on a half-written acknowledge finishes the andon, tells the line and answers as the first success", async () => {
    const { andon, esc } = await escalated();
    // The state the old two-write code left when its second write failed.
    const at = "2026-01-02T03:04:05.678Z";
    await env.DB.prepare("update andon_escalations set acknowledged_by = ?, acknowledged_at = ? where id = ?").bind(sm.id, at, esc.id).run();
    expect(await andonOf(andon)).toMatchObject({ status: "escalated", acknowledged_at: null });
    expect((await room(lineId).andonTimers()).find((t) => t.id === andon)?.acknowledgeDeadline).not.toBeNull();

    const socket = await openSocket(`/ws/lines/${lineId}`, { token: op.token });
    await socket.next("system_alert");
    // The client's retry (another manager's, even): POST, no body.
    const retry = await call(`/api/v1/andon/escalations/${esc.id}/acknowledge`, { method: "POST", token: pm.token, schema: AndonEscalation });
    expect(retry.status).toBe(200);
    expect(retry.json).toMatchObject({ id: esc.id, status: "acknowledged", acknowledgedBy: sm.id, acknowledged_by: sm.id, acknowledgedAt: at });
    // The andon takes the escalation's answer (who and when), as the one batch would have written it.
    expect(await andonOf(andon)).toMatchObject({ status: "acknowledged", acknowledged_by: sm.id, acknowledged_at: at });
    expect(await socket.next("andon_event")).toMatchObject({ line_id: lineId, data: { id: andon, status: "acknowledged", action: "acknowledged" } });
    expect((await room(lineId).andonTimers()).find((t) => t.id === andon)).toMatchObject({ acknowledgeDeadline: null });
    socket.close();

    // Now both are written: a further retry is the ordinary 409 and changes nothing.
    const again = await call(`/api/v1/andon/escalations/${esc.id}/acknowledge`, { method: "POST", token: pm.token, schema: ErrorSchema });
    expect(again.status).toBe(409);
    expect(await andonOf(andon)).toMatchObject({ status: "acknowledged", acknowledged_by: sm.id, acknowledged_at: at });
  });

  it("the escalation and its andon are written in one transaction: a failing andon write leaves neither, and the retry writes both", async () => {
    const { andon, esc } = await escalated();
    // Make the andon's write fail (what a crash between two statements would be).
    const trigger = `fail_andon_${crypto.randomUUID().replaceAll("-", "")}`;
    await env.DB.prepare(
      `create trigger ${trigger} before update on andon_events when old.id = '${andon}' begin select raise(abort, 'injected failure'); end`,
    ).run();
    try {
      const failed = await call(`/api/v1/andon/escalations/${esc.id}/acknowledge`, { method: "POST", token: pm.token });
      expect(failed.status).toBe(500);
    } finally {
      await env.DB.prepare(`drop trigger ${trigger}`).run();
    }
    const after = await call(`/api/v1/andon/escalations/${esc.id}`, { token: pm.token, schema: AndonEscalation });
    expect(after.json).toMatchObject({ status: "active", acknowledgedAt: null });
    expect(await andonOf(andon)).toMatchObject({ status: "escalated", acknowledged_at: null });

    const ack = await call(`/api/v1/andon/escalations/${esc.id}/acknowledge`, { method: "POST", token: pm.token, schema: AndonEscalation });
    expect(ack.status).toBe(200);
    expect(ack.json).toMatchObject({ status: "acknowledged", acknowledgedBy: pm.id });
    expect(await andonOf(andon)).toMatchObject({ status: "acknowledged", acknowledged_by: pm.id, acknowledged_at: ack.json.acknowledgedAt });
  });

  it("an andon someone answered first keeps its answer; the escalation's acknowledge still succeeds once", async () => {
    const { andon, esc } = await escalated();
    expect((await call(`/api/v1/andon/events/${andon}/acknowledge`, { method: "PUT", token: sm.token })).status).toBe(200);
    const ack = await call(`/api/v1/andon/escalations/${esc.id}/acknowledge`, { method: "POST", token: pm.token, schema: AndonEscalation });
    expect(ack.status).toBe(200);
    expect(ack.json).toMatchObject({ status: "acknowledged", acknowledgedBy: pm.id });
    expect(await andonOf(andon)).toMatchObject({ status: "acknowledged", acknowledged_by: sm.id });
    expect((await call(`/api/v1/andon/escalations/${esc.id}/acknowledge`, { method: "POST", token: pm.token })).status).toBe(409);
  });
});
