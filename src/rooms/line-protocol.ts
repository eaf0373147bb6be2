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

/** MS5's client messages (fields beside `type`, as its tablets send them). */
export const LineMessages = {
  subscribe: z.object({
    subscription_type: SubscriptionType,
    target_id: z.string().min(1).max(64).optional(),
    filters: Filters.optional(),
    /** The last sequence number this client saw (after a reconnect): missed events are replayed. */
    last_seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  }),
  unsubscribe: z.object({ subscription_type: SubscriptionType, target_id: z.string().min(1).max(64).optional() }),
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

/** What a line room sends: MS5's events, and the subscription replies. */
export type LineEvents = {
  line_status_update: LineEvent;
  oee_update: LineEvent;
  andon_event: LineEvent;
  equipment_status_update: LineEvent;
  downtime_event: LineEvent;
  job_update: LineEvent;
  escalation_event: LineEvent;
  subscription_confirmed: { data: SubscriptionReply };
  unsubscription_confirmed: { data: Omit<Subscription, "filters"> };
};

export type TopicEvent = Exclude<keyof LineEvents, "subscription_confirmed" | "unsubscription_confirmed">;
export type LineEventMessage = ServerMessageOf<Pick<LineEvents, TopicEvent>>;

/** Per socket: what it subscribed to (none = everything in this room). */
export interface LineSocketState {
  subscriptions: Subscription[];
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
