/** The inventory rooms' protocol (RM365): client messages and events, shared with the Worker. */
import { z } from "zod";
import type { JsonValue, MessageSchemas } from "./messages";

const Key = z.string().min(1).max(64);

/** RM365's client messages: where a user's cursor is. (Joining is the connect itself.) */
export const InventoryMessages = {
  cursor: z.object({ data: z.object({ sku: Key, field: Key.optional() }) }),
} satisfies MessageSchemas;

export type Who = { user_id: string; username: string };

/** Where one socket's user is working: the item (and field) their cursor is on. */
export type Cursor = { sku: string; field: string | null };

/** A stock change as RM365 pushed it. */
export type Change = Who & { update_type: string; sku: string; field: string | null; old_value: JsonValue; new_value: JsonValue };

/** A change as the room remembers it for the snapshot: with the seq and time it went out with. */
export type RecentChange = Change & { seq: number; timestamp: string };

/** A pick & pack session's change (RM365's order screens reload on it). */
export type SessionEvent = {
  session_id: string;
  order_number: string;
  session_type: string;
  status: string;
  version: number;
  updated_at: string;
  /** Who acted. */
  user_id: string;
  username: string;
  sku?: string;
  qty_scanned?: number;
  /** session_transferred: who held it and who holds it now (RM365's fulfillment screen reads `new_owner`). */
  previous_owner?: string;
  new_owner?: string;
  /** session_forced_cancel: why a manager cancelled it. */
  reason?: string | null;
};
export const SESSION_EVENTS = [
  "session_started",
  "session_updated",
  "session_completed",
  "session_cancelled",
  "session_drafted",
  "session_transferred",
  "session_forced_cancel",
] as const;
export type SessionEventType = (typeof SESSION_EVENTS)[number];

/** RM365's collaboration events, with their fields in `data`; `snapshot` is sent to one socket on connect. */
export type InventoryEvents = {
  user_joined: { data: Who };
  user_left: { data: Who };
  presence_update: { data: { users: Who[] } };
  cursor_updated: { data: Who & Cursor };
  inventory_changed: { data: Change };
  session_started: { data: SessionEvent };
  session_updated: { data: SessionEvent };
  session_completed: { data: SessionEvent };
  session_cancelled: { data: SessionEvent };
  session_drafted: { data: SessionEvent };
  session_transferred: { data: SessionEvent };
  session_forced_cancel: { data: SessionEvent };
  snapshot: { data: { room: string; last_seq: number; users: (Who & { cursors: Cursor[] })[]; recent_changes: RecentChange[] } };
};

/** How many stock changes the room keeps for the snapshot a (re)connecting socket gets. */
