/**
 * The one place a change of someone's rights reaches the WebSocket rooms. Every event that
 * changes or ends a user's rights calls `closeSockets()` after its write has committed:
 *
 * | event                                     | where                         | target                      |
 * |-------------------------------------------|-------------------------------|-----------------------------|
 * | logout, refresh-token re-use              | auth `revokeSession`          | the session                 |
 * | password changed, set by an admin, reset  | auth `setPassword`            | the user (but the session that changed it) |
 * | role, tabs or password changed; deactivated | users `updateUser`          | the user                    |
 * | deleted                                   | users `deleteUser`            | the user                    |
 * | a role's permissions, tabs or name edited | roles `updateRole`            | every holder of the role    |
 *
 * A room holds the rights its sockets had at connect (their principal); closing them (1008)
 * makes the clients reconnect, which re-authenticates with the rights the user has now (and a
 * revoked token is refused). The close happens before the request answers, so well within a
 * second; a room that cannot be reached is logged, not thrown: the write has committed.
 */
import type { Deps } from "../../lib/deps";
import type { SocketTarget } from "../../rooms/messages";
import { closeInventorySockets } from "../inventory/live";
import { closeLineSockets } from "../production/live";

export type { SocketTarget } from "../../rooms/messages";

/** What closing needs: D1 (to list the rooms), the room bindings, the config (RM365's Socket.IO room), the request id for logs. */
export type SocketDeps = Pick<Deps, "db" | "rooms" | "requestId" | "config">;

/** Closes `target`'s sockets in every line, floor and inventory room (1008, `reason`). Returns how many closed. */
export async function closeSockets(deps: SocketDeps, target: SocketTarget, reason: string): Promise<number> {
  const [lines, inventory] = await Promise.all([closeLineSockets(deps, target, reason), closeInventorySockets(deps, target, reason)]);
  return lines + inventory;
}
