/**
 * A part's drawing PDF from Onshape (seed 002's `GET /api/parts/<id>/drawing`): fetched once and
 * cached in R2. The part's `onshapeUrl` must be a drawing on ONSHAPE_BASE_URL's host
 * (`/documents/<did>/w|v/<id>/e/<eid>`, 24-hex-digit ids); requests are built from those ids
 * and the configured base only, so a part's URL cannot send the server anywhere else.
 *
 * Onshape exports a drawing as an asynchronous translation: the first request starts it and
 * checks it; while Onshape works the answer is 202 (`Retry-After`), and a later request checks
 * again, downloads the PDF and caches it. A changed `onshapeUrl` fetches afresh.
 *
 * Onshape decides who may read a document, so the cache does not widen it: the row records whose
 * connection fetched the PDF (`onshapeUserId`), and anyone else is served it only after one cheap
 * metadata call (`GET /api/documents/<did>`) with their own connection succeeds (403 otherwise).
 * A translation in progress belongs to the user who started it (part_drawing_exports, one per part
 * and user): only they resume it; another user's request starts their own.
 */
import { and, eq, ne } from "drizzle-orm";
import { z } from "zod";
import { isConstraintError } from "../../db/client";
import { partDrawingExports, partDrawings } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError } from "../../lib/errors";
import { deleteFiles, holdFiles, purgeFiles, queueFileDeletionsOf, referencedIn, releaseFiles } from "../../lib/files";
import { readBounded } from "../../lib/upstream";
import type { Principal } from "../../types";
import { onshapeConfig, onshapeFetch, onshapeJson, onshapeUserOf } from "./onshape";
import { loadPart, partNotFound } from "./service";

/** Largest drawing PDF accepted from Onshape. */
export const MAX_DRAWING_BYTES = 25 * 1024 * 1024;
/** What a client is told to wait before asking again while Onshape translates. */
export const DRAWING_RETRY_AFTER_S = 3;

const ID = /^[0-9a-f]{24}$/;

export interface DrawingRef {
  documentId: string;
  /** `w/<workspace id>` or `v/<version id>`. */
  workspaceId: string;
  elementId: string;
}

const badUrl = (message: string) =>
  new AppError("VALIDATION_ERROR", message, { reason: "onshape_url_invalid", details: [{ path: "onshapeUrl", message, code: "invalid_onshape_url" }] });

/** The drawing a part's `onshapeUrl` names, checked against the configured Onshape host. */
export function parseOnshapeUrl(raw: string, baseUrl: string): DrawingRef {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badUrl("onshapeUrl is not a URL");
  }
  const base = new URL(baseUrl);
  if (url.protocol !== "https:" || url.host !== base.host || url.username || url.password) {
    throw badUrl(`onshapeUrl must be an Onshape document on ${base.host}`);
  }
  const m = /^\/documents\/([^/]+)\/([wv])\/([^/]+)\/e\/([^/]+)\/?$/.exec(url.pathname);
  const [, did, wv, wvid, eid] = m ?? [];
  if (!did || !wv || !wvid || !eid || ![did, wvid, eid].every((id) => ID.test(id))) {
    throw badUrl("onshapeUrl must name a drawing: /documents/<document>/w/<workspace>/e/<element>");
  }
  return { documentId: did, workspaceId: `${wv}/${wvid}`, elementId: eid };
}

const Translation = z.object({
  id: z.string().regex(/^[0-9a-f]{24}$/),
  requestState: z.enum(["ACTIVE", "DONE", "FAILED"]),
  resultExternalDataIds: z.array(z.string().regex(/^[0-9a-f]{24}$/)).nullish(),
  failureReason: z.string().max(1000).nullish(),
});
type Translation = z.infer<typeof Translation>;

export type DrawingResult = { pending: { state: "pending"; retry_after: number } } | { ready: { body: ReadableStream; size: number; filename: string } };

type DrawingDeps = Pick<Deps, "db" | "feature" | "files" | "now" | "waitUntil">;

const sameDrawing = (row: Pick<typeof partDrawings.$inferSelect, "documentId" | "workspaceId" | "elementId">, ref: DrawingRef) =>
  row.documentId === ref.documentId && row.workspaceId === ref.workspaceId && row.elementId === ref.elementId;

const tooLarge = () => new AppError("SERVICE_UNAVAILABLE", `Onshape's drawing is over ${MAX_DRAWING_BYTES} bytes`, { reason: "onshape_unavailable" });

/**
 * 403 unless `userId`'s Onshape connection can read the document (one metadata call); 409 when
 * the user has no connection.
 */
async function assertCanReadDocument(deps: DrawingDeps, userId: string, documentId: string): Promise<void> {
  const res = await onshapeFetch(deps, userId, `/api/documents/${documentId}`, { headers: { accept: "application/json" } });
  if (res.status === 403 || res.status === 404) {
    await res.body?.cancel();
    throw new AppError("AUTHORIZATION_ERROR", "Your Onshape account cannot read this part's drawing", { reason: "onshape_no_access" });
  }
  if (!res.ok) await onshapeJson(res, "document check");
  await res.body?.cancel();
}

/**
 * The part's drawing PDF: from the R2 cache, or fetched from Onshape with the caller's connection
 * (an API key uses its creator's). A PDF another user's connection fetched is served only when
 * the caller's connection can read the document. 202 while Onshape translates.
 */
export async function getPartDrawing(deps: DrawingDeps, id: number, actor: Principal): Promise<DrawingResult> {
  const { db, files } = deps;
  const part = await loadPart({ db }, id);
  if (!part.onshapeUrl) throw new AppError("NOT_FOUND", "This part has no Onshape URL", { reason: "no_drawing" });
  const config = deps.feature(onshapeConfig);
  const ref = parseOnshapeUrl(part.onshapeUrl, config.ONSHAPE_BASE_URL);
  const filename = `${part.partId || `part-${id}`}-drawing.pdf`;
  const [row] = await db.select().from(partDrawings).where(eq(partDrawings.partId, id));
  const userId = onshapeUserOf(actor);

  if (row && sameDrawing(row, ref) && row.state === "ready" && row.key) {
    if (row.onshapeUserId !== userId) await assertCanReadDocument(deps, userId, ref.documentId);
    const object = await files.get(row.key);
    if (object) return { ready: { body: object.body, size: object.size, filename } };
  }
  const base = `/api/documents/d/${ref.documentId}`;
  const mine = and(eq(partDrawingExports.partId, id), eq(partDrawingExports.userId, userId));
  const [own] = await db.select().from(partDrawingExports).where(mine);
  let translation: Translation;
  if (own && sameDrawing(own, ref)) {
    translation = await checkTranslation(deps, userId, own.translationId);
  } else {
    const [wv, wvid] = ref.workspaceId.split("/");
    const started = await onshapeFetch(deps, userId, `/api/drawings/d/${ref.documentId}/${wv}/${wvid}/e/${ref.elementId}/translations`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ formatName: "PDF", storeInDocument: false }),
    });
    translation = parseTranslation(await onshapeJson(started, "drawing export"));
    if (translation.requestState === "ACTIVE") translation = await checkTranslation(deps, userId, translation.id);
  }

  if (translation.requestState === "FAILED") {
    await db.delete(partDrawingExports).where(mine);
    await saveDrawing(deps, id, ref, {
      state: "failed",
      onshapeUserId: userId,
      translationId: null,
      error: translation.failureReason ?? "Onshape could not export the drawing",
    });
    throw new AppError("SERVICE_UNAVAILABLE", `Onshape could not export the drawing: ${translation.failureReason ?? "unknown reason"}`, {
      reason: "onshape_unavailable",
    });
  }
  const dataId = translation.resultExternalDataIds?.[0];
  if (translation.requestState === "ACTIVE" || !dataId) {
    const values = { ...ref, translationId: translation.id };
    await db
      .insert(partDrawingExports)
      .values({ partId: id, userId, ...values })
      .onConflictDoUpdate({ target: [partDrawingExports.partId, partDrawingExports.userId], set: values })
      .catch((err: unknown) => {
        throw isConstraintError(err, "FOREIGN KEY") ? partNotFound() : err;
      });
    return { pending: { state: "pending", retry_after: DRAWING_RETRY_AFTER_S } };
  }
  const download = await onshapeFetch(deps, userId, `${base}/externaldata/${dataId}`, { headers: { accept: "application/pdf, application/octet-stream" } });
  if (!download.ok) await onshapeJson(download, "drawing download");
  const bytes = await readBounded(download, MAX_DRAWING_BYTES, tooLarge);
  if (new TextDecoder().decode(bytes.subarray(0, 5)) !== "%PDF-") {
    throw new AppError("SERVICE_UNAVAILABLE", "Onshape's export is not a PDF", { reason: "onshape_unavailable" });
  }
  // A fresh key per fetch, pending in the file outbox until the row points to it: if the part is
  // deleted meanwhile, saveDrawing removes the object again (404); if this isolate dies first,
  // the sweep does.
  const key = `parts/drawings/${id}/${ref.documentId}-${ref.elementId}-${crypto.randomUUID()}.pdf`;
  await holdFiles(db, [key], deps.now());
  await files.put(key, bytes, { httpMetadata: { contentType: "application/pdf" } });
  await saveDrawing(deps, id, ref, { state: "ready", onshapeUserId: userId, translationId: null, error: null, key, size: bytes.byteLength });
  await db.delete(partDrawingExports).where(mine);
  return { ready: { body: new Blob([bytes]).stream(), size: bytes.byteLength, filename } };
}

const parseTranslation = (json: unknown): Translation => {
  const parsed = Translation.safeParse(json);
  if (!parsed.success) throw new AppError("SERVICE_UNAVAILABLE", "Onshape answered the export unexpectedly", { reason: "onshape_unavailable" });
  return parsed.data;
};

async function checkTranslation(deps: DrawingDeps, userId: string, translationId: string): Promise<Translation> {
  const res = await onshapeFetch(deps, userId, `/api/translations/${translationId}`, { headers: { accept: "application/json" } });
  return parseTranslation(await onshapeJson(res, "export status"));
}

/**
 * Records the drawing's state; a cached PDF it no longer points to is queued for deletion in the
 * same batch (src/lib/files.ts) and removed from R2 after, and the new one stops being pending.
 * When the part was deleted meanwhile (the row's foreign key refuses), the PDF just written is
 * removed and the answer is 404.
 */
async function saveDrawing(
  { db, files, waitUntil }: Pick<Deps, "db" | "files" | "waitUntil">,
  partId: number,
  ref: DrawingRef,
  set: { state: "ready" | "failed"; onshapeUserId: string; translationId: string | null; error: string | null; key?: string; size?: number },
): Promise<void> {
  const values = { ...ref, ...set, key: set.key ?? null, size: set.size ?? null };
  const replaced = and(eq(partDrawings.partId, partId), values.key === null ? undefined : ne(partDrawings.key, values.key));
  const [before] = await db.select({ key: partDrawings.key }).from(partDrawings).where(replaced);
  const upsert = db
    .insert(partDrawings)
    .values({ partId, ...values })
    .onConflictDoUpdate({ target: partDrawings.partId, set: values });
  try {
    await db.batch([
      queueFileDeletionsOf(db, partDrawings.key, replaced),
      upsert,
      ...(values.key === null ? [] : [releaseFiles(db, [values.key], referencedIn(db, partDrawings.key))]),
    ]);
  } catch (err) {
    if (!isConstraintError(err, "FOREIGN KEY")) throw err;
    if (values.key) await deleteFiles({ db, files }, [values.key]);
    throw partNotFound();
  }
  if (before?.key) waitUntil(purgeFiles({ db, files }, [before.key]));
}
