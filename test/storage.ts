/**
 * Brings the test runtime's storage back to an empty, fully migrated state (see test/setup.ts,
 * which runs it before every test file).
 *
 * `reset()` (cloudflare:test) deletes the data of every binding at once: each D1 database, R2
 * bucket and KV namespace, every Durable Object's storage and alarm (their instances are
 * aborted), and the rate limiters' counters. D1 then holds nothing, not even its schema, so the
 * migrations run again: the first time in a runtime through `applyD1Migrations` itself, which
 * leaves the database this file records as its image (every schema entry in creation order and
 * every row the migrations stored, e.g. the built-in roles, plus `d1_migrations` and the
 * AUTOINCREMENT counters); every later reset in that runtime replays that image in one batch,
 * several times faster than the migrations (test/platform/test-isolation.test.ts checks the
 * replay equals a migrated database).
 */
import { abortAllDurableObjects, applyD1Migrations, reset } from "cloudflare:test";
import { env } from "cloudflare:workers";

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

interface Statement {
  sql: string;
  params: unknown[];
}

/** A migrated database as statements that rebuild it in an empty one. */
export type D1Image = Statement[];

/** The image of the migrated database, on globalThis: it lives exactly as long as the runtime. */
const runtime = globalThis as { __floorlineD1Image?: D1Image };

/** Internal tables: SQLite's own (AUTOINCREMENT counters are restored separately) and D1's. */
const internal = (name: string) => name.startsWith("sqlite_") || name.startsWith("_cf_");

/** Reads the schema (in creation order) and every row of a database into statements that rebuild it. */
export async function captureD1Image(db: D1Database): Promise<D1Image> {
  const { results: schema } = await db
    .prepare("select type, name, sql from sqlite_master where sql is not null order by rowid")
    .all<{ type: string; name: string; sql: string }>();
  const entries = schema.filter((e) => !internal(e.name));
  const tables = entries.filter((e) => e.type === "table").map((e) => e.name);
  const image: D1Image = [{ sql: "pragma defer_foreign_keys = on", params: [] }, ...entries.map((e) => ({ sql: e.sql, params: [] }))];
  const contents = await db.batch(tables.map((t) => db.prepare(`select * from ${quote(t)}`)));
  tables.forEach((table, i) => {
    for (const row of (contents[i]?.results ?? []) as Record<string, unknown>[]) {
      const columns = Object.keys(row);
      image.push({
        sql: `insert into ${quote(table)} (${columns.map(quote).join(", ")}) values (${columns.map(() => "?").join(", ")})`,
        // D1 answers a blob as an array of bytes; it binds one as bytes.
        params: columns.map((c) => (Array.isArray(row[c]) ? new Uint8Array(row[c] as number[]) : row[c])),
      });
    }
  });
  if (schema.some((e) => e.name === "sqlite_sequence")) {
    const { results: counters } = await db.prepare("select name, seq from sqlite_sequence").all<{ name: string; seq: number }>();
    image.push({ sql: "delete from sqlite_sequence", params: [] });
    for (const c of counters) image.push({ sql: "insert into sqlite_sequence (name, seq) values (?, ?)", params: [c.name, c.seq] });
  }
  return image;
}

/** Rebuilds a captured database in an empty one, in one batch (one transaction). */
async function replayD1Image(db: D1Database, image: D1Image) {
  await db.batch(image.map((s) => db.prepare(s.sql).bind(...s.params)));
}

/**
 * Deletes everything every binding holds (`reset()`), aborts every Durable Object instance
 * (in-memory state, sockets), and migrates D1 again: with the migrations the first time in this
 * runtime, from their image after that.
 */
export async function resetStorage() {
  await reset();
  await abortAllDurableObjects();
  const image = runtime.__floorlineD1Image;
  if (image) return replayD1Image(env.DB, image);
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
  runtime.__floorlineD1Image = await captureD1Image(env.DB);
}
