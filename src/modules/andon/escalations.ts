/**
 * MS5's escalations screen over the andon escalation log (`andon_escalations`, one row per andon
 * and level, written by the line room's clocks and by manual escalation). An escalation is a
 * call that climbed to a tier; the person at that tier acknowledges it (recorded once on the
 * row, and the andon is acknowledged too while nobody has) or resolves it (the andon resolves).
 *
 * Its status is derived, never stored apart from its andon:
 * - `resolved`: the andon is resolved;
 * - `acknowledged`: someone at this tier acknowledged it;
 * - `escalated`: the andon has since climbed above this level;
 * - `active`: otherwise (the call is with this tier).
 */
import { and, desc, eq, gt, inArray, isNotNull, isNull, ne, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { ANDON_PRIORITIES, andonEscalations, andonEvents } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError } from "../../lib/errors";
import { type Page, type PageParams, paginate } from "../../lib/pagination";
import type { Principal } from "../../types";
import { actorId } from "../production/service";
import { announceAcknowledged, resolveAndon } from "./service";

export const ESCALATION_STATUSES = ["active", "acknowledged", "escalated", "resolved"] as const;
export type EscalationStatus = (typeof ESCALATION_STATUSES)[number];

/** An escalation as the tablet reads it (its slice's camelCase and its service's names, with MS5's snake_case). */
export const AndonEscalation = z
  .object({
    id: z.string(),
    event_id: z.string(),
    eventId: z.string(),
    line_id: z.string(),
    equipment_code: z.string().nullable(),
    description: z.string(),
    priority: z.enum(ANDON_PRIORITIES),
    level: z.number().int(),
    escalation_level: z.number().int(),
    escalationLevel: z.number().int(),
    escalated_to: z.string(),
    escalatedTo: z.string(),
    reason: z.string(),
    escalationReason: z.string(),
    status: z.enum(ESCALATION_STATUSES),
    escalated_at: z.string(),
    escalatedAt: z.string(),
    created_at: z.string(),
    createdAt: z.string(),
    acknowledged_by: z.string().nullable(),
    acknowledgedBy: z.string().nullable(),
    acknowledged_at: z.string().nullable(),
    acknowledgedAt: z.string().nullable(),
    resolved_by: z.string().nullable(),
    resolvedBy: z.string().nullable(),
    resolved_at: z.string().nullable(),
    resolvedAt: z.string().nullable(),
    /** The andon's resolution notes. */
    notes: z.string().nullable(),
    escalationNotes: z.string().nullable(),
  })
  .meta({ id: "Ms5AndonEscalation" });
export type AndonEscalation = z.infer<typeof AndonEscalation>;

type EscRow = typeof andonEscalations.$inferSelect;
type EventRow = typeof andonEvents.$inferSelect;

export function escalationStatus(esc: Pick<EscRow, "level" | "acknowledgedAt">, event: Pick<EventRow, "status" | "escalationLevel">): EscalationStatus {
  if (event.status === "resolved") return "resolved";
  if (esc.acknowledgedAt !== null) return "acknowledged";
  if (event.escalationLevel > esc.level) return "escalated";
  return "active";
}

const toEscalation = (esc: EscRow, event: EventFields): AndonEscalation => ({
  id: esc.id,
  event_id: esc.eventId,
  eventId: esc.eventId,
  line_id: event.lineId,
  equipment_code: event.equipmentCode,
  description: event.description,
  priority: event.priority,
  level: esc.level,
  escalation_level: esc.level,
  escalationLevel: esc.level,
  escalated_to: esc.escalatedTo,
  escalatedTo: esc.escalatedTo,
  reason: esc.reason,
  escalationReason: esc.reason,
  status: escalationStatus(esc, event),
  escalated_at: esc.escalatedAt,
  escalatedAt: esc.escalatedAt,
  created_at: esc.escalatedAt,
  createdAt: esc.escalatedAt,
  acknowledged_by: esc.acknowledgedBy,
  acknowledgedBy: esc.acknowledgedBy,
  acknowledged_at: esc.acknowledgedAt,
  acknowledgedAt: esc.acknowledgedAt,
  resolved_by: event.resolvedBy,
  resolvedBy: event.resolvedBy,
  resolved_at: event.resolvedAt,
  resolvedAt: event.resolvedAt,
  notes: event.resolutionNotes,
  escalationNotes: event.resolutionNotes,
});

/** The SQL for one derived status (the same rule as `escalationStatus`). */
function statusIs(status: EscalationStatus): SQL | undefined {
  switch (status) {
    case "resolved":
      return eq(andonEvents.status, "resolved");
    case "acknowledged":
      return and(ne(andonEvents.status, "resolved"), isNotNull(andonEscalations.acknowledgedAt));
    case "escalated":
      return and(ne(andonEvents.status, "resolved"), isNull(andonEscalations.acknowledgedAt), gt(andonEvents.escalationLevel, andonEscalations.level));
    case "active":
      return and(ne(andonEvents.status, "resolved"), isNull(andonEscalations.acknowledgedAt), eq(andonEvents.escalationLevel, andonEscalations.level));
  }
}

/**
 * The escalation with the andon fields it shows. Only andon columns whose names the escalation
 * table does not share: D1's batch (paginate) returns rows as objects, so a second `id` or
 * `acknowledged_at` would overwrite the first.
 */
const eventFields = {
  lineId: andonEvents.lineId,
  equipmentCode: andonEvents.equipmentCode,
  description: andonEvents.description,
  priority: andonEvents.priority,
  status: andonEvents.status,
  escalationLevel: andonEvents.escalationLevel,
  resolvedBy: andonEvents.resolvedBy,
  resolvedAt: andonEvents.resolvedAt,
  resolutionNotes: andonEvents.resolutionNotes,
};
type EventFields = Pick<EventRow, keyof typeof eventFields>;
const joined = (db: Deps["db"]) =>
  db.select({ esc: andonEscalations, event: eventFields }).from(andonEscalations).innerJoin(andonEvents, eq(andonEvents.id, andonEscalations.eventId));

/** Escalations, newest first, by derived status, the andon's priority, line or andon. */
export async function listEscalations(
  { db }: Pick<Deps, "db">,
  q: PageParams & {
    status?: EscalationStatus | undefined;
    priority?: (typeof ANDON_PRIORITIES)[number] | undefined;
    line_id?: string | undefined;
    event_id?: string | undefined;
  },
): Promise<Page<AndonEscalation>> {
  const where = and(
    q.status === undefined ? undefined : statusIs(q.status),
    q.priority === undefined ? undefined : eq(andonEvents.priority, q.priority),
    q.line_id === undefined ? undefined : eq(andonEvents.lineId, q.line_id),
    q.event_id === undefined ? undefined : eq(andonEscalations.eventId, q.event_id),
  );
  const page = await paginate(db, joined(db).where(where).$dynamic(), q, { orderBy: [desc(andonEscalations.escalatedAt)], tiebreaker: andonEscalations.id });
  return { ...page, items: page.items.map((r) => toEscalation(r.esc, r.event)) };
}

const escalationNotFound = () => new AppError("NOT_FOUND", "Andon escalation not found", { reason: "escalation_not_found" });

export async function getEscalation({ db }: Pick<Deps, "db">, id: string): Promise<AndonEscalation> {
  const [r] = await joined(db).where(eq(andonEscalations.id, id)).limit(1);
  if (!r) throw escalationNotFound();
  return toEscalation(r.esc, r.event);
}

type EscDeps = Pick<Deps, "db" | "rooms" | "requestId" | "now">;

/**
 * The tier answers the call: the escalation is acknowledged once (409 `andon_state` when it
 * was, or its andon is resolved), and its andon is acknowledged too while still unanswered
 * (that stops the andon's acknowledge clock and pushes `andon_event`).
 *
 * Both writes are one D1 batch (one transaction), so no crash leaves the escalation answered and
 * its andon open. A row left that way before (the two writes used to be separate) is finished by
 * a retry: the andon takes the escalation's acknowledger and time, the room is told, and the
 * answer is the first success's. Someone answering the andon itself at the same moment wins the
 * andon; the escalation's answer stands either way.
 */
export async function acknowledgeEscalation(deps: EscDeps, id: string, actor: Principal): Promise<AndonEscalation> {
  const { db } = deps;
  const e = andonEscalations;
  const a = andonEvents;
  const ofEscalation = (column: typeof e.acknowledgedBy | typeof e.acknowledgedAt) => sql`(select ${column} from ${e} where ${e.id} = ${id})`;
  const [answered, andonRows, found] = await db.batch([
    db
      .update(e)
      .set({ acknowledgedBy: actorId(actor), acknowledgedAt: deps.now().toISOString() })
      .where(and(eq(e.id, id), isNull(e.acknowledgedAt), sql`exists (select 1 from ${a} where ${a.id} = ${e.eventId} and ${a.status} <> 'resolved')`))
      .returning({ id: e.id }),
    // Runs whether or not the first statement changed a row: that is what finishes a half-write.
    db
      .update(a)
      .set({ status: "acknowledged", acknowledgedBy: ofEscalation(e.acknowledgedBy), acknowledgedAt: ofEscalation(e.acknowledgedAt) })
      .where(
        and(
          sql`${a.id} = (select ${e.eventId} from ${e} where ${e.id} = ${id} and ${e.acknowledgedAt} is not null)`,
          inArray(a.status, ["open", "escalated"]),
          isNull(a.acknowledgedAt),
        ),
      )
      .returning(),
    joined(db).where(eq(e.id, id)).limit(1),
  ]);
  const r = found[0];
  if (!r) throw escalationNotFound();
  const escalation = toEscalation(r.esc, r.event);
  const [andon] = andonRows;
  if (andon) await announceAcknowledged(deps, andon);
  else if (answered.length === 0)
    throw new AppError("CONFLICT", `Cannot acknowledge an escalation that is ${escalation.status}`, {
      reason: "andon_state",
      details: { status: escalation.status },
    });
  return escalation;
}

/** The tier resolves the call: its andon resolves with the notes (409 `andon_state` once resolved). */
export async function resolveEscalation(deps: EscDeps, id: string, notes: string | null, actor: Principal): Promise<AndonEscalation> {
  const current = await getEscalation(deps, id);
  await resolveAndon(deps, current.event_id, notes, actor);
  return getEscalation(deps, id);
}
