import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { closeLineSockets } from "../../src/modules/production/live";
import { REPLAY_LOG_SIZE } from "../../src/rooms/line-protocol";
import { call, loginAs, str, testDeps, unique } from "../helpers";
import { openSocket, type TestSocket } from "../ws";

const room = (name: string) => env.LINE_ROOM.get(env.LINE_ROOM.idFromName(name));

async function makeLine(token: string) {
  const res = await call("/api/v1/production/lines", { token, body: { line_code: unique("L"), name: "Line", equipment_codes: ["EQ1"] } });
  expect(res.status).toBe(201);
  return str(res.json.id);
}

async function join(path: string, token: string): Promise<TestSocket> {
  const socket = await openSocket(path, { token });
  expect(await socket.next()).toMatchObject({ type: "system_alert", data: { message: "Connected" } });
  return socket;
}

const raise = (token: string, lineId: string, description: string) =>
  call("/api/v1/andon/events", { token, body: { line_id: lineId, event_type: "stop", priority: "low", description } });

describe("WS /ws/ (MS5's floor feed)", () => {
  it("bad token → close 1008; a good one gets the system_alert hello; no line:read → 1008", async () => {
    expect(await (await openSocket("/ws/", { token: "garbage" })).closed()).toEqual({ code: 1008, reason: "Malformed token" });
    expect((await (await openSocket("/ws/")).closed()).code).toBe(1008);
    const noLines = await call("/api/v1/roles", {
      token: (await loginAs("admin")).token,
      body: { role_name: unique("nolines"), permissions: ["andon:read"] },
    });
    expect(noLines.status).toBe(201);
    const outsider = await loginAs(str(noLines.json.role_name ?? noLines.json.name));
    expect(await (await openSocket("/ws/", { token: outsider.token })).closed()).toEqual({ code: 1008, reason: "Permission 'line:read' is required" });
    const op = await loginAs("operator");
    const socket = await join("/ws/", op.token);
    socket.send({ type: "ping" });
    expect(await socket.next()).toEqual({ type: "pong" });
    socket.close();
  });

  it("subscribe → snapshot → that line's events in sequence order, with no cross-talk from another line", async () => {
    const pm = await loginAs("production_manager");
    const [a, b] = [await makeLine(pm.token), await makeLine(pm.token)];
    const before = str((await raise(pm.token, a, "already open")).json.id);

    const socket = await join("/ws/", pm.token);
    socket.send({ type: "subscribe", subscription_type: "line", target_id: a });
    const confirmed = await socket.next("subscription_confirmed");
    expect(confirmed.data).toMatchObject({ subscription_type: "line", target_id: a, resync: "snapshot" });
    const snapshot = confirmed.data?.snapshot?.lines?.[a];
    expect(snapshot?.andons?.[before]).toMatchObject({ id: before, status: "open" });
    expect(snapshot?.line).toMatchObject({ id: a });
    expect(Object.keys(confirmed.data?.snapshot?.lines ?? {})).toEqual([a]);
    const snapSeq = Number(confirmed.data?.seq);

    await raise(pm.token, b, "other line");
    const first = str((await raise(pm.token, a, "one")).json.id);
    await call(`/api/v1/production/lines/${b}`, { method: "PUT", token: pm.token, body: { status: "fault" } });
    await call(`/api/v1/andon/events/${first}/acknowledge`, { method: "PUT", token: pm.token });
    await call(`/api/v1/production/lines/${a}`, { method: "PUT", token: pm.token, body: { status: "running" } });

    const got = [await socket.next(), await socket.next(), await socket.next()];
    expect(got.map((m) => [m.type, m.line_id])).toEqual([
      ["andon_event", a],
      ["andon_event", a],
      ["line_status_update", a],
    ]);
    const seqs = got.map((m) => Number(m.seq));
    expect(seqs[0]).toBeGreaterThan(snapSeq);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    expect(socket.pending().filter((m) => m.line_id === b)).toEqual([]);
    socket.close();
  });

  it("a line's own room (/ws/lines/{id}) numbers its events; a reconnect with last_seq gets exactly what it missed", async () => {
    const pm = await loginAs("production_manager");
    const lineId = await makeLine(pm.token);
    const first = await join(`/ws/lines/${lineId}`, pm.token);
    first.send({ type: "subscribe", subscription_type: "andon" });
    const snap = await first.next("subscription_confirmed");
    await raise(pm.token, lineId, "seen");
    const seen = await first.next("andon_event");
    first.close(); // Wi-Fi drops

    const missedIds = [str((await raise(pm.token, lineId, "missed 1")).json.id), str((await raise(pm.token, lineId, "missed 2")).json.id)];
    await call(`/api/v1/production/lines/${lineId}`, { method: "PUT", token: pm.token, body: { status: "setup" } });

    const again = await join(`/ws/lines/${lineId}`, pm.token);
    again.send({ type: "subscribe", subscription_type: "andon", last_seq: seen.seq });
    expect(await again.next("subscription_confirmed")).toMatchObject({ data: { resync: "replay" } });
    const replayed = [await again.next("andon_event"), await again.next("andon_event")];
    expect(replayed.map((m) => m.data?.id)).toEqual(missedIds);
    expect(replayed.map((m) => m.seq)).toEqual([Number(seen.seq) + 1, Number(seen.seq) + 2]);
    // Only its topics: the line_status_update it also missed is not replayed to an andon subscriber.
    expect(again.pending().filter((m) => m.type === "line_status_update")).toEqual([]);
    expect(Number(snap.data?.seq)).toBeLessThan(Number(seen.seq));
    again.close();
  });

  it("a last_seq older than the replay log gets a fresh snapshot instead", async () => {
    const lineId = await makeLine((await loginAs("production_manager")).token);
    const stub = room(lineId);
    // Creating the line published its status (seq 1); 260 more events follow.
    for (let i = 0; i < REPLAY_LOG_SIZE + 4; i++) await stub.publish({ type: "oee_update", line_id: lineId, data: { oee: (i + 1) / 1000 } });
    const op = await loginAs("operator");
    const socket = await join(`/ws/lines/${lineId}`, op.token);
    socket.send({ type: "subscribe", subscription_type: "oee", target_id: lineId, last_seq: 1 });
    const reply = await socket.next("subscription_confirmed");
    expect(reply.data).toMatchObject({
      resync: "snapshot",
      seq: REPLAY_LOG_SIZE + 5,
      snapshot: { lines: { [lineId]: { oee: { oee: (REPLAY_LOG_SIZE + 4) / 1000 } } } },
    });
    // The log keeps the last REPLAY_LOG_SIZE events: 6…261 here.
    socket.send({ type: "subscribe", subscription_type: "oee", target_id: lineId, last_seq: 4 });
    expect(await socket.next("subscription_confirmed")).toMatchObject({ data: { resync: "snapshot" } });
    socket.send({ type: "subscribe", subscription_type: "oee", target_id: lineId, last_seq: 5 });
    expect(await socket.next("subscription_confirmed")).toMatchObject({ data: { resync: "replay", seq: REPLAY_LOG_SIZE + 5 } });
    const replayed = [];
    for (let i = 0; i < REPLAY_LOG_SIZE; i++) replayed.push((await socket.next("oee_update")).seq);
    expect(replayed).toEqual(Array.from({ length: REPLAY_LOG_SIZE }, (_, i) => i + 6));
    socket.close();
  });

  it("a line that does not exist gets no room: close 1008", async () => {
    const op = await loginAs("operator");
    expect(await (await openSocket(`/ws/lines/${unique("nope")}`, { token: op.token })).closed()).toEqual({ code: 1008, reason: "Unknown production line" });
    expect((await (await openSocket(`/ws/?line_id=${unique("nope")}`, { token: op.token })).closed()).code).toBe(1008);
    // Without an upgrade header: checked like any route (401 anonymous), then the API's 426, never a socket.
    expect((await call(`/ws/lines/${unique("nope")}?token=${op.token}`)).status).toBe(401);
    expect((await call(`/ws/lines/${unique("nope")}`, { token: op.token })).status).toBe(426);
  });

  it("bad frames get error frames and the socket stays open", async () => {
    const op = await loginAs("operator");
    const socket = await join("/ws/", op.token);
    for (const [frame, code] of [
      ["{", "INVALID_JSON"],
      [{ type: "subscribe", subscription_type: "line", last_seq: -1 }, "VALIDATION_ERROR"],
      [{ type: "subscribe", subscription_type: "line", filters: { priority: { nested: true } } }, "VALIDATION_ERROR"],
      [{ type: "publish", data: {} }, "UNKNOWN_TYPE"],
    ] as const) {
      socket.send(frame);
      expect(await socket.next()).toMatchObject({ type: "error", data: { error: code } });
    }
    socket.send({ type: "ping", timestamp: "t" });
    expect(await socket.next()).toMatchObject({ type: "pong" });
    socket.close();
  });

  it("filters narrow a subscription (priority)", async () => {
    const pm = await loginAs("production_manager");
    const lineId = await makeLine(pm.token);
    const socket = await join(`/ws/lines/${lineId}`, pm.token);
    socket.send({ type: "subscribe", subscription_type: "andon", filters: { priority: "critical" } });
    await socket.next("subscription_confirmed");
    await raise(pm.token, lineId, "low one");
    await call("/api/v1/andon/events", { token: pm.token, body: { line_id: lineId, event_type: "safety", priority: "critical", description: "critical one" } });
    expect(await socket.next("andon_event")).toMatchObject({ data: { priority: "critical" } });
    expect(socket.pending().filter((m) => m.type === "andon_event")).toEqual([]);
    socket.close();
  });
});

describe("deactivated users", () => {
  it("disconnectUser closes the user's sockets in the floor room and the line rooms (1008), no one else's", async () => {
    const pm = await loginAs("production_manager");
    const [gone, stays] = [await loginAs("operator"), await loginAs("operator")];
    const lineId = await makeLine(pm.token);
    const floor = await join("/ws/", gone.token);
    const line = await join(`/ws/lines/${lineId}`, gone.token);
    const other = await join(`/ws/lines/${lineId}`, stays.token);
    expect(await closeLineSockets(testDeps(), { userId: gone.id }, "Account deactivated")).toBe(2);
    expect(await floor.closed()).toEqual({ code: 1008, reason: "Account deactivated" });
    expect(await line.closed()).toEqual({ code: 1008, reason: "Account deactivated" });
    other.send({ type: "ping", timestamp: "x" });
    expect(await other.next()).toMatchObject({ type: "pong" });
    other.close();
  });

  it("deactivating a user (PATCH is_active: false) closes their open sockets at once", async () => {
    const admin = await loginAs("admin");
    const gone = await loginAs("operator");
    const floor = await join("/ws/", gone.token);
    const patched = await call("/api/v1/users", { method: "PATCH", token: admin.token, body: { username: gone.username, is_active: false } });
    expect(patched.status).toBe(200);
    expect(await floor.closed()).toEqual({ code: 1008, reason: "Account deactivated" });
  });
});
