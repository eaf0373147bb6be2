/**
 * Engine.IO v4 and Socket.IO v5 in front of a room (RM365's socket.io-client 4.x), with the
 * official `engine.io-parser` and `socket.io-parser` for the wire format.
 *
 * Where a session lives: in the room's Durable Object itself. The sid names the room
 * (`<base64url(room)>.<random>`), so the Worker sends every request of a session — the polling
 * handshake, its GETs and POSTs, the WebSocket upgrade — to the same object:
 * - a long-polling session is kept in memory (`PollingSocket`); the object stays up while a
 *   GET is pending, and if it is evicted anyway the next request gets Engine.IO's
 *   `{"code":1,"message":"Session ID unknown"}`, on which the client reconnects and rejoins;
 * - an upgraded session is a hibernatable WebSocket tagged `sio`, its session state kept in the
 *   socket's attachment beside the room's (`SioWebSocket` wraps it).
 * Both are `RoomSocket`s: the room sends them its JSON messages, which are re-encoded here as
 * RM365's Socket.IO events (`toSocketIo`), so they share presence and events with the room's
 * plain WebSockets. A Socket.IO socket is in the room (listed by `connected()`) once it has
 * connected the `/` namespace with an authenticated principal and emitted `join_inventory_room`.
 *
 * Who is on a socket never comes from a Socket.IO packet: the Worker authenticates the session
 * cookie or `?token=` at the handshake, and the `auth.token` of a CONNECT packet it forwards, and
 * passes the principal in the internal request's header (`SioMeta`), as `connectToRoom` does.
 */
import { decodePacket, decodePayload, type Packet as EioPacket, encodePacket, encodePayload } from "engine.io-parser";
import { Encoder, PacketType, type Packet as SioPacket } from "socket.io-parser";
import { type Budget, fullBudget } from "./budget";
import type { JsonObject, RoomPrincipal } from "./messages";
import { type Attachment, isAttachment, OPEN, type RoomSocket } from "./room";
import { PING_INTERVAL_MS } from "./socketio-protocol";

export * from "./socketio-protocol";

// ---------------------------------------------------------------------------------------------
// Session state

/** A Socket.IO session's own state, kept beside the room's attachment fields. */
export interface SioState {
  sid: string;
  /** Who the handshake (cookie, ?token=) authenticated; a CONNECT's auth.token replaces it. */
  principal: RoomPrincipal | null;
  sessionId: string | null;
  authError: string | null;
  /**
   * Who the handshake's cookie or ?token= named (user and login session), null when it had none:
   * a WebSocket upgrade of the session must carry the same (see InventoryRoom.sioUpgrade).
   */
  handshake: { userId: string; sessionId: string | null } | null;
  /** The fingerprint of the cookie or ?token= the handshake presented (valid or not), if any. */
  credential?: string | null;
  /** The handshake's client address (CF-Connecting-IP): anonymous pending sessions are capped by it. */
  client?: string | null;
  /** Connected to the `/` namespace (after an accepted CONNECT). */
  connected: boolean;
  /** In the room (after `join_inventory_room`): `connected()` lists it from then on. */
  joined: boolean;
  /** An upgraded WebSocket carries the session (the polling one is gone). */
  upgraded: boolean;
  packets: number;
  createdAt: number;
}

/** The attachment of a Socket.IO socket: the room's fields once connected (v 1), or only the session (v 2). */
type SioAttachment<S> = (Attachment<S> & { sio: SioState }) | { v: 2; sio: SioState };

export function sioStateOf(attachment: unknown): SioState | null {
  if (typeof attachment !== "object" || attachment === null || !("sio" in attachment)) return null;
  const sio = (attachment as { sio: unknown }).sio;
  return typeof sio === "object" && sio !== null ? (sio as SioState) : null;
}

/**
 * Writes `sio` into a socket's attachment; once connected it carries the room's fields too,
 * starting with `budget` (the room's `startingBudget` for the user).
 */
export function writeSio<S>(sock: RoomSocket, sio: SioState, budget: Budget = fullBudget(Date.now())): void {
  const current: unknown = sock.deserializeAttachment();
  if (isAttachment<S>(current)) {
    sock.serializeAttachment({ ...current, sio });
    return;
  }
  if (sio.connected && sio.principal) {
    const attachment: SioAttachment<S> = {
      v: 1,
      id: sio.sid,
      principal: sio.principal,
      connectedAt: new Date().toISOString(),
      state: null,
      budget,
      sio,
    };
    sock.serializeAttachment(attachment);
    return;
  }
  sock.serializeAttachment({ v: 2, sio } satisfies SioAttachment<S>);
}

// ---------------------------------------------------------------------------------------------
// Room JSON → Socket.IO events (RM365's names and shapes)

// RM365's palette: a user gets the same colour on every socket and in every list.
const COLORS = ["#FF6B6B", "#4ECDC4", "#45B7D1", "#FFA07A", "#98D8C8", "#F7DC6F", "#BB8FCE", "#85C1E2"];
function colorOf(userId: string): string {
  let h = 0;
  for (const ch of userId) h = (h * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  return COLORS[h % COLORS.length] ?? "#FF6B6B";
}

type WhoJson = { user_id?: unknown; username?: unknown; cursors?: unknown };
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A presence entry as RM365's screens read it (user_id, username, color, editing_row…). */
function presenceEntry(u: WhoJson): JsonObject {
  const userId = String(u.user_id ?? "");
  const cursors = Array.isArray(u.cursors) ? u.cursors : [];
  const cursor: unknown = cursors[cursors.length - 1];
  return {
    user_id: userId,
    username: String(u.username ?? ""),
    color: colorOf(userId),
    cursor_position: null,
    editing_row: isObject(cursor) ? String(cursor.sku ?? "") || null : null,
    editing_field: isObject(cursor) && typeof cursor.field === "string" ? cursor.field : null,
  };
}

const encoder = new Encoder();

/** One Socket.IO packet as the string an Engine.IO message carries (never binary here). */
export function sioPacketText(packet: SioPacket): string {
  const [encoded] = encoder.encode(packet);
  return String(encoded);
}

/** One Socket.IO EVENT packet on `/`. */
export const sioEvent = (name: string, data: unknown): string => sioPacketText({ type: PacketType.EVENT, nsp: "/", data: [name, data] });

/**
 * A room message (the JSON a plain socket would get) as the Socket.IO event RM365 listens for, or
 * null when it has no counterpart. `self` is the receiving socket's user (room_joined's `user`).
 */
export function toSocketIo(json: string, self: RoomPrincipal): string | null {
  let message: unknown;
  try {
    message = JSON.parse(json);
  } catch {
    return null;
  }
  if (!isObject(message) || typeof message.type !== "string") return null;
  const data = isObject(message.data) ? message.data : {};
  const extra = {
    ...(typeof message.timestamp === "string" ? { timestamp: message.timestamp } : {}),
    ...(typeof message.seq === "number" ? { seq: message.seq } : {}),
  };
  switch (message.type) {
    case "system_alert":
    case "pong":
      return null;
    case "snapshot": {
      const users = Array.isArray(data.users) ? data.users.filter(isObject).map(presenceEntry) : [];
      return sioEvent("room_joined", {
        room: data.room ?? null,
        user: { user_id: self.userId, username: self.username, color: colorOf(self.userId) },
        users,
        recent_changes: data.recent_changes ?? [],
        last_seq: data.last_seq ?? 0,
      });
    }
    case "presence_update":
      return sioEvent("presence_update", { users: Array.isArray(data.users) ? data.users.filter(isObject).map(presenceEntry) : [], ...extra });
    case "user_joined":
    case "user_left":
      return sioEvent(message.type, { ...presenceEntry(data), ...extra });
    case "cursor_updated":
      return sioEvent("cursor_updated", {
        ...presenceEntry({ user_id: data.user_id, username: data.username, cursors: data.sku ? [{ sku: data.sku, field: data.field }] : [] }),
        ...extra,
      });
    default:
      return sioEvent(message.type, { ...data, ...extra });
  }
}

// One broadcast is one JSON string sent to every socket: re-encode it once, not once per socket.
let memo: { json: string; encoded: string | null } | null = null;
function encodeFor(json: string, self: RoomPrincipal): string | null {
  if (json.includes('"type":"snapshot"')) return toSocketIo(json, self);
  if (memo?.json !== json) memo = { json, encoded: toSocketIo(json, self) };
  return memo.encoded;
}

// ---------------------------------------------------------------------------------------------
// The two transports as RoomSockets

const CLOSED = 3;

/** An upgraded Socket.IO session: a hibernatable WebSocket that speaks Engine.IO. */
export class SioWebSocket implements RoomSocket {
  constructor(readonly ws: WebSocket) {}
  get readyState(): number {
    return this.ws.readyState;
  }
  send(message: string): void {
    const sio = sioStateOf(this.ws.deserializeAttachment());
    if (!sio?.principal) return;
    const encoded = encodeFor(message, sio.principal);
    if (encoded !== null) this.ws.send(`4${encoded}`);
  }
  sendRaw(packet: EioPacket): void {
    encodePacket(packet, false, (encoded) => this.ws.send(String(encoded)));
  }
  close(code?: number, reason?: string): void {
    this.ws.close(code, reason);
  }
  serializeAttachment(value: unknown): void {
    this.ws.serializeAttachment(value);
  }
  deserializeAttachment(): unknown {
    return this.ws.deserializeAttachment();
  }
}

/** A long-polling session: packets queue until the client's next GET takes them. */
export class PollingSocket implements RoomSocket {
  readyState = OPEN;
  lastSeen = Date.now();
  #attachment: unknown = null;
  #queue: EioPacket[] = [];
  #waiter: ((body: string) => void) | null = null;
  #pingTimer: ReturnType<typeof setTimeout> | null = null;
  #upgrading = false;
  /** The WebSocket probing an upgrade of this session, if any. */
  probe: WebSocket | null = null;

  send(message: string): void {
    const sio = sioStateOf(this.#attachment);
    if (!sio?.principal || this.readyState !== OPEN) return;
    const encoded = encodeFor(message, sio.principal);
    if (encoded !== null) this.push({ type: "message", data: encoded });
  }
  /** Queues an Engine.IO packet and answers a pending GET. */
  push(packet: EioPacket): void {
    this.#queue.push(packet);
    this.flush();
  }
  close(_code?: number, _reason?: string): void {
    if (this.readyState !== OPEN) return;
    this.#queue.push({ type: "close" });
    this.flush();
    this.readyState = CLOSED;
    if (this.#pingTimer) clearTimeout(this.#pingTimer);
  }
  serializeAttachment(value: unknown): void {
    this.#attachment = value;
  }
  deserializeAttachment(): unknown {
    return this.#attachment;
  }
  get waiting(): boolean {
    return this.#waiter !== null;
  }
  /** The packets queued for the session, and the queue emptied (an upgrade moves them). */
  drain(): EioPacket[] {
    const packets = this.#queue;
    this.#queue = [];
    return packets;
  }

  /** A GET: the queued packets now, or the next ones (a ping after `PING_INTERVAL_MS` at the latest). */
  poll(): Promise<string> {
    this.lastSeen = Date.now();
    return new Promise((resolve) => {
      this.#waiter = resolve;
      if (this.#upgrading && this.#queue.length === 0) this.#queue.push({ type: "noop" });
      if (this.#queue.length > 0 || this.readyState !== OPEN) {
        this.flush();
        return;
      }
      this.#pingTimer = setTimeout(() => this.push({ type: "ping" }), PING_INTERVAL_MS);
    });
  }

  /**
   * An upgrade probe succeeded: the pending GET, and any GET until the upgrade completes, is
   * answered at once with a noop, so the client can pause polling and switch.
   */
  release(): void {
    this.#upgrading = true;
    if (!this.#waiter) return;
    this.#queue.push({ type: "noop" });
    this.flush();
  }

  private flush(): void {
    const waiter = this.#waiter;
    if (!waiter || this.#queue.length === 0) return;
    this.#waiter = null;
    if (this.#pingTimer) clearTimeout(this.#pingTimer);
    this.#pingTimer = null;
    const packets = this.#queue;
    this.#queue = [];
    this.lastSeen = Date.now();
    encodePayload(packets, (payload) => waiter(payload));
  }
}

export { decodePacket, decodePayload, type EioPacket, encodePacket, encodePayload, PacketType, type SioPacket };
