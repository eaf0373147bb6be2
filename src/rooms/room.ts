/**
 * Room: the base of Floorline's WebSocket Durable Objects (production line, inventory).
 *
 * How a connection arrives: a route calls `connectToRoom()` (src/lib/rooms.ts), which
 * authenticates `?token=` and sends this object a fresh internal request carrying the
 * principal. `fetch` accepts only that request, so identity never comes from the client.
 *
 * What the base does for every room:
 * - hibernation: sockets are accepted with `ctx.acceptWebSocket`; each keeps its connection
 *   (id, principal, a small per-socket state) in `serializeAttachment`, so a room that is
 *   evicted and woken again (the constructor runs again) still knows who is on every socket;
 * - `{"type":"ping"}` → `{"type":"pong"}` by the runtime's auto-response, without waking the
 *   object; a ping with more fields (e.g. a `timestamp`) reaches the handler and gets the same;
 * - every client message is size-capped, parsed as JSON and validated with zod against the
 *   room's `messages`; anything wrong gets an `error` message and the socket stays open;
 * - `broadcast()` numbers room events with a sequence kept in storage (it survives eviction);
 * - `publish()` (RPC) lets services push a typed event; `connections()` (RPC) lists who is on.
 *
 * A domain's room, in four steps (see inventory-room.ts):
 *   1. messages:  `const Messages = { cursor: z.object({ data: … }) } satisfies MessageSchemas;`
 *   2. events:    `type Events = { cursor_updated: { data: {…} } };` (fields beside `type`)
 *   3. the class: `class XRoom extends Room<typeof Messages, Events, State> {
 *                    protected readonly messages = Messages;
 *                    protected override onMessage(conn, msg) { switch (msg.type) { … } } }`
 *   4. server pushes: services call `deps.rooms.x.get(id).publish({ type, data })`.
 * Storage keys starting with `room:` belong to this base.
 */
import { DurableObject } from "cloudflare:workers";
import type { z } from "zod";
import { AppError } from "../lib/errors";
import { describeError, log } from "../lib/logging";
import { refuseSocket } from "../lib/rooms";
import { type Budget, fullBudget, lowerBudget, refilled, startRefusal, withCooldown } from "./budget";
import {
  type BaseEvents,
  ClientEnvelope,
  type ClientMessageOf,
  decodeRoomConnect,
  MAX_CLIENT_MESSAGE_BYTES,
  type MessageIssue,
  type MessageSchemas,
  PING,
  PONG,
  ROOM_CONNECT_HEADER,
  type RoomErrorCode,
  type RoomPrincipal,
  type ServerMessageOf,
  type SocketTarget,
} from "./messages";

/**
 * What a room needs of a socket: a hibernatable WebSocket is one; so are the Socket.IO sockets
 * (src/rooms/socketio.ts: an upgraded WebSocket that speaks Socket.IO, or a long-polling session),
 * which encode the room's JSON messages as Socket.IO events.
 */
export interface RoomSocket {
  send(message: string): void;
  close(code?: number, reason?: string): void;
  readonly readyState: number;
  serializeAttachment(value: unknown): void;
  deserializeAttachment(): unknown;
}

/** One socket in a room, as handlers see it. */
export interface Connection<State> {
  readonly ws: RoomSocket;
  /** Random per socket; a user with two tablets has two. */
  readonly id: string;
  readonly principal: RoomPrincipal;
  readonly connectedAt: string;
  /** What the room keeps for this socket (subscriptions, cursor…); `null` until set. */
  readonly state: State | null;
}

/** What `connections()` reports: who is on, without internals. */
export interface ConnectionInfo {
  id: string;
  userId: string;
  username: string;
  role: string;
  connectedAt: string;
}

/** Kept on each socket with `serializeAttachment`; survives hibernation. */
export interface Attachment<State> {
  v: 1;
  id: string;
  principal: RoomPrincipal;
  connectedAt: string;
  state: State | null;
  /** Absent on sockets accepted before budgets existed: they start full. */
  budget?: Budget;
}

/** Close codes: 1008 (policy violation: rights, message rate), 1013 (try again later: resync budget, a connect refused by `startRefusal`). */
export const CLOSE_POLICY = 1008;
export const CLOSE_TRY_LATER = 1013;

/**
 * Sockets one user may hold in one room (plain WebSocket; Socket.IO has its own cap). Each has a
 * budget of its own, so the cap bounds what one user can make a room send at once. Generous for
 * one account shown on several screens of one line.
 */
export const MAX_ROOM_SOCKETS_PER_USER = 20;

/**
 * Budgets a room remembers of users whose sockets closed: a user's new socket starts with the
 * lowest budget their closed sockets left (refilled for the time between), so reconnecting after
 * a 1008 or 1013 buys no fresh burst. In memory, newest last: at most this many users, the oldest
 * forgotten.
 */
export const CARRIED_BUDGETS = 1_000;

// The runtime refuses attachments over 16 KiB; stay clear of it with JSON's size as the gauge.
const MAX_ATTACHMENT_BYTES = 15 * 1024;
const SEQ_KEY = "room:seq";
export const NAME_KEY = "room:name";
export const OPEN = 1;
const CLOSING = 2;
const encoder = new TextEncoder();
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

const ROOM_ERROR_CODES: ReadonlySet<string> = new Set<RoomErrorCode>([
  "MESSAGE_TOO_LARGE",
  "INVALID_JSON",
  "INVALID_MESSAGE",
  "UNKNOWN_TYPE",
  "VALIDATION_ERROR",
  "AUTHORIZATION_ERROR",
  "BAD_REQUEST",
  "BUSINESS_LOGIC_ERROR",
  "CONFLICT",
  "NOT_FOUND",
  "INTERNAL_ERROR",
]);
const isRoomErrorCode = (code: string): code is RoomErrorCode => ROOM_ERROR_CODES.has(code);

/** Thrown inside the base to answer a client message with an `error` message. */
class MessageRejected extends Error {
  constructor(
    readonly code: RoomErrorCode,
    message: string,
    readonly details?: MessageIssue[],
  ) {
    super(message);
  }
}

export function isAttachment<State>(value: unknown): value is Attachment<State> {
  return typeof value === "object" && value !== null && (value as { v?: unknown }).v === 1;
}

const issuesOf = (error: z.ZodError): MessageIssue[] =>
  error.issues.slice(0, 20).map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message }));

/**
 * Base class of the WebSocket rooms.
 *
 * @typeParam Messages client messages beyond `ping`: `type` → zod schema (see messages.ts)
 * @typeParam Events   server events the room broadcasts or publishes: `type` → fields
 * @typeParam State    per-socket state kept in the socket's attachment (structured-clonable, small)
 */
export abstract class Room<Messages extends MessageSchemas = Record<never, never>, Events = Record<never, never>, State = null> extends DurableObject<Env> {
  /** The client messages this room accepts (besides `ping`, which every room answers). */
  protected abstract readonly messages: Messages;
  /** Largest client message read, in bytes. */
  protected readonly maxMessageBytes: number = MAX_CLIENT_MESSAGE_BYTES;

  // Sockets whose close or error has been handled in this lifetime; they may still be listed.
  readonly #gone = new WeakSet<RoomSocket>();
  // The lowest budget each user's closed sockets left (`CARRIED_BUDGETS`).
  readonly #carried = new Map<string, Budget>();
  #seq: number | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Answered by the runtime itself, even while the object hibernates: it must match exactly.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
  }

  // ---------------------------------------------------------------------------------------------
  // RPC: commands from the Worker.

  /** Cheap liveness probe used by `/health/detailed`. */
  async ping(): Promise<{ ok: true; sockets: number }> {
    return { ok: true, sockets: this.connected().length };
  }

  /**
   * Closes the sockets of `target` in this room (1008 and `reason`): a user whose rights
   * changed (deactivated, deleted, demoted, logged out, password reset) must not keep
   * watching. The room's close hook runs at once (presence is updated for everyone else now,
   * not when the client's close frame arrives). Returns how many closed.
   */
  async disconnect(target: SocketTarget, reason: string): Promise<number> {
    const others = await this.disconnectOthers(target, reason);
    if ("sessionId" in target) return others + (await this.closeTagged(`session:${target.sessionId}`, reason));
    if ("role" in target) return others + (await this.closeTagged(`role:${target.role}`, reason));
    const keep = target.exceptSession === undefined ? undefined : `session:${target.exceptSession}`;
    return others + (await this.closeTagged(`user:${target.userId}`, reason, keep));
  }

  /** Who is connected now, oldest first (presence, tests, admin views). */
  async connections(): Promise<ConnectionInfo[]> {
    return this.connected().map(({ id, principal, connectedAt }) => ({
      id,
      userId: principal.userId,
      username: principal.username,
      role: principal.role,
      connectedAt,
    }));
  }

  /**
   * Pushes a server event to the sockets `shouldDeliver` admits, numbered with the room's next
   * sequence number. Services call it through the namespace stub; it is how a domain's writes
   * reach the tablets watching.
   */
  async publish(message: ServerMessageOf<Events>): Promise<{ seq: number; delivered: number }> {
    return this.broadcast(message, (conn) => this.shouldDeliver(conn, message));
  }

  // ---------------------------------------------------------------------------------------------
  // The WebSocket upgrade and the hibernation handlers.

  /**
   * Accepts the internal connect request that `connectToRoom` builds, and nothing else: a
   * request without its header (or with a malformed one) gets 400. The principal comes from
   * that header because only Worker code holding this namespace's binding can reach `fetch`,
   * and `connectToRoom` builds the request afresh rather than forwarding the client's.
   */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return Response.json({ error: "BAD_REQUEST", message: "Expected a WebSocket upgrade" }, { status: 426, headers: { Upgrade: "websocket" } });
    }
    const connect = decodeRoomConnect(request.headers.get(ROOM_CONNECT_HEADER));
    if (!connect) {
      return Response.json({ error: "BAD_REQUEST", message: "Rooms accept only connections made by connectToRoom()" }, { status: 400 });
    }
    const kv = this.ctx.storage.kv;
    if (kv.get(NAME_KEY) === undefined) kv.put(NAME_KEY, connect.room);
    // At most MAX_ROOM_SOCKETS_PER_USER sockets per user (1008 beyond); and a user whose closed
    // sockets spent their budget gets no room work (no welcome, no hook, no subscribe to refuse)
    // until it refills: the socket is closed with 1013 at once.
    const userTag = `user:${connect.principal.userId}`;
    let held = 0;
    for (const ws of this.ctx.getWebSockets(userTag)) {
      const socket = this.adapt(ws);
      if (socket && socket.readyState === OPEN && !this.#gone.has(socket)) held++;
    }
    if (held >= MAX_ROOM_SOCKETS_PER_USER) return refuseSocket(`At most ${MAX_ROOM_SOCKETS_PER_USER} connections per user in a room`, CLOSE_POLICY);
    const budget = this.startingBudget(connect.principal.userId);
    const refusal = startRefusal(budget);
    if (refusal) return refuseSocket(refusal, CLOSE_TRY_LATER);

    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    // Tags (≤ 10, ≤ 256 chars each) find a user's, a session's or a role's sockets when rights change.
    const tags = [userTag, `role:${connect.principal.role}`];
    if (connect.sessionId) tags.push(`session:${connect.sessionId}`);
    this.ctx.acceptWebSocket(server, tags);
    const attachment: Attachment<State> = {
      v: 1,
      id: crypto.randomUUID(),
      principal: connect.principal,
      connectedAt: new Date().toISOString(),
      state: null,
      budget,
    };
    server.serializeAttachment(attachment);
    const conn = this.toConnection(server, attachment);
    // Sent now, delivered once the client accepts: the greeting always comes first.
    this.send(conn, await this.welcome(conn));
    await this.runHook("onConnect", () => this.onConnect(conn));
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Validates one client message and hands it to `onMessage`; never throws. */
  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const conn = this.connectionOf(ws);
    if (!conn) {
      ws.close(1011, "Unknown connection");
      return;
    }
    if (!this.spendMessage(ws)) {
      await this.closeSocket(ws, CLOSE_POLICY, "Message rate exceeded");
      return;
    }
    try {
      const parsed = this.parse(message);
      if (parsed === "ping") {
        this.send(conn, { type: "pong" });
        return;
      }
      await this.onMessage(conn, parsed);
    } catch (err) {
      this.send(conn, { type: "error", data: this.describeFailure(err, conn) });
    }
  }

  /**
   * Handles one already-decoded client message (another transport's, e.g. a Socket.IO event
   * mapped to the room's shape) as `webSocketMessage` does after parsing: the budget is the
   * caller's to charge; errors are answered with an `error` message.
   */
  protected async dispatch(conn: Connection<State>, raw: unknown): Promise<void> {
    try {
      const parsed = this.validate(raw);
      if (parsed === "ping") return;
      await this.onMessage(conn, parsed);
    } catch (err) {
      this.send(conn, { type: "error", data: this.describeFailure(err, conn) });
    }
  }

  /** The client closed: forget the socket, answer the close, run `onClose`. */
  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    // 1005/1006 are reserved and may not be sent back; the runtime may already have answered.
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      /* already closed */
    }
    await this.gone(ws, code, reason);
  }

  /** The socket failed: treated as a close (1006). */
  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    log("warn", "room socket error", { room: this.roomName(), ...describeError(error) });
    await this.gone(ws, 1006, "error");
  }

  // ---------------------------------------------------------------------------------------------
  // Hooks for subclasses.

  /** The first message a socket gets. Default: MS5's `system_alert`; override to send a snapshot. */
  protected welcome(
    conn: Connection<State>,
  ): ServerMessageOf<Events> | ServerMessageOf<BaseEvents> | Promise<ServerMessageOf<Events> | ServerMessageOf<BaseEvents>> {
    const { userId, username, role } = conn.principal;
    return {
      type: "system_alert",
      data: { message: "Connected", room: this.roomName(), connection_id: conn.id, user: { id: userId, username, role }, last_seq: this.lastSeq() },
    };
  }

  /** After the welcome is sent: e.g. announce presence. */
  protected onConnect(_conn: Connection<State>): void | Promise<void> {}

  /**
   * A validated client message of one of the room's `messages` types. Throw an AppError (e.g.
   * `forbidden()`) to answer the sender with an `error` message of that code.
   */
  protected onMessage(_conn: Connection<State>, _message: ClientMessageOf<Messages>): void | Promise<void> {}

  /**
   * Sockets that are not plain hibernatable WebSockets of this room (Socket.IO): `adapt` turns a
   * WebSocket into the socket the room talks to (null: not in the room yet, e.g. a Socket.IO
   * socket that has not joined), `otherSockets` lists the rest (long-polling sessions), and
   * `disconnectOthers` closes those of a target when rights change. Defaults: plain sockets only.
   */
  protected adapt(ws: WebSocket): RoomSocket | null {
    return ws;
  }
  protected otherSockets(): RoomSocket[] {
    return [];
  }
  protected disconnectOthers(_target: SocketTarget, _reason: string): Promise<number> {
    return Promise.resolve(0);
  }

  /** After a socket closed or failed; `connected()` no longer lists it. Called once per socket. */
  protected onClose(_conn: Connection<State>, _code: number, _reason: string): void | Promise<void> {}

  /** Which sockets a `publish()`ed event reaches. Default: all. */
  protected shouldDeliver(_conn: Connection<State>, _message: ServerMessageOf<Events>): boolean {
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // Tools for subclasses.

  /**
   * The open sockets of this room (presence), oldest first. With `closing`, also those whose
   * close has begun but whose close hook has not run yet (they will still be handed to `onClose`).
   */
  protected connected(closing = false): Connection<State>[] {
    const conns: Connection<State>[] = [];
    const sockets: RoomSocket[] = [];
    for (const ws of this.ctx.getWebSockets()) {
      const socket = this.adapt(ws);
      if (socket) sockets.push(socket);
    }
    for (const socket of [...sockets, ...this.otherSockets()]) {
      if (this.#gone.has(socket) || (socket.readyState !== OPEN && !(closing && socket.readyState === CLOSING))) continue;
      const conn = this.connectionOf(socket);
      if (conn) conns.push(conn);
    }
    // ISO-8601 UTC strings order as plain strings (localeCompare costs far more per comparison).
    return conns.sort((a, b) => (a.connectedAt < b.connectedAt ? -1 : a.connectedAt > b.connectedAt ? 1 : 0));
  }

  /** Sends one message to one socket (no sequence number). Returns whether it was sent. */
  protected send(to: Connection<State>, message: ServerMessageOf<Events> | ServerMessageOf<BaseEvents>): boolean {
    try {
      to.ws.send(JSON.stringify({ ...message, timestamp: new Date().toISOString() }));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Sends a room event to every open socket `filter` admits, with the room's next sequence
   * number (`seq`). Numbers only grow, across evictions too; a filtered socket sees gaps.
   */
  protected broadcast(message: ServerMessageOf<Events>, filter?: (conn: Connection<State>) => boolean): { seq: number; delivered: number } {
    return this.broadcastEach((conn) => (!filter || filter(conn) ? [message] : []));
  }

  /**
   * Like `broadcast`, for one event a socket may receive under several names (a compat
   * protocol's): `render` gives each socket the messages it gets (none, one or more), all sent
   * with the same sequence number. `delivered` counts the sockets that got at least one.
   */
  protected broadcastEach(render: (conn: Connection<State>) => ServerMessageOf<Events>[]): { seq: number; delivered: number } {
    const seq = this.lastSeq() + 1;
    this.#seq = seq;
    // Outgoing messages wait for this write to be durable (output gate): no client sees a seq
    // the room could forget.
    this.ctx.storage.kv.put(SEQ_KEY, seq);
    const timestamp = new Date().toISOString();
    const payloads = new Map<ServerMessageOf<Events>, string>();
    let delivered = 0;
    for (const conn of this.connected()) {
      const messages = render(conn);
      if (messages.length === 0) continue;
      try {
        for (const message of messages) {
          let payload = payloads.get(message);
          if (payload === undefined) {
            payload = JSON.stringify({ ...message, timestamp, seq });
            payloads.set(message, payload);
          }
          conn.ws.send(payload);
        }
        delivered++;
      } catch {
        /* closing: its close handler cleans up */
      }
    }
    return { seq, delivered };
  }

  /** The last sequence number this room used (0 before its first event). */
  protected lastSeq(): number {
    this.#seq ??= this.ctx.storage.kv.get<number>(SEQ_KEY) ?? 0;
    return this.#seq;
  }

  /**
   * Whether `conn` may be sent a resync now (its resync budget is not spent). Call before a
   * replay or snapshot, and `chargeResync` with the bytes sent after it.
   */
  protected mayResync(conn: Connection<State>): boolean {
    return this.budgetOf(conn.ws).resyncBytes > 0;
  }

  /** Charges `bytes` of resync to `conn`'s budget (it may go below zero: the next waits). */
  protected chargeResync(conn: Connection<State>, bytes: number): void {
    const budget = this.budgetOf(conn.ws);
    this.writeBudget(conn.ws, { ...budget, resyncBytes: budget.resyncBytes - bytes });
  }

  /** Closes one socket now (code and short reason) and runs the close hook. */
  protected async closeSocket(ws: RoomSocket, code: number, reason: string): Promise<void> {
    try {
      ws.close(code, reason.slice(0, 120));
    } catch {
      /* already closing */
    }
    await this.gone(ws, code, reason);
  }

  /** Replaces a socket's state (kept in its attachment, so it survives hibernation). */
  protected setState(conn: Connection<State>, state: State): Connection<State> {
    const current: unknown = conn.ws.deserializeAttachment();
    // Other fields a transport keeps beside the base's (Socket.IO's session) stay as they are.
    const kept = isAttachment<State>(current) ? current : {};
    const attachment: Attachment<State> = { ...kept, v: 1, id: conn.id, principal: conn.principal, connectedAt: conn.connectedAt, state };
    if (encoder.encode(JSON.stringify(attachment)).byteLength > MAX_ATTACHMENT_BYTES) {
      throw new AppError("BAD_REQUEST", "Too much state for one connection");
    }
    conn.ws.serializeAttachment(attachment);
    return this.toConnection(conn.ws, attachment);
  }

  /** The name the Worker addressed this room by (`idFromName`). */
  protected roomName(): string {
    return this.ctx.storage.kv.get<string>(NAME_KEY) ?? this.ctx.id.name ?? this.ctx.id.toString();
  }

  // ---------------------------------------------------------------------------------------------

  private toConnection(ws: RoomSocket, a: Attachment<State>): Connection<State> {
    return { ws, id: a.id, principal: a.principal, connectedAt: a.connectedAt, state: a.state };
  }

  private async closeTagged(tag: string, reason: string, keepTag?: string): Promise<number> {
    let closed = 0;
    for (const ws of this.ctx.getWebSockets(tag)) {
      if (this.#gone.has(ws)) continue;
      if (keepTag !== undefined && this.ctx.getTags(ws).includes(keepTag)) continue;
      closed++;
      await this.closeSocket(ws, CLOSE_POLICY, reason);
    }
    return closed;
  }

  /** A new socket's budget: what the user's closed sockets left (`carry`), refilled since; else full. */
  protected startingBudget(userId: string): Budget {
    const now = Date.now();
    const carried = this.#carried.get(userId);
    return carried ? refilled(carried, now) : fullBudget(now);
  }

  /** Remembers what a closing socket left: the lower of it and what the user's sockets left before. */
  private carry(userId: string, budget: Budget): void {
    const now = Date.now();
    const before = this.#carried.get(userId);
    const left = refilled(budget, now);
    const kept = before ? lowerBudget(refilled(before, now), left) : left;
    // An idle second socket closing after a spent one must not launder a full budget in.
    this.#carried.delete(userId);
    this.#carried.set(userId, kept);
    if (this.#carried.size > CARRIED_BUDGETS) {
      const oldest = this.#carried.keys().next();
      if (!oldest.done) this.#carried.delete(oldest.value);
    }
  }

  private budgetOf(ws: RoomSocket): Budget {
    const attachment: unknown = ws.deserializeAttachment();
    return refilled(isAttachment<State>(attachment) ? attachment.budget : undefined, Date.now());
  }

  private writeBudget(ws: RoomSocket, budget: Budget): void {
    const attachment: unknown = ws.deserializeAttachment();
    if (isAttachment<State>(attachment)) ws.serializeAttachment({ ...attachment, budget });
  }

  /** Takes one message token; false when the socket has none left (it then owes the cooldown). */
  protected spendMessage(ws: RoomSocket): boolean {
    const budget = this.budgetOf(ws);
    if (budget.messages < 1) {
      // The caller closes the socket: it carries the cooldown out to the user's next socket.
      this.writeBudget(ws, withCooldown(budget));
      return false;
    }
    this.writeBudget(ws, { ...budget, messages: budget.messages - 1 });
    return true;
  }

  protected connectionOf(ws: RoomSocket): Connection<State> | null {
    const attachment: unknown = ws.deserializeAttachment();
    return isAttachment<State>(attachment) ? this.toConnection(ws, attachment) : null;
  }

  /** Size → JSON → envelope → the type's schema. Throws MessageRejected. */
  private parse(message: string | ArrayBuffer): ClientMessageOf<Messages> | "ping" {
    const max = this.maxMessageBytes;
    const tooLarge = () => new MessageRejected("MESSAGE_TOO_LARGE", `Messages are limited to ${max} bytes`);
    let text: string;
    if (typeof message === "string") {
      // A UTF-8 byte per UTF-16 unit at least, at most three: measure only when it matters.
      if (message.length > max || (message.length * 3 > max && encoder.encode(message).byteLength > max)) throw tooLarge();
      text = message;
    } else {
      if (message.byteLength > max) throw tooLarge();
      try {
        text = strictDecoder.decode(message);
      } catch {
        throw new MessageRejected("INVALID_MESSAGE", "Binary messages must be UTF-8 JSON");
      }
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new MessageRejected("INVALID_JSON", "Messages must be JSON");
    }
    return this.validate(raw);
  }

  /** A parsed client message: envelope → the type's schema. Throws MessageRejected. */
  private validate(raw: unknown): ClientMessageOf<Messages> | "ping" {
    const envelope = ClientEnvelope.safeParse(raw);
    if (!envelope.success) {
      throw new MessageRejected("INVALID_MESSAGE", "A message is a JSON object with a string 'type'", issuesOf(envelope.error));
    }
    const { type, timestamp } = envelope.data;
    if (type === "ping") return "ping";
    const schema: z.ZodType<object> | undefined = Object.hasOwn(this.messages, type) ? this.messages[type] : undefined;
    if (!schema) throw new MessageRejected("UNKNOWN_TYPE", `Unknown message type '${type}'`);
    const body = schema.safeParse(raw);
    if (!body.success) {
      const issues = issuesOf(body.error);
      throw new MessageRejected("VALIDATION_ERROR", `Invalid '${type}' message: ${issues[0]?.path || "message"} ${issues[0]?.message ?? ""}`.trim(), issues);
    }
    return { ...body.data, type, timestamp } as ClientMessageOf<Messages>;
  }

  private describeFailure(err: unknown, conn: Connection<State>): { error: RoomErrorCode; message: string; details?: MessageIssue[] | undefined } {
    if (err instanceof MessageRejected) return { error: err.code, message: err.message, details: err.details };
    if (err instanceof AppError && isRoomErrorCode(err.code)) return { error: err.code, message: err.message };
    // The user, not the connection id: a Socket.IO connection's id is its sid, which is a bearer.
    log("error", "room message handler failed", { room: this.roomName(), user: conn.principal.userId, ...describeError(err) });
    return { error: "INTERNAL_ERROR", message: "The message could not be handled" };
  }

  /** Whether a socket's close has been handled in this lifetime (its close hook ran). */
  protected hasGone(ws: RoomSocket): boolean {
    return this.#gone.has(ws);
  }

  /** Runs a socket's close hook once (the base calls it on close and error; other transports too). */
  protected async gone(ws: RoomSocket, code: number, reason: string): Promise<void> {
    if (this.#gone.has(ws)) return;
    this.#gone.add(ws);
    const conn = this.connectionOf(ws);
    if (!conn) return;
    this.carry(conn.principal.userId, this.budgetOf(ws));
    await this.runHook("onClose", () => this.onClose(conn, code, reason));
  }

  private async runHook(name: string, hook: () => void | Promise<void>): Promise<void> {
    try {
      await hook();
    } catch (err) {
      log("error", `room ${name} hook failed`, { room: this.roomName(), ...describeError(err) });
    }
  }
}
