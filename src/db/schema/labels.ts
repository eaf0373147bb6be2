import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { LabelTemplate } from "../../modules/labels/render";
import { heartbeatAt, timestamp, timestamps } from "./columns";

/**
 * Label print jobs (RM365's label jobs). A job records what to print (`item_ids` as a JSON
 * array, in print order, and the template resolved at creation), who asked, and its progress:
 * `done` of `total` labels, written by the documents worker every few hundred labels. The PDF
 * and CSV land in R2 under `pdf_key`/`csv_key` when the job completes.
 *
 * Status: queued → processing → completed | failed. A deleted job's row is gone; the worker
 * notices (its progress write changes nothing) and drops what it rendered. Leased (src/lib/jobs.ts):
 * a job queued or processing whose `heartbeat_at` is older than the lease is re-queued or failed.
 */
export const labelJobs = sqliteTable(
  "label_jobs",
  {
    id: text("id").primaryKey(),
    status: text("status", { enum: ["queued", "processing", "completed", "failed"] })
      .notNull()
      .default("queued"),
    templateId: text("template_id").notNull(),
    /** The template as resolved when the job was created (JSON): later edits never change a job. */
    template: text("template", { mode: "json" }).$type<LabelTemplate>().notNull(),
    /** Item ids in print order (JSON array); the same id may repeat for several copies. */
    itemIds: text("item_ids", { mode: "json" }).$type<string[]>().notNull(),
    lineDate: text("line_date"),
    total: integer("total").notNull(),
    done: integer("done").notNull().default(0),
    /** Labels left out because their item was deleted after the job was created. */
    skipped: integer("skipped").notNull().default(0),
    pages: integer("pages"),
    pdfKey: text("pdf_key"),
    csvKey: text("csv_key"),
    pdfBytes: integer("pdf_bytes"),
    error: text("error"),
    attempts: integer("attempts").notNull().default(0),
    heartbeatAt: heartbeatAt(),
    createdBy: text("created_by").notNull(),
    username: text("username").notNull(),
    startedAt: timestamp("started_at"),
    finishedAt: timestamp("finished_at"),
    ...timestamps(),
  },
  (t) => [
    index("label_jobs_created_idx").on(t.createdAt, t.id),
    index("label_jobs_creator_idx").on(t.createdBy, t.createdAt),
    index("label_jobs_lease_idx").on(t.status, t.heartbeatAt),
    check("label_jobs_progress", sql`${t.done} >= 0 AND ${t.done} <= ${t.total}`),
  ],
);
