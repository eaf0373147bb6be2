/**
 * Quality and checklists (issue 17): the screens MS5's tablet client calls that its backend never
 * served. A checklist template lists the items an operator answers before a job (or a shift);
 * an instance is one run of it, pending until completed once with its responses. A quality
 * inspection is scheduled, completed once with its results, then approved or rejected once by
 * a holder of `quality:approve`. Every state change is a conditional UPDATE on the status.
 */
import { sql } from "drizzle-orm";
import { check, index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { id, timestamp, timestamps, version } from "./columns";
import { users } from "./identity";
import { productionLines } from "./production";

export const CHECKLIST_ITEM_TYPES = ["boolean", "text", "number", "select"] as const;

/** One item of a template, as the client's checklist form renders it. */
export interface ChecklistItem {
  id: string;
  title: string;
  description?: string | undefined;
  required: boolean;
  type: (typeof CHECKLIST_ITEM_TYPES)[number];
  options?: string[] | undefined;
  min_value?: number | undefined;
  max_value?: number | undefined;
}

/** One answer of a completed instance. */
export interface ChecklistResponse {
  item_id: string;
  value: string | number | boolean | null;
  completed: boolean;
  notes?: string | undefined;
}

export const checklistTemplates = sqliteTable(
  "checklist_templates",
  {
    id: id(),
    name: text("name").notNull(),
    description: text("description"),
    /** The line it is for (null: any line). */
    lineId: text("line_id").references(() => productionLines.id),
    equipmentCodes: text("equipment_codes", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    items: text("items", { mode: "json" }).$type<ChecklistItem[]>().notNull(),
    requiredSignature: integer("required_signature", { mode: "boolean" }).notNull().default(false),
    isActive: integer("is_active", { mode: "boolean" }).notNull().default(true),
    createdBy: text("created_by").notNull(),
    ...timestamps(),
    version: version(),
  },
  (t) => [index("checklist_templates_line_idx").on(t.lineId, t.isActive)],
);

export const CHECKLIST_INSTANCE_STATUSES = ["pending", "completed"] as const;

export const checklistInstances = sqliteTable(
  "checklist_instances",
  {
    id: id(),
    templateId: text("template_id")
      .notNull()
      .references(() => checklistTemplates.id),
    jobId: text("job_id"),
    lineId: text("line_id"),
    equipmentCode: text("equipment_code"),
    /** The user who is to complete it (null: anyone holding `checklist:complete`). */
    assignedTo: text("assigned_to").references(() => users.id),
    status: text("status", { enum: CHECKLIST_INSTANCE_STATUSES }).notNull().default("pending"),
    responses: text("responses", { mode: "json" }).$type<ChecklistResponse[]>(),
    notes: text("notes"),
    signature: text("signature"),
    completedBy: text("completed_by"),
    completedAt: timestamp("completed_at"),
    createdBy: text("created_by").notNull(),
    ...timestamps(),
  },
  (t) => [
    index("checklist_instances_template_idx").on(t.templateId, t.createdAt),
    index("checklist_instances_created_idx").on(t.createdAt, t.id),
    check("checklist_instances_completed", sql`${t.status} = 'pending' OR (${t.completedAt} IS NOT NULL AND ${t.responses} IS NOT NULL)`),
  ],
);

export const INSPECTION_TYPES = ["routine", "spot", "audit", "customer"] as const;
export const INSPECTION_STATUSES = ["scheduled", "in_progress", "completed", "approved", "rejected", "cancelled"] as const;
export const INSPECTION_RESULTS = ["pass", "fail", "conditional"] as const;

/** One measured parameter of a completed inspection. */
export interface InspectionResult {
  parameterName: string;
  value: string | number | boolean | null;
  unit?: string | undefined;
  status: "pass" | "fail" | "warning";
  notes?: string | undefined;
}

export const qualityInspections = sqliteTable(
  "quality_inspections",
  {
    id: id(),
    lineId: text("line_id")
      .notNull()
      .references(() => productionLines.id),
    productTypeId: text("product_type_id"),
    inspectionType: text("inspection_type", { enum: INSPECTION_TYPES }).notNull().default("routine"),
    status: text("status", { enum: INSPECTION_STATUSES }).notNull().default("scheduled"),
    scheduledDate: timestamp("scheduled_date").notNull(),
    completedDate: timestamp("completed_date"),
    /** Who inspects (free text from the client's form; defaults to the creator's name). */
    inspector: text("inspector").notNull(),
    results: text("results", { mode: "json" }).$type<InspectionResult[]>().notNull().default(sql`'[]'`),
    overallResult: text("overall_result", { enum: INSPECTION_RESULTS }),
    score: real("score"),
    notes: text("notes"),
    completedBy: text("completed_by"),
    reviewedBy: text("reviewed_by"),
    reviewedAt: timestamp("reviewed_at"),
    rejectionReason: text("rejection_reason"),
    createdBy: text("created_by").notNull(),
    ...timestamps(),
    version: version(),
  },
  (t) => [index("quality_inspections_line_idx").on(t.lineId, t.scheduledDate), index("quality_inspections_scheduled_idx").on(t.scheduledDate, t.id)],
);

export const DEFECT_SEVERITIES = ["low", "medium", "high", "critical"] as const;
export const DEFECT_CATEGORIES = ["dimensional", "surface", "functional", "aesthetic", "safety"] as const;
export const DEFECT_STATUSES = ["open", "investigating", "resolved", "closed"] as const;

export const qualityDefects = sqliteTable(
  "quality_defects",
  {
    id: id(),
    lineId: text("line_id")
      .notNull()
      .references(() => productionLines.id),
    inspectionId: text("inspection_id").references(() => qualityInspections.id),
    defectCode: text("defect_code").notNull(),
    description: text("description").notNull(),
    severity: text("severity", { enum: DEFECT_SEVERITIES }).notNull().default("medium"),
    category: text("category", { enum: DEFECT_CATEGORIES }).notNull().default("functional"),
    quantity: integer("quantity").notNull().default(1),
    location: text("location"),
    rootCause: text("root_cause"),
    correctiveAction: text("corrective_action"),
    status: text("status", { enum: DEFECT_STATUSES }).notNull().default("open"),
    reportedBy: text("reported_by").notNull(),
    resolvedBy: text("resolved_by"),
    resolvedAt: timestamp("resolved_at"),
    resolutionNotes: text("resolution_notes"),
    ...timestamps(),
    version: version(),
  },
  (t) => [index("quality_defects_line_idx").on(t.lineId, t.createdAt), index("quality_defects_created_idx").on(t.createdAt, t.id)],
);
