/**
 * Uploads that stream: a multipart/form-data body goes to R2 as it arrives, never held whole.
 *
 *   // route: hand the service the upload, not the Request
 *   async (c) => c.json(await fileReport(c.get("deps"), { upload: incomingUpload(c.req.raw, principalOf(c)) }, principalOf(c)), 201)
 *
 *   // service
 *   const upload = await receiveUpload(input.upload, {
 *     bucket: deps.files, db: deps.db, now: deps.now, prefix: "photos/", accept: ["jpeg", "png"],
 *     maxFileBytes: deps.config.MAX_UPLOAD_BYTES, maxFiles: 10, waitUntil: deps.waitUntil,
 *   });
 *   try {
 *     // validate upload.fields; write the row(s) referencing upload.files in ONE batch that
 *     // also runs upload.release() (the files stop being pending exactly when the row commits)
 *   } catch (err) { await upload.discard(); throw err; }
 *
 * Platform rules this follows:
 * - 128 MB per isolate: each file passes through two part buffers of PART_BYTES (5 MiB) on its
 *   way to R2, one filling while the other's part is sent, so memory stays about two parts
 *   whatever the file size and R2's writes overlap the body's arrival. Files that fit in one
 *   part are stored with one `put` (with its SHA-256, which R2 verifies); larger ones with an R2
 *   multipart upload, whose parts must all be the same size (at least 5 MiB) except the last.
 * - The buffers stay small (at most SMALL_BUFFER_BYTES, 1 MiB) until a file needs more; then the
 *   request first takes a slot of the isolate's pool (`uploadMemory`, ./memory.ts: at most
 *   MAX_LARGE_UPLOADS requests hold full-size buffers at once). Without a free slot it waits,
 *   its body unread, then fails with a 503 and Retry-After. The slot is released when the
 *   receive ends, however it ends.
 * - The caps are checked on bytes as they arrive (per file, per kind, on the whole body, and on
 *   the number of file parts, empty ones included), so an oversized or endless body is refused
 *   without being read to its end.
 * - A file's kind is judged by its bytes (magic numbers; text must be valid UTF-8 without NULs
 *   from first byte to last), never by its name or declared Content-Type.
 * - Every stored file is pending (src/lib/files.ts) from before its first byte reaches R2 until
 *   the batch that writes its row runs `release()`; its heartbeat is renewed with each part. A
 *   request killed outright (CPU limit, crash) leaves pending records, and the hourly sweep
 *   deletes those files once the lease has passed. Pending files are not served (`isPending`).
 * - Any failure part-way deletes what this request stored (through the file outbox) and aborts
 *   its multipart upload before the error is thrown. A client that disconnects cancels the
 *   request, so pass `waitUntil`: the clean-up (and the release of a pool slot) then runs to its
 *   end after the disconnect.
 */
import type { SQL } from "drizzle-orm";
import type { Db } from "../../db/client";
import { toHex } from "../encoding";
import { AppError } from "../errors";
import { deleteFiles, holdFiles, MAX_KEYS_PER_STATEMENT, releaseFiles } from "../files";
import { describeError, log } from "../logging";
import { actorOf, type Principal } from "../principal";
import { type ChunkReader, chunkReader } from "../streams";
import { malformed, tooLarge, unsupported, uploadStalled, uploadTooSlow } from "./errors";
import { KIND_INFO, SNIFF_BYTES, sanitizeFilename, sniffKind, type UploadKind } from "./kinds";
import { admitUpload, type UploadSlot, uploadMemory } from "./memory";
import { boundaryOf, concat, decodeUtf8, MAX_PART_HEADER_BYTES, MultipartReader, partOf } from "./multipart";

/**
 * A request's upload, as a service receives it: the body stream and the headers that describe it
 * (`Content-Type` with its boundary, `Content-Length`), not the Request, and who sends it (the
 * per-sender cap, `uploadSenders`). Tests build one from bytes without an HTTP layer.
 */
export interface IncomingUpload {
  readonly headers: { get(name: string): string | null };
  readonly body: ReadableStream<Uint8Array> | null;
  /** Who sends it: `user:<id>` (an API key counts for its creator). */
  readonly sender: string;
}

/** Who an upload counts against: the acting user (an API key counts for its creator). */
export const uploadSender = (principal: Principal): string => `user:${actorOf(principal).userId}`;

/** The upload in a request, sent by `principal` (the route's part: `incomingUpload(c.req.raw, principalOf(c))`). */
export function incomingUpload(request: Request, principal: Principal): IncomingUpload {
  if (request.bodyUsed) throw new Error("incomingUpload(): the request body was already read (was it hashed for idempotency?)");
  const headers = new Headers();
  for (const name of ["content-type", "content-length"]) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  return { headers, body: request.body, sender: uploadSender(principal) };
}

/** R2 multipart part size: the minimum R2 allows, and the memory one file in flight costs. */
export const PART_BYTES = 5 * 1024 * 1024;
/** A part buffer grows past this (straight to PART_BYTES) only with a slot of `uploadMemory`. */
export const SMALL_BUFFER_BYTES = 1024 * 1024;
/** One outbox statement must be able to release or discard a whole request's files. */
const MAX_FILES_LIMIT = MAX_KEYS_PER_STATEMENT;

/** A tighter cap for one kind (e.g. STEP files the converter can take), checked while streaming. */
export interface KindLimit {
  maxBytes: number;
  /** The error past it (default: a 413 naming the cap). */
  error?: (path: string, maxBytes: number) => AppError;
}

export interface ReceiveUploadOptions {
  bucket: R2Bucket;
  /** The database holding the file outbox: stored files are pending there until their row commits. */
  db: Db;
  now: () => Date;
  /** Key prefix, e.g. `photos/` (letters, digits, `_`, `-`, ending in `/`; or empty). */
  prefix: string;
  /** The kinds this route takes; any other file is a 415 and nothing is kept. */
  accept: readonly UploadKind[];
  /** Largest file, in bytes (413 past it). */
  maxFileBytes: number;
  /** Most file parts in one request, empty ones included (413 past it; at most 45). */
  maxFiles: number;
  /** Caps for some kinds below `maxFileBytes`. */
  kindLimits?: Partial<Record<UploadKind, KindLimit>>;
  /** Field names that may carry files; a file in any other field is a 422. Default: any. */
  fileFields?: readonly string[];
  /** Most text fields (default 50). */
  maxFields?: number;
  /** Largest text field, in bytes (default 8 KiB). */
  maxFieldBytes?: number;
  /** All text fields together, in bytes (default 64 KiB). */
  maxFieldsBytes?: number;
  /**
   * Largest body, in bytes, Content-Length or counted (default: `maxFiles` full files plus the
   * text fields and part headers).
   */
  maxBodyBytes?: number;
  /**
   * `c.executionCtx.waitUntil`: lets the clean-up after a failure, and the release of the
   * request's slot of the upload pool, outlive a client disconnect.
   */
  waitUntil?: (promise: Promise<unknown>) => void;
  /** Progress deadline of the body, in ms (default UPLOAD_STALL_MS; tests shorten it). */
  stallMs?: number;
  /** Longest a receive may take from its admission, in ms (default UPLOAD_MAX_MS; tests shorten it). */
  maxReceiveMs?: number;
  /** Adds the milliseconds of each stage here (for a route's stage log; see UploadTimings). */
  timings?: UploadTimings;
}

/**
 * Where receiving an upload spends its time, in milliseconds, summed over the body: waiting for
 * the body's bytes (`readMs`), the SHA-256 (`hashMs`), the kind and UTF-8 checks (`checkMs`),
 * waiting on R2 (`storeMs`: for the part in flight, the single put, completing; a part is sent
 * while the next fills, so its time is counted only when the receive waits for it), the
 * pending records (`holdMs`) and the admission and a slot of the isolate's large-upload pool (`slotMs`).
 * The rest of the receive is the multipart parse and the copies into the part buffer. `reads`
 * counts the body's reads.
 */
export interface UploadTimings {
  reads: number;
  readMs: number;
  hashMs: number;
  checkMs: number;
  storeMs: number;
  holdMs: number;
  slotMs: number;
}

/** Fresh counters for `ReceiveUploadOptions.timings`. */
export const uploadTimings = (): UploadTimings => ({ reads: 0, readMs: 0, hashMs: 0, checkMs: 0, storeMs: 0, holdMs: 0, slotMs: 0 });

/** One stored file. */
export interface UploadedFile {
  /** The form field it came in. */
  field: string;
  /** The client's file name, sanitised (no path, no control characters, bounded length). */
  filename: string;
  /** Its R2 key: the prefix, a random UUID and the kind's extension. */
  key: string;
  size: number;
  kind: UploadKind;
  /** The MIME type of the detected kind (also the stored object's Content-Type). */
  contentType: string;
  /** SHA-256 of the bytes, lower-case hex. */
  sha256: string;
}

export interface ReceivedUpload {
  /** Files in the order they arrived. */
  files: UploadedFile[];
  /** Text fields: a string each, or an array when a name repeats. Validate with zod. */
  fields: Record<string, string | string[]>;
  /** Deletes every stored file (through the file outbox): call it when a later step fails. */
  discard(): Promise<void>;
  /**
   * The statement that ends the files' pending state: run it in the batch that writes the row
   * referencing them (`when`: only if that row exists). Undefined when no file was stored.
   */
  release(when?: SQL): ReturnType<typeof releaseFiles> | undefined;
}

/**
 * Receives a multipart/form-data request: streams each file to `bucket` under a random key,
 * collects the text fields, and returns both. On any failure nothing this request stored is left
 * behind, and the error is an AppError: 415 (not multipart, or a file of a kind not accepted),
 * 413 (a size or count cap), 400 (malformed multipart, or the client went away), 422 (a file in
 * a field not listed in `fileFields`, an empty file), 503 (a large file and no slot of the
 * isolate's upload pool within its wait).
 */
export async function receiveUpload(upload: IncomingUpload, options: ReceiveUploadOptions): Promise<ReceivedUpload> {
  const limits = checkOptions(options);
  const boundary = boundaryOf(upload.headers.get("content-type"));
  const declared = upload.headers.get("content-length");
  if (declared !== null && /^\d{1,16}$/.test(declared.trim()) && Number(declared) > limits.maxBodyBytes) {
    throw tooLarge("body", `Request body exceeds ${limits.maxBodyBytes} bytes`);
  }
  if (upload.body === null) throw malformed("the body is empty");
  if (upload.body.locked) throw new Error("receiveUpload(): the body is already being read");

  // The sender's place, then admission (`admitUpload`): both go back when the receive ends (`run`).
  const t0 = performance.now();
  let admission: UploadSlot;
  try {
    admission = await admitUpload(upload.sender, options.waitUntil);
  } finally {
    if (options.timings) options.timings.slotMs += performance.now() - t0;
  }
  // 64 KiB reads where the body is a byte stream (a request body is): see lib/streams.ts.
  let reader: ChunkReader;
  try {
    reader = chunkReader(upload.body);
  } catch (err) {
    admission.release();
    throw err;
  }
  const stored: Stored = { keys: [], inflight: undefined, sending: undefined };
  const buffers: PartBuffers = { filling: new PartBuffer(), spare: new PartBuffer(), slot: undefined };
  const body = progressReader(timedReader(reader, options.timings), options.stallMs ?? UPLOAD_STALL_MS, Date.now() + (options.maxReceiveMs ?? UPLOAD_MAX_MS));
  const run = async () => {
    try {
      return await readForm(new MultipartReader(body, boundary, limits.maxBodyBytes), options, limits, stored, buffers);
    } catch (err) {
      // The buffers are free (readForm let the last part settle): the clean-up needs no admission.
      admission.release();
      await reader.cancel().catch(() => undefined);
      await removeStored(options, stored);
      throw err;
    } finally {
      // However the receive ends; a second release does nothing.
      admission.release();
    }
  };
  const outcome = run();
  options.waitUntil?.(
    outcome.then(
      () => undefined,
      () => undefined,
    ),
  );
  const { files, fields } = await outcome;
  await reader.cancel().catch(() => undefined);
  const keys = files.map((f) => f.key);
  return {
    files,
    fields,
    discard: () => removeStored(options, { keys: [...keys], inflight: undefined, sending: undefined }),
    release: (when) => (keys.length === 0 ? undefined : releaseFiles(options.db, keys, when)),
  };
}

/**
 * The window (ms) in which a body must bring SLOT_PROGRESS_BYTES, or the upload is refused (400).
 * A client that stalls, or trickles a byte at a time, cannot keep its admission or a slot of the
 * large-upload pool (and the memory they stand for) from everyone else.
 */
export const UPLOAD_STALL_MS = 30_000;
/** Bytes an upload must send per UPLOAD_STALL_MS of waiting on it (64 KiB: ~2 KB/s; slower would take an hour per 8 MiB). */
export const SLOT_PROGRESS_BYTES = 64 * 1024;
/**
 * The longest one receive may hold its admission, however steadily it trickles (ms): without it a
 * body bringing 64 KiB per 30 s holds one for maxBodyBytes / 64 KiB x 30 s (6.7 h for 50 MiB), and
 * 12 such bodies (~26 KB/s in all) close an isolate's uploads. 20 min: 50 MiB at ~45 KB/s.
 */
export const UPLOAD_MAX_MS = 20 * 60_000;

/**
 * `reader` with a progress deadline: every `stallMs` spent waiting on the client (time in
 * `read()`, not the server's own work or its wait for a pool slot) must bring at least
 * SLOT_PROGRESS_BYTES, and no read may end after `endsAt`; otherwise the pending read fails with
 * a 400 (`uploadStalled`, `uploadTooSlow`; `what` opens its message). Every receive holds an
 * admission (and a large one a pool slot), so none may keep it by trickling. The legacy-file
 * upload (src/modules/bridge/upload.ts) reads its body through it too.
 */
export function progressReader(
  reader: Pick<ReadableStreamDefaultReader<Uint8Array>, "read">,
  stallMs: number,
  endsAt: number,
  what?: string,
): Pick<ReadableStreamDefaultReader<Uint8Array>, "read"> {
  const maxMs = endsAt - Date.now();
  /** Time waited on the client in this window, and bytes it brought. */
  let waited = 0;
  let bytes = 0;
  /** Ends the window once it has lasted `stallMs`: false when it brought too little. */
  const windowOk = (): boolean => {
    if (waited < stallMs) return true;
    if (bytes < SLOT_PROGRESS_BYTES) return false;
    waited = 0;
    bytes = 0;
    return true;
  };
  return {
    read: async () => {
      let started = Date.now();
      let timer: ReturnType<typeof setTimeout> | undefined;
      let overall: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<never>((_, reject) => {
        overall = setTimeout(() => reject(uploadTooSlow(maxMs, what)), Math.max(0, endsAt - Date.now()));
        const check = () => {
          waited += Date.now() - started;
          started = Date.now();
          if (!windowOk()) reject(uploadStalled(stallMs, what));
          else timer = setTimeout(check, stallMs - waited);
        };
        timer = setTimeout(check, Math.max(0, stallMs - waited));
      });
      try {
        const result = await Promise.race([reader.read(), deadline]);
        waited += Date.now() - started;
        if (!result.done) bytes += result.value.byteLength;
        if (!windowOk()) throw uploadStalled(stallMs, what);
        if (!result.done && Date.now() >= endsAt) throw uploadTooSlow(maxMs, what);
        return result;
      } finally {
        clearTimeout(timer);
        clearTimeout(overall);
      }
    },
  };
}

/** The body's reader, adding its waits to `timings.readMs` when timings are asked for. */
function timedReader(
  reader: Pick<ReadableStreamDefaultReader<Uint8Array>, "read">,
  timings: UploadTimings | undefined,
): Pick<ReadableStreamDefaultReader<Uint8Array>, "read"> {
  if (!timings) return reader;
  return {
    read: async () => {
      const t0 = performance.now();
      try {
        return await reader.read();
      } finally {
        timings.reads++;
        timings.readMs += performance.now() - t0;
      }
    },
  };
}

interface Limits {
  maxFields: number;
  maxFieldBytes: number;
  maxFieldsBytes: number;
  maxBodyBytes: number;
}

interface Stored {
  /** Keys written or being written (deleting a key that does not exist is harmless). */
  keys: string[];
  inflight: R2MultipartUpload | undefined;
  /** The part being sent to `inflight`, if one is: settled before the upload is aborted. */
  sending: Promise<unknown> | undefined;
}

function checkOptions(options: ReceiveUploadOptions): Limits {
  const positive = (n: number) => Number.isSafeInteger(n) && n > 0;
  if (!/^(?:[A-Za-z0-9_-]+\/){0,8}$/.test(options.prefix) || options.prefix.length > 128) {
    throw new Error(`receiveUpload(): bad prefix ${JSON.stringify(options.prefix)}`);
  }
  if (options.accept.length === 0) throw new Error("receiveUpload(): accept lists no kind");
  if (!positive(options.maxFileBytes) || !positive(options.maxFiles) || options.maxFiles > MAX_FILES_LIMIT) {
    throw new Error(`receiveUpload(): maxFileBytes and maxFiles (≤ ${MAX_FILES_LIMIT}) must be positive integers`);
  }
  const maxFields = options.maxFields ?? 50;
  const maxFieldBytes = options.maxFieldBytes ?? 8 * 1024;
  const maxFieldsBytes = options.maxFieldsBytes ?? 64 * 1024;
  const partOverhead = MAX_PART_HEADER_BYTES + 2 * 80;
  const maxBodyBytes = options.maxBodyBytes ?? options.maxFiles * options.maxFileBytes + maxFieldsBytes + (options.maxFiles + maxFields + 1) * partOverhead;
  if (![maxFields, maxFieldBytes, maxFieldsBytes, maxBodyBytes].every(positive)) throw new Error("receiveUpload(): limits must be positive integers");
  return { maxFields, maxFieldBytes, maxFieldsBytes, maxBodyBytes };
}

async function removeStored(options: Pick<ReceiveUploadOptions, "bucket" | "db">, stored: Stored): Promise<void> {
  const inflight = stored.inflight;
  stored.inflight = undefined;
  // No abort under a part still being written: let it land (or fail) first.
  await stored.sending?.catch(() => undefined);
  stored.sending = undefined;
  const keys = stored.keys.splice(0);
  await Promise.all([
    inflight?.abort().catch((err: unknown) => log("warn", "upload clean-up: abort failed", { key: inflight.key, ...describeError(err) })),
    // Through the outbox: if this fails too, the pending records still get the files swept.
    keys.length > 0
      ? deleteFiles({ db: options.db, files: options.bucket }, keys).catch((err: unknown) =>
          log("warn", "upload clean-up: delete failed", { keys, ...describeError(err) }),
        )
      : undefined,
  ]);
}

// ---------------------------------------------------------------------------------------------
// The form: parts in order, files to R2, fields collected.

async function readForm(
  body: MultipartReader,
  options: ReceiveUploadOptions,
  limits: Limits,
  stored: Stored,
  buffers: PartBuffers,
): Promise<{ files: UploadedFile[]; fields: Record<string, string | string[]> }> {
  try {
    return await readParts(body, options, limits, stored, buffers);
  } finally {
    // The part last sent references its buffer until R2 has it (or refused it): only then is
    // the memory the slot stands for free. The slot is released here once, however the receive ends.
    await stored.sending?.catch(() => undefined);
    buffers.slot?.release();
    buffers.slot = undefined;
  }
}

async function readParts(
  body: MultipartReader,
  options: ReceiveUploadOptions,
  limits: Limits,
  stored: Stored,
  buffers: PartBuffers,
): Promise<{ files: UploadedFile[]; fields: Record<string, string | string[]> }> {
  const files: UploadedFile[] = [];
  const fields: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  let fieldCount = 0;
  let fieldBytes = 0;
  let fileParts = 0;

  await body.readBody(() => undefined); // the preamble, ignored
  while ((await body.afterDelimiter()) === "part") {
    const part = partOf(await body.readHeaders());
    if (part.filename === undefined) {
      if (++fieldCount > limits.maxFields) throw tooLarge("body", `At most ${limits.maxFields} text fields are accepted`);
      const path = `body.${part.name}`;
      const chunks: Uint8Array[] = [];
      let size = 0;
      await body.readBody((bytes) => {
        size += bytes.length;
        fieldBytes += bytes.length;
        if (size > limits.maxFieldBytes) throw tooLarge(path, `Field '${part.name}' exceeds ${limits.maxFieldBytes} bytes`);
        if (fieldBytes > limits.maxFieldsBytes) throw tooLarge(path, `Text fields exceed ${limits.maxFieldsBytes} bytes in total`);
        chunks.push(bytes.slice());
      });
      const value = decodeUtf8(concat(chunks), () => malformed(`field '${part.name}' is not valid UTF-8`));
      const previous = fields[part.name];
      fields[part.name] = previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [previous, value];
      continue;
    }
    const path = `body.${part.name}`;
    if (options.fileFields && !options.fileFields.includes(part.name)) {
      throw new AppError("VALIDATION_ERROR", `Field '${part.name}' does not take files`, {
        details: [{ path, message: "does not take files", code: "unexpected_file" }],
      });
    }
    // Every file part counts, an empty one (a file input left empty) too: each costs parsing.
    if (++fileParts > options.maxFiles) throw tooLarge(path, `At most ${options.maxFiles} files are accepted`);
    const filename = sanitizeFilename(part.filename);
    const sink = new FileSink(options, stored, buffers, path, filename);
    await body.readBody((bytes) => sink.write(bytes));
    if (sink.size === 0) {
      if (part.filename === "") continue;
      throw new AppError("VALIDATION_ERROR", `File '${filename}' is empty`, { details: [{ path, message: "file is empty", code: "empty_file" }] });
    }
    files.push({ field: part.name, filename, ...(await sink.finish()) });
  }
  return { files, fields };
}

/**
 * Passes a file's bytes to R2 as they arrive: hashes them, judges the kind from the first
 * bytes, and fills the request's part buffers: each full part is sent while the other buffer
 * fills, and the part before it has reached R2 before a buffer is refilled.
 */
class FileSink {
  size = 0;
  private readonly head = new Uint8Array(SNIFF_BYTES);
  private headLength = 0;
  private kind: UploadKind | undefined;
  private contentType = "";
  private text: TextCheck | undefined;
  private readonly digest = new crypto.DigestStream("SHA-256");
  private readonly hashWriter = this.digest.getWriter();
  private key: string | undefined;
  private upload: R2MultipartUpload | undefined;
  private readonly parts: R2UploadedPart[] = [];
  /** The part being sent (resolved when none is), and whether one is. */
  private sending: Promise<void> = Promise.resolve();
  private partsSending = 0;

  constructor(
    private readonly options: ReceiveUploadOptions,
    private readonly stored: Stored,
    private readonly buffers: PartBuffers,
    private readonly path: string,
    private readonly filename: string,
  ) {}

  async write(bytes: Uint8Array): Promise<void> {
    this.size += bytes.length;
    if (this.size > this.options.maxFileBytes) {
      throw tooLarge(this.path, `File '${this.filename}' exceeds ${this.options.maxFileBytes} bytes`);
    }
    const t0 = performance.now();
    await this.hashWriter.write(bytes);
    const t1 = performance.now();
    let rest = bytes;
    if (this.kind === undefined) {
      const take = Math.min(SNIFF_BYTES - this.headLength, bytes.length);
      this.head.set(bytes.subarray(0, take), this.headLength);
      this.headLength += take;
      rest = bytes.subarray(take);
      if (this.headLength === SNIFF_BYTES) this.decide();
    }
    this.checkKindLimit();
    if (this.text && rest.length > 0 && !this.text.feed(rest)) throw this.notText();
    const timings = this.options.timings;
    if (timings) {
      timings.hashMs += t1 - t0;
      timings.checkMs += performance.now() - t1;
    }
    // SNIFF_BYTES < PART_BYTES: the kind is known before the first part leaves.
    let pending = bytes;
    while (pending.length > 0) {
      if (this.buffers.filling.full) await this.sendPart();
      if (this.buffers.slot === undefined && this.buffers.filling.growsLarge(pending.length)) await this.takeSlot();
      pending = pending.subarray(this.buffers.filling.append(pending, this.buffers.slot !== undefined));
    }
  }

  async finish(): Promise<Omit<UploadedFile, "field" | "filename">> {
    if (this.kind === undefined) this.decide();
    this.checkKindLimit();
    if (this.text && !this.text.end()) throw this.notText();
    await this.hashWriter.close();
    const sha256 = toHex(new Uint8Array(await this.digest.digest));
    const kind = this.kind as UploadKind;
    const key = this.keyOf(kind);
    if (this.upload === undefined) {
      await this.hold(key);
      const bytes = this.buffers.filling.bytes();
      await this.store(() => this.options.bucket.put(key, bytes, { httpMetadata: { contentType: this.contentType }, sha256 }));
    } else {
      if (this.buffers.filling.length > 0) await this.sendPart();
      await this.store(() => this.sending);
      const upload = this.upload;
      await this.store(() => upload.complete(this.parts));
      this.stored.inflight = undefined;
    }
    this.buffers.filling.clear();
    return { key, size: this.size, kind, contentType: this.contentType, sha256 };
  }

  /**
   * A slot of the isolate's pool before the buffers grow to full parts; waits (the body unread)
   * or throws the pool's 503. Released by readForm when the receive ends.
   */
  private async takeSlot(): Promise<void> {
    const t0 = performance.now();
    try {
      this.buffers.slot = await uploadMemory.acquire();
    } finally {
      if (this.options.timings) this.options.timings.slotMs += performance.now() - t0;
    }
  }

  /** An R2 call, its time added to `timings.storeMs`. */
  private async store<T>(write: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await write();
    } finally {
      if (this.options.timings) this.options.timings.storeMs += performance.now() - t0;
    }
  }

  private keyOf(kind: UploadKind): string {
    this.key ??= `${this.options.prefix}${crypto.randomUUID()}.${KIND_INFO[kind].extension}`;
    return this.key;
  }

  /** A tighter cap for this kind (`kindLimits`), checked as bytes arrive. */
  private checkKindLimit(): void {
    const limit = this.kind === undefined ? undefined : this.options.kindLimits?.[this.kind];
    if (limit === undefined || this.size <= limit.maxBytes) return;
    throw (
      limit.error?.(this.path, limit.maxBytes) ??
      tooLarge(this.path, `File '${this.filename}' exceeds ${limit.maxBytes} bytes for ${this.kind?.toUpperCase()} files`)
    );
  }

  /**
   * Records the key as pending (src/lib/files.ts) before bytes reach R2, or renews its heartbeat:
   * a writer that dies leaves the record, and the sweep deletes the file.
   */
  private async hold(key: string): Promise<void> {
    if (!this.stored.keys.includes(key)) this.stored.keys.push(key);
    const t0 = performance.now();
    await holdFiles(this.options.db, [key], this.options.now());
    if (this.options.timings) this.options.timings.holdMs += performance.now() - t0;
  }

  private async sendPart(): Promise<void> {
    // Held (first part) or renewed (each later part) before the part goes out.
    await this.hold(this.keyOf(this.kind as UploadKind));
    if (this.upload === undefined) {
      this.upload = await this.store(() =>
        this.options.bucket.createMultipartUpload(this.keyOf(this.kind as UploadKind), { httpMetadata: { contentType: this.contentType } }),
      );
      this.stored.inflight = this.upload;
    }
    // The part before this one has reached R2 (its buffer is free) before this one goes out, and
    // the buffers swap: this part is sent from the full one while the other fills. Parts are
    // numbered and listed in order: one at a time is in flight.
    await this.store(() => this.sending);
    const full = this.buffers.filling;
    this.buffers.filling = this.buffers.spare;
    this.buffers.spare = full;
    const upload = this.upload;
    const number = this.parts.length + this.partsSending + 1;
    this.partsSending = 1;
    this.sending = upload.uploadPart(number, full.bytes()).then((part) => {
      this.parts.push(part);
      this.partsSending = 0;
      full.clear();
    });
    // Awaited before the next part, at the end, or by the clean-up before it aborts the upload: not unhandled meanwhile.
    this.sending.catch(() => undefined);
    this.stored.sending = this.sending;
  }

  private decide(): void {
    const head = this.head.subarray(0, this.headLength);
    const accept = this.options.accept;
    const sniffed = sniffKind(head);
    if (sniffed !== undefined) {
      if (!accept.includes(sniffed.kind)) throw this.refused(`is ${sniffed.kind.toUpperCase()}`);
      this.kind = sniffed.kind;
      this.contentType = sniffed.contentType;
      return;
    }
    const wantsText = accept.includes("text");
    const wantsCsv = accept.includes("csv");
    const text = new TextCheck();
    if (!text.feed(head)) throw this.refused("is of an unrecognised type");
    if (!wantsText && !wantsCsv) throw this.refused("is text");
    this.text = text;
    this.kind = wantsCsv && (!wantsText || /\.csv$/i.test(this.filename)) ? "csv" : "text";
    this.contentType = KIND_INFO[this.kind].contentType;
  }

  private refused(what: string): AppError {
    const accepted = this.options.accept.join(", ");
    return unsupported(this.path, `File '${this.filename}' ${what}; accepted here: ${accepted}`);
  }

  private notText(): AppError {
    return this.options.accept.includes("text") || this.options.accept.includes("csv")
      ? unsupported(this.path, `File '${this.filename}' is not UTF-8 text; accepted here: ${this.options.accept.join(", ")}`)
      : this.refused("is of an unrecognised type");
  }
}

/**
 * A request's two part buffers: the one being filled and the one whose part is in flight (or
 * free), and the pool slot that lets them grow past SMALL_BUFFER_BYTES (both of them: one slot).
 */
interface PartBuffers {
  filling: PartBuffer;
  spare: PartBuffer;
  slot: UploadSlot | undefined;
}

/** One reusable part-sized buffer; it grows only as far as the files need (at most PART_BYTES). */
class PartBuffer {
  private data = new Uint8Array(64 * 1024);
  length = 0;

  get full(): boolean {
    return this.length === PART_BYTES;
  }

  /** The size appending `n` more bytes makes the buffer (its current size if they fit). */
  private sizeFor(n: number): number {
    const end = this.length + Math.min(n, PART_BYTES - this.length);
    if (end <= this.data.length) return this.data.length;
    // Doubling while small; past SMALL_BUFFER_BYTES straight to a full part, so no 4 + 5 MiB copy.
    const wanted = Math.max(end, this.data.length * 2);
    return wanted > SMALL_BUFFER_BYTES ? PART_BYTES : wanted;
  }

  /** Whether appending `n` more bytes grows the buffer past SMALL_BUFFER_BYTES (it needs a pool slot). */
  growsLarge(n: number): boolean {
    return this.data.length <= SMALL_BUFFER_BYTES && this.sizeFor(n) > SMALL_BUFFER_BYTES;
  }

  /** Copies as much of `bytes` as fits; returns how many. Grows past SMALL_BUFFER_BYTES only with `large`. */
  append(bytes: Uint8Array, large: boolean): number {
    const n = Math.min(bytes.length, PART_BYTES - this.length);
    const size = this.sizeFor(n);
    if (size !== this.data.length) {
      if (size > SMALL_BUFFER_BYTES && !large) throw new Error("PartBuffer: growing to a full part without a slot of the upload pool");
      const grown = new Uint8Array(size);
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.set(bytes.subarray(0, n), this.length);
    this.length += n;
    return n;
  }

  bytes(): Uint8Array {
    return this.data.subarray(0, this.length);
  }

  clear(): void {
    this.length = 0;
  }
}

/** Streaming check that bytes are UTF-8 text: valid sequences, no NUL. */
class TextCheck {
  private readonly decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

  feed(bytes: Uint8Array): boolean {
    if (bytes.includes(0)) return false;
    try {
      this.decoder.decode(bytes, { stream: true });
      return true;
    } catch {
      return false;
    }
  }

  end(): boolean {
    try {
      this.decoder.decode();
      return true;
    } catch {
      return false;
    }
  }
}
