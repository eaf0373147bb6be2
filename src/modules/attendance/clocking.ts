/** Clocking: RM365's toggle, by card, by fingerprint (the batch described in service.ts). */
import { and, eq, exists, gte, inArray, isNull, not, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { attendanceEmployees, attendanceEvents } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError } from "../../lib/errors";
import { actorOf } from "../../lib/principal";
import { afterOneChange, insertWhere } from "../../lib/sql";
import type { Principal } from "../../types";
import { type Credential, credentialActive, type EmployeeRow, employeeByCard, employeeByFingerprint, templateHash } from "../enrollment/repo";
import { normaliseUid } from "../enrollment/schemas";
import { attendanceConfig } from "./config";
import { employeeNotFound, findEmployee } from "./employees";
import { type Direction, type EventRow, eventExists, other } from "./mappers";
import type { ClockBody, ClockByCardBody, ClockByFingerprintBody, ClockResult } from "./schemas";

/** Where an employee effectively stands: an 'in' older than the longest shift counts as out. */
function effectiveState(row: EmployeeRow, now: Date, maxShiftMs: number): Direction {
  if (row.clockState !== "in" || row.clockSince === null) return "out";
  return now.getTime() - Date.parse(row.clockSince) > maxShiftMs ? "out" : "in";
}

type ClockSource = "manual" | "card" | "fingerprint";
type ClockDeps = Pick<Deps, "db" | "now" | "feature" | "config">;

/** Reader sources: their taps are debounced (a manager's manual clock is deliberate, never). */
const READER_SOURCES = ["card", "fingerprint"] as const;
const isReader = (source: ClockSource): source is (typeof READER_SOURCES)[number] => source === "card" || source === "fingerprint";

/**
 * SQL: the employee's last event is a reader tap at or after `since` (in the `requested`
 * direction, when the reader asked for one). The clock write carries `not (this)`, so of two
 * taps racing, the second cannot write even if it read the state before the first wrote.
 */
const recentTapCondition = (db: Deps["db"], lastEventId: SQLiteColumn, since: string, requested: Direction | undefined) =>
  exists(
    db
      .select({ id: other.id })
      .from(other)
      .where(
        and(
          eq(other.id, lastEventId),
          inArray(other.source, [...READER_SOURCES]),
          gte(other.at, since),
          requested ? eq(other.direction, requested) : undefined,
        ),
      ),
  );

/**
 * The employee's last event when it is a reader tap inside the debounce window (and in the
 * requested direction, if any): the tap a second one duplicates.
 */
async function recentTap(deps: ClockDeps, employeeId: string, since: string, requested: Direction | undefined): Promise<EventRow | undefined> {
  const e = attendanceEmployees;
  const ev = attendanceEvents;
  const [row] = await deps.db
    .select({ event: ev })
    .from(e)
    .innerJoin(ev, eq(ev.id, e.lastEventId))
    .where(and(eq(e.id, employeeId), inArray(ev.source, [...READER_SOURCES]), gte(ev.at, since), requested ? eq(ev.direction, requested) : undefined))
    .limit(1);
  return row?.event;
}

/** The answer to a debounced tap: the first tap's event, nothing written. */
function duplicateOf(observed: EmployeeRow, event: EventRow): ClockResult {
  return {
    status: "success",
    direction: event.direction,
    message: `${observed.name} already clocked ${event.direction} at ${event.at} (a repeated tap; nothing recorded)`,
    employee_id: observed.id,
    employee_code: observed.code,
    employee_name: observed.name,
    event_id: event.id,
    timestamp: event.at,
    duplicate: true,
  };
}

/**
 * Writes one clock event for an employee as read (`observed`): see the module comment. Exported
 * so tests can replay two taps that read the same state.
 */
export async function clockObserved(
  deps: ClockDeps,
  observed: EmployeeRow,
  credential: Credential | undefined,
  requested: Direction | undefined,
  source: ClockSource,
  actor: Principal,
): Promise<ClockResult> {
  const config = deps.feature(attendanceConfig);
  const now = deps.now();
  if (!observed.active) throw new AppError("CONFLICT", `Employee '${observed.code}' is inactive`, { reason: "employee_inactive" });
  // A reader tap inside the debounce window of the employee's last tap is that tap again.
  const debounceMs = isReader(source) ? deps.config.CLOCK_DEBOUNCE_SECONDS * 1000 : 0;
  const tapWindowStart = new Date(now.getTime() - debounceMs).toISOString();
  if (debounceMs > 0 && observed.clockSince !== null && observed.clockSince >= tapWindowStart) {
    const tap = await recentTap(deps, observed.id, tapWindowStart, requested);
    if (tap) return duplicateOf(observed, tap);
  }
  const state = effectiveState(observed, now, config.maxShiftMs);
  if (requested === "in" && state === "in") {
    throw new AppError("CONFLICT", `${observed.name} is already clocked in (since ${observed.clockSince})`, { reason: "already_clocked_in" });
  }
  if (requested === "out" && state === "out") throw new AppError("CONFLICT", `${observed.name} is not clocked in`, { reason: "not_clocked_in" });
  const direction: Direction = requested ?? (state === "in" ? "out" : "in");
  const at = now.toISOString();
  const eventId = crypto.randomUUID();
  const who = actorOf(actor);
  const e = attendanceEmployees;
  const ev = attendanceEvents;

  const [moved] = await deps.db.batch([
    deps.db
      .update(e)
      .set({ clockState: direction, clockSince: at, lastEventId: eventId, updatedAt: sql`${e.updatedAt}` })
      .where(
        and(
          eq(e.id, observed.id),
          eq(e.active, true),
          observed.lastEventId === null ? isNull(e.lastEventId) : eq(e.lastEventId, observed.lastEventId),
          credential ? credentialActive(credential) : undefined,
          debounceMs > 0 ? not(recentTapCondition(deps.db, e.lastEventId, tapWindowStart, requested)) : undefined,
        ),
      )
      .returning({ id: e.id }),
    insertWhere(
      deps,
      ev,
      { id: eventId, employeeId: observed.id, direction, at, source, credentialId: credential?.id ?? null, actorId: who.userId, actorName: who.name },
      afterOneChange,
    ),
    // An out closes the open 'in' it follows (the employee's last event, when that is an 'in').
    deps.db
      .update(ev)
      .set({ closedBy: eventId })
      .where(and(eq(ev.id, observed.lastEventId ?? ""), eq(ev.direction, "in"), isNull(ev.closedBy), sql`${direction} = 'out'`, eventExists(deps.db, eventId))),
  ]);
  if (moved.length === 0) {
    // Another tap got there first: if it is a reader tap this one repeats, this one is its duplicate.
    if (debounceMs > 0) {
      const tap = await recentTap(deps, observed.id, tapWindowStart, requested);
      if (tap) return duplicateOf(observed, tap);
    }
    const [now2] = await deps.db.select().from(e).where(eq(e.id, observed.id)).limit(1);
    if (!now2?.active) throw new AppError("CONFLICT", `Employee '${observed.code}' is inactive`, { reason: "employee_inactive" });
    if (credential && (now2.lastEventId ?? null) === (observed.lastEventId ?? null)) {
      throw new AppError("NOT_FOUND", `This ${credential.kind} is not enrolled to an active employee`, { reason: `${credential.kind}_not_enrolled` });
    }
    throw new AppError("CONFLICT", `${observed.name} clocked at the same moment from another tap; nothing was recorded, try again`, {
      reason: "concurrent_clock",
    });
  }
  return {
    status: "success",
    direction,
    message: `${observed.name} clocked ${direction}`,
    employee_id: observed.id,
    employee_code: observed.code,
    employee_name: observed.name,
    event_id: eventId,
    timestamp: at,
    duplicate: false,
  };
}

/** RM365's toggle (`{employee_id}` → in or out), or an explicit `direction`. */
export async function clock(deps: ClockDeps, input: ClockBody, actor: Principal): Promise<ClockResult> {
  const row = await findEmployee(deps.db, input.employee_id);
  if (!row) throw employeeNotFound(input.employee_id);
  return clockObserved(deps, row, undefined, input.direction, "manual", actor);
}

/** A reader presents a card: the employee it is enrolled to clocks. 404 for an unknown or revoked card. */
export async function clockByCard(deps: ClockDeps, input: ClockByCardBody, actor: Principal): Promise<ClockResult> {
  const uid = normaliseUid(input.card_uid);
  const found = /^[0-9A-F]{4,32}$/.test(uid) ? await employeeByCard(deps.db, uid) : undefined;
  if (!found) throw new AppError("NOT_FOUND", `Card ${uid} is not enrolled to an active employee`, { reason: "card_not_enrolled" });
  return clockObserved(deps, found.employee, found.credential, input.direction, "card", actor);
}

/**
 * A fingerprint reader reports a match: the template id it matched on the device, or (RM365)
 * the template bytes, recognised when they are exactly the bytes enrolled. No fuzzy matching
 * happens here.
 */
export async function clockByFingerprint(deps: ClockDeps, input: ClockByFingerprintBody, actor: Principal): Promise<ClockResult> {
  const by = input.template_id !== undefined ? { templateId: input.template_id } : { templateHash: await templateHash(input.template_b64 ?? "") };
  const found = await employeeByFingerprint(deps.db, by);
  if (!found) throw new AppError("NOT_FOUND", "Fingerprint not recognised", { reason: "fingerprint_not_enrolled" });
  return clockObserved(deps, found.employee, found.credential, input.direction, "fingerprint", actor);
}
