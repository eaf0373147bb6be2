/**
 * Headers of file responses: downloads and inline files (PDF, CSV, models) with a
 * `Content-Disposition` whose filename can be neither a header injection nor mojibake.
 */

/** RFC 5987 `attr-char`s pass; everything else, `'()*` included, is percent-encoded UTF-8. */
const encodeExtValue = (text: string): string =>
  encodeURIComponent(text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD")).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

/**
 * `Content-Disposition` (RFC 6266): an ASCII `filename="…"` fallback (control and non-ASCII
 * characters, `"` and `\` become `_`) and the exact name as `filename*=UTF-8''…` (RFC 5987).
 */
export function contentDisposition(kind: "inline" | "attachment", filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeExtValue(filename)}`;
}

/** A stored or rendered file as the client receives it. */
export interface FileInfo {
  contentType: string;
  filename: string;
  /** Bytes, when known (sets Content-Length). */
  size?: number;
}

/** The headers of a private file response: its type, length and name; never sniffed, revalidated before reuse. */
export function fileHeaders(file: FileInfo, disposition: "inline" | "attachment"): Record<string, string> {
  return {
    "Content-Type": file.contentType,
    ...(file.size === undefined ? {} : { "Content-Length": String(file.size) }),
    "Content-Disposition": contentDisposition(disposition, file.filename),
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-cache",
  };
}

/** The headers of a CSV download. */
export const csvHeaders = (filename: string): Record<string, string> => fileHeaders({ contentType: "text/csv; charset=utf-8", filename }, "attachment");
