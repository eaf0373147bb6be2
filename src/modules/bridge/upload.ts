/**
 * Uploads of legacy files for the file-based importers (issue 19): a Part Management/Aerie
 * `parts.db` or `.tar.gz` (database + `uploads/`), or a CCbackend export (JSON, optionally
 * gzip). The request body is the file itself (no multipart), streamed to R2 under
 * `imports/<uuid>` without being held in memory; its length must be declared
 * (`Content-Length`) and is checked while streaming; its first bytes must be one of those kinds,
 * or nothing is stored. The key is what `POST /imports` takes as `file_key`.
 *
 * The route takes files up to MAX_UPLOAD_BYTES (50 MB by default; a Worker takes request bodies
 * up to 100 MB on Cloudflare's plans): larger ones are put in the bucket with
 * `wrangler r2 object put floorline-files/imports/<name>` and imported by key (README "Moving
 * from the old systems").
 *
 * The key is held in the file outbox before the first byte (./upload-outbox.ts): an upload no job
 * takes within a day is swept, and the job that takes it deletes it when it ends. Like every
 * upload it takes a place of its sender's and an admission, and has the same deadlines.
 */
import type { Deps } from "../../lib/deps";
import { AppError } from "../../lib/errors";
import { deleteFiles } from "../../lib/files";
import { chunkReader } from "../../lib/streams";
import { admitUpload, type IncomingUpload, progressReader, UPLOAD_MAX_MS, UPLOAD_STALL_MS, type UploadSlot } from "../../lib/uploads";
import { holdUpload } from "./upload-outbox";

export type ImportFileKind = "sqlite" | "gzip" | "tar" | "json";

/** What the first bytes say the file is (tar: the `ustar` magic at 257). */
export function importFileKind(head: Uint8Array): ImportFileKind | null {
  const text = (from: number, to: number) => new TextDecoder().decode(head.subarray(from, to));
  if (head.length >= 16 && text(0, 16) === "SQLite format 3\0") return "sqlite";
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head.length >= 262 && text(257, 262) === "ustar") return "tar";
  let at = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (at < head.length && (head[at] === 0x20 || head[at] === 0x0a || head[at] === 0x0d || head[at] === 0x09)) at++;
  if (head[at] === 0x7b) return "json";
  return null;
}

export interface StoredImportFile {
  file_key: string;
  size: number;
  kind: ImportFileKind;
}

const refused = (message: string) => new AppError("UNSUPPORTED_MEDIA_TYPE", message, { details: [{ path: "body", message, code: "unsupported" }] });

/** The receive's deadlines (tests shorten them): as every upload's (src/lib/uploads/receive.ts). */
export interface ImportFileDeadlines {
  /** Each window (ms) of waiting on the client must bring SLOT_PROGRESS_BYTES, else 400 `upload_stalled`. */
  stallMs?: number;
  /** The longest the body may take (ms), else 400 `upload_too_slow`. */
  maxReceiveMs?: number;
}

/**
 * Streams the body to R2; 411-like 422 without a length, 413 past the cap, 415 for another kind.
 * As every upload it holds one of its sender's places (429 past MAX_UPLOADS_PER_SENDER) and one of
 * the isolate's admissions (waits, or 503), and is refused (400) when it stalls or outlasts
 * UPLOAD_MAX_MS: nobody holds them by trickling.
 */
export async function storeImportFile(
  deps: Pick<Deps, "db" | "files" | "config" | "now" | "waitUntil">,
  upload: IncomingUpload,
  deadlines: ImportFileDeadlines = {},
): Promise<StoredImportFile> {
  const max = deps.config.MAX_UPLOAD_BYTES;
  const declared = Number(upload.headers.get("content-length") ?? Number.NaN);
  if (!Number.isSafeInteger(declared) || declared <= 0 || !upload.body) {
    await upload.body?.cancel().catch(() => undefined);
    throw new AppError("VALIDATION_ERROR", "Send the file as the request body with its Content-Length", {
      details: [{ path: "body", message: "a non-empty body with Content-Length", code: "required" }],
    });
  }
  if (declared > max) {
    await upload.body.cancel().catch(() => undefined);
    throw new AppError("PAYLOAD_TOO_LARGE", `The file is ${declared} bytes; at most ${max} can be uploaded here (put larger files in R2 with wrangler)`, {
      details: [{ path: "body", message: `at most ${max} bytes`, code: "too_large" }],
    });
  }
  // One of the sender's places (429), then an admission (waits, or 503), as every upload.
  let admission: UploadSlot;
  try {
    admission = await admitUpload(upload.sender, deps.waitUntil);
  } catch (err) {
    await upload.body.cancel().catch(noop);
    throw err;
  }
  const outcome = streamImportFile(deps, upload.body, declared, deadlines).finally(() => admission.release());
  // The stream runs to its end (stored, or refused and cleaned up) even if the client goes.
  deps.waitUntil(outcome.then(noop, noop));
  return await outcome;
}

const noop = () => undefined;

/** The body into R2 under a new pending key, its kind judged by its first bytes (see `storeImportFile`). */
async function streamImportFile(
  deps: Pick<Deps, "db" | "files" | "config" | "now">,
  body: ReadableStream<Uint8Array>,
  declared: number,
  deadlines: ImportFileDeadlines,
): Promise<StoredImportFile> {
  let kind: ImportFileKind | null = null;
  let head = new Uint8Array(0);
  const judge = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      if (kind === null) {
        const joined = new Uint8Array(head.length + chunk.length);
        joined.set(head);
        joined.set(chunk, head.length);
        // Hold bytes back until 512 have arrived (enough for tar's magic).
        if (joined.length < 512) {
          head = joined;
          return;
        }
        kind = importFileKind(joined);
        if (kind === null) return controller.error(refused("Not a legacy file Floorline imports: parts.db (SQLite), .tar.gz/.tar, or a CCbackend JSON export"));
        head = new Uint8Array(0);
        controller.enqueue(joined);
        return;
      }
      controller.enqueue(chunk);
    },
    flush(controller) {
      if (kind !== null) return;
      kind = importFileKind(head);
      if (kind === null) return controller.error(refused("Not a legacy file Floorline imports: parts.db (SQLite), .tar.gz/.tar, or a CCbackend JSON export"));
      controller.enqueue(head);
    },
  });
  const key = `imports/${crypto.randomUUID()}`;
  await holdUpload(deps.db, key, deps.now(), deps.config.JOB_LEASE_SECONDS);
  const sized = new FixedLengthStream(declared);
  // The body through our own reader (64 KiB reads: lib/streams.ts) with the upload deadlines
  // (`progressReader`): a deadline fails the pending read, the pipe fails with its 400, and the
  // body is cancelled.
  const reader = chunkReader(body);
  const progress = progressReader(
    reader,
    deadlines.stallMs ?? UPLOAD_STALL_MS,
    Date.now() + (deadlines.maxReceiveMs ?? UPLOAD_MAX_MS),
    "The upload was refused",
  );
  const source = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await progress.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  const piping = source.pipeThrough(judge).pipeTo(sized.writable);
  // R2 stores the object only when its stream ends whole: a refused or cut body leaves nothing.
  const [stored, piped] = await Promise.allSettled([deps.files.put(key, sized.readable), piping]);
  await reader.cancel().catch(noop);
  if (stored.status === "rejected" || piped.status === "rejected") await deleteFiles(deps, [key]);
  if (piped.status === "rejected" && piped.reason instanceof AppError) throw piped.reason;
  if (stored.status === "rejected" || piped.status === "rejected") {
    throw new AppError("VALIDATION_ERROR", "The body ended before its Content-Length (or went past it); nothing was stored", {
      details: [{ path: "body", message: "length differs from Content-Length", code: "invalid" }],
    });
  }
  return { file_key: key, size: declared, kind: kind ?? "json" };
}
