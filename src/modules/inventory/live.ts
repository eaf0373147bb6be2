/**
 * The inventory rooms, from the Worker's side, beyond the stock pushes in service.ts: which
 * locations have a room, and closing a user's sockets in every one of them.
 *
 * A location is real when it holds items or has stock history; only real locations get a room
 * (the upgrade route asks `locationExists` before touching a Durable Object), so the rooms
 * `closeInventorySockets` visits are all the rooms there are (with RM365_SOCKET_LOCATION's, which
 * RM365's Socket.IO client joins even before that location holds anything).
 */
import { eq } from "drizzle-orm";
import { union } from "drizzle-orm/sqlite-core";
import { inventoryAdjustments, inventoryItems } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { describeError, log } from "../../lib/logging";
import type { SocketTarget } from "../../rooms/messages";

/** Whether `location` holds items or has stock history (both by index). */
export async function locationExists({ db }: Pick<Deps, "db">, location: string): Promise<boolean> {
  const [item, adjustment] = await db.batch([
    db.select({ one: inventoryItems.id }).from(inventoryItems).where(eq(inventoryItems.location, location)).limit(1),
    db.select({ one: inventoryAdjustments.id }).from(inventoryAdjustments).where(eq(inventoryAdjustments.location, location)).limit(1),
  ]);
  return item.length > 0 || adjustment.length > 0;
}

/**
 * Closes `target`'s sockets in every location's inventory room (1008, `reason`); a room the
 * target is not in answers 0 without waking a socket. Returns how many closed.
 */
export async function closeInventorySockets(deps: Pick<Deps, "db" | "rooms" | "requestId" | "config">, target: SocketTarget, reason: string): Promise<number> {
  const rows = await union(
    deps.db.selectDistinct({ location: inventoryItems.location }).from(inventoryItems),
    deps.db.selectDistinct({ location: inventoryAdjustments.location }).from(inventoryAdjustments),
  );
  // RM365's Socket.IO room exists whether or not its location holds items yet.
  const locations = [...new Set([...rows.map((r) => r.location), deps.config.RM365_SOCKET_LOCATION])].map((location) => ({ location }));
  const rooms = deps.rooms.inventory;
  const results = await Promise.allSettled(locations.map(({ location }) => rooms.get(rooms.idFromName(location)).disconnect(target, reason)));
  let closed = 0;
  for (const result of results) {
    if (result.status === "fulfilled") closed += result.value;
    else log("error", "closing inventory sockets failed", { requestId: deps.requestId, ...describeError(result.reason) });
  }
  return closed;
}
