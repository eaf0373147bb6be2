/**
 * One STEP → GLB job, as the conversion queue delivers it. Idempotent: a message can arrive twice,
 * and only the message whose `jobId` is still the part's job may change it.
 *
 *   queued → converting → ready
 *                       ↘ failed at once when the file can never convert (not STEP, no solids)
 *                       ↘ queued (error recorded, retried with backoff) … → failed (last attempt;
 *                         the queue then moves the message to the dead-letter queue)
 *
 * A job whose part was deleted or re-uploaded meanwhile is dropped; a GLB written for a job that
 * lost that race is deleted again.
 */
import { and, eq, ne, sql } from "drizzle-orm";
import { createDb } from "../../src/db/client";
import { conversionJobs } from "../../src/db/schema";
import { deleteFiles, holdFiles, referencedIn, releaseFiles } from "../../src/lib/files";
import { log } from "../../src/lib/logging";
import { CONVERSION_MAX_ATTEMPTS } from "../../src/modules/parts/lease";
import type { ConvertStepMessage } from "../../src/queues/messages";
import { stepToGlb, UnreadableStepError } from "./step-to-glb";

/** Deliveries of one message: the first plus `max_retries` (3, workers/convert/wrangler.toml). */
export const MAX_ATTEMPTS = CONVERSION_MAX_ATTEMPTS;

export interface ConvertContext {
  db: D1Database;
  files: R2Bucket;
  wasm: WebAssembly.Module;
  now: () => Date;
}

/** Runs one conversion; throws (so the queue retries, then dead-letters) when it fails. */
export async function convertStep(ctx: ConvertContext, message: ConvertStepMessage, meta: { id: string; attempts: number }): Promise<void> {
  const db = createDb(ctx.db);
  const mine = and(eq(conversionJobs.partId, message.partId), eq(conversionJobs.jobId, message.jobId));
  const [job] = await db
    .update(conversionJobs)
    .set({ state: "converting", attempts: sql`${conversionJobs.attempts} + 1`, startedAt: ctx.now().toISOString(), heartbeatAt: ctx.now().toISOString() })
    .where(and(mine, ne(conversionJobs.state, "ready")))
    .returning();
  if (!job) {
    log("info", "conversion dropped: job done, replaced or its part deleted", { partId: message.partId, jobId: message.jobId, messageId: meta.id });
    return;
  }
  const started = Date.now();
  try {
    const object = await ctx.files.get(message.stepKey);
    if (!object) throw new UnreadableStepError("The uploaded STEP file is missing from storage; upload it again");
    const result = await stepToGlb(ctx.wasm, new Uint8Array(await object.arrayBuffer()));
    const glbKey = `parts/models/${message.jobId}.glb`;
    // Pending in the file outbox until the ready row points to it (src/lib/files.ts).
    await holdFiles(db, [glbKey], ctx.now());
    await ctx.files.put(glbKey, result.glb, { httpMetadata: { contentType: "model/gltf-binary" } });
    const [done] = await db.batch([
      db
        .update(conversionJobs)
        .set({
          state: "ready",
          glbKey,
          glbSize: result.glb.byteLength,
          meshes: result.meshes,
          triangles: result.triangles,
          error: null,
          finishedAt: ctx.now().toISOString(),
        })
        .where(mine)
        .returning({ partId: conversionJobs.partId }),
      releaseFiles(db, [glbKey], referencedIn(db, conversionJobs.glbKey)),
    ]);
    if (done.length === 0) {
      await deleteFiles({ db, files: ctx.files }, [glbKey]);
      log("info", "conversion finished for a job replaced meanwhile; model discarded", { partId: message.partId, jobId: message.jobId });
      return;
    }
    log("info", "conversion ready", {
      partId: message.partId,
      jobId: message.jobId,
      meshes: result.meshes,
      triangles: result.triangles,
      glbBytes: result.glb.byteLength,
      stepBytes: object.size,
      wasmHeapBytes: result.wasmHeapBytes,
      ms: Date.now() - started,
    });
  } catch (err) {
    if (err instanceof UnreadableStepError) {
      // Retrying cannot help: failed now, with the reason, and the message is acknowledged.
      await db
        .update(conversionJobs)
        .set({
          state: "failed",
          unconvertible: true,
          error: err.message.slice(0, 500),
          finishedAt: ctx.now().toISOString(),
          heartbeatAt: ctx.now().toISOString(),
        })
        .where(mine);
      log("info", "conversion failed for good: unreadable STEP", { partId: message.partId, jobId: message.jobId, reason: err.message });
      return;
    }
    // The row counts every claim, including those of messages the reaper sent again.
    const last = Math.max(meta.attempts, job.attempts) >= MAX_ATTEMPTS;
    const reason = `Conversion error: ${err instanceof Error ? err.message : String(err)}`;
    await db
      .update(conversionJobs)
      .set({
        state: last ? "failed" : "queued",
        error: reason.slice(0, 500),
        finishedAt: last ? ctx.now().toISOString() : null,
        heartbeatAt: ctx.now().toISOString(),
      })
      .where(mine);
    throw err;
  }
}
