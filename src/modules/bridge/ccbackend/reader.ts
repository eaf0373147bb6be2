/**
 * The CCbackend export as a SourceReader (src/modules/bridge/source.ts): the uploaded export
 * (R2 `input.file_key`) read as a stream, one table at a time, never whole. A page continues the
 * table's open stream where the last page ended; a resumed run (new reader, `after` set) reads
 * the table again from the start and skips to the row after `after`. The export is immutable
 * for the job, so file order is a stable order even where SQL Server's collation and byte order
 * disagree about text keys.
 *
 * CCbackend's times are SQL Server `datetime`s in the server's local time, without a zone. The
 * export command adds `EXPORT_INFO.UTC_OFFSET_MINUTES` (the server's offset when it ran); the
 * reader writes each time with that offset (`2025-07-29T18:09:58.350+08:00`), so mappers turn
 * them into UTC. Without it (an older export) times are taken as UTC.
 */
import type { LegacyId, LegacyRow, SourceReader, TableRead } from "../source";
import { EXPORT_LIMITS, type ExportRow, exportRows } from "./export";

/** Columns that hold a SQL Server `datetime`, by table. */
export const TIME_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  CC_MASTER: ["CC_STARTTIME"],
  CC_LOG: ["INPUT_DATE", "UPDATE_TIME"],
  CC_REPORT: ["REPORT_TIME", "PROCESS_TIME"],
};

export const EXPORT_INFO = "EXPORT_INFO";

/** The largest export file an import takes (compressed or not: its JSON is bounded by EXPORT_LIMITS.maxBytes, the same). */
export const MAX_EXPORT_BYTES = EXPORT_LIMITS.maxBytes;

export class ExportFileError extends Error {
  override name = "ExportFileError";
}

const NAIVE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?$/;

/** `+08:00` for 480 minutes. */
export function offsetText(minutes: number): string {
  const sign = minutes < 0 ? "-" : "+";
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/** A naive SQL Server time with the export's offset (fractions cut to milliseconds). */
export function withOffset(value: unknown, offset: string): unknown {
  if (typeof value !== "string" || !NAIVE_TIME.test(value)) return value;
  const [whole, fraction = ""] = value.replace(" ", "T").split(".");
  const secs = (whole as string).length === 16 ? `${whole}:00` : whole;
  return `${secs}.${fraction.padEnd(3, "0").slice(0, 3)}${offset}`;
}

interface Cursor {
  rows: AsyncGenerator<ExportRow>;
  last: LegacyId | null;
  done: boolean;
}

const keyOf = (row: LegacyRow, table: TableRead): LegacyId | null => {
  const v = row[table.key];
  return typeof v === "number" || typeof v === "string" ? String(v) : null;
};

export class CcExportReader implements SourceReader {
  private cursors = new Map<string, Cursor>();

  private constructor(
    private readonly files: R2Bucket,
    private readonly key: string,
    readonly offset: string,
  ) {}

  /**
   * Opens the export at `key`: checks it exists and is within MAX_EXPORT_BYTES, then reads it
   * through once without parsing rows, so that an export past EXPORT_LIMITS (a gzip bomb, too
   * many tables or rows, an oversized row) or not whole (truncated, not the command's shape)
   * fails the run before any row is written; then reads EXPORT_INFO.
   */
  static async open(files: R2Bucket, key: string): Promise<CcExportReader> {
    const head = await files.head(key);
    if (!head) throw new ExportFileError("The uploaded export is gone (upload it again)");
    if (head.size > MAX_EXPORT_BYTES) throw new ExportFileError(`The export is ${head.size} bytes; at most ${MAX_EXPORT_BYTES}`);
    for await (const _ of exportRows(await CcExportReader.stream(files, key), new Set())) void _;
    let offset = "Z";
    const info = await CcExportReader.stream(files, key);
    const rows = exportRows(info, new Set([EXPORT_INFO]));
    try {
      // EXPORT_INFO comes first in the command's document: stop at the first row of anything.
      const first = await rows.next();
      const minutes = first.done ? undefined : first.value.row.UTC_OFFSET_MINUTES;
      if (typeof minutes === "number" && Number.isInteger(minutes) && Math.abs(minutes) <= 14 * 60) offset = offsetText(minutes);
    } finally {
      await rows.return(undefined);
    }
    return new CcExportReader(files, key, offset);
  }

  private static async stream(files: R2Bucket, key: string): Promise<ReadableStream<Uint8Array>> {
    const object = await files.get(key);
    if (!object) throw new ExportFileError("The uploaded export is gone (upload it again)");
    return object.body;
  }

  private async cursor(table: TableRead, after: LegacyId | null): Promise<Cursor> {
    const open = this.cursors.get(table.name);
    if (open && open.last === after) return open;
    await open?.rows.return(undefined);
    const cursor: Cursor = { rows: exportRows(await CcExportReader.stream(this.files, this.key), new Set([table.name])), last: null, done: false };
    this.cursors.set(table.name, cursor);
    if (after !== null) {
      // A resumed run: skip to the row after `after`.
      for (;;) {
        const next = await cursor.rows.next();
        if (next.done) {
          cursor.done = true;
          break;
        }
        if (keyOf(next.value.row, table) === after) break;
      }
      cursor.last = after;
    }
    return cursor;
  }

  private shape(table: TableRead, row: Record<string, unknown>): LegacyRow {
    const times = TIME_COLUMNS[table.name] ?? [];
    const out: Record<string, unknown> = {};
    for (const column of table.columns) {
      const value = row[column] ?? null;
      out[column] = times.includes(column) ? withOffset(value, this.offset === "Z" ? "Z" : this.offset) : value;
    }
    return out;
  }

  async page(table: TableRead, after: LegacyId | null, limit: number, _since: string | null): Promise<LegacyRow[]> {
    const cursor = await this.cursor(table, after);
    const out: LegacyRow[] = [];
    while (!cursor.done && out.length < limit) {
      const next = await cursor.rows.next();
      if (next.done) {
        cursor.done = true;
        break;
      }
      out.push(this.shape(table, next.value.row));
    }
    const last = out.at(-1);
    if (last) cursor.last = keyOf(last, table);
    return out;
  }

  async count(table: TableRead): Promise<number> {
    let n = 0;
    for await (const _ of exportRows(await CcExportReader.stream(this.files, this.key), new Set([table.name]))) n++;
    return n;
  }

  async close(): Promise<void> {
    for (const cursor of this.cursors.values()) await cursor.rows.return(undefined);
    this.cursors.clear();
  }
}
