/**
 * Runs inside workerd before every test file of the `workers` and `slow` projects.
 *
 * Test files share a runtime (vitest.config.ts: `isolate: false`), so each one starts by
 * bringing that runtime's storage back to an empty, fully migrated state: every test file sees
 * exactly what a fresh runtime would show it, never another file's rows, objects or rooms.
 * - D1: migrations are applied once per runtime (later files find them recorded and skip them),
 *   then every table is emptied and AUTOINCREMENT counters restart, in one transaction.
 * - R2 and KV: every object and key is deleted. Durable Objects: each object's storage (and
 *   alarm) is deleted, then every instance is aborted, so in-memory room state and sockets go too.
 * - A file that reaches the legacy Postgres (vitest.config.ts lists them) holds an advisory lock
 *   on it while it runs: files run two at a time, and those share one Postgres.
 * - Spies, stubbed globals and fake timers a file left behind are restored after it.
 * Every D1, R2, KV and Durable Object binding of wrangler.toml is reset (test/storage.ts).
 * Rate-limiting bindings keep their counters for the runtime's life: use fresh keys (`freshIp()`,
 * `unique()`) as the tests already do.
 */
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, expect, vi } from "vitest";
import { legacyClient } from "../src/modules/bridge/postgres";
import { resetStorage } from "./storage";

/** The advisory lock (on the MS5 database) the legacy Postgres's test files take in turn. */
const LEGACY_PG_LOCK = 19_0001;

const testPath = expect.getState().testPath;
if (!testPath) throw new Error("test/setup.ts: vitest gave no test path; the legacy Postgres lock cannot be chosen");
if (env.TEST_LEGACY_PG_FILES.some((file) => testPath.endsWith(`/${file}`))) {
  // Taken in a hook, not at load: a file that fails to load runs no hooks, so it can never hold
  // the lock it would then not release. Closing the connection releases it, whatever happened.
  const lock = legacyClient(env.LEGACY_DB.connectionString, { statementTimeoutMs: 0 });
  beforeAll(async () => {
    await lock.connect();
    // Waits while another file holds it (that file may take minutes), but not for ever.
    await lock.query("set lock_timeout = '10min'");
    await lock.query("select pg_advisory_lock($1)", [LEGACY_PG_LOCK]);
  }, 11 * 60_000);
  afterAll(() => lock.end());
}

await resetStorage();

afterAll(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
  vi.useRealTimers();
});
