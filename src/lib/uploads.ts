/**
 * Uploads that stream: a multipart/form-data body goes to R2 as it arrives, never held whole.
 *
 *   route({ access: "issue-reports:write", summary: "…", tags: ["issue-reports"], bodyLimit: "upload" }),
 *   async (c) => {
 *     const upload = await receiveUpload(c.req.raw, {
 *       bucket: c.env.FILES, prefix: "photos/", accept: ["jpeg", "png", "heic"],
 *       maxFileBytes: getConfig(c.env).MAX_UPLOAD_BYTES, maxFiles: 10,
 *       waitUntil: (p) => c.executionCtx.waitUntil(p),
 *     });
 *     const fields = Fields.safeParse(upload.fields);
 *     if (!fields.success) { await upload.discard(); throw … }
 *     …store upload.files (key, size, kind, sha256) in D1; on failure `await upload.discard()`
 *   }
 *
 * Platform rules this follows:
 * - 128 MB per isolate: each file passes through one part buffer of PART_BYTES (5 MiB) on its
 *   way to R2, so memory stays about one part whatever the file size. Files that fit in one
 *   part are stored with one `put` (with its SHA-256, which R2 verifies); larger ones with an R2
 *   multipart upload, whose parts must all be the same size (at least 5 MiB) except the last.
 * - The cap is checked on bytes as they arrive (per file, and on the whole body), so an
 *   oversized or endless body is refused without being read to its end.
 * - A file's kind is judged by its bytes (magic numbers; text must be valid UTF-8 without NULs
 *   from first byte to last), never by its name or declared Content-Type.
 * - Any failure part-way deletes what this request stored and aborts its multipart upload before
 *   the error is thrown. A client that disconnects cancels the request, so pass `waitUntil`:
 *   the clean-up then runs to its end after the disconnect. (A request killed outright, e.g. by
 *   the CPU limit, cannot clean up; R2 aborts unfinished multipart uploads after 7 days.)
 */
import { toHex } from "./encoding";
import { AppError } from "./errors";
import { describeError, log } from "./logging";

/** The file kinds an upload may accept, judged by content. */
export type UploadKind = "jpeg" | "png" | "gif" | "webp" | "heic" | "pdf" | "step" | "text" | "csv";

const KIND_INFO: Record<UploadKind, { contentType: string; extension: string }> = {
  jpeg: { contentType: "image/jpeg", extension: "jpg" },
  png: { contentType: "image/png", extension: "png" },
  gif: { contentType: "image/gif", extension: "gif" },
  webp: { contentType: "image/webp", extension: "webp" },
  heic: { contentType: "image/heic", extension: "heic" },
  pdf: { contentType: "application/pdf", extension: "pdf" },
  step: { contentType: "model/step", extension: "step" },
  text: { contentType: "text/plain; charset=utf-8", extension: "txt" },
  csv: { contentType: "text/csv; charset=utf-8", extension: "csv" },
};

/** R2 multipart part size: the minimum R2 allows, and the memory one file in flight costs. */
export const PART_BYTES = 5 * 1024 * 1024;
/** Bytes of a file read before its kind is decided (enough for an ftyp box or a STEP header). */
const SNIFF_BYTES = 512;
const MAX_PART_HEADER_BYTES = 8 * 1024;
const MAX_FIELD_NAME_LENGTH = 200;
/** Longest file name kept (Unicode code points); longer names keep their extension. */
export const MAX_FILENAME_LENGTH = 200;
const MAX_CONTENT_TYPE_LENGTH = 1024;
/** R2 deletes at most 1000 keys per call; one call must be able to clean up a whole request. */
const MAX_FILES_LIMIT = 1000;

export interface ReceiveUploadOptions {
  bucket: R2Bucket;
  /** Key prefix, e.g. `photos/` (letters, digits, `_`, `-`, ending in `/`; or empty). */
  prefix: string;
  /** The kinds this route takes; any other file is a 415 and nothing is kept. */
  accept: readonly UploadKind[];
  /** Largest file, in bytes (413 past it). */
  maxFileBytes: number;
  /** Most files in one request (413 past it; at most 1000). */
  maxFiles: number;
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
  /** `c.executionCtx.waitUntil`: lets the clean-up after a failure outlive a client disconnect. */
  waitUntil?: (promise: Promise<unknown>) => void;
}

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
  /** Deletes every stored file: call it when a later step (validation, D1) fails. */
  discard(): Promise<void>;
}

const CR = 13;
const LF = 10;
const CRLF = new Uint8Array([CR, LF]);
const encoder = new TextEncoder();

const malformed = (message: string) =>
  new AppError("BAD_REQUEST", `Malformed multipart body: ${message}`, { details: [{ path: "body", message, code: "malformed_multipart" }] });
const tooLarge = (path: string, message: string) => new AppError("PAYLOAD_TOO_LARGE", message, { details: [{ path, message, code: "too_large" }] });
const unsupported = (path: string, message: string) =>
  new AppError("UNSUPPORTED_MEDIA_TYPE", message, { details: [{ path, message, code: "unsupported_type" }] });

/**
 * Receives a multipart/form-data request: streams each file to `bucket` under a random key,
 * collects the text fields, and returns both. On any failure nothing this request stored is left
 * behind, and the error is an AppError: 415 (not multipart, or a file of a kind not accepted),
 * 413 (a size or count cap), 400 (malformed multipart, or the client went away), 422 (a file in
 * a field not listed in `fileFields`, an empty file).
 */
export async function receiveUpload(request: Request, options: ReceiveUploadOptions): Promise<ReceivedUpload> {
  const limits = checkOptions(options);
  const boundary = boundaryOf(request.headers.get("content-type"));
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d{1,16}$/.test(declared.trim()) && Number(declared) > limits.maxBodyBytes) {
    throw tooLarge("body", `Request body exceeds ${limits.maxBodyBytes} bytes`);
  }
  if (request.bodyUsed) throw new Error("receiveUpload(): the request body was already read (was it hashed for idempotency?)");
  if (request.body === null) throw malformed("the body is empty");

  const reader = request.body.getReader();
  const stored: Stored = { keys: [], inflight: undefined };
  const run = async () => {
    try {
      return await readForm(new MultipartReader(reader, boundary, limits.maxBodyBytes), options, limits, stored);
    } catch (err) {
      await reader.cancel().catch(() => undefined);
      await removeStored(options.bucket, stored);
      throw err;
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
  return { files, fields, discard: () => removeStored(options.bucket, { keys: files.map((f) => f.key), inflight: undefined }) };
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
}

function checkOptions(options: ReceiveUploadOptions): Limits {
  const positive = (n: number) => Number.isSafeInteger(n) && n > 0;
  if (!/^(?:[A-Za-z0-9_-]+\/){0,8}$/.test(options.prefix) || options.prefix.length > 128) {
    throw new Error(`receiveUpload(): bad prefix ${JSON.stringify(options.prefix)}`);
  }
  if (options.accept.length === 0) throw new Error("receiveUpload(): accept lists no kind");
  if (!positive(options.maxFileBytes) || !positive(options.maxFiles) || options.maxFiles > MAX_FILES_LIMIT) {
    throw new Error("receiveUpload(): maxFileBytes and maxFiles (≤ 1000) must be positive integers");
  }
  const maxFields = options.maxFields ?? 50;
  const maxFieldBytes = options.maxFieldBytes ?? 8 * 1024;
  const maxFieldsBytes = options.maxFieldsBytes ?? 64 * 1024;
  const partOverhead = MAX_PART_HEADER_BYTES + 2 * 80;
  const maxBodyBytes = options.maxBodyBytes ?? options.maxFiles * options.maxFileBytes + maxFieldsBytes + (options.maxFiles + maxFields + 1) * partOverhead;
  if (![maxFields, maxFieldBytes, maxFieldsBytes, maxBodyBytes].every(positive)) throw new Error("receiveUpload(): limits must be positive integers");
  return { maxFields, maxFieldBytes, maxFieldsBytes, maxBodyBytes };
}

async function removeStored(bucket: R2Bucket, stored: Stored): Promise<void> {
  const inflight = stored.inflight;
  stored.inflight = undefined;
  const keys = stored.keys.splice(0);
  await Promise.all([
    inflight?.abort().catch((err: unknown) => log("warn", "upload clean-up: abort failed", { key: inflight.key, ...describeError(err) })),
    keys.length > 0 ? bucket.delete(keys).catch((err: unknown) => log("warn", "upload clean-up: delete failed", { keys, ...describeError(err) })) : undefined,
  ]);
}

// ---------------------------------------------------------------------------------------------
// The form: parts in order, files to R2, fields collected.

async function readForm(
  body: MultipartReader,
  options: ReceiveUploadOptions,
  limits: Limits,
  stored: Stored,
): Promise<{ files: UploadedFile[]; fields: Record<string, string | string[]> }> {
  const files: UploadedFile[] = [];
  const fields: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  let fieldCount = 0;
  let fieldBytes = 0;
  const buffer = new PartBuffer();

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
    const filename = sanitizeFilename(part.filename);
    const sink = new FileSink(options, stored, buffer, path, filename);
    await body.readBody((bytes) => {
      // Counted at the first byte: an empty part is a file input left empty, not a file.
      if (sink.size === 0 && files.length >= options.maxFiles) throw tooLarge(path, `At most ${options.maxFiles} files are accepted`);
      return sink.write(bytes);
    });
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
 * bytes, and fills the shared part buffer, sending each full part before taking more.
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

  constructor(
    private readonly options: ReceiveUploadOptions,
    private readonly stored: Stored,
    private readonly buffer: PartBuffer,
    private readonly path: string,
    private readonly filename: string,
  ) {}

  async write(bytes: Uint8Array): Promise<void> {
    this.size += bytes.length;
    if (this.size > this.options.maxFileBytes) {
      throw tooLarge(this.path, `File '${this.filename}' exceeds ${this.options.maxFileBytes} bytes`);
    }
    await this.hashWriter.write(bytes);
    let rest = bytes;
    if (this.kind === undefined) {
      const take = Math.min(SNIFF_BYTES - this.headLength, bytes.length);
      this.head.set(bytes.subarray(0, take), this.headLength);
      this.headLength += take;
      rest = bytes.subarray(take);
      if (this.headLength === SNIFF_BYTES) this.decide();
    }
    if (this.text && rest.length > 0 && !this.text.feed(rest)) throw this.notText();
    // SNIFF_BYTES < PART_BYTES: the kind is known before the first part leaves.
    let pending = bytes;
    while (pending.length > 0) {
      if (this.buffer.full) await this.sendPart();
      pending = pending.subarray(this.buffer.append(pending));
    }
  }

  async finish(): Promise<Omit<UploadedFile, "field" | "filename">> {
    if (this.kind === undefined) this.decide();
    if (this.text && !this.text.end()) throw this.notText();
    await this.hashWriter.close();
    const sha256 = toHex(new Uint8Array(await this.digest.digest));
    const kind = this.kind as UploadKind;
    const key = this.keyOf(kind);
    if (this.upload === undefined) {
      this.stored.keys.push(key);
      await this.options.bucket.put(key, this.buffer.bytes(), { httpMetadata: { contentType: this.contentType }, sha256 });
    } else {
      if (this.buffer.length > 0) await this.sendPart();
      this.stored.keys.push(key);
      await this.upload.complete(this.parts);
      this.stored.inflight = undefined;
    }
    this.buffer.clear();
    return { key, size: this.size, kind, contentType: this.contentType, sha256 };
  }

  private keyOf(kind: UploadKind): string {
    this.key ??= `${this.options.prefix}${crypto.randomUUID()}.${KIND_INFO[kind].extension}`;
    return this.key;
  }

  private async sendPart(): Promise<void> {
    if (this.upload === undefined) {
      this.upload = await this.options.bucket.createMultipartUpload(this.keyOf(this.kind as UploadKind), { httpMetadata: { contentType: this.contentType } });
      this.stored.inflight = this.upload;
    }
    // Awaited before the buffer is refilled: R2 has the bytes once the promise resolves.
    this.parts.push(await this.upload.uploadPart(this.parts.length + 1, this.buffer.bytes()));
    this.buffer.clear();
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

/** One reusable part-sized buffer; it grows only as far as the files need (at most PART_BYTES). */
class PartBuffer {
  private data = new Uint8Array(64 * 1024);
  length = 0;

  get full(): boolean {
    return this.length === PART_BYTES;
  }

  /** Copies as much of `bytes` as fits; returns how many. */
  append(bytes: Uint8Array): number {
    const n = Math.min(bytes.length, PART_BYTES - this.length);
    if (this.length + n > this.data.length) {
      // Doubling while small; past 1 MiB straight to a full part, so no 4 + 5 MiB copy.
      const wanted = Math.max(this.length + n, this.data.length * 2);
      const grown = new Uint8Array(wanted > 1024 * 1024 ? PART_BYTES : wanted);
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

// ---------------------------------------------------------------------------------------------
// Kinds by content.

const HEIC_BRANDS = new Set(["heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs"]);
const HEIF_BRANDS = new Set(["mif1", "msf1"]);
const AVIF_BRANDS = new Set(["avif", "avis"]);

const ascii = (bytes: Uint8Array, start: number, end: number) => String.fromCharCode(...bytes.subarray(start, end));
const startsWith = (bytes: Uint8Array, prefix: readonly number[], at = 0) => bytes.length >= at + prefix.length && prefix.every((b, i) => bytes[at + i] === b);

/**
 * The kind of a file from its first bytes (up to 512 are looked at), or `undefined` when no
 * signature matches (then only UTF-8 text without NULs is acceptable, as `text` or `csv`).
 */
export function sniffKind(head: Uint8Array): { kind: Exclude<UploadKind, "text" | "csv">; contentType: string } | undefined {
  const of = (kind: Exclude<UploadKind, "text" | "csv">, contentType = KIND_INFO[kind].contentType) => ({ kind, contentType });
  if (startsWith(head, [0xff, 0xd8, 0xff])) return of("jpeg");
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return of("png");
  if (head.length >= 6 && (ascii(head, 0, 6) === "GIF87a" || ascii(head, 0, 6) === "GIF89a")) return of("gif");
  if (head.length >= 12 && ascii(head, 0, 4) === "RIFF" && ascii(head, 8, 12) === "WEBP") return of("webp");
  if (head.length >= 5 && ascii(head, 0, 5) === "%PDF-") return of("pdf");
  if (head.length >= 12 && ascii(head, 4, 8) === "ftyp") {
    // ISO BMFF: box size, "ftyp", major brand, minor version, then compatible brands.
    const boxEnd = Math.min(head.length, new DataView(head.buffer, head.byteOffset, 4).getUint32(0));
    const brands = [ascii(head, 8, 12)];
    for (let at = 16; at + 4 <= boxEnd; at += 4) brands.push(ascii(head, at, at + 4));
    if (brands.some((b) => HEIC_BRANDS.has(b))) return of("heic");
    if (HEIF_BRANDS.has(brands[0] ?? "") && !brands.some((b) => AVIF_BRANDS.has(b))) return of("heic", "image/heif");
    return undefined;
  }
  // STEP (ISO 10303-21): the header line, after an optional BOM and blank space.
  let at = startsWith(head, [0xef, 0xbb, 0xbf]) ? 3 : 0;
  while (at < head.length && (head[at] === 0x20 || head[at] === 0x09 || head[at] === CR || head[at] === LF)) at++;
  if (head.length >= at + 13 && ascii(head, at, at + 13) === "ISO-10303-21;") return of("step");
  return undefined;
}

/**
 * A client's file name made safe to show and store: the last path segment, without control or
 * invisible formatting characters (bidi overrides included) or `"*:<>?|`, blank space collapsed,
 * no leading/trailing dots or spaces, at most MAX_FILENAME_LENGTH code points (keeping the
 * extension). Never empty: `file` stands in.
 */
export function sanitizeFilename(raw: string): string {
  let name = raw.slice(0, 4 * MAX_PART_HEADER_BYTES).normalize("NFC");
  name = name.slice(Math.max(name.lastIndexOf("/"), name.lastIndexOf("\\")) + 1);
  name = name
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}"*:<>?|]/gu, "")
    .replace(/\s+/gu, " ")
    .replace(/^[\s.]+|[\s.]+$/gu, "");
  const chars = Array.from(name);
  if (chars.length > MAX_FILENAME_LENGTH) {
    const dot = name.lastIndexOf(".");
    const extension = dot > 0 && name.length - dot <= 16 ? Array.from(name.slice(dot)) : [];
    name =
      chars
        .slice(0, MAX_FILENAME_LENGTH - extension.length)
        .join("")
        .trimEnd() + extension.join("");
  }
  return name === "" ? "file" : name;
}

// ---------------------------------------------------------------------------------------------
// multipart/form-data (RFC 7578 / RFC 2046), read from a byte stream.

const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

function boundaryOf(contentType: string | null): string {
  if (contentType === null || contentType.length > MAX_CONTENT_TYPE_LENGTH) {
    throw unsupported("header.Content-Type", "Expected a multipart/form-data body");
  }
  const { value, params } = parseHeaderValue(contentType);
  if (value !== "multipart/form-data") throw unsupported("header.Content-Type", "Expected a multipart/form-data body");
  const boundary = params.get("boundary");
  if (boundary === undefined || !BOUNDARY.test(boundary)) throw malformed("the Content-Type has no valid boundary");
  return boundary;
}

/** `value; a=b; c="d"` → lower-cased value and parameters (names lower-cased, first one wins). */
function parseHeaderValue(header: string): { value: string; params: Map<string, string> } {
  const params = new Map<string, string>();
  let at = header.indexOf(";");
  const value = (at === -1 ? header : header.slice(0, at)).trim().toLowerCase();
  while (at !== -1 && at < header.length) {
    at++; // past ';'
    const eq = header.indexOf("=", at);
    const semi = header.indexOf(";", at);
    if (eq === -1 || (semi !== -1 && semi < eq)) {
      at = semi;
      continue;
    }
    const name = header.slice(at, eq).trim().toLowerCase();
    let pos = eq + 1;
    while (header[pos] === " " || header[pos] === "\t") pos++;
    let param = "";
    if (header[pos] === '"') {
      pos++;
      for (;;) {
        const ch = header[pos];
        if (ch === undefined) throw malformed("unterminated quoted string in a header");
        pos++;
        if (ch === '"') break;
        // Only \" is taken as an escape: old browsers send Windows paths with bare backslashes.
        if (ch === "\\" && header[pos] === '"') param += header[pos++];
        else param += ch;
      }
      at = header.indexOf(";", pos);
    } else {
      const end = header.indexOf(";", pos);
      param = (end === -1 ? header.slice(pos) : header.slice(pos, end)).trim();
      at = end;
    }
    if (name !== "" && !params.has(name)) params.set(name, param);
  }
  return { value, params };
}

interface PartInfo {
  name: string;
  /** Present (possibly empty) on file parts. */
  filename: string | undefined;
}

function partOf(headers: Map<string, string>): PartInfo {
  const disposition = headers.get("content-disposition");
  if (disposition === undefined) throw malformed("a part has no Content-Disposition");
  const { value, params } = parseHeaderValue(disposition);
  const name = params.get("name");
  if (value !== "form-data" || name === undefined || name === "") throw malformed("a part is not form-data with a name");
  if (name.length > MAX_FIELD_NAME_LENGTH) throw malformed(`a field name is longer than ${MAX_FIELD_NAME_LENGTH} characters`);
  let filename = params.get("filename");
  const extended = params.get("filename*");
  if (extended !== undefined) {
    const match = /^utf-8'[^']*'(.*)$/i.exec(extended);
    try {
      if (match?.[1] !== undefined) filename = decodeURIComponent(match[1]);
    } catch {
      // keep the plain filename
    }
  }
  // Browsers escape these three in names (WHATWG HTML, multipart/form-data encoding).
  if (filename !== undefined) filename = filename.replace(/%22|%0D|%0A/gi, (m) => ({ "%22": '"', "%0d": "\r", "%0a": "\n" })[m.toLowerCase()] ?? "");
  return { name, filename };
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1 && chunks[0]) return chunks[0];
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function decodeUtf8(bytes: Uint8Array, onError: () => AppError): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw onError();
  }
}

/**
 * Reads a multipart body from a stream, holding at most the current chunk plus a delimiter's
 * worth of carried-over bytes (and one part's headers, at most 8 KiB).
 *
 * The delimiter is CRLF "--" boundary. A boundary cannot contain CR, so CR occurs in the
 * delimiter only at its start: the search jumps from CR to CR with the native `indexOf`, and a
 * partial match never overlaps the next candidate, so each byte is looked at a bounded number
 * of times whatever the client sends.
 */
export class MultipartReader {
  private readonly delimiter: Uint8Array;
  /** Unconsumed bytes. Starts as CRLF so the first boundary line (not preceded by CRLF) matches. */
  private buf: Uint8Array = CRLF;
  private received = 0;

  constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    boundary: string,
    private readonly maxBodyBytes: number,
  ) {
    this.delimiter = encoder.encode(`\r\n--${boundary}`);
  }

  /** Reads one more chunk onto the buffer; false at the end of the stream. */
  private async pull(): Promise<boolean> {
    let result: ReadableStreamReadResult<Uint8Array>;
    try {
      result = await this.reader.read();
    } catch (err) {
      throw new AppError("BAD_REQUEST", "The upload was interrupted", {
        cause: err,
        details: [{ path: "body", message: "the request body ended with an error", code: "interrupted" }],
      });
    }
    if (result.done) return false;
    const chunk = result.value;
    this.received += chunk.length;
    if (this.received > this.maxBodyBytes) throw tooLarge("body", `Request body exceeds ${this.maxBodyBytes} bytes`);
    this.buf = this.buf.length === 0 ? chunk : concat([this.buf, chunk]);
    return true;
  }

  /**
   * Passes the bytes up to the next delimiter to `sink` (in pieces, as they arrive) and
   * consumes the delimiter. `sink` must copy what it keeps.
   */
  async readBody(sink: (bytes: Uint8Array) => void | Promise<void>): Promise<void> {
    for (;;) {
      const { found, safe } = this.scan();
      if (found !== -1) {
        if (found > 0) await sink(this.buf.subarray(0, found));
        this.buf = this.buf.subarray(found + this.delimiter.length);
        return;
      }
      if (safe > 0) {
        const bytes = this.buf.subarray(0, safe);
        this.buf = this.buf.subarray(safe);
        await sink(bytes);
      }
      if (!(await this.pull())) throw malformed("the body ended before the closing boundary");
    }
  }

  /** Where the delimiter is (`found`), or how many leading bytes cannot be part of one (`safe`). */
  private scan(): { found: number; safe: number } {
    const buf = this.buf;
    const d = this.delimiter;
    let at = buf.indexOf(CR);
    while (at !== -1) {
      const n = Math.min(d.length, buf.length - at);
      let k = 1;
      while (k < n && buf[at + k] === d[k]) k++;
      if (k === n) return n === d.length ? { found: at, safe: at } : { found: -1, safe: at };
      at = buf.indexOf(CR, at + k);
    }
    return { found: -1, safe: buf.length };
  }

  /** After a delimiter: `end` for the closing one (`--`), else `part` once its line ends. */
  async afterDelimiter(): Promise<"part" | "end"> {
    await this.want(2);
    if (this.buf[0] === 0x2d && this.buf[1] === 0x2d) return "end";
    let padding = 0;
    for (;;) {
      await this.want(1);
      const b = this.buf[0];
      if (b !== 0x20 && b !== 0x09) break;
      if (++padding > 256) throw malformed("a boundary line is too long");
      this.buf = this.buf.subarray(1);
    }
    await this.want(2);
    if (this.buf[0] !== CR || this.buf[1] !== LF) throw malformed("a boundary is not followed by a line break");
    this.buf = this.buf.subarray(2);
    return "part";
  }

  /** A part's headers, names lower-cased. */
  async readHeaders(): Promise<Map<string, string>> {
    const headers = new Map<string, string>();
    await this.want(2);
    if (this.buf[0] === CR && this.buf[1] === LF) {
      this.buf = this.buf.subarray(2);
      return headers;
    }
    let from = 0;
    let end = -1;
    for (;;) {
      end = indexOfBlankLine(this.buf, from);
      if (end !== -1) break;
      if (this.buf.length > MAX_PART_HEADER_BYTES) throw malformed(`a part's headers exceed ${MAX_PART_HEADER_BYTES} bytes`);
      from = Math.max(0, this.buf.length - 3);
      if (!(await this.pull())) throw malformed("the body ended inside a part's headers");
    }
    if (end > MAX_PART_HEADER_BYTES) throw malformed(`a part's headers exceed ${MAX_PART_HEADER_BYTES} bytes`);
    const text = new TextDecoder().decode(this.buf.subarray(0, end));
    this.buf = this.buf.subarray(end + 4);
    let last: string | undefined;
    for (const line of text.split("\r\n")) {
      if ((line.startsWith(" ") || line.startsWith("\t")) && last !== undefined) {
        headers.set(last, `${headers.get(last) ?? ""} ${line.trim()}`);
        continue;
      }
      const colon = line.indexOf(":");
      if (colon <= 0) throw malformed("a part header has no name");
      last = line.slice(0, colon).trim().toLowerCase();
      if (!headers.has(last)) headers.set(last, line.slice(colon + 1).trim());
    }
    return headers;
  }

  private async want(n: number): Promise<void> {
    while (this.buf.length < n) {
      if (!(await this.pull())) throw malformed("the body ended before the closing boundary");
    }
  }
}

function indexOfBlankLine(buf: Uint8Array, from: number): number {
  let at = buf.indexOf(CR, from);
  while (at !== -1 && at + 3 < buf.length) {
    if (buf[at + 1] === LF && buf[at + 2] === CR && buf[at + 3] === LF) return at;
    at = buf.indexOf(CR, at + 1);
  }
  return -1;
}
