/** multipart/form-data (RFC 7578 / RFC 2046), read from a byte stream. */
import { AppError } from "../errors";
import { malformed, tooLarge, unsupported } from "./errors";

const CR = 13;
const LF = 10;
const CRLF = new Uint8Array([CR, LF]);
const encoder = new TextEncoder();
export const MAX_PART_HEADER_BYTES = 8 * 1024;
const MAX_FIELD_NAME_LENGTH = 200;
const MAX_CONTENT_TYPE_LENGTH = 1024;

const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;

export function boundaryOf(contentType: string | null): string {
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

export interface PartInfo {
  name: string;
  /** Present (possibly empty) on file parts. */
  filename: string | undefined;
}

export function partOf(headers: Map<string, string>): PartInfo {
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

export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1 && chunks[0]) return chunks[0];
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export function decodeUtf8(bytes: Uint8Array, onError: () => AppError): string {
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
    private readonly reader: Pick<ReadableStreamDefaultReader<Uint8Array>, "read">,
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
      // The reader's own refusal (a stalled body) is already the answer.
      if (err instanceof AppError) throw err;
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
