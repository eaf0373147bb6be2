/**
 * The Part Management / Aerie upload as a SourceReader (src/modules/bridge/source.ts). The
 * upload (R2 `input.file_key`) is either the SQLite database alone or a tar(.gz) archive with
 * the database (`parts.db`, any `*.db`/`*.sqlite`) and the seed's `uploads/` folder, as the
 * README's one command makes it.
 *
 * Two legacy tables:
 * - `parts`: the database's rows, paged by `id` (keyset) with sql.js (./sqlite.ts).
 * - `part_files`: one row per part whose `file` is set: the file found at `uploads/<id>/<file>`
 *   in the archive, already copied to R2 under a key named by the part and the file's SHA-256
 *   (`parts/files/legacy/<id>-<sha>.step`), so a re-run or a resumed run writes the same key
 *   and an unchanged file is neither copied nor converted again; or, when it is not in the
 *   archive, a row with `problem` (reported as that part's failure). Built on the first page:
 *   one pass over the archive, one file in memory at a time (at most MAX_LEGACY_FILE_BYTES).
 */
import { KIND_INFO, sanitizeFilename, sniffKind } from "../../../lib/uploads/kinds";
import type { LegacyId, LegacyRow, SourceReader, TableRead } from "../source";
import { ArchiveError, ArchiveLimitError, partFileOf, tarEntries } from "./archive";
import { LegacyDbError, LegacySqlite, MAX_SQLITE_BYTES } from "./sqlite";

/** Largest part file copied (the conversion's own cap, PARTS_MAX_STEP_BYTES, judges STEP files again). */
export const MAX_LEGACY_FILE_BYTES = 50 * 1024 * 1024;
/** Largest upload (database + archive). */
export const MAX_PARTS_UPLOAD_BYTES = 4 * 1024 * 1024 * 1024;

export const PART_FILES_TABLE = "part_files";

/** The longest value read from a legacy row (misc_info, the longest column, takes 64 KiB). */
export const MAX_VALUE_CHARS = 64 * 1024;
/** The longest part file name looked for in the archive. */
const MAX_FILE_NAME_CHARS = 255;

const DB_NAME = /(^|\/)[^/]+\.(db|sqlite|sqlite3)$/i;

export class PartsUploadError extends Error {
  override name = "PartsUploadError";
}

/** Reads a stream into one buffer, refusing more than `max` bytes. */
async function readAll(stream: ReadableStream<Uint8Array>, max: number, what: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel();
      throw new PartsUploadError(`${what} is larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const hex = (bytes: ArrayBuffer): string => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

export interface PartFileRow extends Record<string, unknown> {
  part_id: number;
  file: string;
  key: string | null;
  kind: "step" | "pdf" | null;
  content_type: string | null;
  size: number | null;
  sha256: string | null;
  problem: string | null;
}

export class PartsUploadReader implements SourceReader {
  private files: PartFileRow[] | undefined;

  private constructor(
    private readonly bucket: R2Bucket,
    private readonly key: string,
    private readonly db: LegacySqlite,
    private readonly isArchive: boolean,
  ) {}

  static async open(wasm: WebAssembly.Module, bucket: R2Bucket, key: string): Promise<PartsUploadReader> {
    const object = await bucket.get(key);
    if (!object) throw new PartsUploadError("The uploaded database is gone (upload it again)");
    if (object.size > MAX_PARTS_UPLOAD_BYTES) {
      await object.body.cancel();
      throw new PartsUploadError(`The upload is ${object.size} bytes; at most ${MAX_PARTS_UPLOAD_BYTES}`);
    }
    const [sniff, body] = object.body.tee();
    const head = await readHead(sniff, 16);
    try {
      if (new TextDecoder().decode(head) === "SQLite format 3\0") {
        const bytes = await readAll(body, MAX_SQLITE_BYTES, "The database file");
        return new PartsUploadReader(bucket, key, await LegacySqlite.open(wasm, bytes), false);
      }
      for await (const entry of tarEntries(body)) {
        if (!DB_NAME.test(entry.path) || partFileOf(entry.path)) continue;
        if (entry.size > MAX_SQLITE_BYTES) throw new LegacyDbError(`${entry.path} is ${entry.size} bytes; at most ${MAX_SQLITE_BYTES} can be imported`);
        const bytes = await readAll(entry.body(), MAX_SQLITE_BYTES, entry.path);
        return new PartsUploadReader(bucket, key, await LegacySqlite.open(wasm, bytes), true);
      }
    } catch (err) {
      if (err instanceof ArchiveLimitError) throw new PartsUploadError(err.message);
      if (err instanceof ArchiveError) throw new PartsUploadError("Upload the SQLite database (parts.db) or a .tar.gz of it with the uploads folder");
      throw err;
    }
    throw new PartsUploadError("The archive holds no database file (parts.db)");
  }

  async page(table: TableRead, after: LegacyId | null, limit: number, _since: string | null): Promise<LegacyRow[]> {
    const from = after === null ? 0 : Number(after);
    if (table.name === PART_FILES_TABLE) {
      const files = await this.partFiles();
      return files.filter((f) => f.part_id > from).slice(0, limit);
    }
    if (!this.db.hasTable(table.name)) throw new PartsUploadError(`The database has no ${table.name} table (is it Part Management's parts.db?)`);
    // Read what this database has of the columns asked for (the original system lacks Aerie's).
    const have = new Set(this.db.columns(table.name));
    const columns = table.columns.filter((c) => have.has(c));
    if (!have.has(table.key)) throw new PartsUploadError(`${table.name} has no ${table.key} column`);
    // A value longer than any column takes is cut to one character past MAX_VALUE_CHARS: the
    // mapper reports it as too long, without the whole value ever reaching JavaScript.
    const quoted = columns
      .map((c) => {
        const q = `"${c.replaceAll('"', '""')}"`;
        return c === table.key ? q : `CASE WHEN length(${q}) > ${MAX_VALUE_CHARS} THEN substr(${q}, 1, ${MAX_VALUE_CHARS + 1}) ELSE ${q} END AS ${q}`;
      })
      .join(", ");
    return this.db.rows(`SELECT ${quoted} FROM "${table.name}" WHERE "${table.key}" > ? ORDER BY "${table.key}" LIMIT ?`, [from, limit]);
  }

  async count(table: TableRead): Promise<number> {
    if (table.name === PART_FILES_TABLE) return (await this.partFiles()).length;
    return Number(this.db.scalar(`SELECT count(*) FROM "${table.name.replaceAll('"', '""')}"`));
  }

  async close(): Promise<void> {
    this.db.close();
  }

  /** The part_files rows: one pass over the archive, copying each part's file to R2 once. */
  private async partFiles(): Promise<PartFileRow[]> {
    if (this.files) return this.files;
    const wanted = new Map<number, string>();
    const unreadable = new Map<number, string>();
    for (const row of this.db.rows(
      `SELECT id, typeof(file) AS type, length(file) AS n, substr(file, 1, ${MAX_FILE_NAME_CHARS}) AS file FROM parts WHERE file IS NOT NULL AND file <> '' ORDER BY id`,
    )) {
      if (typeof row.id !== "number" || !Number.isSafeInteger(row.id)) continue; // its parts row fails on its own
      if (row.type !== "text" || typeof row.file !== "string") unreadable.set(row.id, "file is not a file name (not text)");
      else if (Number(row.n) > MAX_FILE_NAME_CHARS) unreadable.set(row.id, `file name is longer than ${MAX_FILE_NAME_CHARS} characters`);
      else wanted.set(row.id, row.file);
    }
    const found = new Map<number, PartFileRow>();
    if (this.isArchive && wanted.size > 0) {
      const object = await this.bucket.get(this.key);
      if (!object) throw new PartsUploadError("The uploaded archive is gone (upload it again)");
      for await (const entry of tarEntries(object.body)) {
        const at = partFileOf(entry.path);
        const id = at ? Number(at.legacyId) : Number.NaN;
        if (!at || wanted.get(id) !== at.filename || found.has(id)) continue;
        found.set(id, await this.copy(id, at.filename, entry.size, entry.body()));
      }
    }
    const rows: PartFileRow[] = [];
    for (const [id, problem] of unreadable) {
      rows.push({ part_id: id, file: "", key: null, kind: null, content_type: null, size: null, sha256: null, problem });
    }
    for (const [id, file] of wanted) {
      const problem = this.isArchive
        ? `file ${JSON.stringify(file).slice(0, 120)} is not in the archive at uploads/${id}/`
        : "the upload has no uploads archive";
      rows.push(found.get(id) ?? { part_id: id, file, key: null, kind: null, content_type: null, size: null, sha256: null, problem });
    }
    this.files = rows.sort((a, b) => a.part_id - b.part_id);
    return rows;
  }

  private async copy(id: number, filename: string, size: number, body: ReadableStream<Uint8Array>): Promise<PartFileRow> {
    const missing = { part_id: id, file: filename, key: null, kind: null, content_type: null, size, sha256: null };
    if (size > MAX_LEGACY_FILE_BYTES) {
      await body.cancel();
      return { ...missing, problem: `file is ${size} bytes; at most ${MAX_LEGACY_FILE_BYTES}` };
    }
    const bytes = await readAll(body, MAX_LEGACY_FILE_BYTES, filename);
    const sniffed = sniffKind(bytes.subarray(0, 512));
    if (!sniffed || (sniffed.kind !== "step" && sniffed.kind !== "pdf"))
      return { ...missing, problem: "file is neither a STEP model nor a PDF (judged by its bytes)" };
    const sha256 = hex(await crypto.subtle.digest("SHA-256", bytes));
    const key = `parts/files/legacy/${id}-${sha256.slice(0, 32)}.${KIND_INFO[sniffed.kind].extension}`;
    if (!(await this.bucket.head(key))) {
      await this.bucket.put(key, bytes, { httpMetadata: { contentType: sniffed.contentType }, sha256 });
    }
    return {
      part_id: id,
      file: sanitizeFilename(filename),
      key,
      kind: sniffed.kind,
      content_type: sniffed.contentType,
      size: bytes.length,
      sha256,
      problem: null,
    };
  }
}

/** The first `n` bytes of a stream (then cancels it). */
async function readHead(stream: ReadableStream<Uint8Array>, n: number): Promise<Uint8Array> {
  const reader = stream.getReader();
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const { done, value } = await reader.read();
    if (done) break;
    const take = value.subarray(0, n - got);
    out.set(take, got);
    got += take.length;
  }
  await reader.cancel();
  return out.subarray(0, got);
}
