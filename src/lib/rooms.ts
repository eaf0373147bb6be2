/**
 * WebSocket rooms, the Worker's side. An upgrade route declares its permission (and tab) like
 * any route, with `upgrade: true`, and its handler calls `connectToRoom()`:
 *
 *   router.openapi(defineRoute({ method: "get", path: "/lines/{id}/ws", access: "line:read", upgrade: true,
 *       summary: "Live events of one line (WebSocket, ?token=)", tags: ["production"], request: { params } }),
 *     (c) => connectToRoom(c, c.get("deps").rooms.line, c.req.valid("param").id, { exists: () => lineExists(c.get("deps"), id) }));
 *
 * `route()` hands an upgrade request to `authenticateUpgrade()` below: browsers cannot put
 * headers on a WebSocket, so it reads `?token=`, checks the declared access and tab, and refuses
 * with a 101 whose socket is closed at once with 1008 (MS5's tablets read the close code). Any
 * other request is authenticated and authorised as on every route, then answered 426.
 *
 * Pushing an event from a service (after the write is committed):
 *
 *   await deps.rooms.line.get(deps.rooms.line.idFromName(lineId)).publish({ type: "andon_event", line_id: lineId, data });
 *
 * Closing sockets when a user's rights change: `closeSockets()` (modules/users/sockets.ts).
 * Adding a client message or an event type: see src/rooms/room.ts.
 */
import type { Context, Next } from "hono";
import { encodeRoomConnect, ROOM_CONNECT_HEADER, ROOM_CONNECT_URL, RoomName, type RoomPrincipal } from "../rooms/messages";
import type { Room } from "../rooms/room";
import type { AppEnv, UserPrincipal } from "../types";
import { authenticateSocketToken } from "./auth";
import { AppError } from "./errors";
import { missingAccess } from "./rbac";
import type { RouteSpec } from "./route";
import { v1Surface } from "./surface";

/** What a connection needs besides the route's declared access. */
export interface RoomAccess {
  /**
   * Whether the room's subject exists (the line, the location). Asked only after the token and
   * access are checked (an anonymous caller learns nothing), and before the Durable Object is
   * touched (a caller cannot mint rooms): `false` refuses with 1008.
   */
  exists?: () => Promise<boolean>;
  /** The close reason when `exists` answers false. */
  unknown?: string;
}

/** Close code for a refused connection: MS5's tablets expect 1008 (policy violation). */
export const POLICY_VIOLATION = 1008;

// A JWT is a few hundred bytes; anything far longer is not one and is not worth verifying.
const MAX_TOKEN_LENGTH = 4096;

/** Any class on the Room base: only their stubs understand the internal connect. */
type AnyRoom = Rpc.DurableObjectBranded & Pick<Room, "connections" | "publish">;

// Requests whose `?token=` authenticateUpgrade() accepted; only those may reach a room.
const admitted = new WeakSet<Context<AppEnv>>();

/** Whether a request asks for a WebSocket (`Upgrade: websocket`). */
export const isUpgradeRequest = (c: Context<AppEnv>): boolean => c.req.header("upgrade")?.toLowerCase() === "websocket";

/**
 * `route()`'s step for an upgrade request on a route declared `upgrade: true`: authenticates
 * `?token=` and checks the declared access and tab. A missing, malformed, expired or revoked
 * token, or a user without the access or tab, gets a 101 closed at once with 1008 and a short
 * reason; otherwise the principal is set and the handler runs.
 */
export async function authenticateUpgrade(c: Context<AppEnv>, spec: RouteSpec, next: Next): Promise<Response | undefined> {
  const token = c.req.query("token");
  if (!token) return refuseSocket("Authentication required");
  if (token.length > MAX_TOKEN_LENGTH) return refuseSocket("Malformed token");
  let principal: UserPrincipal;
  try {
    principal = await authenticateSocketToken(c.get("deps"), token);
  } catch (err) {
    if (err instanceof AppError && err.code === "AUTHENTICATION_ERROR") return refuseSocket(err.message);
    throw err;
  }
  c.set("principal", principal);
  const missing = missingAccess(principal, spec);
  if (missing) {
    return refuseSocket(
      "tab" in missing
        ? `The '${missing.tab}' tab is required`
        : "permission" in missing
          ? `Permission '${missing.permission}' is required`
          : "A user is required",
    );
  }
  admitted.add(c);
  await next();
  return undefined;
}

/**
 * Upgrades a client's request to a WebSocket on the room `roomName` of `namespace`, for the
 * principal `authenticateUpgrade` admitted.
 *
 * - No `Upgrade: websocket` header: a 426 JSON error (the API's one error shape).
 * - `access.exists` answers false: a 101 closed with 1008.
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
  if (!isUpgradeRequest(c)) {
    const surface = c.get("surface") ?? v1Surface;
    const { body } = surface.render(new AppError("BAD_REQUEST", "This endpoint expects a WebSocket upgrade"), c.get("requestId") ?? "");
    return c.json(body, 426, { Upgrade: "websocket" });
  }
  const principal = c.get("principal");
  if (!admitted.has(c) || principal?.kind !== "user") {
    throw new AppError("INTERNAL_ERROR", "connectToRoom() needs a route declared with upgrade: true");
  }
  const room = RoomName.safeParse(roomName);
  if (!room.success) return refuseSocket("Invalid room name");
  if (access.exists && !(await access.exists())) return refuseSocket(access.unknown ?? "No such room");

  const request = new Request(ROOM_CONNECT_URL, {
    headers: {
      Upgrade: "websocket",
      [ROOM_CONNECT_HEADER]: encodeRoomConnect({ room: room.data, principal: roomPrincipal(principal), sessionId: principal.sessionId }),
    },
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
 * A 101 whose socket is already closed with `code` (1008 unless told): the client sees the close
 * code and reason. Close reasons are limited to 123 bytes; ours are short and ASCII.
 */
export function refuseSocket(reason: string, code: number = POLICY_VIOLATION): Response {
  const pair = new WebSocketPair();
  const [client, server] = [pair[0], pair[1]];
  server.accept();
  server.close(code, reason.slice(0, 120));
  return new Response(null, { status: 101, webSocket: client });
}
