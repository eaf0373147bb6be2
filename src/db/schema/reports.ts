/**
 * Production reports (seed 004, issue 7 part 7): one row per requested PDF. The API records the
 * request and queues it on the documents queue; the documents worker moves it
 * queued → rendering → ready | failed and writes the PDF to R2 under `pdf_key`. Leased
 * (src/lib/jobs.ts): a report queued or rendering past its lease is re-queued or failed.
 */
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { heartbeatAt, id, timestamp, timestamps } from "./columns";

export const REPORT_STATES = ["queued", "rendering", "ready", "failed"] as const;
export const REPORT_GROUPINGS = ["day", "shift"] as const;

export const productionReports = sqliteTable(
  "production_reports",
  {
    id: id(),
    title: text("title").notNull(),
    state: text("state", { enum: REPORT_STATES }).notNull().default("queued"),
    /** Lines the report covers (ids, in the order requested). */
    lineIds: text("line_ids", { mode: "json" }).$type<string[]>().notNull(),
    /** First and last day covered (YYYY-MM-DD, inclusive), in the report's UTC offset. */
    startDate: text("start_date").notNull(),
    endDate: text("end_date").notNull(),
    groupBy: text("group_by", { enum: REPORT_GROUPINGS }).notNull(),
    /** Minutes east of UTC that days and shifts are counted in (the plant's clock). */
    utcOffsetMinutes: integer("utc_offset_minutes").notNull().default(0),
    /** Hour (plant clock) the first of three 8-hour shifts starts. */
    shiftStartHour: integer("shift_start_hour").notNull().default(6),
    requestedBy: text("requested_by").notNull(),
    attempts: integer("attempts").notNull().default(0),
    heartbeatAt: heartbeatAt(),
    error: text("error"),
    pdfKey: text("pdf_key"),
    pdfBytes: integer("pdf_bytes"),
    pageCount: integer("page_count"),
    startedAt: timestamp("started_at"),
    finishedAt: timestamp("finished_at"),
    /** The scheduled report that made it (the hourly runner), and the run it is: one report per run. */
    scheduleId: text("schedule_id"),
    scheduleSlot: timestamp("schedule_slot"),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex("production_reports_schedule_run_unique").on(t.scheduleId, t.scheduleSlot),
    index("production_reports_created_idx").on(t.createdAt, t.id),
    // The per-requester cap counts a requester's queued and rendering reports on every request.
    index("production_reports_requester_idx").on(t.requestedBy, t.state),
    index("production_reports_lease_idx").on(t.state, t.heartbeatAt),
  ],
);

/** What a report template renders: production reports (the one kind the documents worker makes). */
export const REPORT_TEMPLATE_TYPES = ["production"] as const;

/** One declared input of a template (MS5's `parameters`), shown by its client's generate form. */
export interface TemplateParameter {
  name: string;
  type: string;
  required: boolean;
  description?: string | undefined;
}

/**
 * Report templates (MS5's `/reports/templates`): a named report kind with its declared
 * parameters and sections; `/reports/generate` turns one plus parameter values into a report.
 */
export const reportTemplates = sqliteTable(
  "report_templates",
  {
    id: id(),
    name: text("name").notNull(),
    description: text("description"),
    templateType: text("template_type", { enum: REPORT_TEMPLATE_TYPES }).notNull(),
    parameters: text("parameters", { mode: "json" }).$type<TemplateParameter[]>().notNull(),
    sections: text("sections", { mode: "json" }).$type<{ type: string; title: string }[]>().notNull(),
    isActive: integer("is_active", { mode: "boolean" }).notNull().default(true),
    createdBy: text("created_by").notNull(),
    version: integer("version").notNull().default(1),
    ...timestamps(),
  },
  (t) => [uniqueIndex("report_templates_name_unique").on(t.name)],
);

export const REPORT_FREQUENCIES = ["daily", "weekly", "monthly"] as const;

/**
 * Scheduled reports (MS5's `/reports/scheduled`): a template to generate at a frequency and
 * hour (UTC), for recipients. The hourly cron enqueues each due run once (modules/reports/runner.ts).
 */
export const scheduledReports = sqliteTable(
  "scheduled_reports",
  {
    id: id(),
    name: text("name").notNull(),
    templateId: text("template_id")
      .notNull()
      .references(() => reportTemplates.id, { onDelete: "cascade" }),
    frequency: text("frequency", { enum: REPORT_FREQUENCIES }).notNull(),
    hourUtc: integer("hour_utc").notNull().default(6),
    parameters: text("parameters", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    recipients: text("recipients", { mode: "json" }).$type<string[]>().notNull(),
    isActive: integer("is_active", { mode: "boolean" }).notNull().default(true),
    createdBy: text("created_by").notNull(),
    version: integer("version").notNull().default(1),
    /** The last run (its slot) the runner enqueued; null until the first. */
    lastRunAt: timestamp("last_run_at"),
    ...timestamps(),
  },
  (t) => [index("scheduled_reports_template_idx").on(t.templateId)],
);
