/**
 * The Socket.IO endpoint's protocol, shared by the Worker (src/modules/inventory/socketio.ts) and
 * the room (InventoryRoom, src/rooms/socketio.ts): limits, the sid (it names the room), the
 * internal request's header, Engine.IO's HTTP errors, and reading a CONNECT's auth.token. Like the
 * other *-protocol.ts files it imports no room class, so modules may import it.
 */
import { decodePayload, type Packet as EioPacket } from "engine.io-parser";
import { Decoder, PacketType, type Packet as SioPacket } from "socket.io-parser";
import { z } from "zod";
import { RoomName, RoomPrincipal } from "./messages";

/** Engine.IO timings and limits, announced in the open packet. */
export const PING_INTERVAL_MS = 25_000;
export const PING_TIMEOUT_MS = 20_000;
/** Largest polling body or WebSocket frame read (Engine.IO's maxHttpBufferSize / maxPayload). */
export const MAX_HTTP_BUFFER_BYTES = 64 * 1024;
/** Socket.IO sockets (polling or upgraded) one user may hold in one room. */
export const MAX_SOCKETS_PER_USER = 10;
/**
 * Sessions that have not connected a namespace yet ("pending"); they expire after
 * `CONNECT_TIMEOUT_MS` (socket.io-client sends its CONNECT at once). A handshake without
 * credentials (no cookie, no ?token=: a client that will send auth.token, or anyone) is anonymous:
 * at most `MAX_ANONYMOUS_PENDING_PER_CLIENT` per client address (CF-Connecting-IP) and
 * `MAX_ANONYMOUS_PENDING` per room. A handshake with credentials counts against its user only
 * (`MAX_PENDING_PER_USER`), never against the anonymous caps: anonymous callers cannot take its slots.
 */
export const MAX_ANONYMOUS_PENDING = 100;
export const MAX_ANONYMOUS_PENDING_PER_CLIENT = 8;
export const MAX_PENDING_PER_USER = 10;
export const CONNECT_TIMEOUT_MS = 10_000;
/** Engine.IO packets a session may send before its Socket.IO CONNECT. */
export const MAX_PACKETS_BEFORE_CONNECT = 8;
/** Polling sessions per room, all states (a room's memory is bounded). */
export const MAX_POLLING_SESSIONS = 2_000;

/** The internal requests' URL prefix and the header carrying what the Worker established. */
export const SIO_URL = "https://room.internal/socket.io/";
export const SIO_HEADER = "x-floorline-sio";
export const SIO_TAG = "sio";

/** What the Worker tells the room about one Engine.IO request. */
export const SioMeta = z.object({
  room: RoomName,
  /** From the session cookie or `?token=` (handshake, upgrade), or a CONNECT packet's `auth.token` (POST). */
  principal: RoomPrincipal.optional(),
  /** The login session of `principal` (its sockets close on logout). Never sent to clients. */
  sessionId: z.string().min(1).max(128).optional(),
  /** Why a presented token was refused: sent as the `connect_error` message. */
  authError: z.string().min(1).max(200).optional(),
  /**
   * The cookie or ?token= this request carries, if any: a fingerprint (SHA-256, hex) of it, and who
   * it names when its signature verifies (expiry aside, the session is not looked up). A session's
   * later requests must carry the handshake's credential, or one naming the same user and login session.
   */
  credential: z
    .object({
      fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
      userId: z.string().min(1).max(64).optional(),
      sessionId: z.string().min(1).max(128).optional(),
    })
    .optional(),
  /** The client's address (CF-Connecting-IP): anonymous handshakes are counted by it. */
  client: z.string().min(1).max(64).optional(),
});
export type SioMeta = z.infer<typeof SioMeta>;

export const encodeSioMeta = (meta: SioMeta): string => encodeURIComponent(JSON.stringify(meta));
export function decodeSioMeta(header: string | null): SioMeta | null {
  if (header === null || header.length > 32 * 1024) return null;
  try {
    const parsed = SioMeta.safeParse(JSON.parse(decodeURIComponent(header)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

const toBase64Url = (text: string): string =>
  btoa(String.fromCharCode(...new TextEncoder().encode(text)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

/** A new sid for a session of `room`. */
export function newSid(room: string): string {
  const random = new Uint8Array(15);
  crypto.getRandomValues(random);
  return `${toBase64Url(room)}.${toBase64Url(String.fromCharCode(...random))}`;
}

/** The room a sid names, or null when it is not one of ours. */
export function roomOfSid(sid: string): string | null {
  if (sid.length > 300) return null;
  const match = /^([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]{16,40}$/.exec(sid);
  if (!match?.[1]) return null;
  try {
    const binary = atob(match[1].replace(/-/g, "+").replace(/_/g, "/"));
    const room = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(binary, (ch) => ch.charCodeAt(0)));
    return RoomName.safeParse(room).success ? room : null;
  } catch {
    return null;
  }
}

/** Engine.IO's HTTP errors, as its server sends them (the client reconnects on them). */
export const EIO_ERRORS = {
  unknownTransport: { code: 0, message: "Transport unknown" },
  unknownSid: { code: 1, message: "Session ID unknown" },
  badRequest: { code: 3, message: "Bad request" },
  forbidden: { code: 4, message: "Forbidden" },
  unsupportedVersion: { code: 5, message: "Unsupported protocol version" },
} as const;
export const eioError = (error: (typeof EIO_ERRORS)[keyof typeof EIO_ERRORS], status = 400): Response => Response.json(error, { status });

// ---------------------------------------------------------------------------------------------
// Socket.IO packets

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Decodes one Socket.IO packet; null when it is malformed or binary (not accepted here). */
export function decodeSio(text: string): SioPacket | null {
  const decoder = new Decoder();
  let packet: SioPacket | null = null;
  decoder.on("decoded", (p: SioPacket) => {
    packet = p;
  });
  try {
    decoder.add(text);
  } catch {
    return null;
  } finally {
    decoder.destroy();
  }
  const p = packet as SioPacket | null;
  if (!p || p.type === PacketType.BINARY_EVENT || p.type === PacketType.BINARY_ACK) return null;
  return p;
}

/** The `auth.token` of a CONNECT packet, if the payload carries one (the Worker verifies it). */
export function connectTokenOf(payload: string): string | null | "invalid" {
  let packets: EioPacket[];
  try {
    packets = decodePayload(payload);
  } catch {
    return "invalid";
  }
  for (const packet of packets) {
    if (packet.type === "error") return "invalid";
    if (packet.type !== "message" || typeof packet.data !== "string" || !packet.data.startsWith("0")) continue;
    const sio = decodeSio(packet.data);
    if (!sio) return "invalid";
    const auth: unknown = sio.data;
    if (isObject(auth) && typeof auth.token === "string") return auth.token.slice(0, 4097);
  }
  return null;
}
