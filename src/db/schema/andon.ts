/**
 * Seed 004 (MS5.0): andon events and their escalations (modules/andon). Lines are referenced by
 * id and equipment by code as plain text, as in production.ts.
 */
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { id, timestamp } from "./columns";

export const ANDON_TYPES = ["stop", "quality", "maintenance", "material", "safety"] as const;
export const ANDON_PRIORITIES = ["low", "medium", "high", "critical"] as const;
export const ANDON_STATUSES = ["open", "acknowledged", "resolved", "escalated"] as const;

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
    /** Who at this tier answered it (MS5's escalation acknowledge); set once. */
    acknowledgedBy: text("acknowledged_by"),
    acknowledgedAt: timestamp("acknowledged_at"),
  },
  // One row per level: an alarm that runs twice records the escalation once.
  (t) => [uniqueIndex("andon_escalations_event_level_unique").on(t.eventId, t.level)],
);
