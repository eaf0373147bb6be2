/**
 * Wire shapes shared by every room and by the Worker that connects clients to them
 * (`src/lib/rooms.ts`): the internal connect request, the client envelope, and the typing
 * helpers rooms use to declare their own messages and events.
 *
 * Envelope (MS5's shape): every message in either direction is a JSON object with a `type`.
 * Server messages carry `timestamp` (ISO 8601 UTC), usually `data`, and `seq` when they are
 * room events (see `Room.broadcast`). Client messages may carry `data` and `timestamp`;
 * MS5's `subscribe` puts its fields beside `type`, so a room's schema for a type validates the
 * whole object, not only `data`.
 */
import { z } from "zod";

/** Longest client message a room reads; larger ones get an `error` reply. */
export const MAX_CLIENT_MESSAGE_BYTES = 8 * 1024;

const Name = z.string().min(1).max(64);

/**
 * Who is on a socket: what `connectToRoom` resolved from the access token. Nothing secret
 * (no token, no session id) and small, because it is kept in the socket's attachment (≤ 16 KiB).
 * `permissions` is the role's set at connect time: any change of the user's rights closes the
 * socket (the Worker's `closeSockets`), so a reconnect is what picks up new rights.
 */
export const RoomPrincipal = z.object({
  userId: z.string().min(1).max(64),
  username: z.string().min(1).max(150),
  role: Name,
  tabs: z.array(Name).max(100),
  permissions: z.array(Name).max(100),
});
export type RoomPrincipal = z.infer<typeof RoomPrincipal>;

/** A room's name as the Worker addresses it (`idFromName`): a line id, `"inventory"`, …. */
export const RoomName = z.string().min(1).max(128);

/** What the Worker tells a room about a connection it has already authenticated. */
export const RoomConnect = z.object({
  room: RoomName,
  principal: RoomPrincipal,
  /** The session the token belongs to: its sockets close when it ends (logout). Never sent to clients. */
  sessionId: z.string().min(1).max(128).optional(),
});
export type RoomConnect = z.infer<typeof RoomConnect>;

/**
 * Which sockets a room closes when rights change (`Room.disconnect`): one user's (all but
 * those of `exceptSession`, the session that changed its own password), one session's
 * (logout), or every holder of a role's (the role's permissions or tabs changed).
 */
export type SocketTarget = { userId: string; exceptSession?: string | undefined } | { sessionId: string } | { role: string };

/** The URL and header of the internal connect request; only `connectToRoom` builds one. */
export const ROOM_CONNECT_URL = "https://room.internal/connect";
export const ROOM_CONNECT_HEADER = "x-floorline-room-connect";

/** Header values must be ASCII; usernames need not be. */
export const encodeRoomConnect = (connect: RoomConnect): string => encodeURIComponent(JSON.stringify(connect));

/** The connect payload of an internal request, or null when it is missing or malformed. */
export function decodeRoomConnect(header: string | null): RoomConnect | null {
  if (header === null || header.length > 32 * 1024) return null;
  try {
    const parsed = RoomConnect.safeParse(JSON.parse(decodeURIComponent(header)));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Every client message: an object with a bounded `type`; other fields are the type's business. */
export const ClientEnvelope = z.looseObject({
  type: z.string().min(1).max(64),
  timestamp: z.string().max(64).optional(),
});

/** `{"type":"ping"}` gets `{"type":"pong"}`; rooms answer it without waking (auto-response). */
export const PING = JSON.stringify({ type: "ping" });
export const PONG = JSON.stringify({ type: "pong" });

/** Codes of the `error` messages a room sends; handlers may also throw an AppError's code. */
export type RoomErrorCode =
  | "MESSAGE_TOO_LARGE"
  | "INVALID_JSON"
  | "INVALID_MESSAGE"
  | "UNKNOWN_TYPE"
  | "VALIDATION_ERROR"
  | "AUTHORIZATION_ERROR"
  | "BAD_REQUEST"
  | "BUSINESS_LOGIC_ERROR"
  | "CONFLICT"
  | "NOT_FOUND"
  | "INTERNAL_ERROR";

/** One field-level problem of an invalid message (`data.sku`). */
export interface MessageIssue {
  path: string;
  message: string;
}

/** A JSON value, as events carry in `data`. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * A room's client messages: `type` → zod schema of the whole message (its `type` is checked
 * before). Declare it with `satisfies MessageSchemas` so the keys stay literal.
 */
export type MessageSchemas = Record<string, z.ZodType<object>>;

/** The parsed client message of a room whose schemas are `S`: a union discriminated by `type`. */
export type ClientMessageOf<S> = {
  [K in keyof S & string]: { type: K; timestamp?: string | undefined } & (S[K] extends z.ZodType<infer O> ? O : never);
}[keyof S & string];

/** A room's server events: `type` → the fields beside `type` (`data`, MS5's `line_id`, …). */
export type EventMap = Record<string, object>;

/** Messages every room may send. */
export type BaseEvents = {
  /** MS5's greeting on connect (rooms may override `welcome()` with a snapshot instead). */
  system_alert: {
    data: { message: string; room: string; connection_id: string; user: { id: string; username: string; role: string }; last_seq: number };
  };
  pong: { data?: undefined };
  error: { data: { error: RoomErrorCode; message: string; details?: MessageIssue[] | undefined } };
};

/** A message of events `E`, before `timestamp`/`seq` are added: a union discriminated by `type`. */
export type ServerMessageOf<E> = {
  [K in keyof E & string]: { type: K } & E[K];
}[keyof E & string];
