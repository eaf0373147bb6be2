/**
 * The equipment registry both seeds share: CCbackend's `CC_MASTER` / `CC_LOG` / `CC_REPORT`
 * (seed 000) and MS5's equipment, faults and maintenance (seed 004).
 *
 * - `equipment` is the master row. `version` is CCbackend's `UPD_CNT`: it equals the number of
 *   log rows the item has, because every write appends exactly one.
 * - `equipment_log` is append-only (the API never updates or deletes it). Its unique
 *   `(equipment_id, version)` index is the optimistic lock: a write inserts the log row for
 *   version v+1 in the same batch as the master update, so two writers that both read version v
 *   cannot both commit; the second batch fails on the index and rolls back whole. The current
 *   status of an item is its log row whose version equals the master's.
 * - Equipment is deleted softly (`deleted_at`): its log and its issue reports stay, so nothing is
 *   orphaned and no photo loses its row. The code becomes free again (the unique index covers live
 *   rows only), and a new item under the same code starts a new history.
 * - `issue_reports` keep their photos' R2 keys in `images`; `pending_file_deletions` is the
 *   outbox for R2 objects whose rows are gone (see issue-reports/service.ts `deleteIssueReport`).
 */
import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, id, sqlNow, timestamp, timestamps, updatedAt, version } from "./columns";

/**
 * Which client's registry an item belongs to: CCbackend's items (its surface lists, counts and
 * changes only these) or MS5's machines (created with a production line or by MS5's paths).
 */
export const EQUIPMENT_KINDS = ["ccbackend", "ms5"] as const;
export type EquipmentKind = (typeof EQUIPMENT_KINDS)[number];

export const equipment = sqliteTable(
  "equipment",
  {
    id: id(),
    /** Whose item this is (see EQUIPMENT_KINDS); rows from before the column are CCbackend's. */
    kind: text("kind", { enum: EQUIPMENT_KINDS }).notNull().default("ccbackend"),
    /** CCbackend's `CCM_ID`, MS5's equipment code (`BP01.PACK.BAG1`). Unique among live items. */
    code: text("code").notNull(),
    /** MS5's display name. */
    name: text("name"),
    /** MS5's production line code (`L-BAG1`). */
    productionLine: text("production_line"),
    /** CCbackend's `CC_SIZE`. */
    size: text("size"),
    /** CCbackend's `BOX_ID`. */
    boxId: text("box_id"),
    /** CCbackend's `USER_NAME`: who the item is issued to (free text, not an account). */
    userName: text("user_name"),
    /** CCbackend's `CC_STARTTIME`. */
    startTime: timestamp("start_time"),
    createdBy: text("created_by").notNull(),
    ...timestamps(),
    deletedAt: timestamp("deleted_at"),
    /** `UPD_CNT`: the number of log rows; every write moves it by one. */
    version: version(),
  },
  (t) => [uniqueIndex("equipment_code_live_unique").on(t.code).where(sql`deleted_at is null`), index("equipment_line_idx").on(t.productionLine)],
);

/** What a log row records. */
export const EQUIPMENT_ACTIONS = ["create", "update", "status", "delete"] as const;
export type EquipmentAction = (typeof EQUIPMENT_ACTIONS)[number];

/** A field's value before and after a change, as the log keeps it. */
export type FieldChanges = Record<string, { from: string | null; to: string | null }>;

/** CCbackend's `CC_LOG`: one row per change, never rewritten. */
export const equipmentLog = sqliteTable(
  "equipment_log",
  {
    /** `CCL_ID`. */
    id: integer("id").primaryKey({ autoIncrement: true }),
    equipmentId: text("equipment_id")
      .notNull()
      .references(() => equipment.id, { onDelete: "restrict" }),
    /** The item's version after this change (1 for its creation). */
    version: integer("version").notNull(),
    action: text("action", { enum: EQUIPMENT_ACTIONS }).notNull(),
    /** `INPUT_DATE`: the start time given with the change (or the time of the change). */
    inputDate: timestamp("input_date").notNull(),
    /** `CC_STATUS` / `CC_SUBSTATUS` after the change. */
    status: text("status"),
    subStatus: text("sub_status"),
    previousStatus: text("previous_status"),
    previousSubStatus: text("previous_sub_status"),
    /** Master fields this change moved, old → new. */
    changes: text("changes", { mode: "json" }).$type<FieldChanges>().notNull().default(sql`'{}'`),
    comment: text("comment"),
    /** `UPDATE_BY`: the username (or `api_key:<name>`) that made the change. */
    updatedBy: text("updated_by").notNull(),
    /** `UPDATE_TIME`. */
    updatedAt: timestamp("updated_at").notNull().default(sqlNow),
  },
  (t) => [uniqueIndex("equipment_log_version_unique").on(t.equipmentId, t.version), index("equipment_log_status_idx").on(t.status)],
);

/** Canonical issue-report statuses; CCbackend's Chinese labels map onto them. */
export const REPORT_STATUSES = ["pending", "processing", "completed", "ignored"] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

/** One photo of a report, as stored. */
export interface StoredImage {
  /** R2 key: `reports/<uuid>.<ext>`. */
  key: string;
  contentType: string;
  size: number;
  /** The client's file name, sanitised (shown, never used as a path). */
  filename: string;
  sha256: string;
}

/** CCbackend's `CC_REPORT`; MS5's equipment faults are the open ones. */
export const issueReports = sqliteTable(
  "issue_reports",
  {
    /** `ID`. */
    id: integer("id").primaryKey({ autoIncrement: true }),
    equipmentId: text("equipment_id")
      .notNull()
      .references(() => equipment.id, { onDelete: "restrict" }),
    reporter: text("reporter").notNull(),
    reportedAt: timestamp("reported_at").notNull().default(sqlNow),
    issueType: text("issue_type").notNull(),
    description: text("description"),
    images: text("images", { mode: "json" }).$type<StoredImage[]>().notNull().default(sql`'[]'`),
    status: text("status", { enum: REPORT_STATUSES }).notNull().default("pending"),
    /** The word the status was set with (待處理, 已處理, 已完成, …), shown back to CCbackend's client. */
    statusLabel: text("status_label").notNull().default("待處理"),
    processor: text("processor"),
    processedAt: timestamp("processed_at"),
    processNotes: text("process_notes"),
    updatedAt: updatedAt(),
    version: version(),
  },
  (t) => [index("issue_reports_equipment_idx").on(t.equipmentId, t.status), index("issue_reports_time_idx").on(t.reportedAt)],
);

/** MS5's scheduled maintenance. */
export const MAINTENANCE_TYPES = ["preventive", "corrective", "predictive", "inspection", "calibration", "emergency"] as const;
/** `in_progress` once someone started it (MS5's PUT); `completed` only through complete; `overdue` is derived on read. */
export const MAINTENANCE_STATUSES = ["scheduled", "in_progress", "completed", "cancelled"] as const;
export const MAINTENANCE_PRIORITIES = ["low", "medium", "high", "critical"] as const;

export const equipmentMaintenance = sqliteTable(
  "equipment_maintenance",
  {
    id: id(),
    equipmentId: text("equipment_id")
      .notNull()
      .references(() => equipment.id, { onDelete: "restrict" }),
    maintenanceType: text("maintenance_type", { enum: MAINTENANCE_TYPES }).notNull(),
    priority: text("priority", { enum: MAINTENANCE_PRIORITIES }).notNull().default("medium"),
    scheduledAt: timestamp("scheduled_at").notNull(),
    estimatedDurationMinutes: integer("estimated_duration_minutes"),
    description: text("description"),
    status: text("status", { enum: MAINTENANCE_STATUSES }).notNull().default("scheduled"),
    /** Who is to do it (a free name: MS5's `assignedTo`). */
    assignedTo: text("assigned_to"),
    notes: text("notes"),
    completedAt: timestamp("completed_at"),
    completedBy: text("completed_by"),
    actualDurationMinutes: integer("actual_duration_minutes"),
    createdBy: text("created_by").notNull(),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at"),
    /** Optimistic lock for PUT (If-Match) and complete. */
    version: version(),
  },
  (t) => [index("equipment_maintenance_equipment_idx").on(t.equipmentId, t.scheduledAt)],
);

/**
 * The file outbox (src/lib/files.ts): R2 objects to delete, and objects being written that no
 * row references yet.
 * - A deletion (`heartbeat_at` null) is written in the same D1 batch that drops the rows pointing
 *   to the objects, and removed once R2 confirms; one left here (R2 failed) is retried by the sweep.
 * - A pending file (`heartbeat_at` set) is recorded before its first byte goes to R2 and removed
 *   in the same batch as the row that references it. Its writer renews `heartbeat_at` while it
 *   writes; once that is older than the lease the writer is dead and the sweep deletes the object.
 */
export const pendingFileDeletions = sqliteTable(
  "pending_file_deletions",
  {
    key: text("key").primaryKey(),
    requestedAt: timestamp("requested_at").notNull().default(sqlNow),
    attempts: integer("attempts").notNull().default(0),
    heartbeatAt: timestamp("heartbeat_at"),
  },
  (t) => [index("pending_file_deletions_due_idx").on(t.heartbeatAt, t.requestedAt)],
);
