import { and, desc, eq, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import { andonEscalations, andonEvents } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError, notFound } from "../../lib/errors";
import { paginate } from "../../lib/pagination";
import type { Principal } from "../../types";
import { lineRoom, publishLine } from "../production/live";
import { actorId, findLine } from "../production/service";
import { DEFAULT_TIERS, recordEscalation, startTimer } from "./escalation";
import { type AndonEventResponse, toAndonEvent } from "./mappers";
import type { AndonQuery, CreateAndon } from "./schemas";

type AndonDeps = Pick<Deps, "db" | "rooms" | "requestId" | "now">;

const push = (deps: AndonDeps, andon: AndonEventResponse, action: string) =>
  publishLine(deps, { type: "andon_event", line_id: andon.line_id, data: { ...andon, action } });

/**
 * Raises an andon on a line (and optionally one of its equipment codes). Its escalation clocks
 * start in the line's room first, then the andon is written; should the write fail, the room's
 * alarm finds no andon and drops the clocks. Pushed as `andon_event` (`action: "created"`).
 */
export async function createAndon(deps: AndonDeps, input: CreateAndon, actor: Principal): Promise<AndonEventResponse> {
  const line = await findLine(deps, input.line_id).catch((err: unknown) => {
    if (err instanceof AppError && err.code === "NOT_FOUND") {
      throw new AppError("VALIDATION_ERROR", "Invalid request body: body.line_id No such production line", {
        details: [{ path: "body.line_id", message: "No such production line" }],
      });
    }
    throw err;
  });
  const equipment = input.equipment_code ?? null;
  if (equipment !== null && !line.equipmentCodes.includes(equipment)) {
    throw new AppError("VALIDATION_ERROR", `Invalid request body: body.equipment_code is not on line ${line.lineCode}`, {
      details: [{ path: "body.equipment_code", message: `Not one of the line's equipment codes (${line.equipmentCodes.join(", ") || "none"})` }],
    });
  }
  const id = crypto.randomUUID();
  const reportedAt = deps.now().toISOString();
  await lineRoom(deps, line.id).setAndonTimer(id, startTimer({ id, lineId: line.id, priority: input.priority, reportedAt }, line.escalationPolicy));
  const [row] = await deps.db
    .insert(andonEvents)
    .values({
      id,
      lineId: line.id,
      equipmentCode: equipment,
      eventType: input.event_type,
      priority: input.priority,
      description: input.description,
      reportedBy: actorId(actor),
      reportedAt,
    })
    .returning();
  if (!row) throw new Error("andon insert returned nothing");
  const andon = toAndonEvent(row);
  await push(deps, andon, "created");
  return andon;
}

/** Lists andons, newest first, filtered by line, status, priority, type, equipment and time. */
export async function listAndons({ db }: Pick<Deps, "db">, q: AndonQuery) {
  const where: SQL[] = [];
  if (q.line_id) where.push(eq(andonEvents.lineId, q.line_id));
  if (q.status) where.push(eq(andonEvents.status, q.status));
  if (q.priority) where.push(eq(andonEvents.priority, q.priority));
  if (q.event_type) where.push(eq(andonEvents.eventType, q.event_type));
  if (q.equipment_code) where.push(eq(andonEvents.equipmentCode, q.equipment_code));
  if (q.start_time) where.push(gte(andonEvents.reportedAt, new Date(q.start_time).toISOString()));
  if (q.end_time) where.push(lt(andonEvents.reportedAt, new Date(q.end_time).toISOString()));
  const query = db
    .select()
    .from(andonEvents)
    .where(and(...where))
    .$dynamic();
  const page = await paginate(db, query, q, { orderBy: [desc(andonEvents.reportedAt)], tiebreaker: andonEvents.id });
  return { ...page, items: page.items.map(toAndonEvent) };
}

/** One andon with its escalations, oldest first. */
export async function getAndon({ db }: Pick<Deps, "db">, id: string) {
  const [rows, escalations] = await db.batch([
    db.select().from(andonEvents).where(eq(andonEvents.id, id)).limit(1),
    db.select().from(andonEscalations).where(eq(andonEscalations.eventId, id)).orderBy(andonEscalations.level),
  ]);
  const row = rows[0];
  if (!row) throw notFound("Andon event");
  return {
    ...toAndonEvent(row),
    escalations: escalations.map((e) => ({ level: e.level, escalated_to: e.escalatedTo, reason: e.reason, escalated_at: e.escalatedAt })),
  };
}

async function refuse(deps: Pick<Deps, "db">, id: string, action: string): Promise<never> {
  const [row] = await deps.db.select({ status: andonEvents.status }).from(andonEvents).where(eq(andonEvents.id, id)).limit(1);
  if (!row) throw notFound("Andon event");
  throw new AppError("CONFLICT", `Cannot ${action} an andon that is ${row.status}`, { reason: "andon_state", details: { status: row.status } });
}

/**
 * Acknowledges an open or escalated andon (409 otherwise): its acknowledge clock stops, its
 * resolve clock keeps running. Pushed as `andon_event` (`action: "acknowledged"`).
 */
export async function acknowledgeAndon(deps: AndonDeps, id: string, actor: Principal): Promise<AndonEventResponse> {
  const [row] = await deps.db
    .update(andonEvents)
    .set({ status: "acknowledged", acknowledgedBy: actorId(actor), acknowledgedAt: deps.now().toISOString() })
    .where(and(eq(andonEvents.id, id), inArray(andonEvents.status, ["open", "escalated"])))
    .returning();
  if (!row) return refuse(deps, id, "acknowledge");
  return announceAcknowledged(deps, row);
}

/**
 * Tells the andon's line room of an acknowledgement that has committed: its acknowledge clock
 * stops and `andon_event` (`action: "acknowledged"`) is pushed. Every path that acknowledges an
 * andon (its own route, an escalation's acknowledge) ends here.
 */
export async function announceAcknowledged(deps: AndonDeps, row: typeof andonEvents.$inferSelect): Promise<AndonEventResponse> {
  const andon = toAndonEvent(row);
  // The clock change and the pushes are independent: one round trip, not two.
  await Promise.all([lineRoom(deps, row.lineId).acknowledgeAndon(row.id), push(deps, andon, "acknowledged")]);
  return andon;
}

/** Resolves an unresolved andon (409 once resolved): its clocks stop. Pushed as `andon_event`. */
export async function resolveAndon(deps: AndonDeps, id: string, notes: string | null, actor: Principal): Promise<AndonEventResponse> {
  const at = deps.now().toISOString();
  const [row] = await deps.db
    .update(andonEvents)
    .set({
      status: "resolved",
      resolvedBy: actorId(actor),
      resolvedAt: at,
      resolutionNotes: notes,
      // Resolving answers the call too.
      acknowledgedAt: sql`coalesce(${andonEvents.acknowledgedAt}, ${at})`,
      acknowledgedBy: sql`coalesce(${andonEvents.acknowledgedBy}, ${actorId(actor)})`,
    })
    .where(and(eq(andonEvents.id, id), inArray(andonEvents.status, ["open", "acknowledged", "escalated"])))
    .returning();
  if (!row) return refuse(deps, id, "resolve");
  const andon = toAndonEvent(row);
  await Promise.all([lineRoom(deps, row.lineId).setAndonTimer(id, null), push(deps, andon, "resolved")]);
  return andon;
}

/**
 * Escalates an unresolved andon by hand to `level` of its line's chain (MS5's `escalate`): the
 * level must be above the current one and within the chain (422 otherwise); recorded in the
 * escalation log like a timed escalation (`reason: "manual"`). Pushed as `andon_event`.
 */
export async function escalateAndon(deps: AndonDeps, id: string, level: number | undefined): Promise<AndonEventResponse> {
  const [current] = await deps.db.select().from(andonEvents).where(eq(andonEvents.id, id)).limit(1);
  if (!current) throw notFound("Andon event");
  if (current.status === "resolved") return refuse(deps, id, "escalate");
  const line = await findLine(deps, current.lineId);
  const tiers = line.escalationPolicy?.tiers?.length ? line.escalationPolicy.tiers : DEFAULT_TIERS;
  const target = level ?? current.escalationLevel + 1;
  if (target <= current.escalationLevel || target >= tiers.length) {
    const message = `Must be above the current level ${current.escalationLevel} and at most ${tiers.length - 1}`;
    throw new AppError("VALIDATION_ERROR", `Invalid request body: body.escalation_level ${message}`, {
      details: [{ path: "body.escalation_level", message }],
    });
  }
  const now = deps.now();
  const { row, escalated } = await recordEscalation(
    deps,
    id,
    { level: target, escalatedTo: tiers[target] ?? "admin", reason: "manual", dueAt: now.toISOString() },
    now,
  );
  if (!row) throw notFound("Andon event");
  if (!escalated) return refuse(deps, id, "escalate");
  const andon = toAndonEvent(row);
  await push(deps, andon, "escalated");
  return andon;
}
