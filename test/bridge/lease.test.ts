/**
 * The import lease is fenced by the attempt a run claimed: once the reaper re-queues a job whose
 * heartbeat went stale and another delivery claims it (attempts + 1), the old run's next page
 * check fails and it stops, instead of writing beside the new run (duplicate rows on uuid tables).
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { importJobs } from "../../src/db/schema";
import { assertHeld, LostLease } from "../../src/modules/bridge/runner";
import { db } from "../helpers";

describe("import lease fence", () => {
  it("a run holding an older attempt loses the job; the current attempt keeps it; a finished job holds for nobody", async () => {
    const id = crypto.randomUUID();
    await db()
      .insert(importJobs)
      .values({
        id,
        source: "ms5",
        state: "running",
        mode: "full",
        input: { mode: "full" },
        report: {},
        failures: [],
        attempts: 2,
        heartbeatAt: "2020-01-01T00:00:00.000Z",
        createdBy: "test",
        username: "test",
      });
    const now = new Date().toISOString();
    await expect(assertHeld(db(), { id, attempts: 1 }, now)).rejects.toBeInstanceOf(LostLease);
    const [before] = await db().select().from(importJobs).where(eq(importJobs.id, id));
    expect(before?.heartbeatAt).toBe("2020-01-01T00:00:00.000Z");
    await assertHeld(db(), { id, attempts: 2 }, now);
    const [after] = await db().select().from(importJobs).where(eq(importJobs.id, id));
    expect(after?.heartbeatAt).toBe(now);
    await db().update(importJobs).set({ state: "completed" }).where(eq(importJobs.id, id));
    await expect(assertHeld(db(), { id, attempts: 2 }, now)).rejects.toBeInstanceOf(LostLease);
  });
});
