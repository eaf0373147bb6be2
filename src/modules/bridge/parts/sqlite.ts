/**
 * Reads a Part Management / Aerie SQLite database file with sql.js (SQLite compiled to
 * WebAssembly, maintained by the sql.js project). The caller hands in the compiled `.wasm`
 * module, like occt-import-js in workers/convert: only the worker that consumes the import queue
 * imports the 0.7 MB binary, never the API bundle.
 *
 * Memory: sql.js keeps the whole database in the WebAssembly heap (its in-memory file system),
 * so the file is read from R2 into one buffer, copied into the heap, and the buffer dropped.
 * The peak is about twice the file plus SQLite's page cache; MAX_SQLITE_BYTES keeps that well
 * inside a Worker's 128 MB (measured in test/bridge/parts-reader.test.ts and the README).
 */

import type { Database, SqlJsStatic, SqlValue } from "sql.js";
import initSqlJs from "sql.js/dist/sql-wasm-browser.js";

/** The largest database file an import takes (the seeds' `parts.db` is a few MB at most). */
export const MAX_SQLITE_BYTES = 32 * 1024 * 1024;

/**
 * SQLite's own allocations (page cache, values, sorting) are capped: a crafted file whose values
 * expand when read fails with "out of memory" instead of growing the Worker past 128 MB. The cap
 * is SQLite's, so it holds for all databases open in the isolate together (the file's own bytes
 * live outside it, in sql.js's in-memory file system).
 */
export const SQLITE_HEAP_LIMIT = 32 * 1024 * 1024;

let sqlJs: Promise<SqlJsStatic> | undefined;

/** sql.js, instantiated once per isolate from the precompiled module (Workers cannot compile WASM from bytes). */
export function sqlJsFor(wasm: WebAssembly.Module): Promise<SqlJsStatic> {
  if (sqlJs) return sqlJs;
  // Emscripten's loader reads `self.location.href` in any WorkerGlobalScope, only to find its .wasm
  // (handed over below instead); workerd has no `location`. Give it one for the synchronous start.
  const shim = !("location" in globalThis);
  if (shim) Object.defineProperty(globalThis, "location", { value: { href: "/" }, configurable: true });
  try {
    sqlJs = startSqlJs(wasm);
  } finally {
    if (shim) Reflect.deleteProperty(globalThis, "location");
  }
  return sqlJs;
}

function startSqlJs(wasm: WebAssembly.Module): Promise<SqlJsStatic> {
  return initSqlJs({
    instantiateWasm(imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) {
      void WebAssembly.instantiate(wasm, imports).then((instance) => receive(instance, wasm));
      return {};
    },
  } as Parameters<typeof initSqlJs>[0]);
}

export class LegacyDbError extends Error {
  override name = "LegacyDbError";
}

const SQLITE_MAGIC = "SQLite format 3\0";

/** One row as sql.js returns it: column name → value. */
export type SqliteRow = Record<string, SqlValue>;

/** An open legacy database; close it when done (frees the WebAssembly heap it holds). */
export class LegacySqlite {
  private constructor(private readonly db: Database) {}

  /** Opens a database file; refuses files over MAX_SQLITE_BYTES and files that are not SQLite. */
  static async open(wasm: WebAssembly.Module, bytes: Uint8Array, maxBytes = MAX_SQLITE_BYTES): Promise<LegacySqlite> {
    if (bytes.byteLength > maxBytes) throw new LegacyDbError(`The database file is ${bytes.byteLength} bytes; at most ${maxBytes} can be imported`);
    if (new TextDecoder().decode(bytes.subarray(0, 16)) !== SQLITE_MAGIC) throw new LegacyDbError("Not an SQLite database file");
    const SQL = await sqlJsFor(wasm);
    let db: Database | undefined;
    try {
      db = new SQL.Database(bytes);
      // Reading only: refuse to let a crafted file make us write, and check it is whole.
      db.exec("PRAGMA query_only = ON");
      // No functions with side effects from the file's schema, and a bound on SQLite's memory.
      db.exec(`PRAGMA trusted_schema = OFF; PRAGMA hard_heap_limit = ${SQLITE_HEAP_LIMIT}`);
      const [check] = db.exec("PRAGMA quick_check");
      const verdict = check?.values[0]?.[0];
      if (verdict !== "ok") throw new LegacyDbError(`The database file is damaged (${String(verdict).slice(0, 200)})`);
    } catch (err) {
      db?.close(); // frees its heap: a refused file holds nothing
      if (err instanceof LegacyDbError) throw err;
      throw new LegacyDbError(`Not a readable SQLite database (${err instanceof Error ? err.message.slice(0, 200) : "unknown error"})`);
    }
    return new LegacySqlite(db);
  }

  /**
   * Whether a table exists. Refuses (LegacyDbError) a virtual table by that name: its module,
   * not stored rows, would answer the reads.
   */
  hasTable(name: string): boolean {
    const stmt = this.db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?");
    try {
      stmt.bind([name]);
      if (!stmt.step()) return false;
      if (/^\s*CREATE\s+VIRTUAL\b/i.test(String(stmt.get()[0] ?? ""))) throw new LegacyDbError(`${name} is a virtual table, not one the seeds' models create`);
      return true;
    } finally {
      stmt.free();
    }
  }

  /**
   * A table's column names, in order. Refuses (LegacyDbError) generated or hidden columns: their
   * values are computed when read (a crafted expression could expand without bound), and the
   * seeds' models have none.
   */
  columns(table: string): string[] {
    const stmt = this.db.prepare("SELECT name, hidden FROM pragma_table_xinfo(?)");
    const names: string[] = [];
    try {
      stmt.bind([table]);
      while (stmt.step()) {
        const [name, hidden] = stmt.get();
        if (hidden !== 0) throw new LegacyDbError(`${table}.${String(name).slice(0, 60)} is a generated or hidden column, not one the seeds' models create`);
        names.push(String(name));
      }
    } finally {
      stmt.free();
    }
    return names;
  }

  /** One scalar from a read query. */
  scalar(query: string, params: SqlValue[] = []): SqlValue {
    const stmt = this.db.prepare(query);
    try {
      stmt.bind(params);
      return stmt.step() ? (stmt.get()[0] ?? null) : null;
    } finally {
      stmt.free();
    }
  }

  /** Rows of a read query (the caller bounds it with LIMIT). */
  rows(query: string, params: SqlValue[] = []): SqliteRow[] {
    const stmt = this.db.prepare(query);
    const out: SqliteRow[] = [];
    try {
      stmt.bind(params);
      while (stmt.step()) out.push(stmt.getAsObject());
    } finally {
      stmt.free();
    }
    return out;
  }

  close(): void {
    this.db.close();
  }
}
