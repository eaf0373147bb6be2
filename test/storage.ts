/**
 * Brings the test runtime's storage back to an empty, fully migrated state (see test/setup.ts,
 * which runs it before every test file). The storage bindings come from wrangler.toml
 * (vitest.config.ts passes their names as TEST_STORAGE_BINDINGS), so one added there is reset
 * without editing this file.
 */
import { abortAllDurableObjects, applyD1Migrations, listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";

/** Tables that hold a copy of what the migrations stored (e.g. the built-in roles), and their list. */
const SEED = "_test_seed";
const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * Returns a D1 database to the state its migrations left it in. The first call on a database
 * copies every table the migrations filled into a `_test_seed*` table; later calls empty every
 * table and copy those rows back, in one transaction (foreign keys checked at its end).
 */
async function resetD1(db: D1Database) {
  const { results } = await db.prepare("select name from sqlite_master where type = 'table'").all<{ name: string }>();
  const all = results.map((r) => r.name);
  const tables = all.filter((name) => !name.startsWith("sqlite_") && !name.startsWith("_cf_") && !name.startsWith(SEED) && name !== "d1_migrations");
  if (all.includes("sqlite_sequence")) tables.push("sqlite_sequence");
  if (!all.includes(SEED)) {
    const counts = await db.batch<{ n: number }>(tables.map((t) => db.prepare(`select count(*) as n from ${quote(t)}`)));
    const seeded = tables.filter((_, i) => (counts[i]?.results[0]?.n ?? 0) > 0);
    await db.batch([
      ...seeded.map((t) => db.prepare(`create table ${quote(`${SEED}_${t}`)} as select * from ${quote(t)}`)),
      db.prepare(`create table ${SEED} (name text primary key)`),
      ...seeded.map((t) => db.prepare(`insert into ${SEED} (name) values (?)`).bind(t)),
    ]);
    return;
  }
  const seeded = new Set((await db.prepare(`select name from ${SEED}`).all<{ name: string }>()).results.map((r) => r.name));
  await db.batch([
    db.prepare("pragma defer_foreign_keys = on"),
    ...tables.flatMap((t) => [
      db.prepare(`delete from ${quote(t)}`),
      ...(seeded.has(t) ? [db.prepare(`insert into ${quote(t)} select * from ${quote(`${SEED}_${t}`)}`)] : []),
    ]),
  ]);
}

async function emptyR2(bucket: R2Bucket) {
  for (;;) {
    const page = await bucket.list({ limit: 1000 });
    if (page.objects.length === 0) return;
    await bucket.delete(page.objects.map((o) => o.key));
  }
}

async function emptyKv(kv: KVNamespace) {
  for (;;) {
    const page = await kv.list();
    if (page.keys.length === 0) return;
    await Promise.all(page.keys.map((k) => kv.delete(k.name)));
  }
}

/** How many Durable Objects are emptied at once: a file that opened hundreds of rooms resets in chunks. */
const DO_RESET_CONCURRENCY = 16;

async function emptyDurableObjects(namespace: DurableObjectNamespace) {
  const ids = await listDurableObjectIds(namespace);
  for (let i = 0; i < ids.length; i += DO_RESET_CONCURRENCY) {
    await Promise.all(
      ids.slice(i, i + DO_RESET_CONCURRENCY).map((id) =>
        runInDurableObject(namespace.get(id), async (_instance: unknown, state: DurableObjectState) => {
          await state.storage.deleteAlarm();
          await state.storage.deleteAll();
        }),
      ),
    );
  }
}

/**
 * Applies the migrations (only the ones this runtime has not recorded), returns every D1 table
 * to what the migrations left in it (AUTOINCREMENT counters too), empties every R2 bucket, KV
 * namespace and Durable Object storage (with its alarm), and aborts every Durable Object
 * instance (in-memory state, sockets).
 */
export async function resetStorage() {
  const names = env.TEST_STORAGE_BINDINGS;
  const binding = <T>(name: string) => (env as unknown as Record<string, T>)[name] as T;
  await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
  for (const name of names.d1) await resetD1(binding<D1Database>(name));
  for (const name of names.r2) await emptyR2(binding<R2Bucket>(name));
  for (const name of names.kv) await emptyKv(binding<KVNamespace>(name));
  for (const name of names.durableObjects) await emptyDurableObjects(binding<DurableObjectNamespace>(name));
  await abortAllDurableObjects();
}
