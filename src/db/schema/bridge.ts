/**
 * The legacy bridge (issue 19; the contract is src/modules/bridge/source.ts).
 *
 * - `legacy_keys`: one row per imported legacy row: (legacy_source, legacy_table, legacy_id) is
 *   unique and names the Floorline row it became (floorline_table, floorline_id). `row_hash`
 *   is the hash of the mapped values last written: a re-run skips rows whose hash is unchanged,
 *   which makes imports idempotent and incremental where the legacy table has no update time.
 * - `legacy_watermarks`: per legacy table, the latest legacy update time an import has read
 *   (for tables with an update-time column): the next incremental run reads from there.
 * - `import_jobs`: one leased job (src/lib/jobs.ts) per import run: queued → running →
 *   completed | failed. `report` holds the per-table counts; `failures` the first 100 rows that
 *   could not be imported (legacy key + reason), `failure_count` all of them. `cursor` is the
 *   table and last legacy key fully written, so a retried run resumes there.
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { heartbeatAt, id, timestamp, timestamps } from "./columns";

export const legacyKeys = sqliteTable(
  "legacy_keys",
  {
    legacySource: text("legacy_source").notNull(),
    legacyTable: text("legacy_table").notNull(),
    legacyId: text("legacy_id").notNull(),
    floorlineTable: text("floorline_table").notNull(),
    floorlineId: text("floorline_id").notNull(),
    /** Hash of the mapped values last written (hex). */
    rowHash: text("row_hash").notNull(),
    /** The import job that last wrote the row. */
    jobId: text("job_id").notNull(),
    ...timestamps(),
  },
  (t) => [primaryKey({ columns: [t.legacySource, t.legacyTable, t.legacyId] }), index("legacy_keys_floorline_idx").on(t.floorlineTable, t.floorlineId)],
);

export const legacyWatermarks = sqliteTable(
  "legacy_watermarks",
  {
    legacySource: text("legacy_source").notNull(),
    legacyTable: text("legacy_table").notNull(),
    /** The latest legacy update time read (ISO 8601). */
    watermark: text("watermark").notNull(),
    jobId: text("job_id").notNull(),
    ...timestamps(),
  },
  (t) => [primaryKey({ columns: [t.legacySource, t.legacyTable] })],
);

export const IMPORT_STATES = ["queued", "running", "completed", "failed"] as const;

/** Counts of one table in an import's report. */
export interface ImportTableCounts {
  read: number;
  written: number;
  updated: number;
  skipped: number;
  failed: number;
}

/** One row that could not be imported. */
export interface ImportFailure {
  table: string;
  legacy_id: string;
  reason: string;
}

/** Where a run stopped: the table being imported and the last legacy key fully written. */
/** What the import worker found comparing the source with D1 at the end of a run (GET …/verify). */
export interface ImportVerificationTable {
  table: string;
  floorline_table: string;
  source_rows: number;
  source_mapped: number;
  floorline_rows: number;
  source_checksum: string;
  floorline_checksum: string;
  match: boolean;
  /**
   * `all`: every row of the table on both sides. `changed`: an incremental run's rows (legacy
   * update time at or after `since`) on both sides; `source_rows` still counts the whole table.
   * Absent on verifications stored before scopes existed (they were `all`).
   */
  scope?: "all" | "changed";
  since?: string | null;
}

/** A table's verification a budget hand-off stopped part way (src/modules/bridge/verify.ts). */
export interface ImportVerifyState {
  /** `source`: reading legacy pages after `after`; `floorline`: reading D1's pages after `after`. */
  phase: "source" | "floorline";
  after: string | null;
  sourceMapped: number;
  sourceSum: string;
  floorlineRows: number;
  floorlineSum: string;
}

export interface ImportCursor {
  table: string;
  after: string | null;
  /** The watermark the run reads from for `table` (fixed for the whole run). */
  since: string | null;
  /** The latest update time read so far in `table`. */
  high: string | null;
  /** The tables this run imported before `table` → the `since` each was read from (what an incremental verification checks). */
  ranges?: Record<string, string | null>;
  /** While verifying (`table` is `*verify`): the state of the table `after` names, when a hand-off stopped inside it. */
  verify?: ImportVerifyState;
}

export const importJobs = sqliteTable(
  "import_jobs",
  {
    id: id(),
    source: text("source").notNull(),
    state: text("state", { enum: IMPORT_STATES }).notNull().default("queued"),
    mode: text("mode", { enum: ["full", "incremental"] })
      .notNull()
      .default("incremental"),
    /** The job's input (src/modules/bridge/source.ts ImportInput), JSON. */
    input: text("input", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    /**
     * The uploaded legacy file the job reads (R2 `imports/…`), if any. One job per file: the file
     * is deleted when that job ends (completed or failed for good) through the file outbox.
     */
    fileKey: text("file_key"),
    /** Per legacy table counts, in import order (JSON object). */
    report: text("report", { mode: "json" }).$type<Record<string, ImportTableCounts>>().notNull(),
    failures: text("failures", { mode: "json" }).$type<ImportFailure[]>().notNull(),
    failureCount: integer("failure_count").notNull().default(0),
    cursor: text("cursor", { mode: "json" }).$type<ImportCursor | null>(),
    error: text("error"),
    attempts: integer("attempts").notNull().default(0),
    heartbeatAt: heartbeatAt(),
    createdBy: text("created_by").notNull(),
    username: text("username").notNull(),
    startedAt: timestamp("started_at"),
    finishedAt: timestamp("finished_at"),
    /** Source against D1 per table, computed by the import worker before the job completes. */
    verification: text("verification", { mode: "json" }).$type<ImportVerificationTable[]>(),
    ...timestamps(),
  },
  (t) => [
    index("import_jobs_created_idx").on(t.createdAt, t.id),
    index("import_jobs_lease_idx").on(t.state, t.heartbeatAt),
    // One active import per source: two runs of one source would race on its legacy keys.
    uniqueIndex("import_jobs_one_active_idx").on(t.source).where(sql`state IN ('queued', 'running')`),
    uniqueIndex("import_jobs_file_key_idx").on(t.fileKey),
  ],
);
