import { createDb } from "../db/client";
import { forbidden } from "../lib/errors";
import { describeError, log } from "../lib/logging";
import { type Permission, permissionSet } from "../lib/rbac";
import { AndonTimer, acknowledgeTimer, dueEscalations, nextDeadline, recordEscalation } from "../modules/andon/escalation";
import { toAndonEvent } from "../modules/andon/mappers";
import { mayReadJob } from "../modules/production/visibility";
import {
  FLOOR_ROOM,
  isMs5Event,
  isTopicEvent,
  type LineEventMessage,
  type LineEvents,
  type LineLiveState,
  LineMessages,
  type LineSocketState,
  type Ms5EventName,
  ms5NamesOf,
  ms5Topic,
  REPLAY_LOG_SIZE,
  type Subscription,
  TOPIC,
  TOPIC_PERMISSION,
} from "./line-protocol";
import type { ClientMessageOf, JsonObject, JsonValue, ServerMessageOf } from "./messages";
import { CLOSE_TRY_LATER, type Connection, Room } from "./room";

const MAX_SUBSCRIPTIONS = 50;
const LIVE_PREFIX = "live:";
const LOG_PREFIX = "log:";
const TIMER_PREFIX = "andon:";
const logKey = (seq: number) => `${LOG_PREFIX}${String(seq).padStart(15, "0")}`;

const emptyLive = (): LineLiveState => ({ line: null, oee: null, andons: {}, jobs: {}, downtime: {}, equipment: {} });
const str = (v: JsonValue | undefined): string | null => (typeof v === "string" ? v : null);
const obj = (v: JsonValue | undefined): JsonObject | null => (typeof v === "object" && v !== null && !Array.isArray(v) ? v : null);

/** What a socket's principal may read: its permissions, as a set, and the user it is. */
function readerOf(conn: Connection<LineSocketState>) {
  return { userId: conn.principal.userId, permissions: permissionSet(conn.principal.permissions) };
}

const holds = (conn: Connection<LineSocketState>, permission: Permission) => mayRead(readerOf(conn), permission);
const mayRead = (reader: ReturnType<typeof readerOf>, permission: Permission) => reader.permissions.has("*") || reader.permissions.has(permission);

/**
 * Whether a socket's principal may read `message` over REST: its topic's permission
 * (`TOPIC_PERMISSION`) and, for a job, the jobs' visibility rule (assignee or `job:assign`).
 */
function permits(reader: ReturnType<typeof readerOf>, message: LineEventMessage): boolean {
  if (!mayRead(reader, TOPIC_PERMISSION[TOPIC[message.type]])) return false;
  return message.type !== "job_update" || mayReadJob(reader, str(message.data.user_id));
}

/** A line's live state with only the parts `reader` may read (empty parts stay, as `null`/`{}`). */
function visibleLive(reader: ReturnType<typeof readerOf>, live: LineLiveState): LineLiveState {
  const jobs: { [id: string]: JsonObject } = {};
  if (mayRead(reader, "job:read")) {
    for (const [id, job] of Object.entries(live.jobs)) if (mayReadJob(reader, str(job.user_id))) jobs[id] = job;
  }
  return {
    line: mayRead(reader, "line:read") ? live.line : null,
    oee: mayRead(reader, "oee:read") ? live.oee : null,
    andons: mayRead(reader, "andon:read") ? live.andons : {},
    jobs,
    downtime: mayRead(reader, "downtime:read") ? live.downtime : {},
    equipment: mayRead(reader, "equipment:read") ? live.equipment : {},
  };
}

/** Whether an event is about `target`: its line, its record's id, or its equipment. */
function concerns(message: LineEventMessage, target: string): boolean {
  const data = message.data;
  const andon = obj(data.andon);
  return message.line_id === target || str(data.id) === target || str(data.equipment_code) === target || str(andon?.id) === target;
}

function passesFilters(message: LineEventMessage, filters: Subscription["filters"]): boolean {
  if (!filters) return true;
  const data = message.data;
  return Object.entries(filters).every(([key, value]) => !Object.hasOwn(data, key) || data[key] === value);
}

const sameSubscription = (s: Subscription, key: Pick<Subscription, "subscription_type" | "target_id">) =>
  s.subscription_type === key.subscription_type && s.target_id === key.target_id;

/** `event` under an MS5 client name: the same `line_id` and `data`. */
const asClientEvent = (event: LineEventMessage, name: Ms5EventName) => ({ ...event, type: name }) as ServerMessageOf<LineEvents>;

/**
 * Whether a socket's seed-protocol subscriptions take `event` under the seed's name: one of
 * them matches, or it has none and never subscribed by client name (then it gets everything).
 */
function wantsTopic(conn: Connection<LineSocketState>, event: LineEventMessage): boolean {
  const subs = conn.state?.subscriptions ?? [];
  if (subs.length === 0) return conn.state?.events === undefined;
  const topic = TOPIC[event.type];
  return subs.some(
    (s) =>
      (s.subscription_type === "line" || s.subscription_type === topic) &&
      (s.target_id === null || concerns(event, s.target_id)) &&
      passesFilters(event, s.filters),
  );
}

/**
 * One production line's room (named by the line's id), and the floor room (`FLOOR_ROOM`) that
 * every line's events also reach. It keeps, in its storage, so eviction loses nothing:
 * - each line's live state (line status, OEE, open andons, active jobs, running downtime),
 *   updated by every event it publishes, for the snapshot a subscriber gets;
 * - the last `REPLAY_LOG_SIZE` events, so a tablet that reconnects with `last_seq` gets exactly
 *   what it missed;
 * - in a line's own room, the escalation clocks of its open andons, run by the object's alarm.
 */
export class LineRoom extends Room<typeof LineMessages, LineEvents, LineSocketState> {
  protected readonly messages = LineMessages;

  // ---------------------------------------------------------------------------------------------
  // RPC

  /**
   * Publishes an event and records it (live state, replay log) under the same sequence number.
   * A socket gets it under the seed's name (its `subscription_type` subscriptions, or everything
   * when it has none) and under each MS5 client name it subscribed to, all with that number.
   */
  override async publish(message: ServerMessageOf<LineEvents>): Promise<{ seq: number; delivered: number }> {
    if (!isTopicEvent(message.type)) return this.broadcast(message, (conn) => this.shouldDeliver(conn, message));
    const event = message as LineEventMessage;
    const renamed = new Map<Ms5EventName, ServerMessageOf<LineEvents>>();
    for (const name of ms5NamesOf(event)) renamed.set(name, asClientEvent(event, name));
    const result = this.broadcastEach((conn) => this.deliveries(conn, event, renamed));
    this.record(event, result.seq);
    return result;
  }

  /** The live state of the lines this room has seen (one for a line room), and its sequence. */
  async live(lineId?: string): Promise<{ seq: number; lines: { [lineId: string]: LineLiveState } }> {
    return { seq: this.lastSeq(), lines: this.liveLines(lineId ?? null) };
  }

  /**
   * Keeps (or, with `null`, drops) an andon's escalation clocks and moves the alarm to the
   * earliest deadline. The andon service calls it before writing a new andon to D1: should that
   * write fail, the alarm finds no andon and drops the clocks.
   */
  async setAndonTimer(id: string, timer: AndonTimer | null): Promise<void> {
    const kv = this.ctx.storage.kv;
    const deadline = timer ? nextDeadline(timer) : null;
    if (timer && deadline !== null) kv.put(TIMER_PREFIX + id, AndonTimer.parse(timer));
    else kv.delete(TIMER_PREFIX + id);
    // Only ever bring the alarm forward here (one read, no scan of every open andon): an alarm
    // that fires early finds nothing due and sets itself to the true earliest deadline.
    if (deadline === null) return;
    const at = Math.max(Date.parse(deadline), Date.now());
    const current = await this.ctx.storage.getAlarm();
    if (current === null || at < current) await this.ctx.storage.setAlarm(at);
  }

  /** Stops an andon's acknowledge clock (its resolve clock keeps running). */
  async acknowledgeAndon(id: string): Promise<void> {
    const timer = this.ctx.storage.kv.get<AndonTimer>(TIMER_PREFIX + id);
    if (timer) await this.setAndonTimer(id, acknowledgeTimer(timer));
  }

  /** The escalation clocks this room runs (tests, diagnostics). */
  async andonTimers(): Promise<AndonTimer[]> {
    return [...this.ctx.storage.kv.list<AndonTimer>({ prefix: TIMER_PREFIX })].map(([, timer]) => timer);
  }

  /**
   * The alarm: every andon whose deadline has passed climbs, one recorded tier at a time
   * (D1 first, then `escalation_event` here and on the floor room). A failure leaves the timer
   * as it was and throws, so the runtime retries the alarm.
   */
  override async alarm(): Promise<void> {
    const now = new Date();
    // Narrow deps, as the queue consumers have: D1 only. Not createDeps(), whose config parse
    // (JWT_SECRET, limits…) has nothing to do with escalations and must not be able to stop them.
    const deps = { db: createDb(this.env.DB) };
    const floor = this.env.LINE_ROOM.get(this.env.LINE_ROOM.idFromName(FLOOR_ROOM));
    for (const stored of await this.andonTimers()) {
      const { steps, timer } = dueEscalations(stored, now);
      if (steps.length === 0) continue;
      let next: AndonTimer | null = timer;
      for (const step of steps) {
        const { row, escalated } = await recordEscalation(deps, stored.id, step, now);
        if (!row || row.status === "resolved") {
          next = null;
          break;
        }
        if (!escalated && row.acknowledgedAt !== null && step.reason === "acknowledge_timeout") {
          // Acknowledged meanwhile (the room missed it): D1 is the truth; only the resolve clock runs.
          next = { ...acknowledgeTimer(stored), level: row.escalationLevel };
          break;
        }
        // Already recorded by an earlier run of this alarm: not pushed twice.
        if (!escalated) continue;
        const event: LineEventMessage = {
          type: "escalation_event",
          line_id: stored.lineId,
          data: {
            andon: toAndonEvent(row),
            level: step.level,
            escalated_to: step.escalatedTo,
            reason: step.reason,
            due_at: step.dueAt,
            escalated_at: now.toISOString(),
          },
        };
        await this.publish(event);
        await floor.publish(event).catch((err: unknown) => log("warn", "floor room publish failed", describeError(err)));
      }
      if (next && nextDeadline(next) !== null) this.ctx.storage.kv.put(TIMER_PREFIX + stored.id, next);
      else this.ctx.storage.kv.delete(TIMER_PREFIX + stored.id);
    }
    await this.scheduleAlarm();
  }

  // ---------------------------------------------------------------------------------------------

  protected override async onMessage(conn: Connection<LineSocketState>, message: ClientMessageOf<typeof LineMessages>): Promise<void> {
    switch (message.type) {
      case "heartbeat":
        this.send(conn, { type: "heartbeat", data: { server_time: new Date().toISOString(), connection_id: conn.id, last_seq: this.lastSeq() } });
        return;
      case "subscribe":
        if ("data" in message) return this.subscribeEvent(conn, message.data.event, message.data.last_seq);
        return this.subscribeTopic(conn, message);
      case "unsubscribe": {
        if ("data" in message) {
          const event = message.data.event;
          const events = (conn.state?.events ?? []).filter((e) => e !== event);
          this.send(this.setState(conn, { subscriptions: conn.state?.subscriptions ?? [], events }), { type: "unsubscription_confirmed", data: { event } });
          return;
        }
        const key = { subscription_type: message.subscription_type, target_id: message.target_id ?? null };
        const subscriptions = (conn.state?.subscriptions ?? []).filter((s) => !sameSubscription(s, key));
        this.send(this.setState(conn, { ...conn.state, subscriptions }), { type: "unsubscription_confirmed", data: key });
        return;
      }
    }
  }

  /** The seed's `subscribe` (`subscription_type`, `target_id`, `filters`, `last_seq`). */
  private async subscribeTopic(
    conn: Connection<LineSocketState>,
    message: Extract<ClientMessageOf<typeof LineMessages>, { type: "subscribe"; subscription_type: unknown }>,
  ): Promise<void> {
    const needed = TOPIC_PERMISSION[message.subscription_type];
    if (!holds(conn, needed)) throw forbidden(`Permission '${needed}' is required for '${message.subscription_type}' events`);
    const key = { subscription_type: message.subscription_type, target_id: message.target_id ?? null };
    const sub: Subscription = { ...key, ...(message.filters ? { filters: message.filters } : {}) };
    const current = conn.state?.subscriptions ?? [];
    const next = [...current.filter((s) => !sameSubscription(s, key)), sub].slice(-MAX_SUBSCRIPTIONS);
    const updated = this.setState(conn, { ...conn.state, subscriptions: next });
    if (!this.mayResync(updated)) {
      await this.closeSocket(updated.ws, CLOSE_TRY_LATER, "Resync budget exceeded; reconnect later");
      return;
    }
    this.chargeResync(updated, this.resync(updated, sub, message.last_seq));
  }

  /**
   * MS5's tablet client's `subscribe` (`data.event`): from now on this socket gets that name
   * (and, having used names, no longer everything by default). Without `last_seq` the reply
   * only says where the stream starts (`seq`); with one, the missed events of that name are
   * replayed, or a snapshot sent when the log no longer holds them.
   */
  private async subscribeEvent(conn: Connection<LineSocketState>, event: Ms5EventName, lastSeen: number | undefined): Promise<void> {
    const needed = TOPIC_PERMISSION[ms5Topic(event)];
    if (!holds(conn, needed)) throw forbidden(`Permission '${needed}' is required for '${event}' events`);
    const events = [...(conn.state?.events ?? []).filter((e) => e !== event), event];
    const updated = this.setState(conn, { subscriptions: conn.state?.subscriptions ?? [], events });
    if (lastSeen === undefined) {
      this.send(updated, { type: "subscription_confirmed", data: { event, resync: "none", seq: this.lastSeq() } });
      return;
    }
    if (!this.mayResync(updated)) {
      await this.closeSocket(updated.ws, CLOSE_TRY_LATER, "Resync budget exceeded; reconnect later");
      return;
    }
    this.chargeResync(updated, this.resyncEvent(updated, event, lastSeen));
  }

  /** What one socket gets of `event`: nothing unless its principal may read it over REST. */
  private deliveries(
    conn: Connection<LineSocketState>,
    event: LineEventMessage,
    renamed: Map<Ms5EventName, ServerMessageOf<LineEvents>>,
  ): ServerMessageOf<LineEvents>[] {
    if (!permits(readerOf(conn), event)) return [];
    const out: ServerMessageOf<LineEvents>[] = [];
    const seedName = wantsTopic(conn, event);
    if (seedName) out.push(event);
    for (const name of conn.state?.events ?? []) {
      const message = renamed.get(name);
      // A client name equal to the seed's (`andon_event`) is not sent twice.
      if (message && !(seedName && name === event.type)) out.push(message);
    }
    return out;
  }

  protected override shouldDeliver(conn: Connection<LineSocketState>, message: ServerMessageOf<LineEvents>): boolean {
    // The client's names are made here, from a published event, never published as they are.
    if (!isTopicEvent(message.type)) return !isMs5Event(message.type);
    const event = message as LineEventMessage;
    return permits(readerOf(conn), event) && wantsTopic(conn, event);
  }

  /**
   * Brings a subscriber up to date: with a `last_seq` still in the replay log, the events after
   * it that this socket would have received, in order; otherwise a snapshot and the sequence
   * number it reflects (the client drops any event at or below it). Only what the socket may
   * read is sent. Returns about how many bytes it sent (UTF-16 units), for the resync budget.
   */
  private resync(conn: Connection<LineSocketState>, sub: Subscription, lastSeen: number | undefined): number {
    const seq = this.lastSeq();
    const head = { subscription_type: sub.subscription_type, target_id: sub.target_id };
    if (lastSeen !== undefined && lastSeen <= seq) {
      const missed = this.loggedSince(lastSeen);
      if (missed !== null) {
        this.send(conn, { type: "subscription_confirmed", data: { ...head, resync: "replay", seq } });
        let bytes = 0;
        for (const entry of missed) {
          if (!this.shouldDeliver(conn, entry.message)) continue;
          const payload = JSON.stringify({ ...entry.message, timestamp: entry.timestamp, seq: entry.seq });
          try {
            conn.ws.send(payload);
          } catch {
            break;
          }
          bytes += payload.length;
        }
        return bytes;
      }
    }
    // A line subscription's target is a line id; other topics' targets may be ids of records
    // (an andon, an equipment code), whose line's state is the one with that key if any.
    const known = sub.target_id !== null && this.ctx.storage.kv.get(LIVE_PREFIX + sub.target_id) !== undefined;
    const lineTarget = sub.target_id !== null && (known || sub.subscription_type === "line") ? sub.target_id : null;
    const reader = readerOf(conn);
    const lines: { [lineId: string]: LineLiveState } = {};
    for (const [id, live] of Object.entries(this.liveLines(lineTarget))) lines[id] = visibleLive(reader, live);
    const snapshot = { lines };
    this.send(conn, { type: "subscription_confirmed", data: { ...head, resync: "snapshot", seq, snapshot } });
    return JSON.stringify(snapshot).length;
  }

  /**
   * Brings a client-name subscriber up to date: the missed events of that name it may read, with
   * their own `seq`, or a snapshot (what it may read) when the log no longer holds them. Returns
   * about how many bytes it sent, for the resync budget.
   */
  private resyncEvent(conn: Connection<LineSocketState>, event: Ms5EventName, lastSeen: number): number {
    const seq = this.lastSeq();
    const reader = readerOf(conn);
    const missed = lastSeen <= seq ? this.loggedSince(lastSeen) : null;
    if (missed !== null) {
      this.send(conn, { type: "subscription_confirmed", data: { event, resync: "replay", seq } });
      let bytes = 0;
      for (const entry of missed) {
        if (!permits(reader, entry.message) || !ms5NamesOf(entry.message).includes(event)) continue;
        const payload = JSON.stringify({ ...asClientEvent(entry.message, event), timestamp: entry.timestamp, seq: entry.seq });
        try {
          conn.ws.send(payload);
        } catch {
          break;
        }
        bytes += payload.length;
      }
      return bytes;
    }
    const lines: { [lineId: string]: LineLiveState } = {};
    for (const [id, live] of Object.entries(this.liveLines(null))) lines[id] = visibleLive(reader, live);
    const snapshot = { lines };
    this.send(conn, { type: "subscription_confirmed", data: { event, resync: "snapshot", seq, snapshot } });
    return JSON.stringify(snapshot).length;
  }

  /** The logged events after `seq`, or null when some of them are no longer kept. */
  private loggedSince(seq: number): { seq: number; timestamp: string; message: LineEventMessage }[] | null {
    const last = this.lastSeq();
    if (seq >= last) return [];
    const entries = [...this.ctx.storage.kv.list<{ timestamp: string; message: LineEventMessage }>({ start: logKey(seq + 1), end: logKey(last + 1) })];
    const found = entries.map(([key, value]) => ({ seq: Number(key.slice(LOG_PREFIX.length)), ...value }));
    // Every number in (seq, last] must be there: the first one proves nothing was trimmed.
    if (found[0]?.seq !== seq + 1) return null;
    return found;
  }

  private liveLines(lineId: string | null): { [lineId: string]: LineLiveState } {
    const kv = this.ctx.storage.kv;
    if (lineId !== null) return { [lineId]: kv.get<LineLiveState>(LIVE_PREFIX + lineId) ?? emptyLive() };
    const lines: { [lineId: string]: LineLiveState } = {};
    for (const [key, value] of kv.list<LineLiveState>({ prefix: LIVE_PREFIX, limit: 500 })) lines[key.slice(LIVE_PREFIX.length)] = value;
    return lines;
  }

  /** Applies an event to its line's live state and appends it to the replay log. */
  private record(message: LineEventMessage, seq: number): void {
    const kv = this.ctx.storage.kv;
    const key = LIVE_PREFIX + message.line_id;
    const live = kv.get<LineLiveState>(key) ?? emptyLive();
    const data = message.data;
    const id = str(data.id);
    const keep = (map: { [id: string]: JsonObject }, itemId: string | null, open: boolean) => {
      if (itemId === null) return;
      if (open) map[itemId] = data;
      else delete map[itemId];
    };
    switch (message.type) {
      case "line_status_update":
        live.line = data;
        break;
      case "oee_update":
        live.oee = data;
        break;
      case "andon_event":
        keep(live.andons, id, data.status !== "resolved");
        break;
      case "escalation_event": {
        const andon = obj(data.andon);
        const andonId = str(andon?.id);
        if (andon && andonId !== null && live.andons[andonId]) live.andons[andonId] = andon;
        break;
      }
      case "job_update":
        keep(live.jobs, id, data.status !== "completed" && data.status !== "cancelled");
        break;
      case "downtime_event":
        keep(live.downtime, id, data.end_time === null || data.end_time === undefined);
        break;
      case "equipment_status_update": {
        const code = str(data.equipment_code);
        if (code !== null) live.equipment[code] = data;
        break;
      }
    }
    kv.put(key, live);
    kv.put(logKey(seq), { timestamp: new Date().toISOString(), message });
    if (seq > REPLAY_LOG_SIZE) kv.delete(logKey(seq - REPLAY_LOG_SIZE));
  }

  private async scheduleAlarm(): Promise<void> {
    const deadlines = (await this.andonTimers()).map(nextDeadline).filter((d): d is string => d !== null);
    const earliest = deadlines.sort()[0];
    if (earliest === undefined) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.max(Date.parse(earliest), Date.now()));
  }
}
