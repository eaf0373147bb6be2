/**
 * MS5's andon escalations: the log's derived status through the call's life, acknowledge once
 * (answering the andon too), resolve (resolving the andon), and who may do what.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ErrorSchema } from "../../../src/lib/surface";
import { AndonEscalation } from "../../../src/modules/andon/escalations";
import { AndonEvent } from "../../../src/modules/andon/schemas";
import { arr, call, loginAs, str, unique } from "../../helpers";

type Login = Awaited<ReturnType<typeof loginAs>>;

describe("MS5 andon escalations", () => {
  let pm: Login;
  let op: Login;
  let lineId: string;
  beforeAll(async () => {
    pm = await loginAs("production_manager");
    op = await loginAs("operator");
    const line = await call("/api/v1/production/lines", { token: pm.token, body: { line_code: unique("L"), name: "Esc" } });
    lineId = str(line.json.id);
  });

  const raise = async () => {
    const res = await call("/api/v1/andon/events", {
      token: op.token,
      body: { line_id: lineId, event_type: "stop", priority: "critical", description: "Down" },
    });
    expect(res.status).toBe(201);
    return str(res.json.id);
  };
  const escalate = async (andon: string, level: number) => {
    const res = await call(`/api/v1/andon/events/${andon}/escalate`, { token: pm.token, body: { escalation_level: level } });
    expect(res.status).toBe(200);
  };
  const escalationsOf = async (andon: string) => {
    const res = await call(`/api/v1/andon/escalations?event_id=${andon}`, { token: op.token });
    expect(res.status).toBe(200);
    return arr(res.json).map((j) => AndonEscalation.parse(j));
  };

  it("a lower level reads escalated once the call climbs; the top one is active", async () => {
    const andon = await raise();
    await escalate(andon, 1);
    await escalate(andon, 2);
    const list = await escalationsOf(andon);
    expect(list.map((e) => [e.level, e.status])).toEqual([
      [2, "active"],
      [1, "escalated"],
    ]);
    const escalatedOnly = await call(`/api/v1/andon/escalations?event_id=${andon}&status=escalated`, { token: op.token });
    expect(arr(escalatedOnly.json).map((e) => e.level)).toEqual([1]);
  });

  it("acknowledge answers the andon too, once; a second acknowledge is 409 and changes nothing", async () => {
    const andon = await raise();
    await escalate(andon, 1);
    const [esc] = await escalationsOf(andon);
    if (!esc) throw new Error("no escalation");
    const ack = await call(`/api/v1/andon/escalations/${esc.id}/acknowledge`, { method: "POST", token: pm.token, schema: AndonEscalation });
    expect(ack.status).toBe(200);
    expect(ack.json).toMatchObject({ status: "acknowledged", acknowledgedBy: pm.id });
    const event = await call(`/api/v1/andon/events/${andon}`, { token: pm.token, schema: AndonEvent });
    expect(event.json).toMatchObject({ status: "acknowledged", acknowledged_by: pm.id });
    const other = await loginAs("shift_manager");
    const again = await call(`/api/v1/andon/escalations/${esc.id}/acknowledge`, { method: "POST", token: other.token, schema: ErrorSchema });
    expect(again.status).toBe(409);
    const still = await call(`/api/v1/andon/escalations/${esc.id}`, { token: pm.token, schema: AndonEscalation });
    expect(still.json).toMatchObject({ acknowledgedBy: pm.id, acknowledgedAt: ack.json.acknowledgedAt });
  });

  it("resolve resolves the andon with the notes; every escalation of it reads resolved; again is 409", async () => {
    const andon = await raise();
    await escalate(andon, 1);
    await escalate(andon, 2);
    const [top] = await escalationsOf(andon);
    if (!top) throw new Error("no escalation");
    const done = await call(`/api/v1/andon/escalations/${top.id}/resolve`, { token: pm.token, body: { resolution_notes: "Reset" }, schema: AndonEscalation });
    expect(done.status).toBe(200);
    expect(done.json).toMatchObject({ status: "resolved", resolvedBy: pm.id, notes: "Reset" });
    expect((await escalationsOf(andon)).map((e) => e.status)).toEqual(["resolved", "resolved"]);
    const again = await call(`/api/v1/andon/escalations/${top.id}/resolve`, { token: pm.token, body: { resolution_notes: "x" }, schema: ErrorSchema });
    expect(again.status).toBe(409);
    const ack = await call(`/api/v1/andon/escalations/${top.id}/acknowledge`, { method: "POST", token: pm.token, schema: ErrorSchema });
    expect(ack.status).toBe(409);
  });

  it("an operator reads escalations but may not acknowledge or resolve them; unknown ids are 404", async () => {
    const andon = await raise();
    await escalate(andon, 1);
    const [esc] = await escalationsOf(andon);
    if (!esc) throw new Error("no escalation");
    expect((await call(`/api/v1/andon/escalations/${esc.id}/acknowledge`, { method: "POST", token: op.token })).status).toBe(403);
    expect((await call(`/api/v1/andon/escalations/${esc.id}/resolve`, { token: op.token, body: { resolution_notes: "x" } })).status).toBe(403);
    expect((await escalationsOf(andon))[0]?.status).toBe("active");
    expect((await call(`/api/v1/andon/escalations/${crypto.randomUUID()}`, { token: op.token })).status).toBe(404);
    expect((await call(`/api/v1/andon/escalations/${crypto.randomUUID()}/acknowledge`, { method: "POST", token: pm.token })).status).toBe(404);
  });
});
