/**
 * Labels: RM365's label jobs and single labels.
 *
 * A job is one row (what to print, the template, who asked, progress) and one message on the
 * documents queue; the documents worker renders the PDF and CSV into R2 and writes `done` every
 * few hundred labels (workers/documents/labels.ts), so progress is readable while it runs and
 * streamed to the requester by `GET /labels/job/{id}/events`. One label renders synchronously, in
 * the documents worker too: the API calls its `LabelRenderer` over the `DOCUMENTS` service binding.
 *
 * Who may print what: labels carry item data (SKU, name, barcode, location), so creating a job,
 * rendering a label and downloading a job's PDF or CSV also need read access to inventory
 * (`inventory:read` and the `inventory` tab), not only the labels permission: nobody prints
 * what they could not read. A job itself (its state, progress stream and files) is its creator's,
 * and every job is open to holders of the `labels.history` tab, who list them all; anyone else
 * gets 404.
 */
import { and, count, desc, eq, inArray, isNull, lte, or, type SQL, sql } from "drizzle-orm";
import { labelJobs } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError, type FieldIssue } from "../../lib/errors";
import { purgeFiles, queueFileDeletions } from "../../lib/files";
import { leaseMs, reapIfExpired } from "../../lib/jobs";
import { describeError, log } from "../../lib/logging";
import { type Page, paginate } from "../../lib/pagination";
import { actorOf } from "../../lib/principal";
import { bucketKey, releaseFailureSlot, takeFailureSlot } from "../../lib/rate-limit";
import { isAllowed } from "../../lib/rbac";
import { insertWhere } from "../../lib/sql";
import type { LabelJobMessage } from "../../queues/messages";
import type { Principal } from "../../types";
import { itemsByRef, jobKeys, labelData } from "./items";
import { labelJobKind } from "./lease";
import { type LabelTemplate, symbologyProblem } from "./render";
import { type LabelRendererRpc, MAX_SINGLE_COPIES, MAX_SINGLE_PDF_BYTES, type RenderLabelResult } from "./renderer";
import { type JobListQuery, type LabelJob, MAX_JOB_VALUES_2D, type SingleLabelQuery, type StartJobBody } from "./schemas";
import { BUILTIN_TEMPLATES, DEFAULT_TEMPLATE, resolveTemplate } from "./templates";

type JobRow = typeof labelJobs.$inferSelect;

/** Label jobs one user may have queued or running at once (each may hold 10,000 labels). */
export const MAX_ACTIVE_JOBS = 5;

/** Who an actor is on a job (lib/principal.ts): the user, or an API key's creator. */
function whoIs(actor: Principal): { userId: string; username: string } {
  const { userId, name } = actorOf(actor);
  return { userId, username: name };
}

/** The wire shape of a job row. */
export function toJob(row: JobRow): LabelJob {
  return {
    id: row.id,
    job_id: row.id,
    status: row.status,
    template_id: row.templateId,
    template: row.template,
    item_count: row.total,
    line_date: row.lineDate,
    done: row.done,
    total: row.total,
    progress: row.total === 0 ? 1 : row.done / row.total,
    skipped: row.skipped,
    pages: row.pages,
    pdf_bytes: row.pdfBytes,
    error: row.error,
    created_by: row.createdBy,
    username: row.username,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    started_at: row.startedAt,
    finished_at: row.finishedAt,
  };
}

/** The built-in templates. */
export function listTemplates(): { templates: LabelTemplate[]; default_template: string } {
  return { templates: [...BUILTIN_TEMPLATES], default_template: DEFAULT_TEMPLATE };
}

const MAX_LISTED_PROBLEMS = 20;

/**
 * Resolves what a request names into items in print order: 422 listing (up to 20) references
 * that match no item, or whose value the template's symbology cannot encode. Nothing is written.
 */
async function resolveItems(deps: Pick<Deps, "db">, refs: readonly string[], template: LabelTemplate) {
  const found = await itemsByRef(deps.db, refs);
  const problems: FieldIssue[] = [];
  const items = [];
  for (const [index, ref] of refs.entries()) {
    const item = found.get(ref);
    if (!item) problems.push({ path: `body.item_ids.${index}`, message: `No item '${ref}'` });
    else {
      const problem = symbologyProblem(template.symbology, labelData(item, template.symbology, null).value);
      if (problem) problems.push({ path: `body.item_ids.${index}`, message: `Item '${item.sku}': ${problem}` });
      items.push(item);
    }
    if (problems.length >= MAX_LISTED_PROBLEMS) break;
  }
  if (problems.length > 0) {
    throw new AppError("VALIDATION_ERROR", "Some items cannot be printed; nothing was queued", { details: problems, reason: "label_items_invalid" });
  }
  return items;
}

/**
 * Starts a label job (RM365's `start-job`): checks every item exists and encodes in the
 * template's symbology, records the job, then queues it. The job is only recorded while the
 * actor has fewer than MAX_ACTIVE_JOBS queued or running (409 otherwise), checked in the same
 * statement as the insert. A failed send deletes the job again,
 * so a job that exists is always on its way.
 */
export async function startJob(deps: JobDeps, input: StartJobBody, actor: Principal) {
  const template = resolveTemplate(input.template);
  if ((template.symbology === "qrcode" || template.symbology === "datamatrix") && new Set(input.item_ids).size > MAX_JOB_VALUES_2D) {
    throw new AppError("VALIDATION_ERROR", `At most ${MAX_JOB_VALUES_2D} different items per ${template.symbology} job`, {
      details: [{ path: "body.item_ids", message: `at most ${MAX_JOB_VALUES_2D} different items with a 2-D symbology` }],
    });
  }
  const who = whoIs(actor);
  const items = await resolveItems(deps, input.item_ids, template);
  await reapOwnJobs(deps, who.userId);
  const id = crypto.randomUUID();
  // One statement checks the cap and inserts, so concurrent requests cannot all pass the check.
  const active = deps.db
    .select({ n: count() })
    .from(labelJobs)
    .where(and(eq(labelJobs.createdBy, who.userId), inArray(labelJobs.status, ["queued", "processing"])));
  const inserted = await insertWhere(
    deps,
    labelJobs,
    {
      id,
      templateId: template.id,
      template,
      itemIds: items.map((i) => i.id),
      lineDate: input.line_date ?? null,
      total: items.length,
      createdBy: who.userId,
      username: who.username,
    },
    sql`${active} < ${MAX_ACTIVE_JOBS}`,
  ).returning({ id: labelJobs.id });
  if (inserted.length === 0) {
    throw new AppError("CONFLICT", `You have ${MAX_ACTIVE_JOBS} label jobs queued or running; wait for one to finish`, { reason: "label_jobs_busy" });
  }
  const message: LabelJobMessage = { type: "label_job", jobId: id, requestId: deps.requestId };
  try {
    await deps.queues.documents.send(message, { contentType: "json" });
  } catch (err) {
    log("error", "could not enqueue label job", { jobId: id, ...describeError(err) });
    await deps.db.delete(labelJobs).where(eq(labelJobs.id, id));
    throw new AppError("SERVICE_UNAVAILABLE", "The label job could not be queued; nothing was saved. Try again.");
  }
  return { status: "queued" as const, job_id: id, item_count: items.length };
}

/** Jobs, newest first; `?status=`, `?mine=true` for the caller's own. */
export async function listJobs(deps: JobDeps, query: JobListQuery, actor: Principal): Promise<Page<LabelJob>> {
  const conditions: SQL[] = [];
  if (query.status) conditions.push(eq(labelJobs.status, query.status));
  if (query.mine === "true") conditions.push(eq(labelJobs.createdBy, whoIs(actor).userId));
  const q = deps.db
    .select()
    .from(labelJobs)
    .where(and(...conditions))
    .$dynamic();
  const page = await paginate(deps.db, q, query, { orderBy: [desc(labelJobs.createdAt)], tiebreaker: labelJobs.id });
  const items = await Promise.all(page.items.map((row) => reapIfExpired(deps, labelJobKind, row)));
  return { ...page, items: items.map(toJob) };
}

const jobNotFound = (id: string) => new AppError("NOT_FOUND", `Label job '${id}' not found`, { reason: "label_job_not_found" });

async function loadJob(db: Deps["db"], id: string): Promise<JobRow> {
  const [row] = await db.select().from(labelJobs).where(eq(labelJobs.id, id)).limit(1);
  if (!row) throw jobNotFound(id);
  return row;
}

/** Who sees every job: what the job history (`GET /labels/jobs`) needs. */
const HISTORY_ACCESS = { access: "labels:read", tab: "labels.history" } as const;

/**
 * Whether the actor may see a job: its creator, or a holder of the history tab (who lists every
 * job anyway), or of `*`. Everyone else gets the 404 of a job that does not exist.
 */
function maySeeJob(row: Pick<JobRow, "createdBy">, actor: Principal): boolean {
  return row.createdBy === whoIs(actor).userId || isAllowed(actor, HISTORY_ACCESS);
}

/** A job the actor may see (maySeeJob), else 404. */
async function loadVisibleJob(db: Deps["db"], id: string, actor: Principal): Promise<JobRow> {
  const row = await loadJob(db, id);
  if (!maySeeJob(row, actor)) throw jobNotFound(id);
  return row;
}

type JobDeps = Pick<Deps, "db" | "queues" | "now" | "requestId" | "config">;

/** One job with its progress; 404 unless the actor may see it (its creator or the history tab). A job past its lease is re-queued or failed first (src/lib/jobs.ts). */
export async function getJob(deps: JobDeps, id: string, actor: Principal): Promise<LabelJob> {
  const row = await loadVisibleJob(deps.db, id, actor);
  return toJob(await reapIfExpired(deps, labelJobKind, row));
}

/**
 * Re-queues or fails the user's jobs whose lease expired, so a job killed mid-run never holds a
 * place under the cap.
 */
async function reapOwnJobs(deps: JobDeps, userId: string): Promise<void> {
  const cutoff = new Date(deps.now().getTime() - leaseMs(deps)).toISOString();
  const stale = await deps.db
    .select()
    .from(labelJobs)
    .where(
      and(
        eq(labelJobs.createdBy, userId),
        inArray(labelJobs.status, ["queued", "processing"]),
        or(isNull(labelJobs.heartbeatAt), lte(labelJobs.heartbeatAt, cutoff)),
      ),
    )
    .limit(MAX_ACTIVE_JOBS);
  for (const row of stale) await reapIfExpired(deps, labelJobKind, row);
}

/** Progress of a job, read cheaply (the SSE stream polls it). */
export async function jobProgress(deps: Pick<Deps, "db">, id: string): Promise<Pick<LabelJob, "status" | "done" | "total" | "pages" | "error"> | null> {
  const [row] = await deps.db
    .select({ status: labelJobs.status, done: labelJobs.done, total: labelJobs.total, pages: labelJobs.pages, error: labelJobs.error })
    .from(labelJobs)
    .where(eq(labelJobs.id, id))
    .limit(1);
  return row ?? null;
}

/**
 * A finished job's PDF or CSV from R2: 403 without inventory access, 404 unless the actor may
 * see the job (its creator or the history tab), 409 while the job is not completed.
 */
export async function openJobFile(deps: Pick<Deps, "db" | "files">, id: string, kind: "pdf" | "csv", actor: Principal) {
  const row = await loadVisibleJob(deps.db, id, actor);
  if (row.status !== "completed") {
    throw new AppError("CONFLICT", `Label job '${id}' is ${row.status}, not completed`, {
      reason: "label_job_not_ready",
      details: { status: row.status, done: row.done, total: row.total },
    });
  }
  const key = kind === "pdf" ? row.pdfKey : row.csvKey;
  const object = key ? await deps.files.get(key) : null;
  if (!object) throw new AppError("NOT_FOUND", `The ${kind.toUpperCase()} of label job '${id}' is missing`, { reason: "label_file_missing" });
  return {
    body: object.body,
    size: object.size,
    contentType: kind === "pdf" ? "application/pdf" : "text/csv; charset=utf-8",
    filename: `labels-${id.slice(0, 8)}.${kind}`,
  };
}

/**
 * Deletes a job and its files: the creator's own, or any for a holder of every permission. A
 * job being rendered stops at its next progress write (it finds its row gone).
 */
export async function deleteJob(deps: Pick<Deps, "db" | "files" | "waitUntil">, id: string, actor: Principal): Promise<void> {
  const row = await loadJob(deps.db, id);
  if (row.createdBy !== whoIs(actor).userId && !actor.permissions.has("*")) {
    throw new AppError("AUTHORIZATION_ERROR", "Only the job's creator or an administrator may delete it", { reason: "label_job_not_yours" });
  }
  // The files (written, being written, or never to be) are queued for deletion with the row.
  const keys = jobKeys(id);
  const [deleted] = await deps.db.batch([
    deps.db.delete(labelJobs).where(eq(labelJobs.id, id)).returning({ id: labelJobs.id }),
    queueFileDeletions(deps.db, [keys.pdf, keys.csv]),
  ]);
  if (deleted.length === 0) throw new AppError("NOT_FOUND", `Label job '${id}' not found`, { reason: "label_job_not_found" });
  deps.waitUntil(purgeFiles(deps, [keys.pdf, keys.csv]));
}

/**
 * The documents worker's label renderer (the `DOCUMENTS` service binding's `LabelRenderer`
 * entrypoint, src/modules/labels/renderer.ts), or undefined when this deployment has no such
 * binding. `wrangler types` types a service binding as a plain `Service`; its RPC methods are the
 * contract's.
 */
function labelRenderer(env: Pick<Deps["env"], "DOCUMENTS"> | undefined): LabelRendererRpc | undefined {
  const binding: unknown = env?.DOCUMENTS;
  return binding ? (binding as LabelRendererRpc) : undefined;
}

const rendererDown = (message: string) => new AppError("SERVICE_UNAVAILABLE", message);

/**
 * One item's label as a PDF, rendered now (no job): `copies` of it on the template's sheet. The
 * access checks, the query, the item and its value are checked here; the documents worker draws
 * (its `LabelRenderer` over the `DOCUMENTS` binding), so the API bundle carries no barcode
 * encoder. Nothing is written either way: a renderer that is missing or unreachable answers 503,
 * one that refuses or fails (or answers something that is not a PDF) 502.
 */
export async function singleLabel(
  deps: Pick<Deps, "db" | "env">,
  ref: string,
  query: SingleLabelQuery,
  _actor: Principal,
): Promise<{ pdf: Uint8Array; filename: string }> {
  const template = resolveTemplate(query.template, "query.template");
  const item = (await itemsByRef(deps.db, [ref])).get(ref);
  if (!item) throw new AppError("NOT_FOUND", `No item '${ref}'`, { reason: "item_not_found" });
  const label = labelData(item, template.symbology, query.line_date ?? null);
  const problem = symbologyProblem(template.symbology, label.value);
  if (problem) throw new AppError("VALIDATION_ERROR", `Item '${item.sku}': ${problem}`, { details: [{ path: "query.template", message: problem }] });
  const renderer = labelRenderer(deps.env);
  if (!renderer) throw rendererDown("Label rendering is not available: the documents worker is not bound (DOCUMENTS)");
  const request = { title: `Label ${item.sku}`, template, label, copies: Math.min(query.copies, MAX_SINGLE_COPIES) };
  let answer: RenderLabelResult;
  try {
    answer = await renderer.renderLabel(request);
  } catch (err) {
    log("error", "label renderer unreachable", { sku: item.sku, symbology: template.symbology, ...describeError(err) });
    throw rendererDown("The label renderer (documents worker) did not answer; try again");
  }
  if (answer?.ok !== true) {
    log("error", "label renderer refused", { sku: item.sku, symbology: template.symbology, error: answer?.error, message: answer?.message });
    throw new AppError("BAD_GATEWAY", "The label renderer (documents worker) could not render this label");
  }
  const { pdf } = answer;
  if (!(pdf instanceof Uint8Array) || pdf.byteLength > MAX_SINGLE_PDF_BYTES || !isPdf(pdf)) {
    log("error", "label renderer answered no PDF", { sku: item.sku, bytes: pdf instanceof Uint8Array ? pdf.byteLength : null });
    throw new AppError("BAD_GATEWAY", "The label renderer (documents worker) answered something that is not a PDF");
  }
  return { pdf, filename: `label-${item.sku.replace(/[^A-Z0-9._-]/g, "_")}.pdf` };
}

/** Whether `bytes` start with a PDF header and end with its end-of-file marker. */
function isPdf(bytes: Uint8Array): boolean {
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, 5));
  const tail = new TextDecoder("latin1").decode(bytes.subarray(Math.max(0, bytes.byteLength - 16)));
  return head === "%PDF-" && tail.includes("%%EOF");
}

/** One progress event of a job, as the SSE stream sends it. */
export type JobProgressEvent = Pick<LabelJob, "status" | "done" | "total" | "pages" | "error"> & { job_id: string };

const FINISHED: ReadonlySet<string> = new Set(["completed", "failed"]);

/** Progress streams one user (with their API keys) may have open at once. */
export const MAX_JOB_STREAMS = 5;
/**
 * Open streams are counted per window of this length (a stream's longest life): a stream whose
 * isolate died without closing it frees its slot when its window ends.
 */
const STREAM_WINDOW_SECONDS = 5 * 60;

/**
 * A job's progress as it changes: the current state at once, then each change (polled every
 * `intervalMs`), ending after `completed`/`failed`, a deletion (`deleted`), or `maxMs`. 404 up
 * front when there is no such job or the actor may not see it (its creator or the history tab
 * may). The documents worker writes progress every few hundred
 * labels, so this relays it to the requester without holding any socket open in the worker.
 * One user may hold MAX_JOB_STREAMS streams open at once (429 beyond); a stream's slot is given
 * back when it ends or is closed (the route closes it from the response stream's `cancel()`,
 * which workerd calls when the client goes away; Hono's `onAbort` never fires there).
 */
export async function watchJob(
  deps: Pick<Deps, "db" | "now">,
  id: string,
  actor: Principal,
  options: { intervalMs?: number; maxMs?: number } = {},
): Promise<JobWatch> {
  const row = await loadVisibleJob(deps.db, id, actor);
  const first = { status: row.status, done: row.done, total: row.total, pages: row.pages, error: row.error };
  const intervalMs = options.intervalMs ?? 1000;
  const deadline = Date.now() + Math.min(options.maxMs ?? STREAM_WINDOW_SECONDS * 1000, STREAM_WINDOW_SECONDS * 1000);
  const slot = await takeFailureSlot(
    deps,
    await bucketKey("label_job_streams", whoIs(actor).userId),
    MAX_JOB_STREAMS,
    STREAM_WINDOW_SECONDS,
    `You have ${MAX_JOB_STREAMS} label job streams open; close one first`,
  );
  let closed: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  // Idempotent: the stream's end, its cancel (the client went away) and the loop's finally all call it.
  const close = () => {
    closed ??= releaseFailureSlot(deps, slot).then(() => undefined);
    wake?.();
    return closed;
  };
  return {
    close,
    async *[Symbol.asyncIterator]() {
      try {
        let last = { job_id: id, ...first };
        yield last;
        while (!FINISHED.has(last.status) && closed === undefined && Date.now() < deadline) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, intervalMs);
          });
          if (closed !== undefined) return;
          const now = await jobProgress(deps, id);
          if (!now) {
            yield { job_id: id, status: "deleted" as const };
            return;
          }
          if (now.status !== last.status || now.done !== last.done) {
            last = { job_id: id, ...now };
            yield last;
          }
        }
      } finally {
        await close();
      }
    },
  };
}

/** A job's progress stream: iterate it for events; `close()` ends it and gives its slot back at once. */
export interface JobWatch extends AsyncIterable<JobProgressEvent | { job_id: string; status: "deleted" }> {
  close(): Promise<void>;
}
