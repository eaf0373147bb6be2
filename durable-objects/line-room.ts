import { z } from "zod";
import type { ClientMessageOf, JsonObject, MessageSchemas, ServerMessageOf } from "./messages";
import { type Connection, Room } from "./room";

/** MS5's subscription topics. */
export const SubscriptionType = z.enum(["line", "equipment", "job", "oee", "downtime", "andon", "escalation"]);
export type SubscriptionType = z.infer<typeof SubscriptionType>;

const Filters = z
  .record(z.string().max(64), z.union([z.string().max(256), z.number(), z.boolean(), z.null()]))
  .refine((filters) => Object.keys(filters).length <= 20, "At most 20 filters");

/** MS5's client messages (fields beside `type`, as its tablets send them). */
export const LineMessages = {
  subscribe: z.object({ subscription_type: SubscriptionType, target_id: z.string().min(1).max(64).optional(), filters: Filters.optional() }),
  unsubscribe: z.object({ subscription_type: SubscriptionType, target_id: z.string().min(1).max(64).optional() }),
} satisfies MessageSchemas;

/** A line event as MS5 sends it: `{type, line_id, data, timestamp}` (plus our `seq`). */
type LineEvent = { line_id: string; data: JsonObject };

/** What a line room sends: MS5's events, and the subscription replies. */
export type LineEvents = {
  line_status_update: LineEvent;
  oee_update: LineEvent;
  andon_event: LineEvent;
  equipment_status_update: LineEvent;
  downtime_event: LineEvent;
  job_update: LineEvent;
  escalation_event: LineEvent;
  subscription_confirmed: { data: Subscription };
  unsubscription_confirmed: { data: Subscription };
};

type Subscription = { subscription_type: SubscriptionType; target_id: string | null };

/** Per socket: what it subscribed to (none = everything on this line). */
export interface LineSocketState {
  subscriptions: Subscription[];
}

const MAX_SUBSCRIPTIONS = 50;

// Which topic each event belongs to, for sockets that subscribed to some topics only.
const TOPIC: Record<Exclude<keyof LineEvents, "subscription_confirmed" | "unsubscription_confirmed">, SubscriptionType> = {
  line_status_update: "line",
  oee_update: "oee",
  andon_event: "andon",
  equipment_status_update: "equipment",
  downtime_event: "downtime",
  job_update: "job",
  escalation_event: "escalation",
};

/**
 * One production line's room: the tablets watching that line, and the andon/OEE/job events
 * the production services `publish()` to it. MS5's `subscribe` narrows what a socket gets to
 * some topics (target ids are recorded for the line domain to filter on).
 */
export class LineRoom extends Room<typeof LineMessages, LineEvents, LineSocketState> {
  protected readonly messages = LineMessages;

  protected override onMessage(conn: Connection<LineSocketState>, message: ClientMessageOf<typeof LineMessages>): void {
    const current = conn.state?.subscriptions ?? [];
    const sub: Subscription = { subscription_type: message.subscription_type, target_id: message.target_id ?? null };
    const same = (s: Subscription) => s.subscription_type === sub.subscription_type && s.target_id === sub.target_id;
    switch (message.type) {
      case "subscribe": {
        const next = current.some(same) ? current : [...current, sub].slice(-MAX_SUBSCRIPTIONS);
        this.send(this.setState(conn, { subscriptions: next }), { type: "subscription_confirmed", data: sub });
        return;
      }
      case "unsubscribe":
        this.send(this.setState(conn, { subscriptions: current.filter((s) => !same(s)) }), { type: "unsubscription_confirmed", data: sub });
        return;
    }
  }

  protected override shouldDeliver(conn: Connection<LineSocketState>, message: ServerMessageOf<LineEvents>): boolean {
    const subs = conn.state?.subscriptions ?? [];
    if (subs.length === 0 || !(message.type in TOPIC)) return true;
    const topic = TOPIC[message.type as keyof typeof TOPIC];
    return subs.some((s) => s.subscription_type === topic);
  }
}
