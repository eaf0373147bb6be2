/**
 * Pushing line events: every event goes to its line's room and to the floor room (MS5's `/ws/`,
 * where tablets subscribe to lines by id). Call after the write has committed.
 */

import { productionLines } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { describeError, log } from "../../lib/logging";
import type { LineEventMessage, LineLiveState } from "../../rooms/line-protocol";
import { FLOOR_ROOM } from "../../rooms/line-protocol";
import type { SocketTarget } from "../../rooms/messages";

/** The stub of a line's room (or of the floor room). */
export const lineRoom = (deps: Pick<Deps, "rooms">, name: string) => deps.rooms.line.get(deps.rooms.line.idFromName(name));

/**
 * Publishes `message` to its line's room and to the floor room. The write it reports has
 * committed, so a failed push is logged, not thrown: the tablets resynchronise from the next
 * snapshot, and the client's request still succeeded.
 */
export async function publishLine(deps: Pick<Deps, "rooms" | "requestId">, message: LineEventMessage): Promise<void> {
  const results = await Promise.allSettled([lineRoom(deps, message.line_id).publish(message), lineRoom(deps, FLOOR_ROOM).publish(message)]);
  for (const result of results) {
    if (result.status === "rejected") log("error", "line event not pushed", { requestId: deps.requestId, type: message.type, ...describeError(result.reason) });
  }
}

/** Publishes to the floor room only (the line's room has already published it). */
export async function publishFloor(deps: Pick<Deps, "rooms" | "requestId">, message: LineEventMessage): Promise<void> {
  await lineRoom(deps, FLOOR_ROOM)
    .publish(message)
    .catch((err: unknown) => log("error", "line event not pushed to the floor", { requestId: deps.requestId, type: message.type, ...describeError(err) }));
}

/** What a room's `live()` answers. */
export interface RoomLive {
  seq: number;
  lines: { [lineId: string]: LineLiveState };
}

/**
 * The live state a room holds (one line, or every line the floor room has seen). Typed here
 * because the RPC stub's inferred type of the recursive JSON state is too deep for tsc.
 */
export function roomLive(deps: Pick<Deps, "rooms">, name: string, lineId?: string): Promise<RoomLive> {
  const stub = lineRoom(deps, name) as unknown as { live(lineId?: string): Promise<RoomLive> };
  return stub.live(lineId);
}

/**
 * Closes `target`'s sockets in the floor room and in every line's room (1008, `reason`). A room
 * the target is not in answers 0 without waking any socket. Returns how many closed.
 */
export async function closeLineSockets(deps: Pick<Deps, "db" | "rooms" | "requestId">, target: SocketTarget, reason: string): Promise<number> {
  const lines = await deps.db.select({ id: productionLines.id }).from(productionLines);
  const names = [FLOOR_ROOM, ...lines.map((l) => l.id)];
  const results = await Promise.allSettled(names.map((name) => lineRoom(deps, name).disconnect(target, reason)));
  let closed = 0;
  for (const result of results) {
    if (result.status === "fulfilled") closed += result.value;
    else log("error", "closing line sockets failed", { requestId: deps.requestId, ...describeError(result.reason) });
  }
  return closed;
}
