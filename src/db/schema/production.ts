/**
 * Seed 004 (MS5.0 floor dashboard): production lines, products, schedules and job assignments
 * (the andon tables are in andon.ts, downtime, counts and OEE history in oee.ts).
 *
 * Equipment is referenced by its code as plain text (`equipment_codes`, `equipment_code`): the
 * equipment registry is another domain's, and a line must not fail to load because a code is not
 * registered there yet.
 */
import { sql } from "drizzle-orm";
import { index, integer, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { ANDON_PRIORITIES } from "./andon";
import { id, timestamp, timestamps, version } from "./columns";

export const LINE_STATUSES = ["running", "stopped", "fault", "maintenance", "setup", "idle"] as const;
export const JOB_STATUSES = ["assigned", "accepted", "in_progress", "paused", "completed", "cancelled"] as const;
export const SCHEDULE_STATUSES = ["scheduled", "in_progress", "completed", "cancelled"] as const;

/** A line's escalation policy: the roles an unanswered andon climbs through, and optional timeouts. */
export interface EscalationPolicy {
  tiers?: string[];
  /** Minutes to acknowledge / to resolve per priority, overriding MS5's defaults. */
  timeouts?: Partial<Record<(typeof ANDON_PRIORITIES)[number], { acknowledge: number; resolve: number }>>;
}

export const productionLines = sqliteTable(
  "production_lines",
  {
    id: id(),
    lineCode: text("line_code").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    equipmentCodes: text("equipment_codes", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    /** Parts per minute the line is designed for. */
    targetSpeed: real("target_speed"),
    /** Seconds per part at full speed, the default for OEE performance. */
    idealCycleTime: real("ideal_cycle_time"),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    status: text("status", { enum: LINE_STATUSES }).notNull().default("idle"),
    escalationPolicy: text("escalation_policy", { mode: "json" }).$type<EscalationPolicy | null>(),
    ...timestamps(),
    version: version(),
  },
  (t) => [uniqueIndex("production_lines_code_unique").on(t.lineCode)],
);

export const products = sqliteTable(
  "products",
  {
    id: id(),
    productCode: text("product_code").notNull(),
    name: text("name").notNull(),
    description: text("description"),
    /** Seconds per part at full speed. */
    idealCycleTime: real("ideal_cycle_time"),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    ...timestamps(),
  },
  (t) => [uniqueIndex("products_code_unique").on(t.productCode)],
);

export const productionSchedules = sqliteTable(
  "production_schedules",
  {
    id: id(),
    lineId: text("line_id")
      .notNull()
      .references(() => productionLines.id, { onDelete: "restrict" }),
    productId: text("product_id")
      .notNull()
      .references(() => products.id, { onDelete: "restrict" }),
    scheduledStart: timestamp("scheduled_start").notNull(),
    scheduledEnd: timestamp("scheduled_end").notNull(),
    targetQuantity: integer("target_quantity").notNull(),
    status: text("status", { enum: SCHEDULE_STATUSES }).notNull().default("scheduled"),
    notes: text("notes"),
    createdBy: text("created_by"),
    ...timestamps(),
  },
  (t) => [index("production_schedules_line_idx").on(t.lineId, t.scheduledStart)],
);

export const jobAssignments = sqliteTable(
  "job_assignments",
  {
    id: id(),
    scheduleId: text("schedule_id")
      .notNull()
      .references(() => productionSchedules.id, { onDelete: "restrict" }),
    lineId: text("line_id").notNull(),
    userId: text("user_id").notNull(),
    status: text("status", { enum: JOB_STATUSES }).notNull().default("assigned"),
    assignedAt: timestamp("assigned_at").notNull(),
    acceptedAt: timestamp("accepted_at"),
    startedAt: timestamp("started_at"),
    pausedAt: timestamp("paused_at"),
    completedAt: timestamp("completed_at"),
    cancelledAt: timestamp("cancelled_at"),
    notes: text("notes"),
    ...timestamps(),
    version: version(),
  },
  (t) => [index("job_assignments_user_idx").on(t.userId, t.assignedAt), index("job_assignments_schedule_idx").on(t.scheduleId)],
);
