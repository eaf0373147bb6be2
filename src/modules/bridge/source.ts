/**
 * The legacy bridge's contract (issue 19): what an importer supplies so the runner
 * (src/modules/bridge/runner.ts) can move one seed's database into D1 and keep it in step.
 *
 * An importer is a `LegacySource`: a reader that pages through the legacy tables, and one
 * `TableSpec` per legacy table, in dependency order (a table whose rows point at another's comes
 * after it). The runner does everything else, the same way for every source:
 *
 *   for each table, page by page (keyset on `read.key`, `PAGE_ROWS` rows, bounded memory):
 *     rows    = reader.page(read, after, limit, since)        since = the table's watermark on an
 *                                                            incremental run with `read.updatedAt`
 *     refs    = the Floorline ids of the legacy keys the page points at (`refs`, from legacy_keys)
 *     mapped  = spec.map(row, ctx)  → { values } | { skip } | { error }   (or throws BadValue from
 *               ./values.ts: reported as that row's failure with the error's message)
 *     hash    = rowHash(values)     rows whose legacy key already has this hash are skipped
 *     D1      = one db.batch per page (after the lease check): the new/changed rows + their
 *               legacy_keys upserts + the job's progress; with the default write, rows and keys in
 *               multi-row statements, with a custom spec.write(...) row by row, each followed by
 *               its key, with spec.writeMany(...) its statements for the rows, then the keys in
 *               multi-row statements, then its statements that read those keys; if the batch fails (or would pass the run's D1 query budget), it is
 *               split in halves written in order, down to single rows, so a bad row fails alone
 *               (reported with its legacy key and D1's reason) and the rest still land
 *
 * So a re-run updates rather than duplicates (the legacy key is unique: `legacy_keys`), and an
 * incremental run writes only what changed: by update time where the legacy table has one
 * (`read.updatedAt`), by comparing row hashes where it does not. Every row read is counted as
 * written (new), updated, skipped (unchanged or `skip`) or failed (first 100 failures kept with
 * their legacy key and reason, then a count).
 *
 * Verification (`GET /imports/{id}/verify`) compares, per table, the source's row count with
 * the number of legacy keys, and a checksum over `target.checksum` columns: the source side maps
 * every row again and hashes those columns of the mapped values, the D1 side reads the same
 * columns back from the Floorline table through legacy_keys. Order does not matter (sum of
 * per-row hashes). An incremental run verifies a table with `read.updatedAt` on the rows it read
 * (from its watermark), a full run every row (./verify.ts).
 *
 * Writing an importer (see src/modules/bridge/ms5.ts):
 *   export const ms5Source: LegacySource = {
 *     name: "ms5",
 *     open: (ctx) => openPostgres(ctx.hyperdrive("ms5")),     // or your own SourceReader
 *     tables: [
 *       defineTable({
 *         read: { name: "production_lines", key: "id", keyType: "text", columns: [...], updatedAt: "updated_at" },
 *         target: { table: productionLines, checksum: ["code", "name"] },
 *         map: (row) => ({ values: { code: text(row.line_code), ... } }),
 *       }),
 *       defineTable({ read: {...}, refs: { line_id: "production_lines" }, map: (row, ctx) => {
 *         const lineId = ctx.ref("production_lines", row.line_id);
 *         return lineId ? { values: { lineId, ... } } : { error: `line ${row.line_id} was not imported` };
 *       }, target: {...} }),
 *     ],
 *   };
 * and register it in `LEGACY_SOURCES_BY_NAME` (src/modules/bridge/sources.ts).
 */
import type { BatchItem } from "drizzle-orm/batch";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "../../db/client";

/** The legacy systems the bridge reads (`legacy_keys.legacy_source`, `import_jobs.source`). */
export const LEGACY_SOURCE_NAMES = ["ms5", "rm365", "parts", "aerie", "ccbackend"] as const;
export type LegacySourceName = (typeof LEGACY_SOURCE_NAMES)[number];
/**
 * A legacy Postgres database a Hyperdrive binding reaches: each Postgres source's, and RM365's
 * second one (`rm365_inventory`: its stock and label jobs, apart from its attendance database).
 */
export type LegacyDatabase = LegacySourceName | "rm365_inventory";

/** Rows per page read from the source and written to D1 in one batch. */
export const PAGE_ROWS = 500;

/**
 * One legacy row as the reader returns it: column → value. Postgres (pg) gives string, number,
 * boolean, Date, Buffer, null, parsed json; SQLite gives string, number, Uint8Array, null;
 * CSV/JSON exports give strings. Mappers check what they read (helpers in ./values.ts).
 */
export type LegacyRow = Readonly<Record<string, unknown>>;

/**
 * A legacy key as text: integers in decimal, UUIDs and codes as they are. Unique per
 * (source, legacy table); kept in `legacy_keys.legacy_id` (at most 200 characters).
 */
export type LegacyId = string;

/** How to read one legacy table. */
export interface TableRead {
  /** The legacy table (or export file) name, e.g. `andon_events`; `legacy_keys.legacy_table`. */
  name: string;
  /** The column whose value is the legacy key: unique, not null; pages are in its order. */
  key: string;
  /** `int`: the key compares as a number (9 < 10); `text`: as text (byte order). */
  keyType: "int" | "text";
  /** The columns to read (the key and `updatedAt` included). */
  columns: readonly string[];
  /**
   * The legacy row's last-change time, when the table keeps one: an incremental run reads only
   * rows with `updatedAt >= ` the previous run's high-water mark. Omit it when the table has
   * none (then every row is read and compared by hash).
   */
  updatedAt?: string;
}

/**
 * Reads pages of a legacy database. The runner opens one per job run and closes it at the end
 * (also on failure).
 */
export interface SourceReader {
  /**
   * Up to `limit` rows of `table` whose key is greater than `after` (`null`: from the start),
   * in key order; with `since` (an ISO 8601 time), only rows whose `updatedAt` column is at
   * or after it. An empty page ends the table.
   */
  page(table: TableRead, after: LegacyId | null, limit: number, since: string | null): Promise<LegacyRow[]>;
  /** Rows in `table` (for verify). */
  count(table: TableRead): Promise<number>;
  close(): Promise<void>;
}

/** What `open()` gets: the bindings a reader may need and the job's input. */
export interface SourceContext {
  /** The Hyperdrive binding that reaches a legacy Postgres database (MS5, RM365's two). */
  hyperdrive(database: LegacyDatabase): Hyperdrive;
  /** R2: uploaded legacy files (SQLite databases, exports) live under `input.file_key`. */
  files: R2Bucket;
  input: ImportInput;
  /**
   * The plant's IANA time zone (ATTENDANCE_TIME_ZONE), for legacy times kept as naive wall-clock
   * times (RM365's `datetime.now()`). Read on call: throws when the setting is bad.
   */
  plantTimeZone(): string;
}

/** The job's input as the admin route stored it (`import_jobs.input`). */
export interface ImportInput {
  /** R2 key of an uploaded legacy file (SQLite database, export archive), for file sources. */
  file_key?: string;
  /** `full` re-reads every row (still writing only changed ones); `incremental` (default) uses watermarks. */
  mode?: "full" | "incremental";
}

/** What `map()` may use besides the row. */
export interface MapContext {
  /**
   * The Floorline id of a row this one points at: `table` is a legacy table of the same source
   * listed in this spec's `refs`, imported earlier. `undefined` when that row was not imported
   * (report it as an error, or map the reference to null).
   */
  ref(table: string, legacyId: unknown): string | undefined;
  /** The job's clock. */
  now: Date;
}

/** The outcome of mapping one legacy row. */
export type MapResult<V> =
  /** The Floorline row (without `id`: the runner supplies it from legacy_keys or a new UUID). */
  | { values: V }
  /** Not imported on purpose (counted as skipped), e.g. a soft-deleted row. */
  | { skip: string }
  /** Cannot be mapped: reported with the legacy key and this reason (at most 300 characters). */
  | { error: string };

/** Where mapped rows land. */
export interface TableTarget<V> {
  /** The Floorline table: a drizzle table with a text `id` primary key. */
  table: SQLiteTable & { id: SQLiteColumn };
  /** Keys of `V` (Floorline column property names) that verify checksums on both sides. */
  checksum: readonly (keyof V & string)[];
  /**
   * Statements that insert the row (`existing` false) or update it (`existing` true). Default:
   * insert `{ id, ...values }`, on conflict of `id` update `values`. Override when one legacy
   * row writes several Floorline rows (e.g. a user and its role grants); keep every statement
   * keyed by `id` so that running it twice changes nothing more.
   */
  write?(db: Db, id: string, values: V, existing: boolean): BatchItem<"sqlite">[];
  /**
   * Instead of `write`: the statements that write several rows at once (a page's new and changed
   * rows in page order, or a part of them when the runner splits the page, down to one row), so
   * a page costs a few statements instead of a few per row (multi-row `INSERT … VALUES`, an
   * `UPDATE … FROM json_each(?)`). `rows` run before the rows' legacy keys are upserted,
   * `afterKeys` after them (statements that read the keys of rows just written, e.g. RM365's
   * clock-event pairs). The outcome must be what `write` row by row would give.
   */
  writeMany?(db: Db, rows: readonly WriteRow<V>[]): WriteMany;
}

/** One row `writeMany` writes: its Floorline id, its mapped values, whether it exists already. */
export interface WriteRow<V> {
  id: string;
  values: V;
  existing: boolean;
}

/** `writeMany`'s statements: before the rows' legacy keys, and after them. */
export interface WriteMany {
  rows: BatchItem<"sqlite">[];
  afterKeys: BatchItem<"sqlite">[];
}

/** One legacy table: how to read it, map it, and where it lands. */
export interface TableSpec<V extends Record<string, unknown>> {
  read: TableRead;
  /** Source columns holding legacy keys of other tables of this source: column → legacy table. */
  refs?: Readonly<Record<string, string>>;
  map(row: LegacyRow, ctx: MapContext): MapResult<V>;
  target: TableTarget<V>;
}

/** A table spec with its row type erased, so one source can list tables of different types. */
export interface AnyTableSpec {
  read: TableRead;
  refs: Readonly<Record<string, string>>;
  table: SQLiteTable & { id: SQLiteColumn };
  checksum: readonly string[];
  map(row: LegacyRow, ctx: MapContext): MapResult<Record<string, unknown>>;
  write(db: Db, id: string, values: Record<string, unknown>, existing: boolean): BatchItem<"sqlite">[];
  /**
   * `write` is the default upsert (no `target.write`): the runner may write a page's rows in
   * multi-row statements, and their legacy keys after them. A custom `write` gets its rows one by
   * one, each followed by its key, since it may read the keys of rows before it in the page.
   */
  plainUpsert: boolean;
  /** `target.writeMany`, when the spec has one: the runner then writes a page (or part) at once. */
  writeMany?(db: Db, rows: readonly WriteRow<Record<string, unknown>>[]): WriteMany;
}

/** One importer. */
export interface LegacySource {
  name: LegacySourceName;
  /** Opens a reader for one run of a job. */
  open(ctx: SourceContext): Promise<SourceReader>;
  /** The tables, in dependency order (referenced tables first). */
  tables: readonly AnyTableSpec[];
}

/** Types a table spec and erases its row type (the runner passes `write` only what `map` made). */
export function defineTable<V extends Record<string, unknown>>(spec: TableSpec<V>): AnyTableSpec {
  const table = spec.target.table;
  const many = spec.target.writeMany;
  const write =
    spec.target.write ??
    // One row through `writeMany` (the runner itself calls `writeMany`, with the keys between).
    (many &&
      ((db: Db, id: string, values: V, existing: boolean) => {
        const one = many(db, [{ id, values, existing }]);
        return [...one.rows, ...one.afterKeys];
      })) ??
    ((db: Db, id: string, values: V): BatchItem<"sqlite">[] => {
      const row = { ...values, id } as SQLiteTable["$inferInsert"];
      return [
        db
          .insert(table)
          .values(row)
          .onConflictDoUpdate({ target: table.id, set: values as SQLiteTable["$inferInsert"] }),
      ];
    });
  return {
    read: spec.read,
    refs: spec.refs ?? {},
    table,
    checksum: spec.target.checksum,
    map: spec.map,
    write: (db, id, values, existing) => write(db, id, values as V, existing),
    plainUpsert: spec.target.write === undefined && many === undefined,
    writeMany: many && ((db, rows) => many(db, rows as readonly WriteRow<V>[])),
  };
}
