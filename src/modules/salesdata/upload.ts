/**
 * Sales data imports, the route half (the API worker only): receiving an upload (streamed to R2),
 * recording its import, and either running it within the request (a small file) or handing it to
 * the import queue (a large one: 202). What a run does with the stored file is the job half,
 * ./import.ts, which the import queue's consumer (workers/import) runs without this file.
 */
import { and, asc, eq } from "drizzle-orm";
import { type SalesRegion, salesImports } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import type { FieldIssue } from "../../lib/errors";
import { AppError } from "../../lib/errors";
import { describeError, log } from "../../lib/logging";
import { actorOf } from "../../lib/principal";
import { type IncomingUpload, receiveUpload, type UploadTimings, uploadTimings } from "../../lib/uploads";
import type { SalesImportMessage } from "../../queues/messages";
import type { Principal } from "../../types";
import { assertRegion } from "./access";
import { finish, type ImportHooks, runImport } from "./import";
import { type SalesImport, UploadFields, type UploadResult } from "./schemas";
import { BACKGROUND_IMPORT_BYTES, SALES_FILE_PREFIX, toSalesImport } from "./shared";

/** The upload's input: the upload (streamed), its region, `?partial=` and `?background=`. */
export interface UploadInput {
  upload: IncomingUpload;
  region: SalesRegion;
  partial?: boolean | undefined;
  background?: boolean | undefined;
}

/** What an upload answers: the import done within the request (200), or queued as a job (202). */
export type UploadOutcome = { queued: false; result: UploadResult } | { queued: true; job: SalesImport };

type UploadDeps = Pick<Deps, "db" | "files" | "now" | "waitUntil" | "config" | "queues" | "requestId">;

/**
 * Imports one region's CSV upload (see the module comment for the steps). A small file is
 * imported within the request and answers RM365's `{status, message, rows_imported, errors}` plus
 * the import's id; a file with bad rows (without `partial`) is a 422 naming them, with nothing
 * written. A file over BACKGROUND_IMPORT_BYTES (or any with `background`) is stored, recorded
 * `queued` and handed to the import queue: the answer is the import record (202), followed by
 * `GET /imports/{id}` or its SSE stream. Importing a region needs that region's tab too (the
 * route checks `salesdata.upload`): refused before any byte is stored.
 */
export async function importSalesFile(deps: UploadDeps, input: UploadInput, actor: Principal, hooks: ImportHooks = {}): Promise<UploadOutcome> {
  // Before the body is read: one who may not read a region may not overwrite its rows either.
  assertRegion(actor, input.region);
  const timings = uploadTimings();
  const receiving = performance.now();
  const upload = await receiveUpload(input.upload, {
    bucket: deps.files,
    db: deps.db,
    now: deps.now,
    prefix: SALES_FILE_PREFIX,
    accept: ["csv", "text"],
    maxFileBytes: deps.config.MAX_UPLOAD_BYTES,
    maxFiles: 1,
    fileFields: ["file"],
    waitUntil: deps.waitUntil,
    timings,
  });
  const receiveMs = performance.now() - receiving;
  const file = upload.files[0];
  let fields: { partial?: boolean | undefined; background?: boolean | undefined };
  try {
    const parsed = UploadFields.safeParse(upload.fields);
    if (!parsed.success) {
      const issues: FieldIssue[] = parsed.error.issues.map((i) => ({ path: ["body", ...i.path.map(String)].join("."), message: i.message, code: i.code }));
      throw new AppError("VALIDATION_ERROR", `Invalid request body: ${issues[0]?.path} ${issues[0]?.message}`, { details: issues });
    }
    fields = parsed.data;
    if (!file)
      throw new AppError("VALIDATION_ERROR", "A CSV file is required in the 'file' field", {
        details: [{ path: "body.file", message: "required", code: "required" }],
      });
  } catch (err) {
    await upload.discard();
    throw err;
  }
  const partial = input.partial ?? fields.partial ?? false;
  const queue = deps.queues.imports;
  const background = queue !== undefined && ((input.background ?? fields.background ?? false) || file.size > BACKGROUND_IMPORT_BYTES);
  const started = deps.now();
  const importId = crypto.randomUUID();
  const who = { userId: actor.kind === "user" ? actor.userId : null, username: actorOf(actor).name };
  const release = upload.release();
  const recorded = deps.db.batch([
    deps.db
      .select({ id: salesImports.id, r2Key: salesImports.r2Key, finishedAt: salesImports.finishedAt })
      .from(salesImports)
      .where(and(eq(salesImports.region, input.region), eq(salesImports.sha256, file.sha256), eq(salesImports.status, "completed")))
      .orderBy(asc(salesImports.createdAt))
      .limit(1),
    deps.db.insert(salesImports).values({
      id: importId,
      region: input.region,
      filename: file.filename,
      sha256: file.sha256,
      r2Key: file.key,
      sizeBytes: file.size,
      status: background ? "queued" : "validating",
      partial,
      background,
      errors: [],
      ...who,
      startedAt: started.toISOString(),
      heartbeatAt: started.toISOString(),
    }),
    // The file stops being pending with the record that points to it.
    ...(release ? [release] : []),
  ]);
  // No record, no kept original: the stored file goes if the record cannot be written.
  const recording = performance.now();
  const [previous] = await recorded.catch(async (err: unknown) => {
    await upload.discard();
    throw err;
  });
  const original = previous[0];
  if (original) {
    // The same bytes were imported before: nothing to write, and no second copy to keep.
    const message = `This file was already imported for ${input.region.toUpperCase()} (import ${original.id}); nothing was changed`;
    await finish(deps, importId, started, { status: "duplicate", duplicateOf: original.id, r2Key: original.r2Key, message });
    await upload.discard();
    return {
      queued: false,
      result: { status: "success", message, rows_imported: 0, errors: [], rows_failed: 0, errors_more: 0, import_id: importId, duplicate_of: original.id },
    };
  }

  if (queue) {
    if (background) {
      const recordMs = performance.now() - recording;
      const enqueuing = performance.now();
      const job = await enqueue(deps, queue, importId, started);
      logUploadStages(importId, file.size, { receiveMs, ...timings, recordMs, enqueueMs: performance.now() - enqueuing });
      return { queued: true, job };
    }
  } else if (file.size > BACKGROUND_IMPORT_BYTES) log("warn", "no import queue bound: a large sales file is imported within its request", { importId });

  // From here on the request body is fully read: the work goes on if the client disconnects
  // (`waitUntil` keeps the isolate up, within the platform's allowance after a disconnect), so a
  // dropped tablet does not cut an import short; one that is cut off is `failed` with its
  // `rows_done` (at once on an error; by the hourly `sweepStalledImports` when the isolate died),
  // and uploading the file again finishes it.
  logUploadStages(importId, file.size, { receiveMs, ...timings, recordMs: performance.now() - recording, enqueueMs: 0 });
  const work = runImport(deps, { importId, key: file.key, region: input.region, partial, started, attempt: 0, resume: null }, hooks);
  deps.waitUntil(work);
  return { queued: false, result: await work };
}

/**
 * One `sales upload stages` log line: where receiving the upload went (UploadTimings; `parseMs`,
 * the rest of the receive: the multipart parse and the copies), recording it and queueing it.
 */
function logUploadStages(importId: string, bytes: number, t: UploadTimings & { receiveMs: number; recordMs: number; enqueueMs: number }): void {
  const parseMs = t.receiveMs - t.readMs - t.hashMs - t.checkMs - t.storeMs - t.holdMs - t.slotMs;
  const stages = Object.fromEntries(Object.entries({ ...t, parseMs }).map(([k, v]) => [k, Math.round(v)]));
  log("info", "sales upload stages", { importId, bytes, ...stages });
}

/** Sends the job's message (its record is written); an import that cannot be queued is failed and the upload answered 503. */
async function enqueue(deps: Pick<Deps, "db" | "now" | "requestId">, queue: Queue, importId: string, started: Date): Promise<SalesImport> {
  const message: SalesImportMessage = { type: "sales_import", importId, requestId: deps.requestId.slice(0, 100) };
  try {
    await queue.send(message, { contentType: "json" });
  } catch (err) {
    log("error", "could not enqueue a sales import", { importId, ...describeError(err) });
    await finish(deps, importId, started, { status: "failed", message: "The import could not be queued; nothing was imported. Upload the file again." });
    throw new AppError("SERVICE_UNAVAILABLE", "The import could not be queued; nothing was imported. Upload the file again.");
  }
  const [row] = await deps.db.select().from(salesImports).where(eq(salesImports.id, importId));
  if (!row) throw new Error(`sales import ${importId} vanished after it was queued`);
  return toSalesImport(row);
}
