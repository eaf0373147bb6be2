import { startRefusal } from "./budget";
import { type Cursor, type InventoryEvents, InventoryMessages, type RecentChange, SESSION_EVENTS, type Who } from "./inventory-protocol";
import type { ClientMessageOf, RoomPrincipal, ServerMessageOf, SocketTarget } from "./messages";
import { CLOSE_POLICY, CLOSE_TRY_LATER, type Connection, NAME_KEY, OPEN, Room, type RoomSocket } from "./room";
import {
  CONNECT_TIMEOUT_MS,
  decodePacket,
  decodePayload,
  decodeSio,
  decodeSioMeta,
  EIO_ERRORS,
  type EioPacket,
  eioError,
  encodePacket,
  encodePayload,
  MAX_ANONYMOUS_PENDING,
  MAX_ANONYMOUS_PENDING_PER_CLIENT,
  MAX_HTTP_BUFFER_BYTES,
  MAX_PACKETS_BEFORE_CONNECT,
  MAX_PENDING_PER_USER,
  MAX_POLLING_SESSIONS,
  MAX_SOCKETS_PER_USER,
  newSid,
  PacketType,
  PING_INTERVAL_MS,
  PING_TIMEOUT_MS,
  PollingSocket,
  SIO_HEADER,
  SIO_TAG,
  SIO_URL,
  type SioMeta,
  type SioPacket,
  type SioState,
  SioWebSocket,
  sioEvent,
  sioPacketText,
  sioStateOf,
  writeSio,
} from "./socketio";

export const RECENT_CHANGES = 100;
/** A coalesced `presence_update` goes out once joins and leaves have paused this long… */
export const PRESENCE_SETTLE_MS = 1_000;
/** …or this long after the first change of a burst that does not pause. */
export const PRESENCE_MAX_WAIT_MS = 5_000;
/** How often requests sweep expired Socket.IO sessions (idle polls, never connected). */
const SWEEP_INTERVAL_MS = 5_000;
const RECENT_KEY = "inventory:recent";
const CLOSING = 2;

/**
 * The inventory collaboration room (RM365), one per location: who is on, where their cursors are,
 * and the inventory changes the inventory service `publish()`es. A user with several sockets
 * counts once: `user_joined` on their first, `user_left` when their last one closes (including a
 * socket that dropped: the runtime reports it as an error or abnormal close).
 *
 * On connect a socket gets the base's `system_alert`, then a `snapshot` (presence, cursors, the
 * last {@link RECENT_CHANGES} stock changes with their `seq`, and `last_seq`); every later event
 * it receives carries the next `seq` (each socket gets every numbered event; only cursor moves go
 * unnumbered), so a reconnecting scanner applies the changes it missed and can tell a gap.
 */
export class InventoryRoom extends Room<typeof InventoryMessages, InventoryEvents, Cursor> {
  protected readonly messages = InventoryMessages;

  // Socket.IO (RM365's client): long-polling sessions by sid, and the wrappers of upgraded sockets.
  readonly #polling = new Map<string, PollingSocket>();
  readonly #wrappers = new WeakMap<WebSocket, SioWebSocket>();
  // The pending coalesced presence_update (presenceChanged), and when its burst began.
  #presenceTimer: ReturnType<typeof setTimeout> | null = null;
  #presenceSince: number | null = null;
  #lastSweep = 0;
  // Who is on, kept as joins and leaves happen so neither reads every socket: the joined sockets
  // (plain and Socket.IO) by user, in the order users arrived; the connected Socket.IO sessions by
  // user (the per-user cap). Rebuilt from the sockets once per lifetime (after hibernation the
  // constructor runs again and the maps start empty), see `index()`.
  #index: Index | null = null;

  /** Pushes a server event; stock changes are also remembered for the snapshot. */
  override async publish(message: ServerMessageOf<InventoryEvents>): Promise<{ seq: number; delivered: number }> {
    const [result] = await this.publishMany([message]);
    if (!result) throw new Error("publishMany returned nothing");
    return result;
  }

  /**
   * Pushes several events in order, in one RPC (a bulk adjustment's changes), remembering the
   * stock changes for the snapshot with one storage write.
   */
  async publishMany(messages: ServerMessageOf<InventoryEvents>[]): Promise<{ seq: number; delivered: number }[]> {
    const results: { seq: number; delivered: number }[] = [];
    const changes: RecentChange[] = [];
    for (const message of messages) {
      const result = await super.publish(message);
      results.push(result);
      if (message.type === "inventory_changed") changes.push({ ...message.data, seq: result.seq, timestamp: new Date().toISOString() });
    }
    if (changes.length > 0) {
      const kv = this.ctx.storage.kv;
      kv.put(RECENT_KEY, [...(kv.get<RecentChange[]>(RECENT_KEY) ?? []), ...changes].slice(-RECENT_CHANGES));
    }
    return results;
  }

  /** Pick sessions reach only who may read them (fulfillment:read and an orders tab, as REST). */
  protected override shouldDeliver(conn: Connection<Cursor>, message: ServerMessageOf<InventoryEvents>): boolean {
    if (!(SESSION_EVENTS as readonly string[]).includes(message.type)) return true;
    const p = conn.principal;
    const all = p.permissions.includes("*");
    return all || (p.permissions.includes("fulfillment:read") && p.tabs.some((t) => t === "orders" || t.startsWith("orders.")));
  }

  /**
   * A join costs O(N), not O(N²): the joiner gets the whole list (its snapshot, or `room_joined`
   * over Socket.IO), the others only the delta (`user_joined`, on a user's first socket). The full
   * `presence_update` follows once per burst of changes (see {@link PRESENCE_SETTLE_MS}).
   */
  protected override onConnect(conn: Connection<Cursor>): void {
    const members = this.index().members;
    const entry = members.get(conn.principal.userId);
    const firstSocket = !entry || [...entry.ids].every((id) => id === conn.id);
    if (entry) entry.ids.add(conn.id);
    else members.set(conn.principal.userId, { who: who(conn), ids: new Set([conn.id]) });
    if (firstSocket) this.broadcast({ type: "user_joined", data: who(conn) }, (c) => c.id !== conn.id);
    // After the join the others were told of, so its `last_seq` covers it: the next numbered
    // event this socket gets is `last_seq + 1`.
    this.sendSnapshot(conn);
    if (firstSocket) this.presenceChanged();
  }

  private sendSnapshot(conn: Connection<Cursor>): void {
    this.send(conn, {
      type: "snapshot",
      data: {
        room: this.roomName(),
        last_seq: this.lastSeq(),
        users: this.presence(),
        recent_changes: this.ctx.storage.kv.get<RecentChange[]>(RECENT_KEY) ?? [],
      },
    });
  }

  protected override onClose(conn: Connection<Cursor>): void {
    // A Socket.IO socket that never joined was never announced.
    const sio = sioStateOf(conn.ws.deserializeAttachment());
    if (sio && !sio.joined) return;
    // O(1) unless it was the user's last socket (then the others are told: one send each).
    const fresh = this.#index === null;
    const members = this.index().members;
    const entry = members.get(conn.principal.userId);
    if (entry) {
      entry.ids.delete(conn.id);
      if (entry.ids.size > 0) return;
      members.delete(conn.principal.userId);
    } else if (!fresh) {
      return; // Already announced (its user's last socket went before).
    }
    this.broadcast({ type: "user_left", data: who(conn) });
    this.presenceChanged();
  }

  /**
   * The presence index, built from the sockets the first time this lifetime needs it (one read of
   * every attachment per wake, not per event), then kept by onConnect, onClose and `gone`. Sockets
   * already closing are in it until their close hook runs; the one being closed is not.
   */
  private index(): Index {
    if (this.#index) return this.#index;
    const members = new Map<string, Member>();
    // Sockets already closing count until their close hook runs (it removes them).
    for (const c of this.connected(true)) {
      const entry = members.get(c.principal.userId);
      if (entry) entry.ids.add(c.id);
      else members.set(c.principal.userId, { who: who(c), ids: new Set([c.id]) });
    }
    const sioUsers = new Map<string, Set<string>>();
    const pending: [SioState, PollingSocket | SioWebSocket][] = [];
    for (const sock of this.sioSockets()) {
      if (this.hasGone(sock) || sock.readyState > CLOSING) continue;
      const sio = sioStateOf(sock.deserializeAttachment());
      if (sio && !sio.connected) pending.push([sio, sock]);
      if (!sio?.connected || !sio.principal) continue;
      const sids = sioUsers.get(sio.principal.userId) ?? new Set<string>();
      sids.add(sio.sid);
      sioUsers.set(sio.principal.userId, sids);
    }
    this.#index = { members, sioUsers, pending: new Map(), pendingBy: new Map(), anonymous: 0 };
    // Oldest first, as new ones are added: expiry walks from the front.
    for (const [sio, sock] of pending.sort((a, b) => a[0].createdAt - b[0].createdAt)) this.addPending(sio, sock);
    return this.#index;
  }

  /** A session that has not connected yet: counted against its user, or its client address when anonymous. */
  private addPending(sio: SioState, sock: PollingSocket | SioWebSocket): void {
    const index = this.index();
    const key = pendingKey(sio);
    index.pending.set(sio.sid, { sock, at: sio.createdAt, key });
    index.pendingBy.set(key, (index.pendingBy.get(key) ?? 0) + 1);
    if (sio.handshake === null) index.anonymous++;
  }

  /** The session connected (or ended): it no longer counts as pending. */
  private dropPending(sid: string): void {
    const index = this.#index;
    const entry = index?.pending.get(sid);
    if (!index || !entry) return;
    index.pending.delete(sid);
    const left = (index.pendingBy.get(entry.key) ?? 1) - 1;
    if (left > 0) index.pendingBy.set(entry.key, left);
    else index.pendingBy.delete(entry.key);
    if (entry.key.startsWith("client:")) index.anonymous--;
  }

  /** Ends the pending sessions older than CONNECT_TIMEOUT_MS (the oldest come first: stops at the first young one). */
  private async expirePending(now: number): Promise<void> {
    for (const [sid, entry] of this.index().pending) {
      if (now - entry.at <= CONNECT_TIMEOUT_MS) break;
      this.dropPending(sid);
      await this.sioClose(entry.sock, 1000, "Session expired");
    }
  }

  /** A Socket.IO session ended: it no longer counts toward its user's cap. */
  protected override async gone(ws: RoomSocket, code: number, reason: string): Promise<void> {
    const sio = sioStateOf(ws.deserializeAttachment());
    if (sio) this.dropPending(sio.sid);
    if (sio?.principal && this.#index) {
      const sids = this.#index.sioUsers.get(sio.principal.userId);
      sids?.delete(sio.sid);
      if (sids?.size === 0) this.#index.sioUsers.delete(sio.principal.userId);
    }
    await super.gone(ws, code, reason);
  }

  /**
   * The set of users changed: one `presence_update` (the whole list, to every socket) once the
   * room has had no join or leave for {@link PRESENCE_SETTLE_MS}, and at the latest
   * {@link PRESENCE_MAX_WAIT_MS} after the first change of a burst. N sockets arriving together
   * cost N deltas and a few lists, not N lists of up to N users to N sockets.
   */
  private presenceChanged(): void {
    const now = Date.now();
    this.#presenceSince ??= now;
    if (this.#presenceTimer !== null) clearTimeout(this.#presenceTimer);
    const wait = Math.max(0, Math.min(PRESENCE_SETTLE_MS, this.#presenceSince + PRESENCE_MAX_WAIT_MS - now));
    this.#presenceTimer = setTimeout(() => {
      this.#presenceTimer = null;
      this.#presenceSince = null;
      if (this.index().members.size > 0) this.broadcast({ type: "presence_update", data: { users: this.users() } });
    }, wait);
  }

  protected override onMessage(conn: Connection<Cursor>, message: ClientMessageOf<typeof InventoryMessages>): void {
    switch (message.type) {
      case "cursor": {
        const cursor: Cursor = { sku: message.data.sku, field: message.data.field ?? null };
        this.setState(conn, cursor);
        // Cursors are ephemeral (the snapshot carries where everyone is): sent to the others
        // without a seq, so the numbered stream of changes has no holes for anyone.
        for (const other of this.connected()) if (other.id !== conn.id) this.send(other, { type: "cursor_updated", data: { ...who(conn), ...cursor } });
        return;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Socket.IO (RM365's client; the wire format and the transports are in socketio.ts)

  /** The Worker's Socket.IO requests (SIO_URL, SIO_HEADER); anything else is the base's connect. */
  override async fetch(request: Request): Promise<Response> {
    if (!request.url.startsWith(SIO_URL)) return super.fetch(request);
    const meta = decodeSioMeta(request.headers.get(SIO_HEADER));
    if (!meta) return Response.json({ error: "BAD_REQUEST", message: "Socket.IO requests come only from the Worker" }, { status: 400 });
    const kv = this.ctx.storage.kv;
    if (kv.get(NAME_KEY) === undefined) kv.put(NAME_KEY, meta.room);
    await this.sweep();
    const sid = new URL(request.url).searchParams.get("sid");
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") return this.sioUpgrade(sid, meta);
    if (!sid) return this.sioOpen(meta);
    const session = this.#polling.get(sid);
    if (!session || session.readyState !== OPEN) return eioError(EIO_ERRORS.unknownSid);
    // A poll carrying a cookie or ?token= must carry the handshake's (as an upgrade must): another
    // user's credential, or any on a session opened without one, is refused (the session stays).
    if (meta.credential && !sameCredential(sioStateOf(session.deserializeAttachment()), meta.credential)) {
      return eioError(EIO_ERRORS.forbidden, 403);
    }
    if (request.method === "GET") {
      // A second GET while one waits is a protocol error: Engine.IO closes the session.
      if (session.waiting) {
        await this.sioClose(session, CLOSE_POLICY, "Overlapping polls");
        return eioError(EIO_ERRORS.badRequest);
      }
      const body = await session.poll();
      if (session.readyState !== OPEN) this.#polling.delete(sid);
      return text(body);
    }
    if (request.method !== "POST") return eioError(EIO_ERRORS.badRequest);
    const body = await request.text();
    if (body.length > MAX_HTTP_BUFFER_BYTES) {
      await this.sioClose(session, CLOSE_POLICY, "Payload too large");
      return eioError(EIO_ERRORS.badRequest, 413);
    }
    session.lastSeen = Date.now();
    let packets: EioPacket[];
    try {
      packets = decodePayload(body);
    } catch {
      packets = [{ type: "error" }];
    }
    for (const packet of packets) {
      if (session.readyState !== OPEN) break;
      await this.sioPacket(session, packet, meta);
    }
    return new Response("ok", { headers: { "Content-Type": "text/html", "Cache-Control": "no-store" } });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const attachment: unknown = ws.deserializeAttachment();
    const probe = probeOf(attachment);
    if (probe === null && !sioStateOf(attachment)) return super.webSocketMessage(ws, message);
    if (typeof message !== "string" || message.length > MAX_HTTP_BUFFER_BYTES) {
      ws.close(1009, "Message too large or binary");
      if (probe === null) await this.gone(this.wrap(ws), 1009, "Message too large");
      return;
    }
    const packet = decodePacket(message);
    if (probe !== null) return this.sioProbe(ws, probe, packet);
    await this.sioPacket(this.wrap(ws), packet, null);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    const attachment: unknown = ws.deserializeAttachment();
    if (probeOf(attachment) === null && !sioStateOf(attachment)) return super.webSocketClose(ws, code, reason);
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      /* already closed */
    }
    const probe = probeOf(attachment);
    if (probe !== null) {
      const session = this.#polling.get(probe);
      if (session?.probe === ws) session.probe = null;
      return;
    }
    await this.gone(this.wrap(ws), code, reason);
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    const attachment: unknown = ws.deserializeAttachment();
    if (probeOf(attachment) === null && !sioStateOf(attachment)) return super.webSocketError(ws, error);
    await this.webSocketClose(ws, 1006, "error");
  }

  /** Pings the upgraded Socket.IO sockets (Engine.IO's heartbeat) and expires idle sessions. */
  override async alarm(): Promise<void> {
    await this.sweep();
    const sockets = this.ctx.getWebSockets(SIO_TAG);
    for (const ws of sockets) {
      const sio = sioStateOf(ws.deserializeAttachment());
      if (sio?.upgraded && ws.readyState === OPEN) this.wrap(ws).sendRaw({ type: "ping" });
    }
    if (sockets.length > 0) await this.ctx.storage.setAlarm(Date.now() + PING_INTERVAL_MS);
  }

  protected override adapt(ws: WebSocket): RoomSocket | null {
    const attachment: unknown = ws.deserializeAttachment();
    const sio = sioStateOf(attachment);
    if (!sio) return probeOf(attachment) === null ? ws : null;
    return sio.joined && sio.upgraded ? this.wrap(ws) : null;
  }

  protected override otherSockets(): RoomSocket[] {
    const joined: RoomSocket[] = [];
    for (const session of this.#polling.values()) if (sioStateOf(session.deserializeAttachment())?.joined) joined.push(session);
    return joined;
  }

  protected override async disconnectOthers(target: SocketTarget, reason: string): Promise<number> {
    let closed = 0;
    for (const sock of this.sioSockets()) {
      const sio = sioStateOf(sock.deserializeAttachment());
      if (!sio?.principal || !targets(target, sio.principal, sio.sessionId)) continue;
      closed++;
      await this.sioClose(sock, CLOSE_POLICY, reason);
    }
    return closed;
  }

  private wrap(ws: WebSocket): SioWebSocket {
    let wrapper = this.#wrappers.get(ws);
    if (!wrapper) {
      wrapper = new SioWebSocket(ws);
      this.#wrappers.set(ws, wrapper);
    }
    return wrapper;
  }

  /** Every Socket.IO socket of this room: polling sessions and upgraded WebSockets (not probes). */
  private sioSockets(): (PollingSocket | SioWebSocket)[] {
    const sockets: (PollingSocket | SioWebSocket)[] = [...this.#polling.values()].filter((s) => s.readyState === OPEN);
    for (const ws of this.ctx.getWebSockets(SIO_TAG)) if (sioStateOf(ws.deserializeAttachment())) sockets.push(this.wrap(ws));
    return sockets;
  }

  /**
   * A new session's state, or why it is refused (503): an anonymous handshake within its client's
   * and the room's anonymous caps, one with credentials within its user's (see MAX_ANONYMOUS_PENDING).
   */
  private async newSession(sid: string, meta: SioMeta, upgraded: boolean): Promise<SioState | string> {
    if (this.#polling.size >= MAX_POLLING_SESSIONS) return "Too many sessions";
    const now = Date.now();
    await this.expirePending(now);
    const state: SioState = {
      sid,
      principal: meta.principal ?? null,
      sessionId: meta.sessionId ?? null,
      authError: meta.authError ?? null,
      handshake: meta.principal ? { userId: meta.principal.userId, sessionId: meta.sessionId ?? null } : null,
      credential: meta.credential?.fingerprint ?? null,
      client: meta.client ?? null,
      connected: false,
      joined: false,
      upgraded,
      packets: 0,
      createdAt: now,
    };
    const index = this.index();
    const mine = index.pendingBy.get(pendingKey(state)) ?? 0;
    if (state.handshake !== null) return mine < MAX_PENDING_PER_USER ? state : `At most ${MAX_PENDING_PER_USER} sessions opening at once per user`;
    if (mine >= MAX_ANONYMOUS_PENDING_PER_CLIENT || index.anonymous >= MAX_ANONYMOUS_PENDING) {
      return "Too many sessions opening without credentials: sign in (session cookie) or pass ?token=";
    }
    return state;
  }

  /** The polling handshake: a session and its open packet. */
  private async sioOpen(meta: SioMeta): Promise<Response> {
    const sid = newSid(meta.room);
    const state = await this.newSession(sid, meta, false);
    if (typeof state === "string") return Response.json({ code: 3, message: state }, { status: 503 });
    const session = new PollingSocket();
    writeSio(session, state);
    this.#polling.set(sid, session);
    this.addPending(state, session);
    let body = "";
    encodePayload([{ type: "open", data: openData(sid, ["websocket"]) }], (payload) => {
      body = payload;
    });
    return text(body);
  }

  /** A WebSocket: the upgrade of a polling session (probe first), or a WebSocket-only session. */
  private async sioUpgrade(sid: string | null, meta: SioMeta): Promise<Response> {
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    if (sid) {
      const session = this.#polling.get(sid);
      if (!session || session.readyState !== OPEN) return eioError(EIO_ERRORS.unknownSid);
      if (session.probe) return eioError(EIO_ERRORS.badRequest);
      // The upgrade takes the session over: it must carry the handshake's credentials (the same
      // user and login session by cookie or ?token=), or none when the handshake had none (a
      // client that authenticates with auth.token; its sid is then the bearer, as on polling).
      const sio = sioStateOf(session.deserializeAttachment());
      if (!sio || !sameCredentials(sio.handshake, meta)) return eioError(EIO_ERRORS.forbidden, 403);
      this.ctx.acceptWebSocket(server, [SIO_TAG]);
      server.serializeAttachment({ v: 3, probeOf: sid });
      session.probe = server;
      return new Response(null, { status: 101, webSocket: client });
    }
    const state = await this.newSession(newSid(meta.room), meta, true);
    if (typeof state === "string") return Response.json({ code: 3, message: state }, { status: 503 });
    this.ctx.acceptWebSocket(server, [SIO_TAG]);
    writeSio(server, state);
    this.addPending(state, this.wrap(server));
    this.wrap(server).sendRaw({ type: "open", data: openData(state.sid, []) });
    await this.armPings();
    return new Response(null, { status: 101, webSocket: client });
  }

  /** The upgrade probe: `2probe` → `3probe` (the polling GET gets a noop), then `5` moves the session. */
  private async sioProbe(ws: WebSocket, sid: string, packet: EioPacket): Promise<void> {
    const session = this.#polling.get(sid);
    if (!session || session.readyState !== OPEN || session.probe !== ws) {
      ws.close(1008, "Unknown session");
      return;
    }
    if (packet.type === "ping" && packet.data === "probe") {
      encodePacket({ type: "pong", data: "probe" }, false, (encoded) => ws.send(String(encoded)));
      session.release();
      return;
    }
    if (packet.type !== "upgrade") {
      ws.close(1002, "Expected the upgrade packet");
      session.probe = null;
      return;
    }
    const sio = sioStateOf(session.deserializeAttachment());
    if (!sio) return;
    // The session moves to the WebSocket: its attachment (principal, budget, joined), then what queued.
    ws.serializeAttachment(session.deserializeAttachment());
    const wrapper = this.wrap(ws);
    writeSio(wrapper, { ...sio, upgraded: true });
    const pending = this.index().pending.get(sid);
    if (pending) pending.sock = wrapper;
    const queued = session.drain();
    this.#polling.delete(sid);
    session.readyState = 3;
    session.release();
    for (const p of queued) wrapper.sendRaw(p);
    await this.armPings();
  }

  private async armPings(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + PING_INTERVAL_MS);
  }

  /** One Engine.IO packet of a session (POSTed, or a WebSocket frame). */
  private async sioPacket(sock: PollingSocket | SioWebSocket, packet: EioPacket, meta: SioMeta | null): Promise<void> {
    const sio = sioStateOf(sock.deserializeAttachment());
    if (!sio) return;
    if (!sio.connected) {
      sio.packets++;
      writeSio(sock, sio);
      if (sio.packets > MAX_PACKETS_BEFORE_CONNECT) return this.sioClose(sock, CLOSE_POLICY, "Too many packets before connecting");
    }
    switch (packet.type) {
      case "pong":
      case "noop":
        return;
      case "ping":
        this.sendEio(sock, { type: "pong", ...(packet.data === undefined ? {} : { data: packet.data }) });
        return;
      case "message":
        if (typeof packet.data !== "string") return this.sioClose(sock, 1003, "Binary packets are not accepted");
        return this.sioMessage(sock, packet.data, meta);
      case "close":
        return this.sioClose(sock, 1000, "Client closed");
      default:
        return this.sioClose(sock, 1002, "Invalid packet");
    }
  }

  /** One Socket.IO packet: CONNECT (authenticated here), EVENT (budgeted), DISCONNECT. */
  private async sioMessage(sock: PollingSocket | SioWebSocket, data: string, meta: SioMeta | null): Promise<void> {
    const packet = decodeSio(data);
    if (!packet) return this.sioClose(sock, 1002, "Invalid Socket.IO packet");
    if (packet.nsp !== "/") {
      this.sendSio(sock, { type: PacketType.CONNECT_ERROR, nsp: packet.nsp, data: { message: "Invalid namespace" } });
      return;
    }
    const sio = sioStateOf(sock.deserializeAttachment());
    if (!sio) return;
    if (packet.type === PacketType.CONNECT) {
      if (sio.connected) return;
      // A CONNECT's auth.token (verified by the Worker) wins over the handshake's cookie or ?token=.
      const principal = meta?.principal ?? sio.principal;
      const sessionId = meta?.principal ? (meta.sessionId ?? null) : sio.sessionId;
      const authError = meta?.authError ?? sio.authError;
      let refusal: string | null = null;
      if (authError) refusal = authError;
      else if (!principal && meta === null && hasAuthToken(packet.data))
        refusal = "auth.token is read on the polling transport; over WebSocket only, pass ?token= (query) or use the session cookie";
      else if (!principal) refusal = "Authentication required: sign in on this site (session cookie), or pass auth.token or ?token=";
      else if (!mayReadInventory(principal)) refusal = "Permission 'inventory:read' and the 'inventory' tab are required";
      else if (this.socketsOf(principal.userId) >= MAX_SOCKETS_PER_USER) refusal = `At most ${MAX_SOCKETS_PER_USER} connections per user`;
      if (refusal !== null || !principal) {
        this.sendSio(sock, { type: PacketType.CONNECT_ERROR, nsp: "/", data: { message: refusal ?? "Authentication required" } });
        return;
      }
      // As on the plain room: a user whose closed sockets spent their budget, or who owes a rate
      // close's cooldown, gets no room work until then; the session is closed with 1013 (the
      // client reconnects with its backoff).
      const budget = this.startingBudget(principal.userId);
      const spent = startRefusal(budget);
      if (spent) return this.sioClose(sock, CLOSE_TRY_LATER, spent);
      writeSio(sock, { ...sio, principal, sessionId, authError: null, connected: true }, budget);
      this.dropPending(sio.sid);
      const sioUsers = this.index().sioUsers;
      sioUsers.set(principal.userId, (sioUsers.get(principal.userId) ?? new Set<string>()).add(sio.sid));
      this.sendSio(sock, { type: PacketType.CONNECT, nsp: "/", data: { sid: sio.sid } });
      this.sendEio(sock, {
        type: "message",
        data: sioEvent("connection_established", { sid: sio.sid, user_id: principal.userId, username: principal.username }),
      });
      return;
    }
    if (!sio.connected) return;
    if (packet.type === PacketType.DISCONNECT) return this.sioClose(sock, 1000, "Client left");
    if (packet.type !== PacketType.EVENT) return;
    if (!this.spendMessage(sock)) return this.sioClose(sock, CLOSE_POLICY, "Message rate exceeded");
    const args: unknown = packet.data;
    if (!Array.isArray(args) || typeof args[0] !== "string") return;
    await this.sioEvent(sock, sio, args[0], args[1]);
  }

  /** RM365's events. Who the sender is comes from the session; a claimed user_id or username is ignored. */
  private async sioEvent(sock: PollingSocket | SioWebSocket, sio: SioState, name: string, arg: unknown): Promise<void> {
    const conn = this.connectionOf(sock);
    if (!conn) return;
    switch (name) {
      case "join_inventory_room": {
        if (!mayReadInventory(conn.principal)) {
          this.send(conn, {
            type: "error",
            data: { error: "AUTHORIZATION_ERROR", message: "Permission 'inventory:read' and the 'inventory' tab are required" },
          });
          return;
        }
        if (sio.joined) {
          this.sendSnapshot(conn);
          return;
        }
        writeSio(sock, { ...sio, joined: true });
        const joined = this.connectionOf(sock);
        if (joined) this.onConnect(joined);
        return;
      }
      case "update_cursor": {
        if (!sio.joined || typeof arg !== "object" || arg === null) return;
        const { row_id: rowId, field } = arg as { row_id?: unknown; field?: unknown };
        if (rowId === null || rowId === undefined) return;
        await this.dispatch(conn, {
          type: "cursor",
          data: { sku: typeof rowId === "number" ? String(rowId) : rowId, ...(typeof field === "string" ? { field } : {}) },
        });
        return;
      }
      case "request_presence":
        if (sio.joined) this.send(conn, { type: "presence_update", data: { users: this.users() } });
        return;
      case "inventory_update":
        // Stock changes reach the room from the REST write that commits them (inventory_changed
        // with the server's user); a client's claim of a change is not relayed.
        return;
      default:
        this.send(conn, { type: "error", data: { error: "UNKNOWN_TYPE", message: `Unknown event '${name.slice(0, 64)}'` } });
    }
  }

  /** Connected Socket.IO sessions of `userId` (from the index: no socket is read). */
  private socketsOf(userId: string): number {
    return this.index().sioUsers.get(userId)?.size ?? 0;
  }

  private sendEio(sock: PollingSocket | SioWebSocket, packet: EioPacket): void {
    if (sock instanceof PollingSocket) sock.push(packet);
    else sock.sendRaw(packet);
  }

  private sendSio(sock: PollingSocket | SioWebSocket, packet: SioPacket): void {
    this.sendEio(sock, { type: "message", data: sioPacketText(packet) });
  }

  /** Ends a Socket.IO session: the client sees its transport close (and reconnects, re-authenticating). */
  private async sioClose(sock: PollingSocket | SioWebSocket, code: number, reason: string): Promise<void> {
    if (sock instanceof PollingSocket) {
      const sio = sioStateOf(sock.deserializeAttachment());
      sock.close();
      if (sio) this.#polling.delete(sio.sid);
      sock.probe?.close(code, reason.slice(0, 120));
      await this.gone(sock, code, reason);
      return;
    }
    await this.closeSocket(sock, code, reason);
  }

  /** Closes polling sessions that stopped polling, and sessions that never connected a namespace. */
  private async sweep(): Promise<void> {
    const now = Date.now();
    // It reads every session's attachment: once per SWEEP_INTERVAL_MS, not on every request
    // (N sockets joining would otherwise cost N² reads). The alarm sweeps too.
    if (now - this.#lastSweep < SWEEP_INTERVAL_MS) return;
    this.#lastSweep = now;
    for (const sock of this.sioSockets()) {
      const sio = sioStateOf(sock.deserializeAttachment());
      if (!sio) continue;
      const idle = sock instanceof PollingSocket && !sock.waiting && now - sock.lastSeen > PING_INTERVAL_MS + PING_TIMEOUT_MS;
      if (idle || (!sio.connected && now - sio.createdAt > CONNECT_TIMEOUT_MS)) await this.sioClose(sock, 1000, "Session expired");
    }
  }

  /** Distinct users connected, in the order they arrived (from the index: no socket is read). */
  private users(): Who[] {
    return [...this.index().members.values()].map((m) => m.who);
  }

  /** Distinct users with the cursors of their sockets. */
  private presence(): (Who & { cursors: Cursor[] })[] {
    const seen = new Map<string, Who & { cursors: Cursor[] }>();
    for (const c of this.connected()) {
      const entry = seen.get(c.principal.userId) ?? { ...who(c), cursors: [] };
      if (c.state) entry.cursors.push(c.state);
      seen.set(c.principal.userId, entry);
    }
    return [...seen.values()];
  }
}

/** A session that has not connected yet, and what it counts against (`user:<id>` or `client:<address>`). */
interface PendingSession {
  sock: PollingSocket | SioWebSocket;
  at: number;
  key: string;
}

/** InventoryRoom's in-memory bookkeeping (see `index()`). */
interface Index {
  members: Map<string, Member>;
  sioUsers: Map<string, Set<string>>;
  /** Pending sessions by sid, oldest first; how many per key; how many anonymous. */
  pending: Map<string, PendingSession>;
  pendingBy: Map<string, number>;
  anonymous: number;
}

const pendingKey = (sio: SioState): string => (sio.handshake ? `user:${sio.handshake.userId}` : `client:${sio.client ?? "unknown"}`);

/** A user in the room: who they are and the ids of their joined sockets. */
interface Member {
  who: Who;
  ids: Set<string>;
}

const who = (conn: Connection<Cursor>): Who => ({ user_id: conn.principal.userId, username: conn.principal.username });

const text = (body: string): Response => new Response(body, { headers: { "Content-Type": "text/plain; charset=UTF-8", "Cache-Control": "no-store" } });

/** Engine.IO's open packet data. */
const openData = (sid: string, upgrades: string[]): string =>
  JSON.stringify({ sid, upgrades, pingInterval: PING_INTERVAL_MS, pingTimeout: PING_TIMEOUT_MS, maxPayload: MAX_HTTP_BUFFER_BYTES });

/** The sid a WebSocket is probing an upgrade for, or null when it is not a probe. */
function probeOf(attachment: unknown): string | null {
  if (typeof attachment !== "object" || attachment === null) return null;
  const a = attachment as { v?: unknown; probeOf?: unknown };
  return a.v === 3 && typeof a.probeOf === "string" ? a.probeOf : null;
}

/** Whether a principal may be in an inventory room: inventory:read and the inventory tab (as the REST routes). */
function mayReadInventory(p: RoomPrincipal): boolean {
  const all = p.permissions.includes("*");
  const permission = all || p.permissions.includes("inventory:read");
  const tab = all || p.tabs.some((t) => t === "inventory" || t.startsWith("inventory."));
  return permission && tab;
}

/** Whether a rights change aimed at `target` reaches a socket of `principal` (login session `sessionId`). */
function targets(target: SocketTarget, principal: RoomPrincipal, sessionId: string | null): boolean {
  if ("sessionId" in target) return sessionId === target.sessionId;
  if ("role" in target) return principal.role === target.role;
  return principal.userId === target.userId && (target.exceptSession === undefined || sessionId !== target.exceptSession);
}

/** Whether an upgrade's credentials (`meta`) are the handshake's: the same user and login session, or none for none. */
function sameCredentials(handshake: SioState["handshake"], meta: SioMeta): boolean {
  if (handshake === null) return !meta.principal && !meta.authError;
  return meta.principal?.userId === handshake.userId && (meta.sessionId ?? null) === handshake.sessionId;
}

/**
 * Whether a poll's credential is the handshake's: the very same (fingerprint), or one naming the
 * same user and login session as a valid handshake credential (a cookie renewed by a refresh).
 */
function sameCredential(sio: SioState | null, credential: NonNullable<SioMeta["credential"]>): boolean {
  if (!sio) return false;
  // The very credential the handshake presented (a refused one too: its CONNECT explains why).
  if (typeof sio.credential === "string" && credential.fingerprint === sio.credential) return true;
  const handshake = sio.handshake;
  if (handshake === null) return false;
  return credential.userId === handshake.userId && (credential.sessionId ?? null) === handshake.sessionId;
}

/** Whether a CONNECT packet's data carries an `auth.token`. */
function hasAuthToken(data: unknown): boolean {
  return typeof data === "object" && data !== null && typeof (data as { token?: unknown }).token === "string";
}
