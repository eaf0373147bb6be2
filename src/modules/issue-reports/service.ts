/**
 * Issue reports with photos, shared by `/api/v1/issue-reports` and CCbackend's `/api/report*`.
 *
 * Photos: `receiveUpload` streams each to R2 under `reports/<random uuid>.<ext>` (kind judged by
 * bytes; PNG, JPEG, GIF, WebP; 16 MB per request), pending in the file outbox (src/lib/files.ts)
 * until the batch that writes the report row releases them; if anything after the upload fails,
 * the photos are discarded before the error is answered, and if the isolate dies first the sweep
 * deletes them. A pending photo is not served.
 *
 * Deleting a report: one D1 batch records its photos' keys in the file outbox and deletes the
 * row; only after it commits are the objects deleted from R2, and their outbox rows with them.
 * If R2 fails, the row is already gone (no report points to a missing photo) and the keys stay
 * in the outbox, retried by the hourly `sweepFiles` (so no object is left without a row that
 * either points to it or says it must go).
 */
import { and, desc, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { z } from "zod";
import { equipment, issueReports, type ReportStatus, type StoredImage } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError, type ErrorReason } from "../../lib/errors";
import { isPending, purgeFiles, queueFileDeletions } from "../../lib/files";
import { type Page, paginate } from "../../lib/pagination";
import { actorOf } from "../../lib/principal";
import { type IncomingUpload, receiveUpload } from "../../lib/uploads";
import type { Principal } from "../../types";
import { requireEquipment } from "../equipment/repo";
import { type CreateIssueReportInput, DEFAULT_LABELS, type IssueReport, type IssueReportListQuery, type ProcessIssueReport, STATUS_WORDS } from "./schemas";

/** CCbackend's limit (Flask `MAX_CONTENT_LENGTH`): a whole report request, photos and fields. */
export const MAX_REPORT_BYTES = 16 * 1024 * 1024;
export const MAX_REPORT_IMAGES = 20;
/** R2 key prefix of report photos; `/uploads/<file>` serves exactly these. */
export const REPORT_PHOTO_PREFIX = "reports/";
/** A photo's file name as served: the random part of its key and the kind's extension. */
export const PHOTO_FILENAME = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.(?:jpg|png|gif|webp)$/;

type Row = typeof issueReports.$inferSelect;
type RowWithCode = Row & { equipmentCode: string };

/** The URL a photo is served at (public, unguessable, unlisted). */
export const photoUrl = (key: string) => `/uploads/${key.slice(REPORT_PHOTO_PREFIX.length)}`;

/** The one place a report row becomes a response. */
export const toIssueReport = (row: RowWithCode): IssueReport => ({
  id: row.id,
  equipment_code: row.equipmentCode,
  reporter: row.reporter,
  reported_at: row.reportedAt,
  issue_type: row.issueType,
  description: row.description,
  images: row.images.map((image) => ({ url: photoUrl(image.key), content_type: image.contentType, size: image.size, filename: image.filename })),
  status: row.status,
  status_label: row.statusLabel,
  processor: row.processor,
  processed_at: row.processedAt,
  process_notes: row.processNotes,
  version: row.version,
});

const selectReports = ({ db }: Pick<Deps, "db">, where?: SQL) =>
  db
    .select({ report: issueReports, equipmentCode: equipment.code })
    .from(issueReports)
    .innerJoin(equipment, eq(equipment.id, issueReports.equipmentId))
    .where(where);

const flatten = ({ report, equipmentCode }: { report: Row; equipmentCode: string }): RowWithCode => ({ ...report, equipmentCode });

const reportNotFound = (id: number, reason: ErrorReason = "report_not_found") => new AppError("NOT_FOUND", `Issue report ${id} not found`, { reason });

/**
 * Files a report from a multipart request: photos stream to R2 first, then `parseFields` (the
 * surface's own field names, validated with zod) gives the report, the item must exist, and the
 * row is inserted. Any failure after the upload discards the photos. A retry with the same
 * `Idempotency-Key` is answered by the route layer without reaching here, so nothing is stored twice.
 */
export async function fileIssueReport(
  deps: Pick<Deps, "db" | "files" | "now" | "waitUntil">,
  incoming: IncomingUpload,
  parseFields: (fields: Record<string, string | string[]>) => CreateIssueReportInput,
  actor: Principal,
): Promise<IssueReport> {
  const upload = await receiveUpload(incoming, {
    bucket: deps.files,
    db: deps.db,
    now: deps.now,
    prefix: REPORT_PHOTO_PREFIX,
    accept: ["png", "jpeg", "gif", "webp"],
    maxFileBytes: MAX_REPORT_BYTES,
    maxFiles: MAX_REPORT_IMAGES,
    maxBodyBytes: MAX_REPORT_BYTES,
    fileFields: ["images"],
    waitUntil: deps.waitUntil,
  });
  try {
    const input = parseFields(upload.fields);
    const item = await requireEquipment(deps, input.equipment_code);
    const images: StoredImage[] = upload.files.map((f) => ({ key: f.key, contentType: f.contentType, size: f.size, filename: f.filename, sha256: f.sha256 }));
    const now = deps.now().toISOString();
    const insert = deps.db
      .insert(issueReports)
      .values({
        equipmentId: item.id,
        reporter: actorOf(actor).name,
        reportedAt: now,
        issueType: input.issue_type,
        description: input.description ?? null,
        images,
        status: "pending",
        statusLabel: DEFAULT_LABELS.pending,
        updatedAt: now,
      })
      .returning();
    // The photos stop being pending in the batch that writes the row pointing to them.
    const release = upload.release();
    const [row] = release ? (await deps.db.batch([insert, release]))[0] : await insert;
    if (!row) throw new Error("issue report insert returned nothing");
    return toIssueReport({ ...row, equipmentCode: item.code });
  } catch (err) {
    await upload.discard();
    throw err;
  }
}

/** Parses form fields with a zod schema; failures are the surface's validation error. */
export function parseWith<S extends z.ZodType>(schema: S, fields: Record<string, string | string[]>): z.infer<S> {
  const parsed = schema.safeParse(fields);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: ["body", ...i.path.map(String)].join("."), message: i.message, code: i.code }));
  throw new AppError("VALIDATION_ERROR", `Invalid request body: ${issues[0]?.path} ${issues[0]?.message}`, { details: issues });
}

function listFilters(query: Partial<Omit<IssueReportListQuery, "limit" | "offset">>): SQL | undefined {
  const status = query.status === undefined ? undefined : STATUS_WORDS[query.status];
  return and(
    status === undefined ? undefined : eq(issueReports.status, status),
    query.open ? inArray(issueReports.status, ["pending", "processing"]) : undefined,
    query.equipment_code === undefined ? undefined : eq(equipment.code, query.equipment_code),
    query.issue_type === undefined ? undefined : eq(issueReports.issueType, query.issue_type),
    query.reporter === undefined ? undefined : eq(issueReports.reporter, query.reporter),
  );
}

/** A page of reports, newest first, filtered by status, item, issue type, reporter or openness. */
export async function listIssueReports(deps: Pick<Deps, "db">, query: IssueReportListQuery): Promise<Page<IssueReport>> {
  const page = await paginate(deps.db, selectReports(deps, listFilters(query)).$dynamic(), query, {
    orderBy: [desc(issueReports.id)],
    tiebreaker: issueReports.id,
  });
  return { ...page, items: page.items.map((r) => toIssueReport(flatten(r))) };
}

/** Every report, newest first (CCbackend's list). */
export async function listAllIssueReports(deps: Pick<Deps, "db">): Promise<IssueReport[]> {
  const rows = await selectReports(deps).orderBy(desc(issueReports.id));
  return rows.map((r) => toIssueReport(flatten(r)));
}

/** One report; 404 otherwise. */
export async function getIssueReport(deps: Pick<Deps, "db">, id: number): Promise<IssueReport> {
  const [row] = await selectReports(deps, eq(issueReports.id, id)).limit(1);
  if (!row) throw reportNotFound(id);
  return toIssueReport(flatten(row));
}

/**
 * Moves a report through its workflow: the status (any accepted word; the word is kept as its
 * label), notes, and the caller as processor, now. `expectedVersion` (body or If-Match) makes
 * it conditional: stale → 409 with the current report, nothing changed.
 */
export async function processIssueReport(
  deps: Pick<Deps, "db" | "now">,
  id: number,
  input: ProcessIssueReport,
  actor: Principal,
  expectedVersion?: number,
): Promise<IssueReport> {
  const current = await getIssueReport(deps, id);
  for (const expected of [input.version, expectedVersion]) {
    if (expected !== undefined && expected !== current.version) {
      throw new AppError("CONFLICT", `Issue report ${id} was changed by someone else (now version ${current.version}); reload and retry`, {
        reason: "report_stale",
        details: { current },
      });
    }
  }
  const status: ReportStatus = STATUS_WORDS[input.status] ?? "pending";
  const label = /^[a-z]+$/.test(input.status) ? DEFAULT_LABELS[status] : input.status;
  const now = deps.now().toISOString();
  const [row] = await deps.db
    .update(issueReports)
    .set({
      status,
      statusLabel: label,
      processor: actorOf(actor).name,
      processedAt: now,
      processNotes: input.process_notes ?? null,
      updatedAt: now,
      version: sql`${issueReports.version} + 1`,
    })
    .where(and(eq(issueReports.id, id), eq(issueReports.version, current.version)))
    .returning();
  if (!row) {
    const fresh = await getIssueReport(deps, id);
    throw new AppError("CONFLICT", `Issue report ${id} was changed by someone else; reload and retry`, { reason: "report_stale", details: { current: fresh } });
  }
  return toIssueReport({ ...row, equipmentCode: current.equipment_code });
}

/**
 * Deletes a report and then its photos (see the module comment for the order and what happens
 * when R2 fails). 404 when there is no such report.
 */
export async function deleteIssueReport(deps: Pick<Deps, "db" | "files">, id: number): Promise<{ id: number; deleted_images: number }> {
  const { db } = deps;
  const [found] = await db.select({ images: issueReports.images }).from(issueReports).where(eq(issueReports.id, id)).limit(1);
  if (!found) throw reportNotFound(id, "report_not_found_for_delete");
  const keys = found.images.map((i) => i.key);
  const deleteRow = db.delete(issueReports).where(eq(issueReports.id, id)).returning({ id: issueReports.id });
  const queued = keys.length === 0 ? [] : [queueFileDeletions(db, keys)];
  const results = await db.batch([deleteRow, ...queued]);
  if (results[0].length === 0) throw reportNotFound(id, "report_not_found_for_delete");
  await purgeFiles(deps, keys);
  return { id, deleted_images: keys.length };
}

/** A photo's R2 object for `/uploads/<file>`; 404 for a malformed or unknown name. */
export async function openPhoto(deps: Pick<Deps, "files" | "db">, filename: string, ifNoneMatch: string | undefined) {
  if (!PHOTO_FILENAME.test(filename)) throw new AppError("NOT_FOUND", "Image not found", { reason: "image_not_found" });
  // A photo still pending (its report not written, or never to be) is nobody's yet.
  if (await isPending(deps.db, `${REPORT_PHOTO_PREFIX}${filename}`)) throw new AppError("NOT_FOUND", "Image not found", { reason: "image_not_found" });
  const object = await deps.files.get(`${REPORT_PHOTO_PREFIX}${filename}`, ifNoneMatch ? { onlyIf: { etagDoesNotMatch: stripEtag(ifNoneMatch) } } : undefined);
  if (object === null) throw new AppError("NOT_FOUND", "Image not found", { reason: "image_not_found" });
  return object;
}

/** R2 compares bare etags; `If-None-Match` carries quoted (maybe weak) ones. */
const stripEtag = (header: string) => header.trim().replace(/^W\//, "").replace(/^"|"$/g, "").slice(0, 128);
