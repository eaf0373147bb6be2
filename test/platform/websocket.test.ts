import { createExecutionContext, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { signAccessToken } from "../../src/lib/auth";
import { connectToRoom } from "../../src/lib/rooms";
import { route } from "../../src/lib/route";
import { encodeRoomConnect, MAX_CLIENT_MESSAGE_BYTES, PING, PONG } from "../../src/rooms/messages";
import { call, loginAs, testDeps, unique } from "../helpers";
import { eventually, type Fetch, openSocket, type TestSocket } from "../ws";

// Upgrade routes as a domain declares them: their permission (and tab) and `upgrade: true`;
// route() authenticates ?token= on an upgrade and closes a refusal with 1008.
const app = createApp({
  extend: (a) => {
    a.get("/api/v1/test-rooms/line/:lineId/ws", route({ access: "line:read", upgrade: true, summary: "Line room (test)", tags: ["test"] }), (c) =>
      connectToRoom(c, c.var.deps.rooms.line, c.req.param("lineId")),
    );
    a.get(
      "/api/v1/test-rooms/inventory/:name/ws",
      route({ access: "inventory:read", tab: "inventory", upgrade: true, summary: "Inventory room (test)", tags: ["test"] }),
      (c) => connectToRoom(c, c.var.deps.rooms.inventory, c.req.param("name")),
    );
  },
});
const fetchApp: Fetch = async (req) => app.fetch(req, env, createExecutionContext());

const lineRoom = (lineId: string) => env.LINE_ROOM.get(env.LINE_ROOM.idFromName(lineId));
const inventoryRoom = (name: string) => env.INVENTORY_ROOM.get(env.INVENTORY_ROOM.idFromName(name));
const openLine = (lineId: string, token?: string, headers?: Record<string, string>) =>
  openSocket(`/api/v1/test-rooms/line/${lineId}/ws`, { fetch: fetchApp, ...(token === undefined ? {} : { token }), ...(headers ? { headers } : {}) });
const openInventory = (name: string, token: string) => openSocket(`/api/v1/test-rooms/inventory/${name}/ws`, { fetch: fetchApp, token });

/** Opens a line socket and takes its welcome. */
async function joinLine(lineId: string, token: string): Promise<TestSocket> {
  const socket = await openLine(lineId, token);
  await socket.next("system_alert");
  return socket;
}

describe("connectToRoom: the upgrade", () => {
  it("a good token connects: welcome (system_alert), ping → pong, and the room knows the user", async () => {
    const user = await loginAs("operator");
    const lineId = unique("line");
    const socket = await openLine(lineId, user.token);
    const welcome = await socket.next();
    expect(welcome).toMatchObject({
      type: "system_alert",
      data: { message: "Connected", room: lineId, user: { id: user.id, username: user.username, role: "operator" }, last_seq: 0 },
    });
    expect(typeof welcome.timestamp).toBe("string");

    socket.send({ type: "ping", timestamp: new Date().toISOString() });
    expect(await socket.next()).toMatchObject({ type: "pong" });

    const [conn, ...others] = await lineRoom(lineId).connections();
    expect(others).toEqual([]);
    expect(conn).toMatchObject({ userId: user.id, username: user.username, role: "operator" });
    expect(await lineRoom(lineId).ping()).toEqual({ ok: true, sockets: 1 });
    socket.close();
  });

  it('{"type":"ping"} is answered by the runtime\'s auto-response, without waking the room', async () => {
    const user = await loginAs("operator");
    const lineId = unique("line");
    const socket = await joinLine(lineId, user.token);
    socket.send(PING);
    const pong = await socket.next();
    expect(pong).toEqual(JSON.parse(PONG));
    const answeredAt = await runInDurableObject(lineRoom(lineId), (_room, state) => {
      const [ws] = state.getWebSockets();
      return ws ? state.getWebSocketAutoResponseTimestamp(ws) : null;
    });
    expect(answeredAt).toBeInstanceOf(Date);
    socket.close();
  });

  it.each([
    ["missing", undefined, "Authentication required"],
    ["garbage", "not-a-token", "Malformed token"],
    ["forged", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl", "Invalid token"],
  ])("a %s token is refused with close 1008, not an HTTP error", async (_what, token, reason) => {
    const socket = await openLine(unique("line"), token);
    expect(await socket.closed()).toEqual({ code: 1008, reason });
  });

  it("an expired token, or one whose session was logged out, is refused with close 1008", async () => {
    const user = await loginAs("operator");
    const { config } = testDeps();
    const { token: expired } = await signAccessToken(
      config,
      { sub: user.id, sid: "gone", username: user.username, role: "operator" },
      new Date(Date.now() - 3 * 3600_000),
    );
    const lineId = unique("line");
    expect(await (await openLine(lineId, expired)).closed()).toEqual({ code: 1008, reason: "Token has expired" });

    expect((await call("/api/v1/auth/logout", { method: "POST", token: user.token })).status).toBeLessThan(300);
    expect((await (await openLine(lineId, user.token)).closed()).code).toBe(1008);
    expect(await lineRoom(lineId).connections()).toEqual([]);
  });

  it("a user without the room's permission or tab is refused with close 1008", async () => {
    const noPermission = await loginAs("maintenance", { allowed_tabs: ["inventory"] });
    const refused = await openInventory(unique("inv"), noPermission.token);
    expect(await refused.closed()).toEqual({ code: 1008, reason: "Permission 'inventory:read' is required" });

    const noTab = await loginAs("operator", { allowed_tabs: ["labels"] });
    expect(await (await openInventory(unique("inv"), noTab.token)).closed()).toEqual({ code: 1008, reason: "The 'inventory' tab is required" });
  });

  it("a request without Upgrade: websocket is checked like any route (401 anonymous), then gets a 426 in the API's error shape", async () => {
    const user = await loginAs("operator");
    expect((await fetchApp(new Request(`http://localhost/api/v1/test-rooms/line/x/ws?token=${user.token}`))).status).toBe(401);
    const res = await fetchApp(new Request("http://localhost/api/v1/test-rooms/line/x/ws", { headers: { authorization: `Bearer ${user.token}` } }));
    expect(res.status).toBe(426);
    expect(await res.json()).toMatchObject({ error: "BAD_REQUEST", message: "This endpoint expects a WebSocket upgrade" });
  });

  it("nothing the client sends can set the identity: x-floorline-user and a forged connect header are ignored", async () => {
    const operator = await loginAs("operator");
    const admin = await loginAs("admin");
    const lineId = unique("line");
    const forged = encodeRoomConnect({
      room: lineId,
      principal: { userId: admin.id, username: admin.username, role: "admin", tabs: [], permissions: ["*"] },
    });
    const socket = await openLine(lineId, operator.token, { "x-floorline-user": admin.id, "x-floorline-room-connect": forged });
    expect(await socket.next("system_alert")).toMatchObject({ data: { user: { id: operator.id, role: "operator" } } });
    expect((await lineRoom(lineId).connections()).map((c) => [c.userId, c.role])).toEqual([[operator.id, "operator"]]);
    socket.close();
  });

  it("a room refuses any request but the internal connect", async () => {
    const stub = lineRoom(unique("line"));
    expect((await stub.fetch("http://room/")).status).toBe(426);
    expect((await stub.fetch("http://room/", { headers: { upgrade: "websocket" } })).status).toBe(400);
    expect((await stub.fetch("http://room/", { headers: { upgrade: "websocket", "x-floorline-room-connect": "%7B%22room%22%3A1%7D" } })).status).toBe(400);
    expect(await stub.connections()).toEqual([]);
  });
});

describe("Room: client messages", () => {
  it("invalid JSON, unknown types, bad fields and oversize messages get an error message; the socket stays open", async () => {
    const user = await loginAs("operator");
    const socket = await joinLine(unique("line"), user.token);

    const cases: [unknown, string][] = [
      ["not json", "INVALID_JSON"],
      [[1, 2], "INVALID_MESSAGE"],
      [{ data: {} }, "INVALID_MESSAGE"],
      [{ type: "x".repeat(65) }, "INVALID_MESSAGE"],
      [{ type: "launch_missiles" }, "UNKNOWN_TYPE"],
      [{ type: "toString" }, "UNKNOWN_TYPE"],
      [{ type: "subscribe", subscription_type: "weather" }, "VALIDATION_ERROR"],
      [{ type: "subscribe", subscription_type: "line", target_id: "t".repeat(65) }, "VALIDATION_ERROR"],
      [JSON.stringify({ type: "subscribe", subscription_type: "line", pad: "x".repeat(MAX_CLIENT_MESSAGE_BYTES) }), "MESSAGE_TOO_LARGE"],
      [new Uint8Array([0xff, 0xfe, 0x00]), "INVALID_MESSAGE"],
    ];
    for (const [message, code] of cases) {
      socket.send(message);
      const reply = await socket.next();
      expect(reply, `reply to ${String(message).slice(0, 40)}`).toMatchObject({ type: "error", data: { error: code } });
      expect(typeof reply.data?.message).toBe("string");
    }
    socket.send({ type: "subscribe", subscription_type: "weather" });
    expect(await socket.next()).toMatchObject({ data: { details: [{ path: "subscription_type" }] } });

    socket.send({ type: "ping", timestamp: "still-here" });
    expect(await socket.next()).toMatchObject({ type: "pong" });
  });

  it("a valid message reaches the room's handler (MS5 subscribe → subscription_confirmed)", async () => {
    const user = await loginAs("operator");
    const socket = await joinLine(unique("line"), user.token);
    socket.send({ type: "subscribe", subscription_type: "andon", target_id: "L-BAG1", filters: { priority: "high" } });
    expect(await socket.next()).toMatchObject({ type: "subscription_confirmed", data: { subscription_type: "andon", target_id: "L-BAG1" } });
    socket.send({ type: "unsubscribe", subscription_type: "andon", target_id: "L-BAG1" });
    expect(await socket.next()).toMatchObject({ type: "unsubscription_confirmed" });
    socket.close();
  });
});

describe("Room: server events", () => {
  it("publish reaches every socket in the room with increasing sequence numbers", async () => {
    const [a, b] = [await loginAs("operator"), await loginAs("viewer")];
    const lineId = unique("line");
    const [sa, sb] = [await joinLine(lineId, a.token), await joinLine(lineId, b.token)];
    const stub = lineRoom(lineId);

    const first = await stub.publish({ type: "andon_event", line_id: lineId, data: { id: "e1", priority: "high" } });
    const second = await stub.publish({ type: "oee_update", line_id: lineId, data: { oee: 0.81 } });
    expect(first.delivered).toBe(2);
    expect(second.seq).toBeGreaterThan(first.seq);

    for (const socket of [sa, sb]) {
      const e1 = await socket.next("andon_event");
      const e2 = await socket.next("oee_update");
      expect(e1).toMatchObject({ line_id: lineId, data: { id: "e1" }, seq: first.seq });
      expect(e2).toMatchObject({ data: { oee: 0.81 }, seq: second.seq });
      expect(typeof e1.timestamp).toBe("string");
    }
    // Another room keeps its own sequence.
    expect((await lineRoom(unique("line")).publish({ type: "job_update", line_id: "x", data: {} })).seq).toBe(1);
    sa.close();
    sb.close();
  });

  it("a subscribed socket gets only its topics; state and sequence survive eviction (hibernation)", async () => {
    const user = await loginAs("operator");
    const lineId = unique("line");
    const stub = lineRoom(lineId);
    const all = await joinLine(lineId, user.token);
    const andonOnly = await joinLine(lineId, user.token);
    andonOnly.send({ type: "subscribe", subscription_type: "andon" });
    await andonOnly.next("subscription_confirmed");

    const before = await stub.publish({ type: "oee_update", line_id: lineId, data: { oee: 0.5 } });
    expect(before.delivered).toBe(1);
    await evictDurableObject(stub);

    // The constructor runs again: identity and subscriptions come back from the attachments,
    // the sequence from storage.
    expect((await stub.connections()).map((c) => c.userId)).toEqual([user.id, user.id]);
    const after = await stub.publish({ type: "andon_event", line_id: lineId, data: { id: "e2" } });
    expect(after).toEqual({ seq: before.seq + 1, delivered: 2 });
    const oee = await stub.publish({ type: "oee_update", line_id: lineId, data: { oee: 0.6 } });
    expect(oee.delivered).toBe(1);

    expect(await andonOnly.next("andon_event")).toMatchObject({ seq: after.seq });
    expect(await all.next("oee_update")).toMatchObject({ seq: before.seq });
    expect(await all.next("andon_event")).toMatchObject({ seq: after.seq });
    expect(await all.next("oee_update")).toMatchObject({ seq: oee.seq });
    expect(andonOnly.pending().filter((m) => m.type === "oee_update")).toEqual([]);
    all.close();
    andonOnly.close();
  });
});

describe("Room: presence (inventory)", () => {
  it("joins and leaves are announced, cursors reach the others, a closed socket is cleaned up", async () => {
    const tabs = { allowed_tabs: ["inventory"] };
    const [a, b] = [await loginAs("operator", tabs), await loginAs("operator", tabs)];
    const name = unique("inv");
    const stub = inventoryRoom(name);

    const sa = await openInventory(name, a.token);
    await sa.next("system_alert");
    expect(await sa.next("presence_update")).toMatchObject({ data: { users: [{ user_id: a.id, username: a.username }] } });

    const sb = await openInventory(name, b.token);
    await sb.next("system_alert");
    expect(await sa.next("user_joined")).toMatchObject({ data: { user_id: b.id, username: b.username } });
    const both = await sa.next("presence_update");
    expect(both.data?.users).toHaveLength(2);
    expect(await sb.next("presence_update")).toMatchObject({ seq: both.seq });

    sb.send({ type: "cursor", data: { sku: "SKU-1", field: "qty" } });
    expect(await sa.next("cursor_updated")).toMatchObject({ data: { user_id: b.id, sku: "SKU-1", field: "qty" } });
    sb.send({ type: "cursor", data: { sku: "" } });
    expect(await sb.next("error")).toMatchObject({ data: { error: "VALIDATION_ERROR" } });

    sb.close(1000, "bye");
    expect(await sa.next("user_left")).toMatchObject({ data: { user_id: b.id } });
    expect(await sa.next("presence_update")).toMatchObject({ data: { users: [{ user_id: a.id }] } });
    await eventually(async () => (await stub.connections()).length === 1, 2000, "closed socket removed");
    expect((await stub.connections())[0]?.userId).toBe(a.id);
    expect(sb.pending().some((m) => m.type === "cursor_updated")).toBe(false);
    sa.close();
  });
});
