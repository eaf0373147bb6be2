// RM365's Socket.IO client (the real socket.io-client 4.x, in Node) against the deploy bundle
// served by Miniflare: Engine.IO polling and the WebSocket upgrade, authentication (token, auth
// token, cookie), join and presence shared with the plain room, stock pushes, rights closing.
import { request } from "node:http";
import { io, type Socket } from "socket.io-client";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { RATE_CLOSE_COOLDOWN_S } from "../../src/rooms/budget";
import { ADMIN, type DevWorker, startWorker } from "./server";

const LOCATION = "main";
/** RM365_SOCKET_LOCATION of the test worker: holds no items (its room must still close on rights changes). */
const RM365_ROOM = "rm365-floor";
const SKU = "SIO-0001";
let worker: DevWorker;
let adminToken: string;
const sockets: Socket[] = [];

async function api(path: string, init: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Response> {
  return fetch(`${worker.url}${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: {
      ...(init.body === undefined ? {} : { "content-type": "application/json" }),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...init.headers,
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
}

async function login(username: string, password: string, headers: Record<string, string> = {}): Promise<{ token: string; res: Response }> {
  const res = await api("/api/v1/auth/login", { body: { username, password }, headers });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { access_token: string };
  return { token: body.access_token, res };
}

/** A user with inventory:read and the inventory tab (operator), signed in. */
async function operator(username: string): Promise<string> {
  const password = `${username}-password-1`;
  const res = await api("/api/v1/users", { token: adminToken, body: { username, password, role: "operator", allowed_tabs: ["inventory"] } });
  expect(res.status).toBe(201);
  return (await login(username, password)).token;
}

function client(opts: Parameters<typeof io>[1] = {}): Socket {
  const socket = io(worker.url, { path: "/ws/socket.io", reconnection: false, forceNew: true, timeout: 10_000, ...opts });
  sockets.push(socket);
  return socket;
}

/** The next `event` on `socket` (its first argument), or a rejection after `ms`. */
function next<T = unknown>(socket: Socket, event: string, ms = 10_000, match: (data: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' within ${ms} ms`)), ms);
    const handler = (data: T) => {
      if (!match(data)) return;
      clearTimeout(timer);
      socket.off(event, handler);
      resolve(data);
    };
    socket.on(event, handler);
  });
}

/** The status a WebSocket upgrade request gets: 101, or the HTTP error it was refused with. */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      headers: { connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", ...headers },
      timeout: 10_000,
    });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy(new Error("no answer to the upgrade within 10 s")));
    req.on("error", reject);
    req.end();
  });
}

type Presence = { users: { user_id: string; username: string; color: string }[] };
type Joined = Presence & { user: { user_id: string; username: string; color: string } };

beforeAll(async () => {
  worker = await startWorker({ RM365_SOCKET_LOCATION: RM365_ROOM });
  adminToken = (await login(ADMIN.username, ADMIN.password)).token;
  const res = await api("/api/v1/inventory/items", { token: adminToken, body: { sku: SKU, name: "Socket item", location: LOCATION, quantity: 10 } });
  expect(res.status).toBe(201);
});

afterEach(() => {
  for (const s of sockets.splice(0)) s.disconnect();
});

afterAll(async () => {
  await worker?.stop();
});

describe("Engine.IO", () => {
  it("answers the polling handshake with an open packet offering the websocket upgrade", async () => {
    const res = await fetch(`${worker.url}/ws/socket.io/?EIO=4&transport=polling&t=abc`);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body.startsWith("0{")).toBe(true);
    const open = JSON.parse(body.slice(1)) as { sid: string; upgrades: string[]; pingInterval: number; maxPayload: number };
    expect(open.upgrades).toEqual(["websocket"]);
    expect(open.sid.length).toBeGreaterThan(16);
    expect(open.maxPayload).toBeGreaterThan(0);
  });

  it("answers an unknown sid (a session lost with its Durable Object) with Engine.IO's error", async () => {
    const handshake = await (await fetch(`${worker.url}/ws/socket.io/?EIO=4&transport=polling`)).text();
    const { sid } = JSON.parse(handshake.slice(1)) as { sid: string };
    const forged = `${sid.split(".")[0]}.AAAAAAAAAAAAAAAAAAAAAAAA`;
    const res = await fetch(`${worker.url}/ws/socket.io/?EIO=4&transport=polling&sid=${forged}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: 1, message: "Session ID unknown" });
    const garbage = await fetch(`${worker.url}/ws/socket.io/?EIO=4&transport=polling&sid=nope`);
    expect(await garbage.json()).toEqual({ code: 1, message: "Session ID unknown" });
  });

  it("refuses other protocol versions and transports", async () => {
    expect(await (await fetch(`${worker.url}/ws/socket.io/?EIO=3&transport=polling`)).json()).toEqual({ code: 5, message: "Unsupported protocol version" });
    expect(await (await fetch(`${worker.url}/ws/socket.io/?EIO=4&transport=flash`)).json()).toEqual({ code: 0, message: "Transport unknown" });
  });

  it("refuses a polling body over maxHttpBufferSize and ends the session", async () => {
    const handshake = await (await fetch(`${worker.url}/ws/socket.io/?EIO=4&transport=polling`)).text();
    const { sid } = JSON.parse(handshake.slice(1)) as { sid: string };
    const big = `4${"x".repeat(70 * 1024)}`;
    const res = await fetch(`${worker.url}/ws/socket.io/?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: big });
    expect(res.status).toBe(413);
  });
});

describe("Socket.IO authentication", () => {
  it("refuses a socket without credentials with connect_error and no room data", async () => {
    const socket = client({ transports: ["polling"] });
    const joined = vi.fn();
    socket.on("room_joined", joined);
    const error = await next<Error>(socket, "connect_error");
    expect(error.message).toMatch(/Authentication required/);
    expect(socket.connected).toBe(false);
    expect(joined).not.toHaveBeenCalled();
  });

  it("refuses a bad auth.token and a bad ?token=", async () => {
    const a = client({ auth: { token: "not-a-jwt" } });
    expect((await next<Error>(a, "connect_error")).message).toMatch(/Invalid token/);
    const b = client({ query: { token: "not-a-jwt" } });
    expect((await next<Error>(b, "connect_error")).message).toMatch(/Invalid token/);
  });

  it("lets only the handshake's credentials upgrade a session to WebSocket (no takeover by sid)", async () => {
    const otherToken = await operator("mallory");
    const handshake = async (query: string): Promise<string> => {
      const res = await fetch(`${worker.url}/ws/socket.io/?EIO=4&transport=polling${query}`);
      expect(res.status).toBe(200);
      return (JSON.parse((await res.text()).slice(1)) as { sid: string }).sid;
    };
    const upgrade = (sid: string, extra = "", headers: Record<string, string> = {}) =>
      upgradeStatus(`${worker.url}/ws/socket.io/?EIO=4&transport=websocket&sid=${encodeURIComponent(sid)}${extra}`, headers);

    // A session opened with ?token=: the sid alone, or another user's token, cannot take it over.
    const sid = await handshake(`&token=${adminToken}`);
    expect(await upgrade(sid)).toBe(403);
    expect(await upgrade(sid, `&token=${otherToken}`)).toBe(403);
    expect(await upgrade(sid, "&token=not-a-jwt")).toBe(403);
    // The same user in another login session is another principal too.
    const again = await login(ADMIN.username, ADMIN.password);
    expect(await upgrade(sid, `&token=${again.token}`)).toBe(403);
    expect(await upgrade(sid, `&token=${adminToken}`)).toBe(101);

    // A session opened with the cookie: the same cookie upgrades it; none does not.
    const { res } = await login(ADMIN.username, ADMIN.password, { origin: worker.url });
    const cookie =
      res.headers
        .getSetCookie()
        .find((c) => c.startsWith("floorline_sio="))
        ?.split(";")[0] ?? "";
    const cookieSid = await (async () => {
      const r = await fetch(`${worker.url}/ws/socket.io/?EIO=4&transport=polling`, { headers: { cookie } });
      return (JSON.parse((await r.text()).slice(1)) as { sid: string }).sid;
    })();
    expect(await upgrade(cookieSid)).toBe(403);
    expect(await upgrade(cookieSid, `&token=${otherToken}`)).toBe(403);
    expect(await upgrade(cookieSid, "", { cookie })).toBe(101);

    // A session opened without credentials (it authenticates with auth.token): no one's
    // credentials may claim it.
    const bare = await handshake("");
    expect(await upgrade(bare, `&token=${otherToken}`)).toBe(403);
    expect(await upgrade(bare, "", { cookie })).toBe(403);
  });

  it("refuses a poll (GET or POST) carrying another credential than the handshake's; the session goes on", async () => {
    const halToken = await operator("hal");
    const open = async (query: string): Promise<string> => {
      const res = await fetch(`${worker.url}/ws/socket.io/?EIO=4&transport=polling${query}`);
      expect(res.status).toBe(200);
      return (JSON.parse((await res.text()).slice(1)) as { sid: string }).sid;
    };
    const sid = await open(`&token=${adminToken}`);
    const poll = (extra: string, init: RequestInit = {}) =>
      fetch(`${worker.url}/ws/socket.io/?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}${extra}`, init);
    // Another user's token, a bad token, or the same user's other login session: refused before anything is read or sent.
    for (const token of [halToken, "not-a-jwt", (await login(ADMIN.username, ADMIN.password)).token]) {
      const post = await poll(`&token=${token}`, { method: "POST", body: "40" });
      expect(post.status).toBe(403);
      expect(await post.json()).toEqual({ code: 4, message: "Forbidden" });
      expect((await poll(`&token=${token}`)).status).toBe(403);
    }
    // The handshake's own credential: the CONNECT is accepted as the handshake's user.
    expect((await poll(`&token=${adminToken}`, { method: "POST", body: "40" })).status).toBe(200);
    const answer = await (await poll(`&token=${adminToken}`)).text();
    expect(answer).toMatch(/^40\{"sid"/);
    expect(answer).toContain(`"username":"${ADMIN.username}"`);

    // A session opened without credentials: a poll carrying someone's is refused too.
    const bare = await open("");
    const res = await fetch(`${worker.url}/ws/socket.io/?EIO=4&transport=polling&sid=${encodeURIComponent(bare)}&token=${halToken}`, {
      method: "POST",
      body: "40",
    });
    expect(res.status).toBe(403);
  });

  it("joins another location's room only for a signed-in caller and a real location", async () => {
    const open = (query: string) => fetch(`${worker.url}/ws/socket.io/?EIO=4&transport=polling${query}`);
    expect((await open(`&location=${LOCATION}`)).status).toBe(403);
    expect((await open(`&location=nowhere&token=${adminToken}`)).status).toBe(403);
    expect((await open(`&location=${LOCATION}&token=${adminToken}`)).status).toBe(200);
  });

  it("refuses a user without the inventory tab", async () => {
    const res = await api("/api/v1/users", {
      token: adminToken,
      body: { username: "no-tab", password: "no-tab-password-1", role: "operator", allowed_tabs: ["labels"] },
    });
    expect(res.status).toBe(201);
    const { token } = await login("no-tab", "no-tab-password-1");
    const socket = client({ auth: { token } });
    expect((await next<Error>(socket, "connect_error")).message).toMatch(/inventory/);
  });

  it("sets the HttpOnly, SameSite=Strict cookie only for a same-origin login, and it authenticates only the handshake", async () => {
    const bare = await login(ADMIN.username, ADMIN.password);
    expect(bare.res.headers.getSetCookie().some((c) => c.startsWith("floorline_sio="))).toBe(false);
    const { res } = await login(ADMIN.username, ADMIN.password, { origin: worker.url });
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("floorline_sio="));
    expect(cookie).toBeDefined();
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/ws\/socket\.io\//);
    const pair = cookie?.split(";")[0] ?? "";
    // REST does not read it: a request with only the cookie is anonymous.
    expect((await api("/api/v1/inventory/items", { headers: { cookie: pair } })).status).toBe(401);

    const ok = client({ extraHeaders: { cookie: pair } });
    await next(ok, "connect");
    ok.emit("join_inventory_room", { user_id: "1", username: "someone-else" });
    const joined = await next<Joined>(ok, "room_joined");
    expect(joined.user.username).toBe(ADMIN.username);

    // From another site's page the cookie does not count.
    const foreign = client({ transports: ["polling"], extraHeaders: { cookie: pair, origin: "https://evil.example" } });
    expect((await next<Error>(foreign, "connect_error")).message).toMatch(/Authentication required/);
  });
});

describe("the inventory room over Socket.IO", () => {
  it("upgrades to websocket, joins as the authenticated user, shares presence with a polling client and the plain room, and receives stock changes", async () => {
    const anaToken = await operator("ana");
    const benToken = await operator("ben");

    // ?location= picks another room than RM365_SOCKET_LOCATION: a signed-in caller, a real location.
    const ana = client({ query: { token: anaToken, location: LOCATION } });
    const established = next<{ sid: string; username: string }>(ana, "connection_established");
    await next(ana, "connect");
    expect((await established).username).toBe("ana");
    if (ana.io.engine.transport.name !== "websocket") {
      await new Promise<void>((resolve) => ana.io.engine.once("upgrade", () => resolve()));
    }
    expect(ana.io.engine.transport.name).toBe("websocket");

    // The claimed identity is ignored.
    ana.emit("join_inventory_room", { user_id: "admin", username: "admin", room: "inventory_management" });
    const joined = await next<Joined>(ana, "room_joined");
    expect(joined.user.username).toBe("ana");
    expect(joined.users.map((u) => u.username)).toEqual(["ana"]);

    // A polling-only client (networks that block WebSockets), authenticated by ?token=.
    const ben = client({ transports: ["polling"], query: { token: benToken, location: LOCATION } });
    await next(ben, "connect");
    const benJoinedForAna = next<{ username: string }>(ana, "user_joined");
    const presenceForAna = next<Presence>(ana, "presence_update", 10_000, (p) => p.users.length === 2);
    ben.emit("join_inventory_room", { user_id: "ana", username: "ana" });
    const benJoined = await next<Joined>(ben, "room_joined");
    expect(benJoined.user.username).toBe("ben");
    expect((await benJoinedForAna).username).toBe("ben");
    expect((await presenceForAna).users.map((u) => u.username).sort()).toEqual(["ana", "ben"]);
    expect(ben.io.engine.transport.name).toBe("polling");

    // The plain WebSocket room of the same location sees both.
    const plain = new WebSocket(`${worker.url.replace(/^http/, "ws")}/api/v1/inventory/rooms/${LOCATION}/ws?token=${anaToken}`);
    const snapshot = await new Promise<{ data: { users: { username: string }[] } }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no snapshot")), 10_000);
      plain.addEventListener("message", (e) => {
        const m = JSON.parse(String(e.data)) as { type: string; data: { users: { username: string }[] } };
        if (m.type === "snapshot") {
          clearTimeout(timer);
          resolve(m);
        }
      });
    });
    expect(snapshot.data.users.map((u) => u.username).sort()).toEqual(["ana", "ben"]);
    plain.close();

    // request_presence answers the asker.
    ben.emit("request_presence");
    expect((await next<Presence>(ben, "presence_update")).users.length).toBeGreaterThanOrEqual(2);

    // A cursor from the polling client reaches the websocket one, with the server's identity.
    const cursor = next<{ username: string; editing_row: string; editing_field: string }>(ana, "cursor_updated");
    ben.emit("update_cursor", { row_id: SKU, field: "quantity", position: null });
    expect(await cursor).toMatchObject({ username: "ben", editing_row: SKU, editing_field: "quantity" });

    // A REST adjustment reaches both transports.
    const changedAna = next<{ sku: string; username: string }>(ana, "inventory_changed");
    const changedBen = next<{ sku: string; username: string }>(ben, "inventory_changed");
    const adjust = await api(`/api/v1/inventory/items/${SKU}/adjustments`, { token: adminToken, body: { delta: 3, reason: "socket test" } });
    expect(adjust.status).toBe(201);
    expect(await changedAna).toMatchObject({ sku: SKU, username: ADMIN.username });
    expect(await changedBen).toMatchObject({ sku: SKU, username: ADMIN.username });

    // A client's own claim of a stock change is not relayed.
    const relayed = vi.fn();
    ana.on("inventory_changed", relayed);
    ben.emit("inventory_update", { sku: SKU, field: "quantity", old_value: 1, new_value: 999 });
    ben.emit("request_presence");
    await next(ben, "presence_update");
    expect(relayed).not.toHaveBeenCalled();

    // Leaving: the other side is told.
    const left = next<{ username: string }>(ana, "user_left");
    ben.disconnect();
    expect((await left).username).toBe("ben");
  });

  it("a join costs the others one user_joined delta, not the whole list; the list goes to the joiner and once per burst", async () => {
    // A location of its own, so no other test's sockets are in the room.
    const location = "presence-loc";
    const item = await api("/api/v1/inventory/items", { token: adminToken, body: { sku: "SIO-PRES-1", name: "Presence", location, quantity: 1 } });
    expect(item.status).toBe(201);
    const K = 8;
    const tokens = await Promise.all(Array.from({ length: K + 1 }, (_, i) => operator(`pres-${i}`)));
    const joinAs = async (token: string): Promise<{ socket: Socket; joined: Joined }> => {
      const socket = client({ transports: ["websocket"], query: { token, location } });
      await next(socket, "connect");
      const joined = next<Joined>(socket, "room_joined");
      socket.emit("join_inventory_room", {});
      return { socket, joined: await joined };
    };
    const watcher = await joinAs(tokens[0] ?? "");
    expect(watcher.joined.users.map((u) => u.username)).toEqual(["pres-0"]);
    const got = { user_joined: [] as string[], user_left: [] as string[], presence_update: [] as number[] };
    watcher.socket.on("user_joined", (d: { username: string }) => got.user_joined.push(d.username));
    watcher.socket.on("user_left", (d: { username: string }) => got.user_left.push(d.username));
    watcher.socket.on("presence_update", (d: Presence) => got.presence_update.push(d.users.length));

    // K users join at once: each gets the list as it was when it joined (itself included).
    const joiners = await Promise.all(tokens.slice(1).map(joinAs));
    for (const j of joiners) expect(j.joined.users.some((u) => u.username === j.joined.user.username)).toBe(true);
    expect(Math.max(...joiners.map((j) => j.joined.users.length))).toBe(K + 1);
    // The watcher: one delta per join, then the list once the burst settles.
    await vi.waitUntil(() => got.user_joined.length === K && got.presence_update.includes(K + 1), { timeout: 15_000, interval: 20 });
    expect(got.user_joined.sort()).toEqual(
      tokens
        .slice(1)
        .map((_, i) => `pres-${i + 1}`)
        .sort(),
    );
    // Before: a presence_update of the whole list to everyone on every join (K here, O(N²) in all).
    expect(got.presence_update.length).toBeLessThanOrEqual(3);

    // Leaving: one user_left each, and again the list once.
    got.presence_update.length = 0;
    for (const j of joiners) j.socket.disconnect();
    await vi.waitUntil(() => got.user_left.length === K && got.presence_update.includes(1), { timeout: 15_000, interval: 20 });
    expect(got.presence_update.length).toBeLessThanOrEqual(3);
  });

  it("serves a WebSocket-only client (no polling), authenticated by ?token=; auth.token alone is explained", async () => {
    const ws = client({ transports: ["websocket"], query: { token: adminToken } });
    await next(ws, "connect");
    expect(ws.io.engine.transport.name).toBe("websocket");
    ws.emit("join_inventory_room", {});
    expect((await next<Joined>(ws, "room_joined")).user.username).toBe(ADMIN.username);
    const tokenOnly = client({ transports: ["websocket"], auth: { token: adminToken } });
    expect((await next<Error>(tokenOnly, "connect_error")).message).toMatch(/\?token=/);
  });

  it("closes a socket within a second when its user is deactivated, and when its session logs out", async () => {
    const calToken = await operator("cal");
    const cal = client({ transports: ["polling"], auth: { token: calToken } });
    await next(cal, "connect");
    cal.emit("join_inventory_room", {});
    await next(cal, "room_joined");
    const closed = next(cal, "disconnect", 5_000);
    const patch = await api("/api/v1/users", { method: "PATCH", token: adminToken, body: { username: "cal", is_active: false } });
    expect(patch.status).toBe(200);
    const at = Date.now();
    await closed;
    expect(Date.now() - at).toBeLessThan(1_000);

    const dinaToken = await operator("dina");
    const dina = client({ auth: { token: dinaToken } });
    await next(dina, "connect");
    if (dina.io.engine.transport.name !== "websocket") await new Promise<void>((resolve) => dina.io.engine.once("upgrade", () => resolve()));
    dina.emit("join_inventory_room", {});
    await next(dina, "room_joined");
    const gone = next(dina, "disconnect", 5_000);
    const logout = await api("/api/v1/auth/logout", { method: "POST", token: dinaToken });
    expect(logout.status).toBe(200);
    const t = Date.now();
    await gone;
    expect(Date.now() - t).toBeLessThan(1_000);
    // Reconnecting with the revoked token is refused.
    const again = client({ auth: { token: dinaToken } });
    expect((await next<Error>(again, "connect_error")).message).toMatch(/Invalid token/);
  });

  it("pushes pick & pack session events to who may read sessions: started, updated after a scan, completed", async () => {
    const picker = client({ auth: { token: adminToken } });
    await next(picker, "connect");
    picker.emit("join_inventory_room", {});
    await next(picker, "room_joined");
    // An inventory-only user in the same room does not get them (no fulfillment:read, no orders tab).
    const fayToken = await operator("fay");
    const fay = client({ auth: { token: fayToken } });
    await next(fay, "connect");
    fay.emit("join_inventory_room", {});
    await next(fay, "room_joined");
    const leaked = vi.fn();
    for (const e of ["session_started", "session_updated", "session_completed"]) fay.on(e, leaked);

    const started = next<{ session_id: string; order_number: string; status: string }>(picker, "session_started");
    const start = await api("/api/v1/magento/session/start", { token: adminToken, body: { order_number: "000000101", session_type: "pick" } });
    expect(start.status).toBe(201);
    const session = (await start.json()) as { session_id: string; items: { sku: string; qty_expected: number }[] };
    expect(await started).toMatchObject({ session_id: session.session_id, order_number: "000000101", status: "in_progress" });

    const [first] = session.items;
    if (!first) throw new Error("the demo order has lines");
    const updated = next<{ session_id: string; sku: string; qty_scanned: number }>(picker, "session_updated");
    const scan = await api("/api/v1/magento/session/scan", { token: adminToken, body: { session_id: session.session_id, sku: first.sku, quantity: 1 } });
    expect(scan.status).toBe(200);
    expect(await updated).toMatchObject({ session_id: session.session_id, sku: first.sku, qty_scanned: 1 });

    const cancelled = next<{ session_id: string; status: string }>(picker, "session_cancelled");
    const cancel = await api("/api/v1/magento/session/cancel", { token: adminToken, body: { session_id: session.session_id } });
    expect(cancel.status).toBe(200);
    expect(await cancelled).toMatchObject({ session_id: session.session_id, status: "cancelled" });

    // fay is still in the room and got the presence and nothing of the sessions.
    fay.emit("request_presence");
    await next(fay, "presence_update");
    expect(leaked).not.toHaveBeenCalled();
  });

  it("pushes the pick hand-offs: session_drafted on release, session_transferred with new_owner on a supervisor's takeover", async () => {
    const watcher = client({ auth: { token: adminToken } });
    await next(watcher, "connect");
    watcher.emit("join_inventory_room", {});
    await next(watcher, "room_joined");
    const password = "gil-password-1";
    expect((await api("/api/v1/users", { token: adminToken, body: { username: "gil", password, role: "operator", allowed_tabs: ["orders"] } })).status).toBe(
      201,
    );
    const gil = (await login("gil", password)).token;

    const start = await api("/api/v1/magento/session/start", { token: gil, body: { order_number: "000000102", session_type: "pick" } });
    expect(start.status).toBe(201);
    const { session_id } = (await start.json()) as { session_id: string };
    const ours = (data: { session_id: string }) => data.session_id === session_id;

    const drafted = next<{ session_id: string; status: string; username: string }>(watcher, "session_drafted", 10_000, ours);
    expect((await api(`/api/v1/magento/sessions/${session_id}/release`, { token: gil, body: {} })).status).toBe(200);
    expect(await drafted).toMatchObject({ status: "draft", username: "gil" });
    expect((await api(`/api/v1/magento/sessions/${session_id}/claim`, { token: gil, body: {} })).status).toBe(200);

    const transferred = next<{ session_id: string; new_owner: string; previous_owner: string }>(watcher, "session_transferred", 10_000, ours);
    expect((await api(`/api/v1/magento/dashboard/sessions/${session_id}/takeover`, { token: adminToken, body: {} })).status).toBe(200);
    expect(await transferred).toMatchObject({ previous_owner: "gil", new_owner: ADMIN.username });
  });

  it("closes a socket that exceeds its message budget", async () => {
    const evaToken = await operator("eva");
    const eva = client({ transports: ["polling"], auth: { token: evaToken } });
    await next(eva, "connect");
    eva.emit("join_inventory_room", {});
    await next(eva, "room_joined");
    // 100 messages against a burst of 30: closed as soon as the room has read them. The wait is
    // long because on a loaded machine (CI beside other work) the polling round trips that
    // carry them and the close took over 10 s once.
    const closed = next(eva, "disconnect", 25_000);
    for (let i = 0; i < 100; i++) eva.emit("request_presence");
    await closed;
    const closedAt = Date.now();
    // Reconnecting buys nothing: during the cooldown her closed socket left (RATE_CLOSE_COOLDOWN_S),
    // a new session is closed at its CONNECT (1013), before any room work, even a second after
    // the close (10 tokens refilled by then); another user connects.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    for (const transports of [["polling"], ["websocket"]] as const) {
      const again = client({ transports: [...transports], auth: { token: evaToken }, query: { token: evaToken } });
      const connected = vi.fn();
      again.on("connect", connected);
      await next(again, "disconnect", 10_000);
      expect(connected, transports[0]).not.toHaveBeenCalled();
    }
    const other = client({ transports: ["polling"], auth: { token: await operator("eve") } });
    await next(other, "connect");

    // After the cooldown (RATE_CLOSE_COOLDOWN_S, counted from the server's close, which came
    // before the client saw it) she is back with a full bucket, on polling then WebSocket: a
    // join and 25 events at once are all served.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, closedAt + RATE_CLOSE_COOLDOWN_S * 1000 + 300 - Date.now())));
    const back = client({ auth: { token: evaToken }, query: { token: evaToken } });
    const dropped = vi.fn();
    back.on("disconnect", dropped);
    await next(back, "connect");
    if (back.io.engine.transport.name !== "websocket") await new Promise<void>((resolve) => back.io.engine.once("upgrade", () => resolve()));
    for (let i = 0; i < 25; i++) back.emit("request_presence");
    back.emit("join_inventory_room", {});
    await next(back, "room_joined");
    expect(dropped).not.toHaveBeenCalled();
  }, 60_000);
});

describe("sessions before their CONNECT (pending)", () => {
  const open = (ip: string, query = "") => fetch(`${worker.url}/ws/socket.io/?EIO=4&transport=polling${query}`, { headers: { "cf-connecting-ip": ip } });

  it("caps anonymous handshakes per client address and per room; handshakes with credentials keep their slots; pending sessions expire", async () => {
    // One address: 8 sessions without credentials, then 503 with the reason.
    for (let i = 0; i < 8; i++) expect((await open("203.0.113.1")).status).toBe(200);
    const refused = await open("203.0.113.1");
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { message: string }).message).toMatch(/without credentials/);
    // Another address still gets in, and so does a signed-in caller from the full one.
    expect((await open("203.0.113.2")).status).toBe(200);
    expect((await open("203.0.113.1", `&token=${adminToken}`)).status).toBe(200);

    // Many addresses fill the room's anonymous cap (100): then every anonymous handshake waits…
    // (earlier tests' anonymous sessions may still be pending: they count too).
    let admitted = 9;
    for (let a = 0; a < 13; a++) {
      for (let i = 0; i < 8; i++) if ((await open(`198.51.100.${a}`)).status === 200) admitted++;
    }
    expect(admitted).toBeLessThanOrEqual(100);
    expect(admitted).toBeGreaterThan(80);
    expect((await open("192.0.2.99")).status).toBe(503);
    // …but a signed-in user still connects and joins (cookie or ?token=), even from a flooding address.
    const ok = client({ transports: ["polling"], query: { token: adminToken }, extraHeaders: { "cf-connecting-ip": "198.51.100.1" } });
    await next(ok, "connect");
    ok.emit("join_inventory_room", {});
    expect((await next<Joined>(ok, "room_joined")).user.username).toBe(ADMIN.username);

    // A user's own pending sessions are capped too (10), without touching anyone else's.
    const gusToken = await operator("gus");
    for (let i = 0; i < 10; i++) expect((await open("192.0.2.1", `&token=${gusToken}`)).status).toBe(200);
    expect((await open("192.0.2.1", `&token=${gusToken}`)).status).toBe(503);
    expect((await open("192.0.2.1", `&token=${adminToken}`)).status).toBe(200);

    // Unconnected sessions expire after CONNECT_TIMEOUT_MS (10 s): the address gets in again.
    await vi.waitUntil(async () => (await open("203.0.113.1")).status === 200, { timeout: 25_000, interval: 500 });
  }, 60_000);
});
