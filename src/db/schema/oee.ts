/**
 * Seed 004 (MS5.0): downtime, production counts and OEE history (modules/oee). Lines are
 * referenced by id and equipment by code as plain text, as in production.ts.
 */
import { index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { id, timestamp, timestamps } from "./columns";

export const DOWNTIME_CATEGORIES = ["planned", "unplanned"] as const;

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
