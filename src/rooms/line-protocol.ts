import { z } from "zod";
import type { Permission } from "../lib/rbac";
import type { JsonObject, JsonValue, MessageSchemas, ServerMessageOf } from "./messages";

/**
 * The line rooms' protocol (names, client messages, events, live state), shared with the
 * Worker, in a module free of `cloudflare:workers` so the API's routes (and the OpenAPI build
 * that runs in Node) can import them without the room.
 */

/**
 * The room every line's events are also published to: MS5's tablets connect to `/ws/` without
 * naming a line and subscribe to the lines they show.
 */
export const FLOOR_ROOM = "~floor";

/** Events kept for replay after a reconnect; an older `last_seq` gets a snapshot instead. */
export const REPLAY_LOG_SIZE = 256;

/** MS5's subscription topics. */
export const SubscriptionType = z.enum(["line", "equipment", "job", "oee", "downtime", "andon", "escalation"]);
export type SubscriptionType = z.infer<typeof SubscriptionType>;

const FilterValue = z.union([z.string().max(256), z.number(), z.boolean(), z.null()]);
const Filters = z.record(z.string().max(64), FilterValue).refine((filters) => Object.keys(filters).length <= 20, "At most 20 filters");

/**
 * The names MS5's tablet client (`websocketService.ts`) subscribes to with
 * `{type:"subscribe", data:{event}}`, each with the room event it is made from and, where the
 * name stands for one step only, the `data.action`s it covers. A socket gets a name only after
 * subscribing to it, with the source event's `seq` and `data`, under the source's permission.
 */
export const MS5_EVENTS = {
  andon_event: { from: "andon_event" },
  andon_event_created: { from: "andon_event", actions: ["created"] },
  // The client reads an acknowledgement (or escalation) as an update; `_acknowledged` is the issue's name for it.
  andon_event_updated: { from: "andon_event", actions: ["acknowledged", "escalated"] },
  andon_event_acknowledged: { from: "andon_event", actions: ["acknowledged"] },
  andon_event_resolved: { from: "andon_event", actions: ["resolved"] },
  andon_escalation_triggered: { from: "escalation_event" },
  escalation_event: { from: "escalation_event" },
  line_status_update: { from: "line_status_update" },
  production_line_updated: { from: "line_status_update" },
  oee_update: { from: "oee_update" },
  oee_data_updated: { from: "oee_update" },
  downtime_event: { from: "downtime_event" },
  equipment_status_update: { from: "equipment_status_update" },
  equipment_status_updated: { from: "equipment_status_update" },
  job_assignment_updated: { from: "job_update" },
  job_assigned: { from: "job_update", actions: ["assigned"] },
  job_started: { from: "job_update", actions: ["start"] },
  job_completed: { from: "job_update", actions: ["complete"] },
  job_cancelled: { from: "job_update", actions: ["cancel"] },
} as const satisfies Record<string, { from: TopicEvent; actions?: readonly string[] }>;
export type Ms5EventName = keyof typeof MS5_EVENTS;
export const isMs5Event = (name: string): name is Ms5EventName => Object.hasOwn(MS5_EVENTS, name);

/** The MS5 client names `message` is delivered under, to sockets that subscribed to them. */
export function ms5NamesOf(message: { type: TopicEvent; data: JsonObject }): Ms5EventName[] {
  const action = message.data.action;
  return (Object.keys(MS5_EVENTS) as Ms5EventName[]).filter((name) => {
    const spec: { from: TopicEvent; actions?: readonly string[] } = MS5_EVENTS[name];
    return spec.from === message.type && (spec.actions === undefined || (typeof action === "string" && spec.actions.includes(action)));
  });
}

/** The topic (and so the permission, `TOPIC_PERMISSION`) an MS5 client name belongs to. */
export const ms5Topic = (name: Ms5EventName): SubscriptionType => TOPIC[MS5_EVENTS[name].from];

const Ms5EventField = z
  .string()
  .min(1)
  .max(64)
  .refine(isMs5Event, { message: "Not an event Floorline sends (see the README's MS5 WebSocket section for the names)" });

/**
 * One message type spoken two ways: the tablet client's shape when the message has `data` and
 * no `subscription_type`, the seed's otherwise. Chosen by shape rather than tried in turn, so an
 * invalid message is told what is wrong with the shape it used (not zod's "Invalid input").
 */
function seedOrClient<S extends z.ZodType<object>, C extends z.ZodType<object>>(seed: S, client: C) {
  return z.unknown().transform((raw, ctx): z.output<S> | z.output<C> => {
    const isClient = typeof raw === "object" && raw !== null && "data" in raw && !("subscription_type" in raw);
    const parsed = (isClient ? client : seed).safeParse(raw);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
    return z.NEVER;
  });
}

/** The seed's subscription: topic and target beside `type`. */
const SeedSubscribe = z.object({
  subscription_type: SubscriptionType,
  target_id: z.string().min(1).max(64).optional(),
  filters: Filters.optional(),
  /** The last sequence number this client saw (after a reconnect): missed events are replayed. */
  last_seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});
/** MS5's tablet client's subscription: `{type:"subscribe", data:{event}}` (`last_seq` is ours). */
const ClientSubscribe = z.object({
  data: z.object({ event: Ms5EventField, last_seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional() }),
});
const HeartbeatValue = z.union([z.string().max(256), z.number(), z.boolean(), z.null()]);

/** The client messages of a line room: the seed's (fields beside `type`) and its tablet client's (`data`). */
export const LineMessages = {
  subscribe: seedOrClient(SeedSubscribe, ClientSubscribe),
  unsubscribe: seedOrClient(
    z.object({ subscription_type: SubscriptionType, target_id: z.string().min(1).max(64).optional() }),
    z.object({ data: z.object({ event: Ms5EventField }) }),
  ),
  /** The tablet client's keep-alive (every 30 s, with its own counters in `data`); answered with `heartbeat`. */
  heartbeat: z.object({
    data: z
      .record(z.string().max(64), HeartbeatValue)
      .refine((d) => Object.keys(d).length <= 20, "At most 20 fields")
      .optional(),
  }),
} satisfies MessageSchemas;

/** A line event as MS5 sends it: `{type, line_id, data, timestamp}` (plus our `seq`). */
export type LineEvent = { line_id: string; data: JsonObject };

/** What one line looks like right now, as the room has seen it: what a snapshot carries. */
export interface LineLiveState {
  [key: string]: JsonValue;
  line: JsonObject | null;
  oee: JsonObject | null;
  /** Open andons by id. */
  andons: { [id: string]: JsonObject };
  /** Jobs not yet completed or cancelled, by id. */
  jobs: { [id: string]: JsonObject };
  /** Downtime still running, by id. */
  downtime: { [id: string]: JsonObject };
  /** Last status per equipment code. */
  equipment: { [code: string]: JsonObject };
}

export type Subscription = {
  subscription_type: SubscriptionType;
  target_id: string | null;
  filters?: Record<string, string | number | boolean | null> | undefined;
};

/** The reply to `subscribe`: how the client is brought up to date. */
export type SubscriptionReply = {
  subscription_type: SubscriptionType;
  target_id: string | null;
  /** `replay`: the missed events follow, in order; `snapshot`: `snapshot` is the state as of `seq`. */
  resync: "replay" | "snapshot";
  /** The sequence number the snapshot reflects, or the last one replayed. */
  seq: number;
  snapshot?: { lines: { [lineId: string]: LineLiveState } } | undefined;
};

/** The events services publish to a line room (MS5 seed's names). */
type TopicEvents = {
  line_status_update: LineEvent;
  oee_update: LineEvent;
  andon_event: LineEvent;
  equipment_status_update: LineEvent;
  downtime_event: LineEvent;
  job_update: LineEvent;
  escalation_event: LineEvent;
};

/** The reply to the tablet client's `subscribe`: `none` when it sent no `last_seq` (it reads state over REST). */
export type EventSubscriptionReply = {
  event: Ms5EventName;
  resync: "none" | "replay" | "snapshot";
  seq: number;
  snapshot?: { lines: { [lineId: string]: LineLiveState } } | undefined;
};

/** What a line room sends: MS5's events, the client's names for them, and the subscription replies. */
export type LineEvents = TopicEvents & { [K in Ms5EventName]: LineEvent } & {
  subscription_confirmed: { data: SubscriptionReply | EventSubscriptionReply };
  unsubscription_confirmed: { data: Omit<Subscription, "filters"> | { event: Ms5EventName } };
  heartbeat: { data: { server_time: string; connection_id: string; last_seq: number } };
};

export type TopicEvent = keyof TopicEvents;
export type LineEventMessage = ServerMessageOf<TopicEvents>;

/** Per socket: what it subscribed to (none = everything in this room). */
export interface LineSocketState {
  subscriptions: Subscription[];
  /** The tablet client's subscriptions by event name (`{type:"subscribe", data:{event}}`). */
  events?: Ms5EventName[] | undefined;
}

// Which topic each event belongs to, for sockets that subscribed to some topics only.
export const TOPIC: Record<TopicEvent, SubscriptionType> = {
  line_status_update: "line",
  oee_update: "oee",
  andon_event: "andon",
  equipment_status_update: "equipment",
  downtime_event: "downtime",
  job_update: "job",
  escalation_event: "escalation",
};

/**
 * The permission each topic's events need: the one its REST read requires (`GET /andon/events`
 * → `andon:read`, `GET /jobs/{id}` → `job:read`, …). Checked per socket when it subscribes and
 * on every delivery, and the snapshot carries only the parts its socket may read.
 */
export const TOPIC_PERMISSION: Record<SubscriptionType, Permission> = {
  line: "line:read",
  equipment: "equipment:read",
  job: "job:read",
  oee: "oee:read",
  downtime: "downtime:read",
  andon: "andon:read",
  escalation: "andon:read",
};

export const isTopicEvent = (type: string): type is TopicEvent => Object.hasOwn(TOPIC, type);
