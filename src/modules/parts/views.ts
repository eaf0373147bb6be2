/**
 * A part's view thumbnails (seed: multipart `view_0` … `view_7`): images judged by their bytes,
 * streamed to R2, one slot per index. An upload replaces the slots it carries and keeps the
 * others; the part can hold at most MAX_PART_VIEWS. Deleting the part removes them (service.ts).
 */
import { and, asc, eq } from "drizzle-orm";
import { MAX_PART_VIEWS, parts, partViews } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError } from "../../lib/errors";
import { deleteFiles, referencedIn } from "../../lib/files";
import { type IncomingUpload, receiveUpload, type UploadedFile } from "../../lib/uploads";
import type { Principal } from "../../types";
import { loadPart, partNotFound } from "./service";

/** Largest view thumbnail, in bytes. */
export const MAX_VIEW_BYTES = 2 * 1024 * 1024;
/** The form fields an upload may carry views in. */
export const VIEW_FIELDS: readonly string[] = Array.from({ length: MAX_PART_VIEWS }, (_, n) => `view_${n}`);
/** Image kinds a view may be. */
const VIEW_KINDS = ["png", "jpeg", "webp"] as const;

type ViewRow = typeof partViews.$inferSelect;

/** One stored view, as both surfaces describe it (`url` on the caller's surface). */
export interface PartViewInfo {
  n: number;
  content_type: string;
  size: number;
  sha256: string;
  updated_at: string;
}

const toView = (row: ViewRow): PartViewInfo => ({ n: row.n, content_type: row.contentType, size: row.size, sha256: row.sha256, updated_at: row.updatedAt });

const listRows = (db: Deps["db"], partId: number) => db.select().from(partViews).where(eq(partViews.partId, partId)).orderBy(asc(partViews.n));

/** The part's views, by slot (404 when the part does not exist). */
export async function listPartViews({ db }: Pick<Deps, "db">, id: number): Promise<PartViewInfo[]> {
  const [part, rows] = await db.batch([db.select({ id: parts.id }).from(parts).where(eq(parts.id, id)), listRows(db, id)]);
  if (part.length === 0) throw partNotFound();
  return rows.map(toView);
}

const slotOf = (file: UploadedFile) => Number(file.field.slice("view_".length));

/**
 * Stores the views a multipart body carries (fields `view_0` … `view_7`; PNG, JPEG or WebP by
 * their bytes, each at most MAX_VIEW_BYTES). Each slot is written only if it still holds what was
 * read before the upload, so two uploads racing for one slot leave one image and no orphan: the
 * loser's object is removed. Replaced objects are removed after the write. Returns every view.
 */
export async function uploadPartViews(
  deps: Pick<Deps, "db" | "files" | "waitUntil" | "now">,
  input: { id: number; upload: IncomingUpload },
  _actor: Principal,
): Promise<PartViewInfo[]> {
  const { db, files } = deps;
  await loadPart({ db }, input.id);
  const upload = await receiveUpload(input.upload, {
    bucket: files,
    db,
    now: deps.now,
    prefix: "parts/views/",
    accept: VIEW_KINDS,
    maxFileBytes: MAX_VIEW_BYTES,
    maxFiles: MAX_PART_VIEWS,
    fileFields: VIEW_FIELDS,
    maxFields: 8,
    waitUntil: deps.waitUntil,
  });
  const uploaded = upload.files;
  const slots = uploaded.map(slotOf);
  if (uploaded.length === 0 || new Set(slots).size !== slots.length) {
    await upload.discard();
    const message = uploaded.length === 0 ? "No view provided: send images in fields view_0 … view_7" : "Each view field may carry one image";
    throw new AppError("VALIDATION_ERROR", message, { reason: "no_views", details: [{ path: "body", message, code: "invalid_views" }] });
  }
  const before = new Map((await listRows(db, input.id)).map((row) => [row.n, row.key]));
  const writes = uploaded.map((file, i) => {
    const n = slots[i] as number;
    return db
      .insert(partViews)
      .values({ partId: input.id, n, key: file.key, contentType: file.contentType, size: file.size, sha256: file.sha256 })
      .onConflictDoUpdate({
        target: [partViews.partId, partViews.n],
        set: { key: file.key, contentType: file.contentType, size: file.size, sha256: file.sha256, updatedAt: new Date().toISOString() },
        // Only over what was read: a slot another upload replaced meanwhile is left to it.
        setWhere: eq(partViews.key, before.get(n) ?? ""),
      })
      .returning({ n: partViews.n, key: partViews.key });
  });
  let results: { n: number; key: string }[][];
  try {
    // The images stop being pending in the same batch, those a row now points to only.
    const release = upload.release(referencedIn(db, partViews.key));
    const [first, ...rest] = writes;
    results = first ? ((await db.batch([first, ...rest, ...(release ? [release] : [])])).slice(0, writes.length) as { n: number; key: string }[][]) : [];
  } catch (err) {
    await upload.discard();
    // The part was deleted while the body streamed in (the foreign key refused the rows): 404.
    await loadPart({ db }, input.id);
    throw err;
  }
  const written = new Set(results.flat().map((r) => r.key));
  const lost = uploaded.filter((f) => !written.has(f.key)).map((f) => f.key);
  const replaced = uploaded.flatMap((f, i) => {
    const old = before.get(slots[i] as number);
    return written.has(f.key) && old ? [old] : [];
  });
  if (lost.length + replaced.length > 0) deps.waitUntil(deleteFiles(deps, [...lost, ...replaced]));
  return (await listRows(db, input.id)).map(toView);
}

export interface ViewImage {
  body: ReadableStream;
  contentType: string;
  size: number;
  etag: string;
}

/**
 * View `n` of a part: its image stream, or `notModified` when `ifNoneMatch` names its current
 * ETag (the image's SHA-256), so a tablet revalidates without downloading it again.
 */
export async function openPartView(
  { db, files }: Pick<Deps, "db" | "files">,
  input: { id: number; n: number; ifNoneMatch?: string | undefined },
): Promise<{ notModified: string } | { image: ViewImage }> {
  const [row] = await db
    .select()
    .from(partViews)
    .where(and(eq(partViews.partId, input.id), eq(partViews.n, input.n)))
    .limit(1);
  if (!row) {
    await loadPart({ db }, input.id);
    throw new AppError("NOT_FOUND", `View ${input.n} not found`, { reason: "view_not_found" });
  }
  const etag = `"${row.sha256}"`;
  const tags = input.ifNoneMatch?.split(",").map((t) => t.trim().replace(/^W\//, ""));
  if (tags?.includes(etag) || tags?.includes("*")) return { notModified: etag };
  const object = await files.get(row.key);
  if (!object) throw new AppError("NOT_FOUND", "View image not found on server", { reason: "file_missing" });
  return { image: { body: object.body, contentType: row.contentType, size: object.size, etag } };
}
