/**
 * The inventory rooms, from the Worker's side, beyond the stock pushes in service.ts: closing a
 * deactivated user's sockets in every location's room.
 */
import { union } from "drizzle-orm/sqlite-core";
import { inventoryAdjustments, inventoryItems } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { describeError, log } from "../../lib/logging";

/**
 * Closes a user's sockets in every location's inventory room (1008): call it when a user is
 * deactivated. The rooms are those of the locations that hold items or have stock history
 * (a room is named by its location); a room the user is not in answers 0 without waking a socket.
 */
export async function disconnectInventoryUser(deps: Pick<Deps, "db" | "rooms" | "requestId">, userId: string): Promise<number> {
  const locations = await union(
    deps.db.selectDistinct({ location: inventoryItems.location }).from(inventoryItems),
    deps.db.selectDistinct({ location: inventoryAdjustments.location }).from(inventoryAdjustments),
  );
  const rooms = deps.rooms.inventory;
  const results = await Promise.allSettled(locations.map(({ location }) => rooms.get(rooms.idFromName(location)).disconnectUser(userId)));
  let closed = 0;
  for (const result of results) {
    if (result.status === "fulfilled") closed += result.value;
    else log("error", "closing a deactivated user's inventory sockets failed", { requestId: deps.requestId, ...describeError(result.reason) });
  }
  return closed;
}
