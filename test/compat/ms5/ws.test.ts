/**
 * MS5's tablet client on Floorline's line rooms (issue 17, WebSocket part): its protocol
 * (`frontend/src/services/websocketService.ts` at aeb8b7a) — `{type:"subscribe", data:{event}}`,
 * `unsubscribe`, `heartbeat` — beside the seed's `subscription_type`, on the same rooms and
 * under the same per-topic permissions.
 */
import { describe, expect, it } from "vitest";
import { MESSAGE_BURST } from "../../../src/rooms/budget";
import { call, loginAs, str, unique } from "../../helpers";
import { makeSchedule } from "../../production/fixtures";
import { openSocket, type TestSocket, type WsMessage } from "../../ws";

/** The URL the client builds: REACT_APP_WS_URL (here with the token) + `compression`. */
const CLIENT_URL = "/ws?compression=permessage-deflate";

const at = () => new Date().toISOString();
/** The client's messages, as websocketService.ts sends them. */
const subscribe = (event: string, extra: Record<string, unknown> = {}) => ({ type: "subscribe", data: { event, ...extra }, timestamp: at() });
const unsubscribe = (event: string) => ({ type: "unsubscribe", data: { event }, timestamp: at() });
const heartbeat = () => ({
  type: "heartbeat",
  data: { timestamp: at(), messageCount: 3, errorCount: 0, uptime: 1234 },
  timestamp: at(),
});

async function join(token: string, path = CLIENT_URL): Promise<TestSocket> {
  const socket = await openSocket(path, { token });
  expect(await socket.next()).toMatchObject({ type: "system_alert", data: { message: "Connected" } });
  return socket;
}

async function makeLine(token: string) {
  const res = await call("/api/v1/production/lines", { token, body: { line_code: unique("L"), name: "Line", equipment_codes: ["EQ1"] } });
  expect(res.status).toBe(201);
  return str(res.json.id);
}

const raise = async (token: string, lineId: string, description: string) => {
  const res = await call("/api/v1/andon/events", { token, body: { line_id: lineId, event_type: "stop", priority: "high", description } });
  expect(res.status).toBe(201);
  return str(res.json.id);
};
const acknowledge = async (token: string, id: string) =>
  expect((await call(`/api/v1/andon/events/${id}/acknowledge`, { method: "PUT", token })).status).toBe(200);
const resolve = async (token: string, id: string) =>
  expect((await call(`/api/v1/andon/events/${id}/resolve`, { method: "PUT", token, body: { resolution_notes: "fixed" } })).status).toBe(200);
const setStatus = async (token: string, lineId: string, status: string) =>
  expect((await call(`/api/v1/production/lines/${lineId}`, { method: "PUT", token, body: { status } })).status).toBe(200);

/** Subscribes to each name and waits for its confirmation. */
async function subscribeAll(socket: TestSocket, events: string[]): Promise<WsMessage[]> {
  const replies: WsMessage[] = [];
  for (const event of events) {
    socket.send(subscribe(event));
    replies.push(await socket.next((m) => m.type === "subscription_confirmed" && String(m.data?.event) === event));
  }
  return replies;
}

/** A custom role with exactly `permissions`, and a signed-in user holding it. */
async function userWith(permissions: string[]) {
  const admin = await loginAs("admin");
  const role = unique("r");
  expect((await call("/api/v1/roles", { token: admin.token, body: { role_name: role, permissions } })).status).toBe(201);
  return loginAs(role);
}

const ANDON_NAMES = ["andon_event_created", "andon_event_updated", "andon_event_resolved"];

describe("MS5 tablet client over WebSocket", () => {
  it("the client's URL without a token is refused (1008), as its own backend refused it; with ?token= it is greeted", async () => {
    expect(await (await openSocket(CLIENT_URL)).closed()).toEqual({ code: 1008, reason: expect.any(String) });
    expect((await (await openSocket(CLIENT_URL, { token: "not-a-jwt" })).closed()).code).toBe(1008);
    const socket = await join((await loginAs("operator")).token);
    socket.close();
  });

  it("heartbeat is answered with a heartbeat (server time, connection id, last seq)", async () => {
    const socket = await join((await loginAs("operator")).token);
    socket.send(heartbeat());
    const reply = await socket.next();
    expect(reply).toMatchObject({ type: "heartbeat", data: { connection_id: expect.any(String), last_seq: expect.any(Number) } });
    expect(Number.isNaN(Date.parse(str(reply.data?.server_time)))).toBe(false);
    socket.close();
  });

  it("andon created → acknowledged → resolved arrive under the client's names, with seq, only as subscribed", async () => {
    const pm = await loginAs("production_manager");
    const lineId = await makeLine(pm.token);
    const socket = await join(pm.token);
    const confirmations = await subscribeAll(socket, [...ANDON_NAMES, "andon_event_acknowledged"]);
    for (const c of confirmations) expect(c.data).toMatchObject({ resync: "none", seq: expect.any(Number) });

    const id = await raise(pm.token, lineId, "jam at filler");
    await acknowledge(pm.token, id);
    await setStatus(pm.token, lineId, "fault");
    await resolve(pm.token, id);

    const created = await socket.next("andon_event_created");
    expect(created).toMatchObject({ line_id: lineId, data: { id, line_id: lineId, status: "open", priority: "high", action: "created" } });
    const updated = await socket.next("andon_event_updated");
    const acknowledged = await socket.next("andon_event_acknowledged");
    expect(updated).toMatchObject({ data: { id, status: "acknowledged" } });
    // One event, two names: the same seq and data.
    expect(acknowledged.seq).toBe(updated.seq);
    expect(acknowledged.data).toEqual(updated.data);
    const resolved = await socket.next("andon_event_resolved");
    expect(resolved).toMatchObject({ data: { id, status: "resolved", resolution_notes: "fixed" } });

    const seqs = [created, updated, resolved].map((m) => Number(m.seq));
    expect(seqs[0]).toBeGreaterThan(Number(confirmations[0]?.data?.seq));
    // The line status went between acknowledge and resolve: a gap the client did not subscribe to.
    expect(seqs[2]).toBe(Number(seqs[1]) + 2);
    // Nothing else: not the seed's `andon_event`, not the line status.
    expect(socket.pending()).toEqual([]);
    socket.close();
  });

  it("the seed's protocol and the client's share a room: the same event, the same seq, each under its own name", async () => {
    const pm = await loginAs("production_manager");
    const lineId = await makeLine(pm.token);
    const [seed, client, plain] = [await join(pm.token, "/ws/"), await join(pm.token), await join(pm.token, `/ws/lines/${lineId}`)];
    seed.send({ type: "subscribe", subscription_type: "andon" });
    await seed.next("subscription_confirmed");
    await subscribeAll(client, ["andon_event_created", "andon_event"]);
    const id = await raise(pm.token, lineId, "shared");
    const [bySeed, byName, generic, byPlain] = [
      await seed.next("andon_event"),
      await client.next("andon_event_created"),
      await client.next("andon_event"),
      await plain.next("andon_event"),
    ];
    expect(bySeed.data?.id).toBe(id);
    expect(byName.seq).toBe(bySeed.seq);
    expect(generic.seq).toBe(bySeed.seq);
    // A socket that never subscribed still gets everything under the seed's names only.
    expect(byPlain.data?.id).toBe(id);
    expect(plain.pending().filter((m) => m.type === "andon_event_created")).toEqual([]);
    for (const s of [seed, client, plain]) s.close();
  });

  it("unsubscribe stops delivery of that name and no other", async () => {
    const pm = await loginAs("production_manager");
    const lineId = await makeLine(pm.token);
    const socket = await join(pm.token);
    await subscribeAll(socket, ["andon_event_created", "line_status_update"]);
    socket.send(unsubscribe("andon_event_created"));
    expect(await socket.next("unsubscription_confirmed")).toMatchObject({ data: { event: "andon_event_created" } });

    await raise(pm.token, lineId, "after unsubscribe");
    await setStatus(pm.token, lineId, "fault");
    // The line status follows the andon: had the andon been delivered, it would be buffered first.
    expect(await socket.next()).toMatchObject({ type: "line_status_update", data: { status: "fault" } });
    expect(socket.pending()).toEqual([]);
    socket.close();
  });

  it("a role without andon:read cannot subscribe to andon names and gets no andon event under any name", async () => {
    const pm = await loginAs("production_manager");
    const lineId = await makeLine(pm.token);
    const reader = await userWith(["line:read"]);
    expect((await call("/api/v1/andon/events", { token: reader.token })).status).toBe(403);
    const socket = await join(reader.token);
    for (const event of [...ANDON_NAMES, "andon_event", "andon_escalation_triggered", "escalation_event"]) {
      socket.send(subscribe(event));
      expect(await socket.next("error")).toMatchObject({
        data: { error: "AUTHORIZATION_ERROR", message: `Permission 'andon:read' is required for '${event}' events` },
      });
    }
    await subscribeAll(socket, ["line_status_update"]);
    const id = await raise(pm.token, lineId, "not for you");
    await acknowledge(pm.token, id);
    await setStatus(pm.token, lineId, "fault");
    expect(await socket.next()).toMatchObject({ type: "line_status_update", data: { status: "fault" } });
    expect(socket.pending()).toEqual([]);
    socket.close();
  });

  it("job names follow the jobs' read rule: an operator gets job_assigned and job_started for their own job only", async () => {
    const pm = await loginAs("production_manager");
    const { scheduleId } = await makeSchedule(pm.token);
    const [mine, theirs] = [await loginAs("operator"), await loginAs("operator")];
    const assign = async (userId: string) => {
      const res = await call("/api/v1/jobs", { token: pm.token, body: { schedule_id: scheduleId, user_id: userId } });
      expect(res.status).toBe(201);
      return str(res.json.id);
    };
    const socket = await join(mine.token);
    await subscribeAll(socket, ["job_assigned", "job_started"]);
    const other = await assign(theirs.id);
    const own = await assign(mine.id);
    expect(await socket.next()).toMatchObject({ type: "job_assigned", data: { id: own, user_id: mine.id } });
    for (const [who, id] of [
      [theirs, other],
      [mine, own],
    ] as const) {
      for (const step of ["accept", "start"]) expect((await call(`/api/v1/jobs/${id}/${step}`, { method: "POST", token: who.token })).status).toBe(200);
    }
    // The other operator's job started first: had it been delivered, it would come first.
    expect(await socket.next()).toMatchObject({ type: "job_started", data: { id: own, status: "in_progress" } });
    expect(socket.pending()).toEqual([]);
    socket.close();
  });

  it("after a reconnect, last_seq replays the missed events of that name with their seq; too old a last_seq gets a snapshot", async () => {
    const pm = await loginAs("production_manager");
    const lineId = await makeLine(pm.token);
    const first = await join(pm.token);
    await subscribeAll(first, ["andon_event_created"]);
    await raise(pm.token, lineId, "seen");
    const seen = await first.next("andon_event_created");
    first.close(); // Wi-Fi drops

    const missed = [await raise(pm.token, lineId, "missed 1"), await raise(pm.token, lineId, "missed 2")];
    await acknowledge(pm.token, str(missed[0]));

    const again = await join(pm.token);
    again.send(subscribe("andon_event_created", { last_seq: seen.seq }));
    const confirmed = await again.next("subscription_confirmed");
    expect(confirmed.data).toMatchObject({ event: "andon_event_created", resync: "replay" });
    const replayed = [await again.next("andon_event_created"), await again.next("andon_event_created")];
    expect(replayed.map((m) => m.data?.id)).toEqual(missed);
    expect(replayed.map((m) => m.seq)).toEqual([Number(seen.seq) + 1, Number(seen.seq) + 2]);
    // Only that name: the acknowledgement it also missed is not replayed as a creation.
    expect(again.pending()).toEqual([]);

    // A last_seq the room never reached (e.g. from before a reset) cannot be replayed: a snapshot of what it may read.
    again.send(subscribe("andon_event_created", { last_seq: Number(confirmed.data?.seq) + 1000 }));
    const snap = await again.next("subscription_confirmed");
    expect(snap.data).toMatchObject({ event: "andon_event_created", resync: "snapshot", seq: confirmed.data?.seq });
    expect(snap.data?.snapshot?.lines?.[lineId]?.andons?.[str(missed[1])]).toMatchObject({ status: "open" });
    again.close();
  });

  it("bad subscriptions get an error and the socket stays open; every message counts against the budget", async () => {
    const socket = await join((await loginAs("operator")).token);
    socket.send(subscribe("quality_alert_triggered"));
    expect(await socket.next("error")).toMatchObject({
      data: { error: "VALIDATION_ERROR", details: [{ path: "data.event", message: expect.stringContaining("Not an event") }] },
    });
    socket.send(subscribe("x".repeat(65)));
    expect(await socket.next("error")).toMatchObject({ data: { error: "VALIDATION_ERROR", message: expect.stringContaining("data.event Too big") } });
    socket.send({ type: "subscribe", data: {} });
    expect(await socket.next("error")).toMatchObject({ data: { error: "VALIDATION_ERROR", details: [{ path: "data.event" }] } });
    // The seed's shape is judged as the seed's: its own field named.
    socket.send({ type: "subscribe", subscription_type: "quality" });
    expect(await socket.next("error")).toMatchObject({ data: { error: "VALIDATION_ERROR", details: [{ path: "subscription_type" }] } });
    socket.send({ type: "request_data", data_type: "oee" });
    expect(await socket.next("error")).toMatchObject({ data: { error: "UNKNOWN_TYPE" } });
    socket.send(heartbeat());
    expect(await socket.next("heartbeat")).toMatchObject({ type: "heartbeat" });

    for (let i = 0; i < MESSAGE_BURST * 2; i++) socket.send(heartbeat());
    expect(await socket.closed()).toEqual({ code: 1008, reason: "Message rate exceeded" });
  });
});
