/** Forgotten clock-outs and their audited corrections. */
import { and, asc, desc, eq, exists, isNull, lt, ne, or, type SQL, sql } from "drizzle-orm";
import { attendanceCorrections, attendanceEmployees, attendanceEvents } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError } from "../../lib/errors";
import { type Page, paginate } from "../../lib/pagination";
import { actorOf } from "../../lib/principal";
import { afterOneChange, insertWhere } from "../../lib/sql";
import type { Principal } from "../../types";
import { attendanceConfig } from "./config";
import { eventExists, other, toCorrection, toLogEntry } from "./mappers";
import type { CloseOpenInBody, Correction, CorrectionQuery, EditTimeBody, LogEntry, OpenIn } from "./schemas";
import { plantDate, plantTime } from "./time";

/** SQL: an 'in' with no clock-out that is no longer the employee's open one, or has been open too long. */
function forgottenCondition(now: Date, maxShiftMs: number): SQL | undefined {
  const ev = attendanceEvents;
  const e = attendanceEmployees;
  const cutoff = new Date(now.getTime() - maxShiftMs).toISOString();
  return and(eq(ev.direction, "in"), isNull(ev.closedBy), or(ne(ev.id, sql`coalesce(${e.lastEventId}, '')`), lt(ev.at, cutoff)));
}

/** Forgotten clock-outs, oldest first: what a manager must correct. */
export async function listForgotten(deps: Pick<Deps, "db" | "feature" | "now">, query: CorrectionQuery): Promise<Page<OpenIn>> {
  const config = deps.feature(attendanceConfig);
  const now = deps.now();
  const ev = attendanceEvents;
  const e = attendanceEmployees;
  const q = deps.db
    .select({ event: ev, employee: { name: e.name, code: e.code } })
    .from(ev)
    .innerJoin(e, eq(e.id, ev.employeeId))
    .where(and(forgottenCondition(now, config.maxShiftMs), query.employee_id ? or(eq(e.id, query.employee_id), eq(e.code, query.employee_id)) : undefined))
    .$dynamic();
  const page = await paginate(deps.db, q, query, { orderBy: [asc(ev.at)], tiebreaker: ev.seq });
  return {
    ...page,
    items: page.items.map(({ event, employee }) => ({
      event_id: event.id,
      employee_id: event.employeeId,
      employee: employee.name,
      employee_code: employee.code,
      clock_in: event.at,
      date: plantDate(new Date(event.at), config.timeZone),
      time: plantTime(new Date(event.at), config.timeZone),
      open_hours: Math.round(((now.getTime() - Date.parse(event.at)) / 3_600_000) * 100) / 100,
    })),
  };
}

/** How many forgotten clock-outs there are now (for the summary). */
export function countForgotten(deps: Pick<Deps, "db">, now: Date, maxShiftMs: number) {
  const ev = attendanceEvents;
  const e = attendanceEmployees;
  return deps.db.select({ n: sql<number>`count(*)` }).from(ev).innerJoin(e, eq(e.id, ev.employeeId)).where(forgottenCondition(now, maxShiftMs));
}

async function eventWithEmployee(db: Deps["db"], id: string) {
  const [row] = await db
    .select({ event: attendanceEvents, employee: attendanceEmployees })
    .from(attendanceEvents)
    .innerJoin(attendanceEmployees, eq(attendanceEmployees.id, attendanceEvents.employeeId))
    .where(eq(attendanceEvents.id, id))
    .limit(1);
  return row;
}

/** The employee's events just before and just after `at` (other than `exceptId`). */
async function neighbours(db: Deps["db"], employeeId: string, at: string, exceptId: string) {
  const ev = attendanceEvents;
  const [before, after] = await db.batch([
    db
      .select()
      .from(ev)
      .where(and(eq(ev.employeeId, employeeId), ne(ev.id, exceptId), lt(ev.at, at)))
      .orderBy(desc(ev.at))
      .limit(1),
    db
      .select()
      .from(ev)
      .where(and(eq(ev.employeeId, employeeId), ne(ev.id, exceptId), sql`${ev.at} >= ${at}`))
      .orderBy(asc(ev.at))
      .limit(1),
  ]);
  return { before: before[0], after: after[0] };
}

const invalidTime = (path: string, message: string) => new AppError("VALIDATION_ERROR", message, { details: [{ path, message }] });

/**
 * A manager closes an open clock-in (a forgotten clock-out) with the time the employee left:
 * a clock-out event (source `correction`) and an audit row, in one batch that writes nothing if
 * someone else closed it first (409). The time must follow the clock-in, precede the employee's
 * next event and now, and lie within the longest shift.
 */
export async function closeOpenIn(
  deps: Pick<Deps, "db" | "feature" | "now">,
  eventId: string,
  input: CloseOpenInBody,
  actor: Principal,
): Promise<{ correction: Correction; event: LogEntry }> {
  const config = deps.feature(attendanceConfig);
  const found = await eventWithEmployee(deps.db, eventId);
  if (!found) throw new AppError("NOT_FOUND", `Clock event '${eventId}' not found`, { reason: "event_not_found" });
  const { event: open, employee } = found;
  if (open.direction !== "in" || open.closedBy !== null) {
    throw new AppError("CONFLICT", "Only an open clock-in (no clock-out yet) can be closed", { reason: "not_open" });
  }
  const out = new Date(input.clock_out);
  const outIso = out.toISOString();
  if (out.getTime() <= Date.parse(open.at)) throw invalidTime("body.clock_out", "clock_out must be after the clock-in");
  if (out.getTime() > deps.now().getTime()) throw invalidTime("body.clock_out", "clock_out must not be in the future");
  if (out.getTime() - Date.parse(open.at) > config.maxShiftMs) {
    throw invalidTime("body.clock_out", `clock_out must be within ${config.maxShiftMs / 3_600_000} hours of the clock-in`);
  }
  const { after } = await neighbours(deps.db, open.employeeId, open.at, open.id);
  if (after && outIso >= after.at) throw invalidTime("body.clock_out", `clock_out must be before the employee's next event (${after.at})`);

  const who = actorOf(actor);
  const outId = crypto.randomUUID();
  const correctionId = crypto.randomUUID();
  const ev = attendanceEvents;
  const e = attendanceEmployees;
  const written = eventExists(deps.db, outId);
  const [, , , , rows, corrections] = await deps.db.batch([
    insertWhere(
      deps,
      ev,
      { id: outId, employeeId: open.employeeId, direction: "out", at: outIso, source: "correction", actorId: who.userId, actorName: who.name },
      exists(
        deps.db
          .select({ id: other.id })
          .from(other)
          .where(and(eq(other.id, open.id), isNull(other.closedBy))),
      ),
    ),
    deps.db
      .update(ev)
      .set({ closedBy: outId })
      .where(and(eq(ev.id, open.id), isNull(ev.closedBy), written)),
    // Still the employee's open 'in': they are out now, as of the corrected time.
    deps.db
      .update(e)
      .set({ clockState: "out", clockSince: outIso, lastEventId: outId, updatedAt: sql`${e.updatedAt}` })
      .where(and(eq(e.id, open.employeeId), eq(e.lastEventId, open.id), written)),
    insertWhere(
      deps,
      attendanceCorrections,
      {
        id: correctionId,
        employeeId: open.employeeId,
        eventId: open.id,
        action: "close_open_in",
        before: { clock_in: open.at, clock_out: null },
        after: { clock_in: open.at, clock_out: outIso, clock_out_event_id: outId },
        reason: input.reason,
        actorId: who.userId,
        actorName: who.name,
      },
      written,
    ),
    deps.db.select().from(ev).where(eq(ev.id, outId)),
    deps.db.select().from(attendanceCorrections).where(eq(attendanceCorrections.id, correctionId)),
  ]);
  const [outRow] = rows;
  const [correction] = corrections;
  if (!outRow || !correction) throw new AppError("CONFLICT", "This clock-in was closed by someone else meanwhile; nothing was changed", { reason: "not_open" });
  return { correction: toCorrection(correction), event: toLogEntry(outRow, employee, config.timeZone) };
}

/**
 * A manager moves an event's time (a clock-in recorded late, a mistyped correction): audited,
 * and only between the employee's neighbouring events, so every in/out pair stays a pair. 409
 * when the event moved meanwhile.
 */
export async function editEventTime(
  deps: Pick<Deps, "db" | "feature" | "now">,
  eventId: string,
  input: EditTimeBody,
  actor: Principal,
): Promise<{ correction: Correction; event: LogEntry }> {
  const config = deps.feature(attendanceConfig);
  const found = await eventWithEmployee(deps.db, eventId);
  if (!found) throw new AppError("NOT_FOUND", `Clock event '${eventId}' not found`, { reason: "event_not_found" });
  const { event, employee } = found;
  const at = new Date(input.timestamp);
  const atIso = at.toISOString();
  if (at.getTime() > deps.now().getTime()) throw invalidTime("body.timestamp", "timestamp must not be in the future");
  const { before, after } = await neighbours(deps.db, event.employeeId, event.at, event.id);
  if (before && atIso <= before.at) throw invalidTime("body.timestamp", `timestamp must be after the employee's previous event (${before.at})`);
  if (after && atIso >= after.at) throw invalidTime("body.timestamp", `timestamp must be before the employee's next event (${after.at})`);

  const who = actorOf(actor);
  const correctionId = crypto.randomUUID();
  const ev = attendanceEvents;
  const e = attendanceEmployees;
  const [, , , rows, corrections] = await deps.db.batch([
    deps.db
      .update(ev)
      .set({ at: atIso })
      .where(and(eq(ev.id, event.id), eq(ev.at, event.at))),
    insertWhere(
      deps,
      attendanceCorrections,
      {
        id: correctionId,
        employeeId: event.employeeId,
        eventId: event.id,
        action: "edit_time",
        before: { timestamp: event.at, direction: event.direction },
        after: { timestamp: atIso, direction: event.direction },
        reason: input.reason,
        actorId: who.userId,
        actorName: who.name,
      },
      afterOneChange,
    ),
    deps.db
      .update(e)
      .set({ clockSince: atIso, updatedAt: sql`${e.updatedAt}` })
      .where(
        and(
          eq(e.id, event.employeeId),
          eq(e.lastEventId, event.id),
          sql`exists (select 1 from ${attendanceCorrections} where ${attendanceCorrections.id} = ${correctionId})`,
        ),
      ),
    deps.db.select().from(ev).where(eq(ev.id, event.id)),
    deps.db.select().from(attendanceCorrections).where(eq(attendanceCorrections.id, correctionId)),
  ]);
  const [row] = rows;
  const [correction] = corrections;
  if (!row || !correction) throw new AppError("CONFLICT", "This event was changed by someone else meanwhile; nothing was changed", { reason: "stale_event" });
  return { correction: toCorrection(correction), event: toLogEntry(row, employee, config.timeZone) };
}

/** The audit trail of corrections, newest first. */
export async function listCorrections(deps: Pick<Deps, "db">, query: CorrectionQuery): Promise<Page<Correction>> {
  const c = attendanceCorrections;
  const q = deps.db
    .select()
    .from(c)
    .where(and(query.employee_id ? eq(c.employeeId, query.employee_id) : undefined, query.event_id ? eq(c.eventId, query.event_id) : undefined))
    .$dynamic();
  const page = await paginate(deps.db, q, query, { orderBy: [desc(c.seq)], tiebreaker: c.seq });
  return { ...page, items: page.items.map(toCorrection) };
}
