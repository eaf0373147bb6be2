/** File kinds judged by content (magic numbers), never by name or declared type; client file names made safe. */

/** The file kinds an upload may accept, judged by content. */
export type UploadKind = "jpeg" | "png" | "gif" | "webp" | "heic" | "pdf" | "step" | "text" | "csv";

export const KIND_INFO: Record<UploadKind, { contentType: string; extension: string }> = {
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

/** Bytes of a file read before its kind is decided (enough for an ftyp box or a STEP header). */
export const SNIFF_BYTES = 512;
/** Longest file name kept (Unicode code points); longer names keep their extension. */
export const MAX_FILENAME_LENGTH = 200;
/** Longest raw file name looked at. */
const MAX_RAW_FILENAME = 32 * 1024;
const CR = 13;
const LF = 10;

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
  let name = raw.slice(0, MAX_RAW_FILENAME).normalize("NFC");
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
