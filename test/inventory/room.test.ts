import { evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { inventoryItems } from "../../src/db/schema";
import { call, loginAs, testDeps, unique } from "../helpers";
import { eventually, openSocket, type TestSocket } from "../ws";

const INV = { allowed_tabs: ["inventory"] };
const room = (location: string) => env.INVENTORY_ROOM.get(env.INVENTORY_ROOM.idFromName(location));
const open = (location: string, token: string) => openSocket(`/api/v1/inventory/rooms/${encodeURIComponent(location)}/ws`, { token });

/** A location that exists (holds an item), written straight to D1 so no stock change is pushed. */
async function realLocation(name: string): Promise<string> {
  await testDeps()
    .db.insert(inventoryItems)
    .values({ id: crypto.randomUUID(), sku: unique("seed").toUpperCase(), name: "Seed", location: name, quantity: 0 });
  return name;
}

/** Opens a socket and takes its greeting and snapshot. */
async function join(location: string, token: string) {
  const socket = await open(location, token);
  await socket.next("system_alert");
  const snapshot = await socket.next("snapshot");
  return { socket, snapshot };
}

async function createItem(token: string, location: string, quantity = 10) {
  const sku = unique("room").toUpperCase();
  const r = await call("/api/v1/inventory/items", { token, body: { sku, name: "Bin", location, quantity } });
  expect(r.status).toBe(201);
  return sku;
}

const stockChange = (sku: string) => (m: { type?: string; data?: { sku?: unknown; update_type?: unknown } }) =>
  m.type === "inventory_changed" && m.data?.sku === sku && m.data?.update_type === "adjustment";

describe("inventory room (per location)", () => {
  it("presence: join, leave, and a dropped socket are announced; the snapshot shows who is on and where", async () => {
    const [a, b] = [await loginAs("operator", INV), await loginAs("operator", INV)];
    const location = await realLocation(unique("Shelf"));
    const { socket: sa, snapshot } = await join(location, a.token);
    expect(snapshot.data).toMatchObject({ room: location, users: [{ user_id: a.id, username: a.username, cursors: [] }], recent_changes: [] });
    expect((await sa.next("presence_update")).seq).toBe(Number(snapshot.data?.last_seq) + 1);

    sa.send({ type: "cursor", data: { sku: "BOLT-1", field: "quantity" } });
    const { socket: sb, snapshot: snapB } = await join(location, b.token);
    expect(await sa.next("user_joined")).toMatchObject({ data: { user_id: b.id, username: b.username } });
    expect(snapB.data?.users).toEqual([
      { user_id: a.id, username: a.username, cursors: [{ sku: "BOLT-1", field: "quantity" }] },
      { user_id: b.id, username: b.username, cursors: [] },
    ]);

    sb.send({ type: "cursor", data: { sku: "NUT-2" } });
    expect(await sa.next("cursor_updated")).toMatchObject({ data: { user_id: b.id, username: b.username, sku: "NUT-2", field: null } });

    sb.close(1000, "bye");
    expect(await sa.next("user_left")).toMatchObject({ data: { user_id: b.id } });
    await eventually(async () => (await room(location).connections()).length === 1, 2000, "b removed");

    // A drop without goodbye: the client goes away abnormally; the room still cleans up.
    const { socket: sc } = await join(location, b.token);
    await sa.next((m) => m.type === "user_joined" && String(m.data?.user_id) === b.id);
    sc.close(1001, "going away");
    expect(await sa.next((m) => m.type === "user_left" && String(m.data?.user_id) === b.id)).toMatchObject({ type: "user_left" });
    await eventually(async () => (await room(location).connections()).length === 1, 2000, "dropped socket removed");
    sa.close();
  });

  it("a stock change made over REST reaches every socket at that location with sequence numbers, and nobody at another", async () => {
    const manager = await loginAs("production_manager");
    const viewer = await loginAs("operator", INV);
    const location = await realLocation(`Bay ${unique("n")}`);
    const elsewhere = await realLocation(unique("Bay"));
    const sku = await createItem(manager.token, location, 10);
    const { socket: s1 } = await join(location, viewer.token);
    const { socket: s2 } = await join(location, manager.token);
    const { socket: other } = await join(elsewhere, viewer.token);

    const r = await call(`/api/v1/inventory/items/${sku}/adjustments`, { token: manager.token, body: { delta: -3, reason: "pick" } });
    expect(r.status).toBe(201);
    const pushed = await s1.next(stockChange(sku));
    expect(pushed).toMatchObject({
      type: "inventory_changed",
      data: { user_id: manager.id, username: manager.username, update_type: "adjustment", sku, field: "quantity", old_value: 10, new_value: 7 },
    });
    expect(typeof pushed.seq).toBe("number");
    expect(await s2.next(stockChange(sku))).toMatchObject({ seq: pushed.seq });

    await call(`/api/v1/inventory/items/${sku}/adjustments`, { token: manager.token, body: { delta: 5, reason: "return" } });
    const second = await s1.next(stockChange(sku));
    expect(second.seq).toBeGreaterThan(pushed.seq ?? Infinity);
    expect(second.data).toMatchObject({ old_value: 7, new_value: 12 });
    expect(other.pending().some((m) => m.type === "inventory_changed")).toBe(false);
    for (const s of [s1, s2, other]) s.close();
  });

  it("a reconnecting scanner gets a snapshot with the changes it missed and the last seq: no gap", async () => {
    const manager = await loginAs("production_manager");
    const scanner = await loginAs("operator", INV);
    const location = await realLocation(unique("Dock"));
    const sku = await createItem(manager.token, location, 50);
    const { socket: first } = await join(location, scanner.token);
    await call(`/api/v1/inventory/items/${sku}/adjustments`, { token: manager.token, body: { delta: -1, reason: "a" } });
    const seen = await first.next(stockChange(sku));
    first.close(1000, "wifi lost");
    await eventually(async () => (await room(location).connections()).length === 0, 2000, "scanner gone");

    // Missed while away.
    await call(`/api/v1/inventory/items/${sku}/adjustments`, { token: manager.token, body: { delta: -2, reason: "b" } });
    await call(`/api/v1/inventory/items/${sku}/adjustments`, { token: manager.token, body: { delta: -3, reason: "c" } });
    await eventually(
      async () => {
        const { socket, snapshot } = await join(location, scanner.token);
        socket.close();
        return Array.isArray(snapshot.data?.recent_changes) && snapshot.data.recent_changes.length >= 3;
      },
      3000,
      "both missed changes recorded",
    );
    await eventually(async () => (await room(location).connections()).length === 0, 2000, "probe gone");

    const { socket: again, snapshot } = await join(location, scanner.token);
    const recent = (snapshot.data?.recent_changes ?? []) as unknown as { seq: number; sku: string; new_value: number; update_type: string }[];
    const missed = recent.filter((c) => c.seq > (seen.seq ?? 0) && c.sku === sku && c.update_type === "adjustment");
    expect(missed.map((c) => c.new_value)).toEqual([47, 44]);
    const lastSeq = Number(snapshot.data?.last_seq);
    expect(lastSeq).toBeGreaterThanOrEqual(Math.max(...recent.map((c) => c.seq)));
    // the next event continues the sequence
    const next = await again.next((m) => typeof m.seq === "number");
    expect(next.seq).toBe(lastSeq + 1);
    again.close();
  });

  it("a bulk adjustment pushes each line's change, in order, with consecutive seqs", async () => {
    const manager = await loginAs("production_manager");
    const location = await realLocation(unique("Aisle"));
    const [x, y] = [await createItem(manager.token, location, 5), await createItem(manager.token, location, 5)];
    const { socket } = await join(location, manager.token);
    const r = await call("/api/v1/inventory/adjustments/bulk", {
      token: manager.token,
      body: {
        adjustments: [
          { sku: x, delta: -1, reason: "scan" },
          { sku: y, delta: -2, reason: "scan" },
          { sku: x, delta: -3, reason: "scan" },
        ],
      },
    });
    expect(r.status).toBe(201);
    const got = [await socket.next("inventory_changed"), await socket.next("inventory_changed"), await socket.next("inventory_changed")];
    expect(got.map((m) => [m.data?.sku, m.data?.old_value, m.data?.new_value])).toEqual([
      [x, 5, 4],
      [y, 5, 3],
      [x, 4, 1],
    ]);
    const seqs = got.map((m) => Number(m.seq));
    expect(seqs).toEqual([seqs[0], Number(seqs[0]) + 1, Number(seqs[0]) + 2]);
    socket.close();
  });

  it("the inventory tab and permission are needed to join (close 1008)", async () => {
    const noTab = await loginAs("production_manager", { allowed_tabs: ["labels"] });
    const refused: TestSocket = await open(unique("L"), noTab.token);
    expect(await refused.closed()).toEqual({ code: 1008, reason: "The 'inventory' tab is required" });
    const noPerm = await loginAs("maintenance", INV);
    expect(await (await open(unique("L"), noPerm.token)).closed()).toEqual({ code: 1008, reason: "Permission 'inventory:read' is required" });
    expect((await call(`/api/v1/inventory/rooms/${unique("L")}/ws`)).status).toBe(401);
    expect((await call(`/api/v1/inventory/rooms/${unique("L")}/ws`, { token: noTab.token })).status).toBe(403);
  });

  it("only real locations get a room: an unknown one is refused (1008) and no room is made; anonymous callers learn nothing", async () => {
    const user = await loginAs("operator", INV);
    const missing = unique("Nowhere");
    expect(await (await open(missing, user.token)).closed()).toEqual({ code: 1008, reason: "Unknown location" });
    expect(await (await openSocket(`/api/v1/inventory/rooms/${missing}/ws`)).closed()).toEqual({ code: 1008, reason: "Authentication required" });
    const known = await realLocation(unique("Known"));
    const { socket } = await join(known, user.token);
    socket.close();
  });

  it("a leave reads O(1) sockets, not every socket in the room, also after hibernation (attachment reads counted)", async () => {
    // Fillers from two users: one user holds at most MAX_ROOM_SOCKETS_PER_USER sockets in a room.
    const [w, f, g, x] = [await loginAs("operator", INV), await loginAs("operator", INV), await loginAs("operator", INV), await loginAs("operator", INV)];
    const location = await realLocation(unique("Leave"));
    const { socket: watcher } = await join(location, w.token);
    const FILLER = 30;
    const LEAVERS = 10;
    const fillers: TestSocket[] = [];
    for (let i = 0; i < FILLER; i++) fillers.push((await join(location, (i % 2 === 0 ? f : g).token)).socket);
    const leavers: TestSocket[] = [];
    for (let i = 0; i < LEAVERS; i++) leavers.push((await join(location, x.token)).socket);
    const all = 1 + FILLER + LEAVERS;
    expect((await room(location).connections()).length).toBe(all);
    // Hibernation: the room's in-memory presence is gone and must be rebuilt once, not per leave.
    await evictDurableObject(room(location));

    // The test hook: every attachment read of a server-side socket (the room's sockets live in
    // this isolate, so the prototype is theirs too).
    const proto = WebSocket.prototype as { deserializeAttachment(): unknown };
    const original = proto.deserializeAttachment;
    let reads = 0;
    proto.deserializeAttachment = function (this: WebSocket) {
      reads++;
      return original.call(this);
    };
    try {
      // One after another, each close answered by the room, then a round trip on the watcher: every
      // leave has been handled inside the counted window.
      for (const s of leavers) {
        s.close(1000, "bye");
        await s.closed();
      }
      watcher.send({ type: "ping", timestamp: "after the leaves" });
      await watcher.next("pong");
    } finally {
      proto.deserializeAttachment = original;
    }
    const userLeft = watcher
      .pending()
      .filter((m) => m.type === "user_left")
      .map((m) => String(m.data?.user_id));
    // One rebuild after the wake (≤ 2 reads per socket), a few reads per leave (and the ping's), and
    // one user_left to those who stay (≤ 3 reads each). Before: every leave listed the whole room
    // (1–2 reads per socket each time: over 10 × 41).
    const bound = 2 * all + 6 * (LEAVERS + 1) + 3 * (all - LEAVERS);
    expect(reads).toBeGreaterThan(0);
    expect(reads).toBeLessThanOrEqual(bound);
    expect(userLeft).toEqual([x.id]);
    // Presence is still right: the others are on, the leaver is not, and one filler leaving is not a user_left.
    const users = new Set((await room(location).connections()).map((c) => c.userId));
    expect([...users].sort()).toEqual([w.id, f.id, g.id].sort());
    fillers[0]?.close(1000, "bye");
    await eventually(async () => (await room(location).connections()).length === all - LEAVERS - 1, 2000, "filler removed");
    watcher.send({ type: "ping", timestamp: "now" });
    await watcher.next("pong");
    for (const s of fillers.slice(1)) s.close(1000, "bye");
    const left = new Set<string>();
    for (let i = 0; i < 2; i++) {
      left.add(String((await watcher.next((m) => m.type === "user_left" && ![x.id, ...left].includes(String(m.data?.user_id)), 10_000)).data?.user_id));
    }
    expect([...left].sort()).toEqual([f.id, g.id].sort());
    watcher.close();
  });

  it("a change of rights reaches inventory rooms too: a role change closes the socket (1008)", async () => {
    const admin = await loginAs("admin");
    const user = await loginAs("operator", INV);
    const { socket } = await join(await realLocation(unique("Rights")), user.token);
    expect((await call("/api/v1/users", { method: "PATCH", token: admin.token, body: { username: user.username, role: "viewer" } })).status).toBe(200);
    expect(await socket.closed(1000)).toEqual({ code: 1008, reason: "Your access changed" });
  });
});
