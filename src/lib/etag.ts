/**
 * Versions on the wire: a resource's `version` goes out as `ETag: "<version>"`, and a write that
 * must not race sends it back in `If-Match`. A stale version is the service's business (409,
 * nothing changed); these helpers only read and write the headers.
 */
import type { Context } from "hono";
import { AppError } from "./errors";

/** Longer `If-Match` values are refused unread; a version needs a handful of characters. */
const MAX_IF_MATCH_LENGTH = 64;

/** What `If-Match` asked for: a version, `*` (any current version), or nothing. */
export type IfMatch = number | "*" | undefined;

const invalid = () =>
  new AppError("VALIDATION_ERROR", 'If-Match must carry the version from the ETag, e.g. "3"', {
    details: [{ path: "header.If-Match", message: 'expected a version number, e.g. "3"', code: "invalid_format" }],
  });

/**
 * Parses `If-Match`: `"3"`, `W/"3"` and a bare `3` are version 3; `*` is "any version"; no
 * header is `undefined`. Anything else (a list of tags, a foreign ETag, an oversized value) is a
 * 422 VALIDATION_ERROR naming `header.If-Match`.
 */
export function parseIfMatch(header: string | null | undefined): IfMatch {
  if (header === undefined || header === null) return undefined;
  if (header.length > MAX_IF_MATCH_LENGTH) throw invalid();
  const value = header.trim();
  if (value === "*") return "*";
  const match = /^(?:W\/)?(?:"(\d{1,15})"|(\d{1,15}))$/.exec(value);
  const digits = match?.[1] ?? match?.[2];
  if (digits === undefined) throw invalid();
  return Number(digits);
}

/**
 * The version a write must find, for services that take `expectedVersion?: number`: the
 * `If-Match` version, or `undefined` when there is no header or it is `*` (no version check).
 */
export function expectedVersion(header: string | null | undefined): number | undefined {
  const parsed = parseIfMatch(header);
  return parsed === "*" ? undefined : parsed;
}

/** The ETag value for a version: `"3"` (strong, quoted). */
export const etagFor = (version: number): string => `"${version}"`;

/** Sets `ETag: "<version>"` on the response being built. */
export function setETag(c: Context, version: number): void {
  c.header("ETag", etagFor(version));
}
