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
 * - Spies, stubbed globals and fake timers a file left behind are restored after it.
 * Every D1, R2, KV and Durable Object binding of wrangler.toml is reset (test/storage.ts).
 * Rate-limiting bindings keep their counters for the runtime's life: use fresh keys (`freshIp()`,
 * `unique()`) as the tests already do.
 */
import { afterAll, vi } from "vitest";
import { resetStorage } from "./storage";

await resetStorage();

afterAll(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
  vi.useRealTimers();
});
