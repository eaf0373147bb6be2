/**
 * WebSocket rooms, the Worker's side: one helper, `connectToRoom()`, that every upgrade route
 * calls. The rooms themselves (Durable Objects on the `Room` base) live in src/rooms/.
 *
 * An upgrade route, e.g. MS5's line feed:
 *
 *   router.get("/lines/:lineId/ws",
 *     route({ access: "public", summary: "Live events of one line (WebSocket, ?token=)", tags: ["production"] }),
 *     (c) => connectToRoom(c, c.var.deps.rooms.line, c.req.param("lineId"), { access: "line:read" }));
 *
 * The route is `public` because browsers cannot put headers on a WebSocket: the helper
 * authenticates `?token=` itself and checks `access`/`tab` like `route()` would.
 *
 * Pushing an event from a service (after the write is committed):
 *
 *   await deps.rooms.line.get(deps.rooms.line.idFromName(lineId)).publish({ type: "andon_event", line_id: lineId, data });
 *
 * Adding a client message or an event type: see src/rooms/room.ts.
 */
import type { Context } from "hono";
import { encodeRoomConnect, ROOM_CONNECT_HEADER, ROOM_CONNECT_URL, RoomName, type RoomPrincipal } from "../rooms/messages";
import type { Room } from "../rooms/room";
import type { AppEnv, UserPrincipal } from "../types";
import { authenticateToken } from "./auth";
import { AppError } from "./errors";
import { type AccessRule, hasPermission, isAllowed, type Permission } from "./rbac";
import { v1Surface } from "./surface";

/** What a connection needs besides a valid token. */
export interface RoomAccess {
  /** Permission the user must hold (`line:read`), or any signed-in user (default). */
  access?: Permission | "authenticated";
  /** RM365 tab the room belongs to; the user must hold it. */
  tab?: string;
}

/** Close code for a refused connection: MS5's tablets expect 1008 (policy violation). */
export const POLICY_VIOLATION = 1008;

// A JWT is a few hundred bytes; anything far longer is not one and is not worth verifying.
const MAX_TOKEN_LENGTH = 4096;

/** Any class on the Room base: only their stubs understand the internal connect. */
type AnyRoom = Rpc.DurableObjectBranded & Pick<Room, "connections" | "publish">;

/**
 * Upgrades a client's request to a WebSocket on the room `roomName` of `namespace`.
 *
 * - No `Upgrade: websocket` header: a 426 JSON error (the API's one error shape).
 * - Missing, malformed, expired or revoked `?token=`, or a user without `access`/`tab`: the
 *   Worker completes the upgrade itself and closes the socket at once with 1008 and a short
 *   reason (MS5's behaviour: its tablets read the close code, not an HTTP status).
 * - Otherwise the room accepts the socket and the 101 is returned.
 *
 * Why the room can trust the identity it is given: the principal travels in a request this
 * function builds from nothing but constants and the authenticated principal. None of the
 * client's request (headers, URL, body) is forwarded, so a client-sent `x-floorline-user` or
 * even a forged `x-floorline-room-connect` header never reaches the room. And a room's `fetch`
 * is reachable only through its namespace binding, which only this Worker's code holds.
 * (Workers RPC cannot return a WebSocket, workerd#2319, so the upgrade must go through `fetch`.)
 * Never route a client's request to a room with `stub.fetch(c.req.raw)`.
 */
export async function connectToRoom<T extends AnyRoom>(
  c: Context<AppEnv>,
  namespace: DurableObjectNamespace<T>,
  roomName: string,
  access: RoomAccess = {},
): Promise<Response> {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    const surface = c.get("surface") ?? v1Surface;
    const { body } = surface.render(new AppError("BAD_REQUEST", "This endpoint expects a WebSocket upgrade"), c.get("requestId") ?? "");
    return c.json(body, 426, { Upgrade: "websocket" });
  }
  const room = RoomName.safeParse(roomName);
  if (!room.success) throw new AppError("BAD_REQUEST", "Invalid room name");

  const token = c.req.query("token");
  if (!token) return refuseSocket("Authentication required");
  if (token.length > MAX_TOKEN_LENGTH) return refuseSocket("Malformed token");
  let principal: UserPrincipal;
  try {
    principal = await authenticateToken(c.var.deps, token);
  } catch (err) {
    if (err instanceof AppError && err.code === "AUTHENTICATION_ERROR") return refuseSocket(err.message);
    throw err;
  }
  c.set("principal", principal);
  const needed = access.access ?? "authenticated";
  const rule: AccessRule = { access: needed, tab: access.tab };
  if (!isAllowed(principal, rule)) {
    const lacksTab = needed === "authenticated" || hasPermission(principal.permissions, needed);
    return refuseSocket(lacksTab ? `The '${rule.tab}' tab is required` : `Permission '${needed}' is required`);
  }

  const request = new Request(ROOM_CONNECT_URL, {
    headers: { Upgrade: "websocket", [ROOM_CONNECT_HEADER]: encodeRoomConnect({ room: room.data, principal: roomPrincipal(principal) }) },
  });
  const res = await namespace.get(namespace.idFromName(room.data)).fetch(request);
  if (res.status !== 101 || !res.webSocket) {
    throw new AppError("INTERNAL_ERROR", `Room refused the connection (${res.status})`);
  }
  return res;
}

/** The part of a principal a room keeps: no session id, nothing secret. */
export function roomPrincipal(p: UserPrincipal): RoomPrincipal {
  return { userId: p.userId, username: p.username, role: p.role, tabs: [...p.tabs], permissions: [...p.permissions] };
}

/**
 * A 101 whose socket is already closed with 1008: the client sees the close code and reason.
 * Close reasons are limited to 123 bytes; ours are short and ASCII.
 */
export function refuseSocket(reason: string): Response {
  const pair = new WebSocketPair();
  const [client, server] = [pair[0], pair[1]];
  server.accept();
  server.close(POLICY_VIOLATION, reason.slice(0, 120));
  return new Response(null, { status: 101, webSocket: client });
}
