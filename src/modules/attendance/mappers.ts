/** Attendance rows → responses, and who an actor is in event and audit rows. */
import { eq, exists } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { type attendanceCorrections, attendanceEvents } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import type { EmployeeRow } from "../enrollment/repo";
import type { Correction, Employee, LogEntry } from "./schemas";
import { plantDateTime } from "./time";

export type EventRow = typeof attendanceEvents.$inferSelect;
/** The events table under another name, for "this event exists" sub-selects inside writes to it. */
export const other = alias(attendanceEvents, "other_event");
/** SQL: an event with this id exists (was written earlier in the same batch). */
export const eventExists = (db: Deps["db"], id: string) => exists(db.select({ id: other.id }).from(other).where(eq(other.id, id)));
type CorrectionRow = typeof attendanceCorrections.$inferSelect;
export type Direction = "in" | "out";

/** The wire shape of an employee row. */
export function toEmployee(row: EmployeeRow): Employee {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    department: row.department,
    active: row.active,
    status: row.clockState,
    status_since: row.clockSince,
    version: row.version,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

/** RM365's log row (plant date and time) from an event and its employee. */
export function toLogEntry(
  event: Pick<EventRow, "id" | "employeeId" | "direction" | "at" | "source" | "actorName">,
  employee: Pick<EmployeeRow, "name" | "code" | "department">,
  timeZone: string,
): LogEntry {
  const { date, time } = plantDateTime(new Date(event.at), timeZone);
  return {
    id: event.id,
    employee: employee.name,
    employee_id: event.employeeId,
    employee_code: employee.code,
    department: employee.department,
    date,
    time,
    direction: event.direction,
    timestamp: event.at,
    source: event.source,
    recorded_by: event.actorName,
  };
}

export function toCorrection(row: CorrectionRow): Correction {
  return {
    id: row.id,
    employee_id: row.employeeId,
    event_id: row.eventId,
    action: row.action,
    before: row.before,
    after: row.after,
    reason: row.reason,
    corrected_by: row.actorName,
    corrected_by_id: row.actorId,
    created_at: row.createdAt,
  };
}
