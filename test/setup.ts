/**
 * Runs inside workerd before every test file of the `workers` and `slow` projects.
 *
 * Test files share a runtime (vitest.config.ts: `isolate: false`), so each one starts by
 * bringing that runtime's storage back to an empty, fully migrated state: every test file sees
 * exactly what a fresh runtime would show it, never another file's rows, objects or rooms.
 * - `reset()` deletes what every binding holds: D1, R2, KV, every Durable Object's storage and
 *   alarm, and the rate limiters' counters; every Durable Object instance is aborted, so
 *   in-memory room state and sockets go too.
 * - D1 is migrated again: by the migrations the first time in a runtime, then by replaying the
 *   image of that migrated database in one batch (test/storage.ts).
 * - A file that reaches the legacy Postgres (vitest.config.ts lists them) holds an advisory lock
 *   on it while it runs: files run two at a time, and those share one Postgres.
 * - Spies, stubbed globals and fake timers a file left behind are restored after it.
 * Module state in src/ (caches) lives as long as the runtime: use fresh keys (`freshIp()`,
 * `unique()`) as the tests already do.
 */
import { env } from "cloudflare:workers";
import { afterAll, expect, vi } from "vitest";
import { legacyClient } from "../src/modules/bridge/postgres";
import { resetStorage } from "./storage";

/** The advisory lock (on the MS5 database) the legacy Postgres's test files take in turn. */
const LEGACY_PG_LOCK = 19_0001;

const testPath = expect.getState().testPath ?? "";
if (env.TEST_LEGACY_PG_FILES.some((file) => testPath.endsWith(`/${file}`))) {
  // Waits while another file holds it (no statement timeout: that file may take minutes).
  const lock = legacyClient(env.LEGACY_DB.connectionString, { statementTimeoutMs: 0 });
  await lock.connect();
  await lock.query("select pg_advisory_lock($1)", [LEGACY_PG_LOCK]);
  afterAll(async () => {
    await lock.query("select pg_advisory_unlock($1)", [LEGACY_PG_LOCK]);
    await lock.end();
  });
}

await resetStorage();

afterAll(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
  vi.useRealTimers();
});
