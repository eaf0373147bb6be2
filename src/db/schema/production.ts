/**
 * Seed 004 (MS5.0 floor dashboard): production lines, products, schedules, job assignments,
 * andon events and their escalations, downtime, production counts and OEE history.
 *
 * Equipment is referenced by its code as plain text (`equipment_codes`, `equipment_code`): the
 * equipment registry is another domain's, and a line must not fail to load because a code is not
 * registered there yet.
 */
import { sql } from "drizzle-orm";
import { index, integer, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { id, timestamp, timestamps, version } from "./columns";

export const LINE_STATUSES = ["running", "stopped", "fault", "maintenance", "setup", "idle"] as const;
export const JOB_STATUSES = ["assigned", "accepted", "in_progress", "paused", "completed", "cancelled"] as const;
export const SCHEDULE_STATUSES = ["scheduled", "in_progress", "completed", "cancelled"] as const;
export const ANDON_TYPES = ["stop", "quality", "maintenance", "material", "safety"] as const;
export const ANDON_PRIORITIES = ["low", "medium", "high", "critical"] as const;
export const ANDON_STATUSES = ["open", "acknowledged", "resolved", "escalated"] as const;
export const DOWNTIME_CATEGORIES = ["planned", "unplanned"] as const;

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

export const andonEvents = sqliteTable(
  "andon_events",
  {
    id: id(),
    lineId: text("line_id").notNull(),
    equipmentCode: text("equipment_code"),
    eventType: text("event_type", { enum: ANDON_TYPES }).notNull(),
    priority: text("priority", { enum: ANDON_PRIORITIES }).notNull(),
    description: text("description").notNull(),
    status: text("status", { enum: ANDON_STATUSES }).notNull().default("open"),
    /** 0 = with the operators; each escalation climbs one tier. */
    escalationLevel: integer("escalation_level").notNull().default(0),
    reportedBy: text("reported_by").notNull(),
    reportedAt: timestamp("reported_at").notNull(),
    acknowledgedBy: text("acknowledged_by"),
    acknowledgedAt: timestamp("acknowledged_at"),
    resolvedBy: text("resolved_by"),
    resolvedAt: timestamp("resolved_at"),
    resolutionNotes: text("resolution_notes"),
  },
  (t) => [index("andon_events_line_idx").on(t.lineId, t.reportedAt), index("andon_events_status_idx").on(t.status, t.reportedAt)],
);

export const andonEscalations = sqliteTable(
  "andon_escalations",
  {
    id: id(),
    eventId: text("event_id")
      .notNull()
      .references(() => andonEvents.id, { onDelete: "cascade" }),
    level: integer("level").notNull(),
    /** The role the call climbed to. */
    escalatedTo: text("escalated_to").notNull(),
    reason: text("reason", { enum: ["acknowledge_timeout", "resolve_timeout", "manual"] }).notNull(),
    escalatedAt: timestamp("escalated_at").notNull(),
  },
  // One row per level: an alarm that runs twice records the escalation once.
  (t) => [uniqueIndex("andon_escalations_event_level_unique").on(t.eventId, t.level)],
);

export const downtimeEvents = sqliteTable(
  "downtime_events",
  {
    id: id(),
    lineId: text("line_id").notNull(),
    equipmentCode: text("equipment_code"),
    reason: text("reason").notNull(),
    category: text("category", { enum: DOWNTIME_CATEGORIES }).notNull(),
    startTime: timestamp("start_time").notNull(),
    endTime: timestamp("end_time"),
    notes: text("notes"),
    reportedBy: text("reported_by").notNull(),
    /** Who confirmed the stop's reason (MS5's `confirm`), and when. */
    confirmedBy: text("confirmed_by"),
    confirmedAt: timestamp("confirmed_at"),
    ...timestamps(),
  },
  (t) => [index("downtime_events_line_idx").on(t.lineId, t.startTime)],
);

export const productionCounts = sqliteTable(
  "production_counts",
  {
    id: id(),
    lineId: text("line_id").notNull(),
    productId: text("product_id"),
    periodStart: timestamp("period_start").notNull(),
    periodEnd: timestamp("period_end").notNull(),
    totalCount: integer("total_count").notNull(),
    goodCount: integer("good_count").notNull(),
    recordedBy: text("recorded_by").notNull(),
    ...timestamps(),
  },
  (t) => [index("production_counts_line_idx").on(t.lineId, t.periodStart)],
);

export const oeeCalculations = sqliteTable(
  "oee_calculations",
  {
    id: id(),
    lineId: text("line_id").notNull(),
    equipmentCode: text("equipment_code"),
    calculationTime: timestamp("calculation_time").notNull(),
    periodStart: timestamp("period_start").notNull(),
    periodEnd: timestamp("period_end").notNull(),
    availability: real("availability").notNull(),
    performance: real("performance").notNull(),
    quality: real("quality").notNull(),
    oee: real("oee").notNull(),
    plannedProductionTime: real("planned_production_time").notNull(),
    actualProductionTime: real("actual_production_time").notNull(),
    unplannedDowntime: real("unplanned_downtime").notNull(),
    plannedDowntime: real("planned_downtime").notNull(),
    idealCycleTime: real("ideal_cycle_time"),
    actualCycleTime: real("actual_cycle_time"),
    goodParts: integer("good_parts").notNull(),
    totalParts: integer("total_parts").notNull(),
  },
  (t) => [index("oee_calculations_line_idx").on(t.lineId, t.calculationTime)],
);
