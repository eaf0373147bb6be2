import { z } from "zod";
import { PageQuery, pageOf } from "../../lib/pagination";
import { LEGACY_SOURCE_NAMES } from "./source";

export const LegacySourceName = z.enum(LEGACY_SOURCE_NAMES);

/** `POST /imports`: which legacy system to bring across. */
export const StartImport = z
  .object({
    source: LegacySourceName,
    /** `incremental` (default): tables with an update time are read from the last run's watermark. `full`: every row is read (still only changed rows are written). */
    mode: z.enum(["full", "incremental"]).default("incremental"),
    /** R2 key of an uploaded legacy file (file sources: SQLite, CCbackend export). */
    file_key: z
      .string()
      .min(1)
      .max(200)
      .regex(/^imports\/(?!.*\.\.)[A-Za-z0-9._/-]+$/)
      .optional(),
  })
  .strict()
  .meta({ id: "StartImport" });

export const ImportTableCounts = z.object({
  read: z.number().int(),
  written: z.number().int(),
  updated: z.number().int(),
  skipped: z.number().int(),
  failed: z.number().int(),
});

export const ImportJob = z
  .object({
    id: z.string(),
    source: z.string(),
    state: z.enum(["queued", "running", "completed", "failed"]),
    mode: z.enum(["full", "incremental"]),
    /** Per legacy table: rows read, written (new), updated, skipped (unchanged), failed. */
    tables: z.record(z.string(), ImportTableCounts),
    totals: ImportTableCounts,
    /** The first 100 rows that could not be imported. */
    failures: z.array(z.object({ table: z.string(), legacy_id: z.string(), reason: z.string() })),
    failure_count: z.number().int(),
    /** Where a running job is: the legacy table and the last key written. */
    cursor: z.object({ table: z.string(), after: z.string().nullable() }).nullable(),
    error: z.string().nullable(),
    attempts: z.number().int(),
    created_by: z.string(),
    username: z.string(),
    created_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
  })
  .meta({ id: "ImportJob" });

export const ImportJobList = pageOf(ImportJob);
export const ImportListQuery = PageQuery.extend({ source: LegacySourceName.optional() });
export const ImportParams = z.object({ id: z.uuid() });

export const TableVerification = z.object({
  table: z.string(),
  floorline_table: z.string(),
  /** Rows in the legacy table. */
  source_rows: z.number().int(),
  /** Of them, rows that map to a Floorline row (not skipped or failing). */
  source_mapped: z.number().int(),
  /** Legacy keys of this table in D1 whose Floorline row exists. */
  floorline_rows: z.number().int(),
  source_checksum: z.string(),
  floorline_checksum: z.string(),
  match: z.boolean(),
  /**
   * `all`: every row of the table on both sides. `changed`: an incremental run's rows (legacy
   * update time at or after `since`) on both sides; `source_rows` still counts the whole table.
   */
  scope: z.enum(["all", "changed"]),
  /** `changed`: the update time the run read the table from (the watermark less the overlap). */
  since: z.string().nullable(),
});

export const ImportVerification = z
  .object({
    import_id: z.string(),
    source: z.string(),
    match: z.boolean(),
    tables: z.array(TableVerification),
  })
  .meta({ id: "ImportVerification" });
