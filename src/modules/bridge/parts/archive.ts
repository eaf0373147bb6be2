/**
 * A streaming reader of the Part Management / Aerie uploads archive: `tar` (ustar, GNU long
 * names, pax `path`), gzip-compressed or not, read once from start to end without holding more
 * than one 512-byte block plus the caller's current chunk. Each file entry is handed over as a
 * stream of exactly its bytes; whatever the caller does not read is skipped before the next entry.
 *
 * The seeds keep a part's files in `uploads/<part id>/<file>` (their `get_upload_path`), the
 * converted model beside it (`<stem>.glb`) and rendered views in `uploads/<part id>/views/`.
 * `partFileOf()` recognises the first shape wherever the archive was rooted.
 */

const BLOCK = 512;
/** Entries read before the archive is refused (a bound on work, not on size). */
export const MAX_ARCHIVE_ENTRIES = 100_000;
/** Longest entry path taken (GNU long-name and pax records included). */
const MAX_PATH = 4096;

export class ArchiveError extends Error {
  override name = "ArchiveError";
}

/** An archive past one of the bounds above: too many entries or bytes (its message says which). */
export class ArchiveLimitError extends ArchiveError {
  override name = "ArchiveLimitError";
}

/** Pulls exact byte counts from a stream of chunks. */
class ByteReader {
  private chunk: Uint8Array = new Uint8Array(0);
  private offset = 0;
  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  /** Up to `max` bytes (fewer only at the end of the stream; empty at the end). */
  async some(max: number): Promise<Uint8Array> {
    while (this.offset >= this.chunk.length) {
      const { done, value } = await this.reader.read();
      if (done) return new Uint8Array(0);
      this.chunk = value;
      this.offset = 0;
    }
    const n = Math.min(max, this.chunk.length - this.offset);
    const out = this.chunk.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  /** Exactly `n` bytes, or an ArchiveError if the stream ends first. */
  async exactly(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const part = await this.some(n - got);
      if (part.length === 0) throw new ArchiveError("The archive ends in the middle of an entry (truncated upload?)");
      out.set(part, got);
      got += part.length;
    }
    return out;
  }

  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      const part = await this.some(left);
      if (part.length === 0) throw new ArchiveError("The archive ends in the middle of an entry (truncated upload?)");
      left -= part.length;
    }
  }

  cancel(): Promise<void> {
    return this.reader.cancel();
  }
}

const ascii = (bytes: Uint8Array): string => {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end === -1 ? bytes : bytes.subarray(0, end));
};

/** A tar numeric field: octal text, or GNU base-256 (first byte 0x80) for large sizes. */
function numeric(field: Uint8Array): number {
  if (field[0] !== undefined && (field[0] & 0x80) !== 0) {
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + (field[i] ?? 0);
    return n;
  }
  const text = ascii(field).trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) throw new ArchiveError("Not a tar archive (bad header field)");
  return Number.parseInt(text, 8);
}

function checksumOk(header: Uint8Array): boolean {
  const stored = numeric(header.subarray(148, 156));
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (header[i] ?? 0);
  return sum === stored;
}

/** pax extended header records (`<len> <key>=<value>\n`): the `path` one, if any. */
function paxPath(bytes: Uint8Array): string | null {
  const text = new TextDecoder().decode(bytes);
  for (const record of text.split("\n")) {
    const m = /^\d+ path=(.*)$/s.exec(record);
    if (m?.[1] !== undefined) return m[1];
  }
  return null;
}

export interface ArchiveEntry {
  path: string;
  size: number;
  /** The entry's bytes; read it at most once, before asking for the next entry. */
  body(): ReadableStream<Uint8Array>;
}

/** True when the bytes start like gzip. */
const isGzip = (head: Uint8Array): boolean => head[0] === 0x1f && head[1] === 0x8b;

/**
 * Compressed bytes are fed to the decompressor in pieces of at most this many: deflate expands a
 * byte to at most ~1,032, so one piece yields at most ~4 MB however the stream was chunked, and
 * the byte cap below stops a bomb after a few such pieces.
 */
const INFLATE_PIECE = 4 * 1024;

export interface GunzipLimits {
  /** The most bytes the plain stream may hold (after decompression, or as it is). */
  maxBytes: number;
  /** The error the stream fails with past `maxBytes`. */
  tooLarge: (maxBytes: number) => Error;
}

/** The decompressed archive's size cap (a gzip bomb stops here). */
export const MAX_ARCHIVE_BYTES = 8 * 1024 * 1024 * 1024;

export const archiveTooLarge = (max: number) => new ArchiveLimitError(`The archive holds more than ${max} bytes once decompressed (a gzip bomb?)`);

/** Splits chunks into pieces of at most `size` bytes. */
function pieces(size: number): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream({
    transform(chunk, controller) {
      for (let at = 0; at < chunk.length; at += size) controller.enqueue(chunk.subarray(at, at + size));
    },
  });
}

/** Passes bytes through; fails the stream with `limits.tooLarge` once more than `limits.maxBytes` went by. */
export function capBytes(limits: GunzipLimits): TransformStream<Uint8Array, Uint8Array> {
  let total = 0;
  return new TransformStream({
    transform(chunk, controller) {
      total += chunk.length;
      if (total > limits.maxBytes) throw limits.tooLarge(limits.maxBytes);
      controller.enqueue(chunk);
    },
  });
}

/**
 * Turns a stream that may be gzip-compressed into the plain bytes (judged by its first bytes),
 * at most `limits.maxBytes` of them: past that the stream fails with `limits.tooLarge()`, and the
 * decompressor and the source are cancelled (nothing more is inflated).
 */
export async function maybeGunzip(stream: ReadableStream<Uint8Array>, limits: GunzipLimits): Promise<ReadableStream<Uint8Array>> {
  const reader = stream.getReader();
  const first = await reader.read();
  const head = first.done ? new Uint8Array(0) : first.value;
  const rest = new ReadableStream<Uint8Array>({
    start(controller) {
      if (head.length > 0) controller.enqueue(head);
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  const plain = isGzip(head)
    ? rest.pipeThrough(pieces(INFLATE_PIECE)).pipeThrough(new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>)
    : rest;
  return plain.pipeThrough(capBytes(limits));
}

/**
 * The regular files of a tar stream, in order. Directories, links and other entry types are
 * skipped. Refuses (ArchiveError) a stream that is not tar, is truncated, has too many entries, or
 * holds more than `maxBytes` (MAX_ARCHIVE_BYTES) once decompressed.
 */
export async function* tarEntries(stream: ReadableStream<Uint8Array>, maxBytes = MAX_ARCHIVE_BYTES): AsyncGenerator<ArchiveEntry> {
  const bytes = new ByteReader((await maybeGunzip(stream, { maxBytes, tooLarge: archiveTooLarge })).getReader());
  let entries = 0;
  let longName: string | null = null;
  try {
    for (;;) {
      const header = await bytes.some(BLOCK).then(async (first) => {
        if (first.length === 0) return null;
        if (first.length === BLOCK) return first.slice();
        const rest = await bytes.exactly(BLOCK - first.length);
        const full = new Uint8Array(BLOCK);
        full.set(first);
        full.set(rest, first.length);
        return full;
      });
      if (header === null || header.every((b) => b === 0)) return; // end-of-archive blocks
      if (!checksumOk(header)) throw new ArchiveError(entries === 0 ? "Not a tar archive (.tar or .tar.gz expected)" : "Corrupt tar header");
      if (++entries > MAX_ARCHIVE_ENTRIES) throw new ArchiveLimitError(`The archive has more than ${MAX_ARCHIVE_ENTRIES} entries`);
      const size = numeric(header.subarray(124, 136));
      const type = String.fromCharCode(header[156] ?? 0);
      const padded = Math.ceil(size / BLOCK) * BLOCK;
      if (type === "L" || type === "x") {
        if (size > MAX_PATH * 2) throw new ArchiveError("An entry name is too long");
        const data = await bytes.exactly(padded);
        longName = type === "L" ? ascii(data.subarray(0, size)) : paxPath(data.subarray(0, size));
        continue;
      }
      const prefix = ascii(header.subarray(345, 500));
      const name = longName ?? (prefix ? `${prefix}/${ascii(header.subarray(0, 100))}` : ascii(header.subarray(0, 100)));
      longName = null;
      if (type !== "0" && type !== "\0" && type !== "7") {
        await bytes.skip(padded);
        continue;
      }
      let left = size;
      let opened = false;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (left === 0) return controller.close();
          const part = await bytes.some(Math.min(left, 64 * 1024));
          if (part.length === 0) return controller.error(new ArchiveError("The archive ends in the middle of an entry (truncated upload?)"));
          left -= part.length;
          controller.enqueue(part.slice());
          if (left === 0) controller.close();
        },
      });
      yield {
        path: name.slice(0, MAX_PATH),
        size,
        body: () => {
          if (opened) throw new Error("An archive entry's body can be read once");
          opened = true;
          return body;
        },
      };
      // Skip what the caller left unread, then the padding to the block boundary.
      await bytes.skip(left + (padded - size));
      left = 0;
    }
  } finally {
    await bytes.cancel().catch(() => undefined);
  }
}

/**
 * `uploads/<id>/<file>` (with any leading directories: `backend/uploads/…`, `./12/…`): the
 * legacy part id and file name, or null for anything else (views, converted models are
 * still returned — the caller matches the name against the part's `file`).
 */
export function partFileOf(path: string): { legacyId: string; filename: string } | null {
  const segments = path.split("/").filter((s) => s !== "" && s !== ".");
  const filename = segments.at(-1);
  const id = segments.at(-2);
  if (!filename || !id || !/^\d{1,15}$/.test(id)) return null;
  return { legacyId: String(Number(id)), filename };
}
