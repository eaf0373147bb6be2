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
 * - Spies, stubbed globals and fake timers a file left behind are restored after it.
 * Module state in src/ (caches) lives as long as the runtime: use fresh keys (`freshIp()`,
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
