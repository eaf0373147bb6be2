import { z } from "zod";
import type { ClientMessageOf, JsonValue, MessageSchemas } from "./messages";
import { type Connection, Room } from "./room";

const Key = z.string().min(1).max(64);

/** RM365's client messages: where a user's cursor is. (Joining is the connect itself.) */
export const InventoryMessages = {
  cursor: z.object({ data: z.object({ sku: Key, field: Key.optional() }) }),
} satisfies MessageSchemas;

type Who = { user_id: string; username: string };

/** RM365's collaboration events, with their fields in `data`. */
export type InventoryEvents = {
  user_joined: { data: Who };
  user_left: { data: Who };
  presence_update: { data: { users: Who[] } };
  cursor_updated: { data: Who & { sku: string; field: string | null } };
  inventory_changed: {
    data: Who & { update_type: string; sku: string; field: string | null; old_value: JsonValue; new_value: JsonValue };
  };
};

/**
 * The inventory collaboration room (RM365): who is editing, where their cursors are, and the
 * inventory changes the inventory service `publish()`es. A user with several sockets counts
 * once: `user_joined` on their first, `user_left` when their last one closes.
 */
export class InventoryRoom extends Room<typeof InventoryMessages, InventoryEvents> {
  protected readonly messages = InventoryMessages;

  protected override onConnect(conn: Connection<null>): void {
    const others = this.connected().filter((c) => c.id !== conn.id);
    if (!others.some((c) => c.principal.userId === conn.principal.userId)) {
      this.broadcast({ type: "user_joined", data: who(conn) }, (c) => c.id !== conn.id);
    }
    this.broadcast({ type: "presence_update", data: { users: this.users() } });
  }

  protected override onClose(conn: Connection<null>): void {
    if (!this.connected().some((c) => c.principal.userId === conn.principal.userId)) {
      this.broadcast({ type: "user_left", data: who(conn) });
    }
    this.broadcast({ type: "presence_update", data: { users: this.users() } });
  }

  protected override onMessage(conn: Connection<null>, message: ClientMessageOf<typeof InventoryMessages>): void {
    switch (message.type) {
      case "cursor":
        this.broadcast({ type: "cursor_updated", data: { ...who(conn), sku: message.data.sku, field: message.data.field ?? null } }, (c) => c.id !== conn.id);
        return;
    }
  }

  /** Distinct users connected, in the order they arrived. */
  private users(): Who[] {
    const seen = new Map<string, Who>();
    for (const c of this.connected()) if (!seen.has(c.principal.userId)) seen.set(c.principal.userId, who(c));
    return [...seen.values()];
  }
}

const who = (conn: Connection<null>): Who => ({ user_id: conn.principal.userId, username: conn.principal.username });
