import { type Cursor, type InventoryEvents, InventoryMessages, type RecentChange, type Who } from "./inventory-protocol";
import type { ClientMessageOf, ServerMessageOf } from "./messages";
import { type Connection, Room } from "./room";

export const RECENT_CHANGES = 100;
const RECENT_KEY = "inventory:recent";

/**
 * The inventory collaboration room (RM365), one per location: who is on, where their cursors are,
 * and the inventory changes the inventory service `publish()`es. A user with several sockets
 * counts once: `user_joined` on their first, `user_left` when their last one closes (including a
 * socket that dropped: the runtime reports it as an error or abnormal close).
 *
 * On connect a socket gets the base's `system_alert`, then a `snapshot` (presence, cursors, the
 * last {@link RECENT_CHANGES} stock changes with their `seq`, and `last_seq`); every later event
 * it receives carries the next `seq` (each socket gets every numbered event; only cursor moves go
 * unnumbered), so a reconnecting scanner applies the changes it missed and can tell a gap.
 */
export class InventoryRoom extends Room<typeof InventoryMessages, InventoryEvents, Cursor> {
  protected readonly messages = InventoryMessages;

  /** Pushes a server event; stock changes are also remembered for the snapshot. */
  override async publish(message: ServerMessageOf<InventoryEvents>): Promise<{ seq: number; delivered: number }> {
    const [result] = await this.publishMany([message]);
    if (!result) throw new Error("publishMany returned nothing");
    return result;
  }

  /**
   * Pushes several events in order, in one RPC (a bulk adjustment's changes), remembering the
   * stock changes for the snapshot with one storage write.
   */
  async publishMany(messages: ServerMessageOf<InventoryEvents>[]): Promise<{ seq: number; delivered: number }[]> {
    const results: { seq: number; delivered: number }[] = [];
    const changes: RecentChange[] = [];
    for (const message of messages) {
      const result = await super.publish(message);
      results.push(result);
      if (message.type === "inventory_changed") changes.push({ ...message.data, seq: result.seq, timestamp: new Date().toISOString() });
    }
    if (changes.length > 0) {
      const kv = this.ctx.storage.kv;
      kv.put(RECENT_KEY, [...(kv.get<RecentChange[]>(RECENT_KEY) ?? []), ...changes].slice(-RECENT_CHANGES));
    }
    return results;
  }

  protected override onConnect(conn: Connection<Cursor>): void {
    const others = this.connected().filter((c) => c.id !== conn.id);
    if (!others.some((c) => c.principal.userId === conn.principal.userId)) {
      this.broadcast({ type: "user_joined", data: who(conn) }, (c) => c.id !== conn.id);
    }
    // After the join the others were told of, so its `last_seq` covers it: the next numbered
    // event this socket gets (presence_update, just below) is `last_seq + 1`.
    this.send(conn, {
      type: "snapshot",
      data: {
        room: this.roomName(),
        last_seq: this.lastSeq(),
        users: this.presence(),
        recent_changes: this.ctx.storage.kv.get<RecentChange[]>(RECENT_KEY) ?? [],
      },
    });
    this.broadcast({ type: "presence_update", data: { users: this.users() } });
  }

  protected override onClose(conn: Connection<Cursor>): void {
    if (!this.connected().some((c) => c.principal.userId === conn.principal.userId)) {
      this.broadcast({ type: "user_left", data: who(conn) });
    }
    this.broadcast({ type: "presence_update", data: { users: this.users() } });
  }

  protected override onMessage(conn: Connection<Cursor>, message: ClientMessageOf<typeof InventoryMessages>): void {
    switch (message.type) {
      case "cursor": {
        const cursor: Cursor = { sku: message.data.sku, field: message.data.field ?? null };
        this.setState(conn, cursor);
        // Cursors are ephemeral (the snapshot carries where everyone is): sent to the others
        // without a seq, so the numbered stream of changes has no holes for anyone.
        for (const other of this.connected()) if (other.id !== conn.id) this.send(other, { type: "cursor_updated", data: { ...who(conn), ...cursor } });
        return;
      }
    }
  }

  /** Distinct users connected, in the order they arrived. */
  private users(): Who[] {
    const seen = new Map<string, Who>();
    for (const c of this.connected()) if (!seen.has(c.principal.userId)) seen.set(c.principal.userId, who(c));
    return [...seen.values()];
  }

  /** Distinct users with the cursors of their sockets. */
  private presence(): (Who & { cursors: Cursor[] })[] {
    const seen = new Map<string, Who & { cursors: Cursor[] }>();
    for (const c of this.connected()) {
      const entry = seen.get(c.principal.userId) ?? { ...who(c), cursors: [] };
      if (c.state) entry.cursors.push(c.state);
      seen.set(c.principal.userId, entry);
    }
    return [...seen.values()];
  }
}

const who = (conn: Connection<Cursor>): Who => ({ user_id: conn.principal.userId, username: conn.principal.username });
