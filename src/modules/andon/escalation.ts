/**
 * Andon escalation: the clocks an open andon runs on, and what happens when one runs out.
 *
 * The line's room (src/rooms/line-room.ts) keeps one `AndonTimer` per open andon in its
 * storage and sets its alarm to the earliest deadline; the alarm calls `dueEscalations()` and
 * records each step with `recordEscalation()`. Nothing here reads the clock: callers pass `now`.
 *
 * Rules (MS5's, per priority, minutes to acknowledge / to resolve: low 15/60, medium 10/45,
 * high 5/30, critical 2/15):
 * - an andon starts with the first tier (level 0, operators) and two clocks, counted from
 *   when it was reported;
 * - the acknowledge clock running out climbs one tier (reason `acknowledge_timeout`) and gives
 *   the new tier a full acknowledge period, counted from the missed deadline (so a late alarm
 *   does not push later deadlines back);
 * - acknowledging stops the acknowledge clock; the resolve clock keeps running and, when it runs
 *   out, climbs one tier too (`resolve_timeout`) and restarts;
 * - at the last tier the clocks stop: there is no one above to call.
 */
import { and, eq, isNull, lt, ne, sql } from "drizzle-orm";
import { z } from "zod";
import { ANDON_PRIORITIES, andonEscalations, andonEvents, type EscalationPolicy } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { afterOneChange, insertWhere } from "../../lib/sql";

export type AndonPriority = (typeof ANDON_PRIORITIES)[number];

/** MS5's timeouts, minutes to acknowledge / to resolve. */
export const DEFAULT_TIMEOUTS: Record<AndonPriority, { acknowledge: number; resolve: number }> = {
  low: { acknowledge: 15, resolve: 60 },
  medium: { acknowledge: 10, resolve: 45 },
  high: { acknowledge: 5, resolve: 30 },
  critical: { acknowledge: 2, resolve: 15 },
};

/** MS5's chain: operator → shift_manager → production_manager → admin. */
export const DEFAULT_TIERS = ["operator", "shift_manager", "production_manager", "admin"];

/** What the room stores per open andon (kept small: it is a storage value). */
export const AndonTimer = z.object({
  id: z.string().max(64),
  lineId: z.string().max(64),
  priority: z.enum(ANDON_PRIORITIES),
  level: z.number().int().min(0),
  tiers: z.array(z.string().max(64)).min(1).max(10),
  acknowledgeMinutes: z.number().positive(),
  resolveMinutes: z.number().positive(),
  acknowledgeDeadline: z.string().nullable(),
  resolveDeadline: z.string().nullable(),
});
export type AndonTimer = z.infer<typeof AndonTimer>;

/** One step up the chain. */
export interface EscalationStep {
  level: number;
  escalatedTo: string;
  /** A missed deadline, or someone escalating by hand (`escalateAndon`). */
  reason: "acknowledge_timeout" | "resolve_timeout" | "manual";
  /** The deadline that was missed. */
  dueAt: string;
}

const addMinutes = (iso: string, minutes: number) => new Date(Date.parse(iso) + minutes * 60_000).toISOString();

/** The clocks of a new andon under a line's policy. */
export function startTimer(
  event: { id: string; lineId: string; priority: AndonPriority; reportedAt: string },
  policy: EscalationPolicy | null | undefined,
): AndonTimer {
  const tiers = policy?.tiers?.length ? policy.tiers : DEFAULT_TIERS;
  const timeouts = policy?.timeouts?.[event.priority] ?? DEFAULT_TIMEOUTS[event.priority];
  const last = tiers.length <= 1;
  return {
    id: event.id,
    lineId: event.lineId,
    priority: event.priority,
    level: 0,
    tiers,
    acknowledgeMinutes: timeouts.acknowledge,
    resolveMinutes: timeouts.resolve,
    acknowledgeDeadline: last ? null : addMinutes(event.reportedAt, timeouts.acknowledge),
    resolveDeadline: last ? null : addMinutes(event.reportedAt, timeouts.resolve),
  };
}

/** The timer once the andon is acknowledged: only the resolve clock runs. */
export const acknowledgeTimer = (timer: AndonTimer): AndonTimer => ({ ...timer, acknowledgeDeadline: null });

/** The earliest running deadline, or null when no clock runs. */
export function nextDeadline(timer: AndonTimer): string | null {
  const deadlines = [timer.acknowledgeDeadline, timer.resolveDeadline].filter((d): d is string => d !== null);
  return deadlines.sort()[0] ?? null;
}

/**
 * The steps due by `now`, in order, and the timer after them. Each step climbs one tier; a
 * missed acknowledge deadline goes before a missed resolve deadline of the same moment.
 */
export function dueEscalations(timer: AndonTimer, now: Date): { steps: EscalationStep[]; timer: AndonTimer } {
  const steps: EscalationStep[] = [];
  let t = timer;
  const nowIso = now.toISOString();
  for (;;) {
    const ack = t.acknowledgeDeadline;
    const res = t.resolveDeadline;
    const ackDue = ack !== null && ack <= nowIso;
    const resDue = res !== null && res <= nowIso;
    if (!ackDue && !resDue) break;
    const reason = ackDue && (!resDue || (ack ?? "") <= (res ?? "")) ? "acknowledge_timeout" : "resolve_timeout";
    const dueAt = (reason === "acknowledge_timeout" ? ack : res) ?? nowIso;
    const level = t.level + 1;
    const top = level >= t.tiers.length - 1;
    steps.push({ level, escalatedTo: t.tiers[level] ?? t.tiers[t.tiers.length - 1] ?? "admin", reason, dueAt });
    t = {
      ...t,
      level,
      acknowledgeDeadline:
        top || t.acknowledgeDeadline === null ? null : reason === "acknowledge_timeout" ? addMinutes(dueAt, t.acknowledgeMinutes) : t.acknowledgeDeadline,
      resolveDeadline: top || t.resolveDeadline === null ? null : reason === "resolve_timeout" ? addMinutes(dueAt, t.resolveMinutes) : t.resolveDeadline,
    };
  }
  return { steps, timer: t };
}

/**
 * Records one escalation in D1, once: the andon's level and status, and the escalation row
 * (unique per andon and level), in one batch. The andon climbs only if it is unresolved, below
 * this level and, for an acknowledge timeout, still unacknowledged; D1 is the truth, so a room
 * whose clocks missed an acknowledgement or a resolution corrects itself here. Returns the andon
 * as it now stands (null when gone) and whether it climbed.
 */
export async function recordEscalation(deps: Pick<Deps, "db">, eventId: string, step: EscalationStep, now: Date) {
  const { db } = deps;
  const at = now.toISOString();
  const conditions = [eq(andonEvents.id, eventId), ne(andonEvents.status, "resolved"), lt(andonEvents.escalationLevel, step.level)];
  if (step.reason === "acknowledge_timeout") conditions.push(isNull(andonEvents.acknowledgedAt));
  // The escalation row is written only when the andon climbed (changes() = 1), so an alarm that
  // runs twice records it once.
  const [climbed, , rows] = await db.batch([
    db
      .update(andonEvents)
      .set({
        escalationLevel: step.level,
        status: sql`case when ${andonEvents.status} = 'open' then 'escalated' else ${andonEvents.status} end`,
      })
      .where(and(...conditions)),
    insertWhere(
      deps,
      andonEscalations,
      { id: crypto.randomUUID(), eventId, level: step.level, escalatedTo: step.escalatedTo, reason: step.reason, escalatedAt: at },
      afterOneChange,
    ).onConflictDoNothing(),
    db.select().from(andonEvents).where(eq(andonEvents.id, eventId)).limit(1),
  ]);
  return { row: rows[0] ?? null, escalated: climbed.meta.changes === 1 };
}
