/**
 * The test runtime's promise (test/setup.ts, test/storage.ts): test files share a runtime, and
 * each one starts from empty, fully migrated storage, never seeing another file's rows, objects
 * or rooms.
 */
import { listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { makeUser } from "../helpers";
import { resetStorage } from "../storage";

const count = async (table: string) => (await env.DB.prepare(`select count(*) as n from ${table}`).first<{ n: number }>())?.n;
const roomKeys = async (namespace: DurableObjectNamespace<undefined>) => {
  const keys: string[] = [];
  for (const id of await listDurableObjectIds(namespace)) {
    await runInDurableObject(namespace.get(id), async (_instance: unknown, state: DurableObjectState) => {
      keys.push(...(await state.storage.list()).keys());
    });
  }
  return keys;
};

describe("storage between test files", () => {
  it("this file starts with no rows, objects or room storage, whatever ran before it in this runtime", async () => {
    expect(await count("users")).toBe(0);
    expect((await env.FILES.list()).objects).toEqual([]);
    expect(await roomKeys(env.LINE_ROOM as unknown as DurableObjectNamespace<undefined>)).toEqual([]);
    expect(await count("d1_migrations")).toBe(env.TEST_MIGRATIONS.length);
  });

  it("resetStorage() empties D1, R2 and Durable Object storage and keeps the schema", async () => {
    await makeUser("admin");
    await env.FILES.put("isolation/probe.txt", "left behind");
    const room = env.LINE_ROOM.get(env.LINE_ROOM.idFromName("isolation-probe"));
    await runInDurableObject(room, async (_instance: unknown, state: DurableObjectState) => {
      await state.storage.put("probe", 1);
    });
    expect(await count("users")).toBe(1);

    await resetStorage();

    expect(await count("users")).toBe(0);
    expect((await env.FILES.list()).objects).toEqual([]);
    expect(await roomKeys(env.LINE_ROOM as unknown as DurableObjectNamespace<undefined>)).toEqual([]);
    expect(await count("d1_migrations")).toBe(env.TEST_MIGRATIONS.length);
    await makeUser("admin"); // the schema is still there
    expect(await count("users")).toBe(1);
  });
});
