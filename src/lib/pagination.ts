/**
 * Lists: one query schema, one response shape, one helper.
 *
 *   router.get("/", route({ …, responses: { 200: pageOf(ItemResponse) } }), validate("query", PageQuery), async (c) => {
 *     const query = db.select().from(parts).where(eq(parts.lineId, lineId)).$dynamic();
 *     const page = await paginate(db, query, c.req.valid("query"), { orderBy: [asc(parts.name)], tiebreaker: parts.id });
 *     return c.json({ ...page, items: page.items.map(toPartResponse) });
 *   })
 *
 * The page and its total come from one D1 round trip (`db.batch`), so they describe the same
 * state of the table. The order always ends with a unique column: without it, rows that tie on
 * the caller's order may swap between requests and a client paging through sees one twice and
 * another never.
 */
import { asc, count, type SQL } from "drizzle-orm";
import type { SQLiteColumn, SQLiteSelect } from "drizzle-orm/sqlite-core";
import { z } from "zod";
import type { Db } from "../db/client";

export const DEFAULT_PAGE_LIMIT = 50;
export const MAX_PAGE_LIMIT = 200;
/** Deep offsets make D1 read (and bill) every skipped row; past this, filter instead. */
export const MAX_PAGE_OFFSET = 100_000;

/** `?limit=&offset=` for every list: limit 1..200 (default 50), offset 0..100000 (default 0). */
export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_LIMIT).default(DEFAULT_PAGE_LIMIT),
  offset: z.coerce.number().int().min(0).max(MAX_PAGE_OFFSET).default(0),
});

/** Parsed paging parameters (what `PageQuery` yields). */
export type PageParams = z.infer<typeof PageQuery>;

/** One page of a list as the API returns it. */
export interface Page<T> {
  items: T[];
  /** Rows matching the query, across all pages. */
  total: number;
  limit: number;
  offset: number;
}

/** The response schema of a list: `{ items, total, limit, offset }`. */
export function pageOf<Item extends z.ZodType>(item: Item) {
  return z.object({
    items: z.array(item),
    total: z.number().int().min(0),
    limit: z.number().int().min(1),
    offset: z.number().int().min(0),
  });
}

export interface PageOrder {
  /** The list's order, most significant first (e.g. `[desc(t.createdAt)]`); may be empty. */
  orderBy?: readonly (SQLiteColumn | SQL)[];
  /** A unique column (primary key or `.unique()`), appended last, ascending, to make the order total. */
  tiebreaker: SQLiteColumn;
}

/**
 * Runs one page of `query` and its total count in one `db.batch` round trip.
 *
 * `query` is a dynamic select (`db.select(…).from(…).where(…).$dynamic()`, joins allowed) without
 * order, limit or offset: this adds them, and counts the rows of the same query. Throws if the
 * tiebreaker is not a primary-key or unique column (a programming error, not a client one).
 */
export async function paginate<Q extends SQLiteSelect>(db: Db, query: Q, page: PageParams, order: PageOrder): Promise<Page<Awaited<Q>[number]>> {
  const { tiebreaker } = order;
  if (!tiebreaker.primary && !tiebreaker.isUnique) {
    throw new Error(`paginate(): tiebreaker ${tiebreaker.name} must be a primary-key or unique column`);
  }
  const orderBy = [...(order.orderBy ?? [])];
  if (orderBy.at(-1) !== tiebreaker) orderBy.push(asc(tiebreaker));
  // Built before the query gains its ORDER BY/LIMIT: the count covers every matching row.
  const counted = db.select({ total: count() }).from(query.as("page_source"));
  const [items, totals] = await db.batch([
    query
      .orderBy(...orderBy)
      .limit(page.limit)
      .offset(page.offset),
    counted,
  ]);
  return { items: items as Awaited<Q>[number][], total: totals[0]?.total ?? 0, limit: page.limit, offset: page.offset };
}
