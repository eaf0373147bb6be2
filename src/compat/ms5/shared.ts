/**
 * What every MS5 route shares: its lists are bare arrays (MS5's `List[...]` responses, read by
 * its tablet client as arrays), paged by FastAPI's `skip` (or `offset`) and `limit`, with the
 * total in `X-Total-Count`; its errors are `/api/v1`'s (`{error, message, details}` is MS5's).
 */
import type { Context } from "hono";
import { z } from "zod";
import { setETag } from "../../lib/etag";
import type { Page } from "../../lib/pagination";
import type { AppEnv } from "../../types";

/** MS5's default page (its FastAPI routes defaulted `limit` to 100). */
export const MS5_DEFAULT_LIMIT = 100;
/** The most one list answers (MS5 allowed 1000; every collection here has a smaller cap). */
export const MS5_MAX_LIMIT = 200;

/** `?skip=&limit=` (MS5) or `?offset=` (canonical): one paging, whichever the caller sends. */
export const Ms5Paging = z.object({
  skip: z.coerce.number().int().min(0).max(100_000).optional(),
  offset: z.coerce.number().int().min(0).max(100_000).optional(),
  limit: z.coerce.number().int().min(1).max(MS5_MAX_LIMIT).default(MS5_DEFAULT_LIMIT),
});

/** The canonical paging of an MS5 query (`skip` wins over `offset`). */
export const pageParams = (q: z.infer<typeof Ms5Paging>) => ({ limit: q.limit, offset: q.skip ?? q.offset ?? 0 });

/** A page as MS5 answers it: the items, with the total in `X-Total-Count`. */
export function bare<T>(c: Context<AppEnv>, page: Page<T>): T[] {
  c.header("X-Total-Count", String(page.total));
  return page.items;
}

/** A `YYYY-MM-DD` or ISO date-time from MS5's query string, as the ISO instant it starts. */
export const DateOrTime = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })])
  .transform((v) => new Date(v.length === 10 ? `${v}T00:00:00Z` : v).toISOString());

/** The end of a `YYYY-MM-DD` day (exclusive) or the instant given. */
export const DateOrTimeEnd = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })])
  .transform((v) => (v.length === 10 ? new Date(Date.parse(`${v}T00:00:00Z`) + 86_400_000) : new Date(v)).toISOString());

/** `true`/`false` in a query string. */
export const QueryBool = z.enum(["true", "false"]).transform((v) => v === "true");

export const TAGS = ["ms5"];
export const jsonBody = <T>(schema: T) => ({ body: { content: { "application/json": { schema } } } });

/** `/{id}` of a row with a UUID. */
export const UuidParams = z.object({ id: z.uuid() });

/** The optional `If-Match` of a versioned write (`what`: the row's name in the docs). */
export const ifMatchHeader = (what: string) =>
  z.object({ "if-match": z.string().max(64).optional().describe(`The ${what}'s version from its ETag, e.g. "2"`) });

/** A versioned row as answered: its version in `ETag`. */
export function withETag<T extends { version: number }>(c: Context<AppEnv>, row: T): T {
  setETag(c, row.version);
  return row;
}

/**
 * The value a body gives under one of its names (MS5's forms send snake_case, its slices
 * camelCase; checklists also say template for checklist): the first that is present, in the
 * order given. `null` is a value (it clears a field), only `undefined` is absent.
 */
export function given<T>(...values: readonly [...(T | undefined)[], T]): T {
  for (const value of values) if (value !== undefined) return value;
  // Every value was undefined, the last too, so T includes undefined.
  return undefined as T;
}
