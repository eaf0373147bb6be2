/**
 * The Part Management / Aerie readers inside workerd: sql.js opens a database built from the
 * seeds' models, the tar reader streams the uploads archive fixture.
 */

import { env } from "cloudflare:workers";
import type { Database } from "sql.js";
import sqlWasm from "sql.js/dist/sql-wasm-browser.wasm";
import { describe, expect, it } from "vitest";
import { ArchiveError, partFileOf, tarEntries } from "../../src/modules/bridge/parts/archive";
import { MAX_VALUE_CHARS, PART_FILES_TABLE, PartsUploadReader } from "../../src/modules/bridge/parts/reader";
import { partsSource } from "../../src/modules/bridge/parts/source";
import { LegacyDbError, LegacySqlite, sqlJsFor } from "../../src/modules/bridge/parts/sqlite";
import type { TableRead } from "../../src/modules/bridge/source";
import { optionalText } from "../../src/modules/bridge/values";
import { buildPartsDb, partRows } from "../fixtures/legacy/parts-db";
import archiveB64 from "../fixtures/legacy/parts-uploads.tar.gz.b64?raw";

const streamOf = (bytes: Uint8Array, chunk = 1000): ReadableStream<Uint8Array> => {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + chunk));
      at += chunk;
    },
  });
};
const archiveBytes = () => Uint8Array.from(atob(archiveB64.replace(/\s/g, "")), (c) => c.charCodeAt(0));

describe("legacy SQLite reader (sql.js)", () => {
  it("opens a 12,000-part Aerie database and pages through it", async () => {
    const SQL = await sqlJsFor(sqlWasm);
    const rows = partRows({ rows: 12_000 });
    const bytes = buildPartsDb(SQL, rows);
    const db = await LegacySqlite.open(sqlWasm, bytes);
    try {
      expect(db.hasTable("parts")).toBe(true);
      expect(db.columns("parts")).toContain("uuid");
      expect(db.scalar("SELECT count(*) FROM parts")).toBe(12_000);
      const page = db.rows("SELECT * FROM parts WHERE id > ? ORDER BY id LIMIT 3", [11_998]);
      expect(page.map((r) => r.id)).toEqual([11_999, 12_000]);
      expect(page[1]).toMatchObject({ name: rows[11_999]?.name, misc_info: rows[11_999]?.misc_info, created_at: rows[11_999]?.created_at });
    } finally {
      db.close();
    }
  });

  it("reads the original Part Management schema too (no uuid, no material_thickness)", async () => {
    const SQL = await sqlJsFor(sqlWasm);
    const db = await LegacySqlite.open(sqlWasm, buildPartsDb(SQL, partRows({ rows: 20, variant: "pms" }), "pms"));
    try {
      expect(db.columns("parts")).not.toContain("uuid");
      expect(db.rows("SELECT status FROM parts WHERE status = 'Approved'").length).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  });

  it("refuses files that are not SQLite, damaged files and files over the cap", async () => {
    await expect(LegacySqlite.open(sqlWasm, new TextEncoder().encode("id,name\n1,gear\n"))).rejects.toThrow(LegacyDbError);
    const SQL = await sqlJsFor(sqlWasm);
    const good = buildPartsDb(SQL, partRows({ rows: 500 }));
    const cut = good.slice(0, Math.floor(good.length / 2));
    await expect(LegacySqlite.open(sqlWasm, cut)).rejects.toThrow(/damaged|readable/);
    await expect(LegacySqlite.open(sqlWasm, good, 1024)).rejects.toThrow(/at most 1024/);
  });

  it("is read-only: a write through the reader fails", async () => {
    const SQL = await sqlJsFor(sqlWasm);
    const db = await LegacySqlite.open(sqlWasm, buildPartsDb(SQL, partRows({ rows: 5 })));
    try {
      expect(() => db.rows("DELETE FROM parts RETURNING id")).toThrow(/readonly|read-only|query_only|attempt to write/i);
    } finally {
      db.close();
    }
  });
});

describe("uploads archive reader (tar, gzip)", () => {
  it("streams every file of the fixture with its exact bytes, in small chunks", async () => {
    const seen: { path: string; size: number; head: string; read: number }[] = [];
    for await (const entry of tarEntries(streamOf(archiveBytes(), 777))) {
      let read = 0;
      let head = "";
      const reader = entry.body().getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (read === 0) head = new TextDecoder().decode(value.subarray(0, 5));
        read += value.length;
      }
      seen.push({ path: entry.path, size: entry.size, head, read });
    }
    expect(seen.map((s) => s.path)).toEqual([
      "uploads/1/cube.stp",
      "uploads/2/cube-in.step",
      "uploads/3/rounded-cube.step",
      "uploads/4/io1-cm-214.stp",
      "uploads/4/readme.txt",
      "uploads/5/dm1-id-214.stp",
      "uploads/6/drawing.pdf",
    ]);
    for (const s of seen) expect(s.read).toBe(s.size);
    expect(seen[0]?.head).toBe("ISO-1");
    expect(seen[6]?.head).toBe("%PDF-");
  });

  it("skips the bodies a caller does not read", async () => {
    const paths: string[] = [];
    for await (const entry of tarEntries(streamOf(archiveBytes()))) paths.push(entry.path);
    expect(paths).toHaveLength(7);
  });

  it("refuses what is not a tar archive, and a truncated one", async () => {
    const notTar = new TextEncoder().encode("x".repeat(2000));
    await expect(async () => {
      for await (const _ of tarEntries(streamOf(notTar))) void _;
    }).rejects.toThrow(ArchiveError);
    // Decompressed, then cut in the middle of an entry.
    const plain = new Uint8Array(await new Response(streamOf(archiveBytes()).pipeThrough(new DecompressionStream("gzip"))).arrayBuffer());
    await expect(async () => {
      for await (const entry of tarEntries(streamOf(plain.slice(0, 5000)))) await new Response(entry.body()).arrayBuffer();
    }).rejects.toThrow(/truncated/);
  });

  it("finds a part's file wherever the archive was rooted", () => {
    expect(partFileOf("uploads/12/gear.step")).toEqual({ legacyId: "12", filename: "gear.step" });
    expect(partFileOf("./backend/uploads/007/a b.stp")).toEqual({ legacyId: "7", filename: "a b.stp" });
    expect(partFileOf("12/gear.step")).toEqual({ legacyId: "12", filename: "gear.step" });
    expect(partFileOf("uploads/12/views/view_0.png")).toBeNull();
    expect(partFileOf("uploads/readme.txt")).toBeNull();
  });
});

describe("a crafted parts.db (attack review)", () => {
  const tableOf = () => partsSource("parts", async () => sqlWasm).tables.find((t) => t.read.name === "parts")?.read as TableRead;
  const open = async (build: (db: Database) => void) => {
    const SQL = await sqlJsFor(sqlWasm);
    const db = new SQL.Database();
    build(db);
    const key = `imports/${crypto.randomUUID()}`;
    await env.FILES.put(key, db.export());
    db.close();
    return PartsUploadReader.open(sqlWasm, env.FILES, key);
  };
  const PARTS = "CREATE TABLE parts (id INTEGER PRIMARY KEY, type TEXT, name TEXT, notes TEXT, file TEXT)";

  it("refuses generated columns and virtual tables: values computed on read could expand without bound", async () => {
    // (One that expands when computed runs into SQLite's heap cap, SQLITE_HEAP_LIMIT: "out of memory".)
    const generated = await open((db) => {
      db.exec("CREATE TABLE parts (id INTEGER PRIMARY KEY, type TEXT, name TEXT, notes TEXT GENERATED ALWAYS AS (name || name) VIRTUAL)");
      db.exec("INSERT INTO parts (id, type, name) VALUES (1, 'cnc', 'x')");
    });
    await expect(generated.page(tableOf(), null, 500, null)).rejects.toThrow(/generated or hidden column/);
    await generated.close();
    const virtual = await open((db) => db.exec("CREATE VIRTUAL TABLE parts USING fts3(id, name)"));
    await expect(virtual.page(tableOf(), null, 500, null)).rejects.toThrow(/virtual table/);
    await virtual.close();
  });

  it("never hands a huge value to JavaScript: it is cut one character past the cap, so the mapper reports it too long", async () => {
    const reader = await open((db) => {
      db.exec(PARTS);
      db.exec(`INSERT INTO parts VALUES (1, 'cnc', 'gear', hex(zeroblob(${512 * 1024})), NULL), (2, 'cnc', 'axle', 'fine', NULL)`);
    });
    const rows = await reader.page(tableOf(), null, 500, null);
    expect(String(rows[0]?.notes).length).toBe(MAX_VALUE_CHARS + 1);
    expect(rows[1]?.notes).toBe("fine");
    expect(() => optionalText(rows[0]?.notes, "notes", 2000)).toThrow(/notes: longer than/); // what mapPart reads it with
    await reader.close();
  });

  it("reports a part whose file is not a file name (a blob, a huge name) instead of dropping it, and writes only under its R2 prefix", async () => {
    const reader = await open((db) => {
      db.exec(PARTS);
      db.exec(
        `INSERT INTO parts VALUES (1, 'cnc', 'a', NULL, x'00ff'), (2, 'cnc', 'b', NULL, '${"x".repeat(1000)}.step'), (3, 'cnc', 'c', NULL, '../../etc/passwd')`,
      );
    });
    const rows = await reader.page({ ...tableOf(), name: PART_FILES_TABLE, key: "part_id" }, null, 500, null);
    expect(rows.map((r) => [r.part_id, r.problem])).toEqual([
      [1, "file is not a file name (not text)"],
      [2, "file name is longer than 255 characters"],
      [3, expect.stringMatching(/not in the archive|no uploads archive/)],
    ]);
    await reader.close();
  });
});
