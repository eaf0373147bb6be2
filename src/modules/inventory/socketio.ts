/**
 * RM365's Socket.IO endpoint, the Worker's side: `/ws/socket.io/` (Engine.IO v4 long-polling and
 * WebSocket, Socket.IO v5), served by the inventory room of a location (src/rooms/socketio.ts and
 * InventoryRoom hold the sessions).
 *
 * Who a socket is: established here, never taken from the client's claims.
 * - At the handshake and the upgrade: `?token=` (an access token), else the `floorline_sio`
 *   cookie that login sets for a page served from this origin (HttpOnly, SameSite=Strict, path
 *   `/ws/socket.io`). The cookie counts only when the request has no Origin or this origin.
 * - A CONNECT packet's `auth.token` (socket.io-client's `auth` option) in a POSTed payload is
 *   verified here too and wins over the handshake's.
 * Without any, the Engine.IO session opens but the Socket.IO CONNECT gets `connect_error` with
 * the reason (and the socket no room data). The principal reaches the room in a header of a
 * request built here from nothing of the client's but the Engine.IO body (see `connectToRoom`).
 *
 * Which room: the sid names it; a new session joins `?location=` (a signed-in caller, a real
 * location) or the configured RM365_SOCKET_LOCATION.
 */
import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { authenticateToken, verifyAccessToken } from "../../lib/auth";
import { AppError } from "../../lib/errors";
import { isUpgradeRequest, roomPrincipal } from "../../lib/rooms";
import { createRouter, defineRoute } from "../../lib/route";
import {
  connectTokenOf,
  EIO_ERRORS,
  eioError,
  encodeSioMeta,
  MAX_HTTP_BUFFER_BYTES,
  roomOfSid,
  SIO_HEADER,
  SIO_URL,
  type SioMeta,
} from "../../rooms/socketio-protocol";
import type { AppEnv } from "../../types";
import { locationExists } from "./live";
import { Location } from "./schemas";

/** The cookie that authenticates RM365's Socket.IO handshake (and nothing else). */
export const SIO_COOKIE = "floorline_sio";
export const SIO_PATH = "/ws/socket.io/";
const MAX_TOKEN_LENGTH = 4096;

/**
 * Sets the Socket.IO cookie after a login or refresh, only for a same-origin browser request (the
 * RM365 client served from this origin): `Sec-Fetch-Site: same-origin`, or an Origin equal to
 * ours. API clients, scripts and cross-origin pages never get it. Its path keeps it off every
 * REST route, and REST reads no cookie: it authenticates nothing but `/ws/socket.io/`.
 */
export function setSocketCookie(c: Context<AppEnv>, accessToken: string, maxAgeSeconds: number): void {
  if (!isSameOriginBrowser(c)) return;
  const secure = new URL(c.req.url).protocol === "https:";
  setCookie(c, SIO_COOKIE, accessToken, { httpOnly: true, secure, sameSite: "Strict", path: SIO_PATH, maxAge: maxAgeSeconds });
}

/** Removes the Socket.IO cookie (logout); harmless when there is none. */
export function clearSocketCookie(c: Context<AppEnv>): void {
  if (!isSameOriginBrowser(c)) return;
  const secure = new URL(c.req.url).protocol === "https:";
  setCookie(c, SIO_COOKIE, "", { httpOnly: true, secure, sameSite: "Strict", path: SIO_PATH, maxAge: 0 });
}

function isSameOriginBrowser(c: Context<AppEnv>): boolean {
  const site = c.req.header("sec-fetch-site");
  if (site !== undefined) return site === "same-origin";
  const origin = c.req.header("origin");
  return origin !== undefined && origin === new URL(c.req.url).origin;
}

type Authenticated = Pick<SioMeta, "principal" | "sessionId" | "authError">;

async function authenticate(c: Context<AppEnv>, token: string): Promise<Authenticated> {
  if (token.length > MAX_TOKEN_LENGTH) return { authError: "Invalid token: malformed" };
  try {
    const principal = await authenticateToken(c.get("deps"), token);
    return { principal: roomPrincipal(principal), sessionId: principal.sessionId };
  } catch (err) {
    if (err instanceof AppError && err.code === "AUTHENTICATION_ERROR") return { authError: `Invalid token: ${err.message}`.slice(0, 200) };
    throw err;
  }
}

/** The handshake's credentials: `?token=`, else the cookie (from this origin only); none is not an error. */
async function handshakeAuth(c: Context<AppEnv>): Promise<Authenticated> {
  const token = c.req.query("token");
  if (token) return authenticate(c, token);
  const origin = c.req.header("origin");
  if (origin !== undefined && origin !== new URL(c.req.url).origin) return {};
  const cookie = getCookie(c, SIO_COOKIE);
  return cookie ? authenticate(c, cookie) : {};
}

/** The request's credential (?token=, else the cookie from this origin), fingerprinted, and who it names if it verifies. */
async function requestCredential(c: Context<AppEnv>): Promise<SioMeta["credential"]> {
  const token = c.req.query("token") || (sameOriginOrNone(c) ? getCookie(c, SIO_COOKIE) : undefined);
  if (!token) return undefined;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  const fingerprint = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  if (token.length > MAX_TOKEN_LENGTH) return { fingerprint };
  try {
    const claims = await verifyAccessToken(c.get("deps").config, token);
    return { fingerprint, userId: claims.sub, sessionId: claims.sid };
  } catch (err) {
    if (err instanceof AppError && err.code === "AUTHENTICATION_ERROR") return { fingerprint };
    throw err;
  }
}

const sameOriginOrNone = (c: Context<AppEnv>): boolean => {
  const origin = c.req.header("origin");
  return origin === undefined || origin === new URL(c.req.url).origin;
};

const Query = z.object({
  EIO: z.string().max(8).optional().openapi({ description: "Engine.IO protocol version: 4" }),
  transport: z.string().max(16).optional().openapi({ description: "polling or websocket" }),
  sid: z.string().max(300).optional(),
  token: z.string().max(MAX_TOKEN_LENGTH).optional().openapi({ description: "An access token (else the floorline_sio cookie, or auth.token in CONNECT)" }),
  location: z.string().max(64).optional().openapi({ description: "The inventory room (default: RM365_SOCKET_LOCATION)" }),
  t: z.string().max(64).optional(),
});

async function handle(c: Context<AppEnv>): Promise<Response> {
  const q = Query.safeParse(c.req.query());
  if (!q.success) return eioError(EIO_ERRORS.badRequest);
  const { EIO, transport, sid } = q.data;
  if (EIO !== "4") return eioError(EIO_ERRORS.unsupportedVersion);
  if (transport !== "polling" && transport !== "websocket") return eioError(EIO_ERRORS.unknownTransport);
  const upgrade = isUpgradeRequest(c);
  if ((transport === "websocket") !== upgrade) return eioError(EIO_ERRORS.badRequest);
  const deps = c.get("deps");

  let room: string;
  let auth: Authenticated = {};
  if (!sid || upgrade) auth = await handshakeAuth(c);
  if (sid) {
    const named = roomOfSid(sid);
    if (!named) return eioError(EIO_ERRORS.unknownSid);
    room = named;
  } else {
    const fallback = deps.config.RM365_SOCKET_LOCATION;
    const wanted = q.data.location === undefined ? fallback : Location.safeParse(q.data.location).data;
    if (wanted === undefined) return eioError(EIO_ERRORS.badRequest);
    // Any other room needs a signed-in caller first (auth before existence) and a real location.
    if (wanted !== fallback && (!auth.principal || !(await locationExists(deps, wanted)))) return eioError(EIO_ERRORS.forbidden, 403);
    room = wanted;
  }

  let body: string | undefined;
  if (c.req.method === "POST") {
    if (!sid) return eioError(EIO_ERRORS.badRequest);
    const declared = Number(c.req.header("content-length") ?? "0");
    if (declared > MAX_HTTP_BUFFER_BYTES) return eioError(EIO_ERRORS.badRequest, 413);
    body = await c.req.text();
    if (body.length > MAX_HTTP_BUFFER_BYTES) return eioError(EIO_ERRORS.badRequest, 413);
    const token = connectTokenOf(body);
    if (typeof token === "string" && token !== "invalid") auth = await authenticate(c, token);
  }

  // Anonymous handshakes are capped per client address (the edge sets CF-Connecting-IP).
  const client = (c.req.header("cf-connecting-ip") ?? "local").slice(0, 64) || "local";
  const credential = await requestCredential(c);
  const meta: SioMeta = { room, ...auth, client, ...(credential ? { credential } : {}) };
  const url = `${SIO_URL}${sid ? `?sid=${encodeURIComponent(sid)}` : ""}`;
  const headers: Record<string, string> = { [SIO_HEADER]: encodeSioMeta(meta) };
  if (upgrade) headers.Upgrade = "websocket";
  const stub = deps.rooms.inventory.get(deps.rooms.inventory.idFromName(room));
  const res = await stub.fetch(new Request(url, { method: c.req.method, headers, ...(body !== undefined ? { body } : {}) }));
  if (upgrade) return res;
  return new Response(res.body, res);
}

const summary =
  "RM365's Socket.IO endpoint (Engine.IO 4 polling and WebSocket): authenticated by ?token=, the floorline_sio cookie or auth.token; events join_inventory_room, update_cursor, request_presence";
/**
 * The access layer lets every Engine.IO request through (its credentials are the handshake's
 * cookie or ?token=, or a CONNECT packet's auth.token, which only this module reads); the room
 * refuses a Socket.IO CONNECT without a principal holding inventory:read and the inventory tab,
 * and sends no room data before it (test/socketio/socketio.test.ts, "Socket.IO authentication").
 * The declaration says so (`ownAuth`, printed by the access matrix).
 */
const OWN_AUTH = "at CONNECT: inventory:read tab:inventory";
const responses = { 200: { description: "Engine.IO payload (text/plain)" }, 400: { description: "Engine.IO error {code, message}" } };

/** Mounted at the root: `/ws/socket.io/`. */
export const socketIoRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: SIO_PATH,
      access: "public",
      ownAuth: OWN_AUTH,
      idempotent: false,
      noStore: true,
      summary,
      tags: ["inventory"],
      request: { query: Query },
      responses,
    }),
    (c) => handle(c),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: SIO_PATH,
      access: "public",
      ownAuth: OWN_AUTH,
      idempotent: false,
      noStore: true,
      summary,
      tags: ["inventory"],
      request: { query: Query },
      responses,
    }),
    (c) => handle(c),
  );
