import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, id, timestamps, version } from "./columns";

/**
 * Employees who clock (RM365's attendance database). `code` is the badge/payroll number, unique.
 * `clock_state` is where the employee stands now ('in' or 'out'), moved only by a clock event in
 * the same batch that writes the event, under a condition on the state the caller saw: two taps
 * at once cannot both clock in. `last_event_id` is the event that set it.
 */
export const attendanceEmployees = sqliteTable(
  "attendance_employees",
  {
    id: id(),
    /** RM365's integer id (its client does `parseInt(employee.id)`): set by a trigger on insert (migration 0022). */
    number: integer("number").unique(),
    code: text("code").notNull().unique(),
    name: text("name").notNull(),
    department: text("department"),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    clockState: text("clock_state", { enum: ["in", "out"] })
      .notNull()
      .default("out"),
    clockSince: text("clock_since"),
    lastEventId: text("last_event_id"),
    createdBy: text("created_by"),
    version: version(),
    ...timestamps(),
  },
  (t) => [index("attendance_employees_name_idx").on(t.name), check("attendance_employees_clock_state", sql`${t.clockState} in ('in', 'out')`)],
);

/**
 * Every clock event. An 'in' is closed by the 'out' that follows it (`closed_by`); an 'in' that
 * stays open past the longest shift is a forgotten clock-out, which a manager closes with a
 * correction. `at` is the moment it counts for (a correction may move it); `recorded_at` when
 * the row was written.
 */
export const attendanceEvents = sqliteTable(
  "attendance_events",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull().unique(),
    employeeId: text("employee_id")
      .notNull()
      .references(() => attendanceEmployees.id),
    direction: text("direction", { enum: ["in", "out"] }).notNull(),
    at: text("at").notNull(),
    source: text("source", { enum: ["manual", "card", "fingerprint", "correction"] }).notNull(),
    /** The card or fingerprint enrolment that clocked, when one did. */
    credentialId: text("credential_id"),
    /** On an 'in': the 'out' that closed it. */
    closedBy: text("closed_by"),
    actorId: text("actor_id"),
    actorName: text("actor_name").notNull(),
    recordedAt: createdAt(),
  },
  (t) => [
    index("attendance_events_at_idx").on(t.at, t.seq),
    index("attendance_events_employee_idx").on(t.employeeId, t.at),
    check("attendance_events_direction", sql`${t.direction} in ('in', 'out')`),
  ],
);

/** The audit trail of managers' corrections: who, what, why, before → after (JSON). */
export const attendanceCorrections = sqliteTable(
  "attendance_corrections",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull().unique(),
    employeeId: text("employee_id").notNull(),
    /** The event corrected (for `close_open_in`: the open 'in'). */
    eventId: text("event_id").notNull(),
    action: text("action", { enum: ["close_open_in", "edit_time"] }).notNull(),
    before: text("before", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    after: text("after", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    reason: text("reason").notNull(),
    actorId: text("actor_id"),
    actorName: text("actor_name").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("attendance_corrections_employee_idx").on(t.employeeId, t.seq), index("attendance_corrections_event_idx").on(t.eventId)],
);

/**
 * Cards (NFC/RFID UIDs, stored normalised: upper-case hex without separators). An active card
 * (`revoked_at` null) belongs to one employee only: the partial unique index refuses a second.
 * Revoking sets `revoked_at`; clocking checks it in the same statement that writes the event.
 */
export const enrollmentCards = sqliteTable(
  "enrollment_cards",
  {
    id: id(),
    employeeId: text("employee_id")
      .notNull()
      .references(() => attendanceEmployees.id),
    uid: text("uid").notNull(),
    label: text("label"),
    createdBy: text("created_by"),
    createdAt: createdAt(),
    revokedAt: text("revoked_at"),
    revokedBy: text("revoked_by"),
    revokeReason: text("revoke_reason"),
  },
  (t) => [
    uniqueIndex("enrollment_cards_active_uid").on(t.uid).where(sql`${t.revokedAt} is null`),
    index("enrollment_cards_employee_idx").on(t.employeeId),
    index("enrollment_cards_uid_idx").on(t.uid),
  ],
);

/**
 * Fingerprint enrolments: the reader's template id (readers match fingers on the device and
 * report the id) and, when the reader sends template bytes, their SHA-256, so a reader that
 * posts the same template bytes is recognised. Active ids and hashes are unique.
 */
export const enrollmentFingerprints = sqliteTable(
  "enrollment_fingerprints",
  {
    id: id(),
    /** RM365's integer fingerprint id: set by a trigger on insert (migration 0022). */
    number: integer("number").unique(),
    employeeId: text("employee_id")
      .notNull()
      .references(() => attendanceEmployees.id),
    templateId: text("template_id").notNull(),
    templateHash: text("template_hash"),
    finger: integer("finger"),
    createdBy: text("created_by"),
    createdAt: createdAt(),
    revokedAt: text("revoked_at"),
    revokedBy: text("revoked_by"),
    revokeReason: text("revoke_reason"),
  },
  (t) => [
    uniqueIndex("enrollment_fingerprints_active_template").on(t.templateId).where(sql`${t.revokedAt} is null`),
    uniqueIndex("enrollment_fingerprints_active_hash").on(t.templateHash).where(sql`${t.revokedAt} is null and ${t.templateHash} is not null`),
    index("enrollment_fingerprints_employee_idx").on(t.employeeId),
  ],
);
