/**
 * Pick & pack's live events for RM365's screens (order progress, fulfillment): after a session's
 * write commits, `session_started` (started, approved or claimed), `session_updated` (a scan, marked
 * ready to check), `session_completed`, `session_cancelled` (with `session_forced_cancel` and its
 * `reason` when a manager cancelled it), `session_drafted` (released) or `session_transferred`
 * (taken over or assigned: `previous_owner`, `new_owner`) goes to the inventory room RM365's Socket.IO client joins
 * (RM365_SOCKET_LOCATION), where only sockets whose user may read sessions (`fulfillment:read` and
 * an `orders` tab, as GET /magento/session/{id}) receive it. The screens reload the session list on
 * any of them; the event names the session, its order, status and version, and who acted.
 * Runs after the response (`waitUntil`): an unreachable room loses the push, never the write.
 */
import type { Deps } from "../../lib/deps";
import { describeError, log } from "../../lib/logging";
import type { SessionEvent, SessionEventType } from "../../rooms/inventory-protocol";

export type LiveDeps = Pick<Deps, "rooms" | "waitUntil" | "config">;

interface SessionFacts {
  id: string;
  orderNumber: string;
  sessionType: string;
  status: string;
  version: number;
  updatedAt: string;
}

export function publishSession(
  deps: LiveDeps,
  type: SessionEventType,
  row: SessionFacts,
  who: { userId: string; username: string },
  extra: Pick<SessionEvent, "sku" | "qty_scanned" | "previous_owner" | "new_owner" | "reason"> = {},
): void {
  const rooms = deps.rooms.inventory;
  const data: SessionEvent = {
    session_id: row.id,
    order_number: row.orderNumber,
    session_type: row.sessionType,
    status: row.status,
    version: row.version,
    updated_at: row.updatedAt,
    user_id: who.userId,
    username: who.username,
    ...extra,
  };
  deps.waitUntil(
    rooms
      .get(rooms.idFromName(deps.config.RM365_SOCKET_LOCATION))
      .publish({ type, data })
      .then(
        () => undefined,
        (err: unknown) => log("warn", "pick session push failed", { type, session: row.id, ...describeError(err) }),
      ),
  );
}
