/**
 * RM365's condensed sales view: a region's order lines of a period added up per product, largest
 * quantity first. RM365 materialised it in one table per region, refreshed on every read and
 * on request; here it is one aggregate query over `sales_rows` (the region + date index), so it
 * is never stale and "refresh" only reports the count a read would show.
 *
 * The product key is RM365's: an `-MD` variant counts as its base SKU (`ABC-MD` and
 * `ABC-MD-2` are `ABC`, case-insensitive, from the first `-MD-` or a final `-MD`). Its name is
 * the one on the newest order line; `last_updated` is when the newest contributing line was
 * written. RM365's exclusion lists and thresholds are not kept by Floorline, so nothing is
 * excluded (`use_exclusions` is accepted and changes nothing).
 */
import { and, asc, desc, eq, gte, type SQL, sql } from "drizzle-orm";
import { type MagentoDataRegion, magentoSalesRows, salesRows } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { likeContains } from "../../lib/sql";

/** RM365's custom ranges: the last N days, the last N months (of 30 days, as RM365 counted), or since a day. */
export type CondensedRange = { type: "days"; days: number } | { type: "months"; months: number } | { type: "since"; day: string } | { type: "six_months" };

export interface CondensedQuery {
  range: CondensedRange;
  limit: number;
  offset: number;
  search?: string;
}

export interface CondensedRow {
  id: number;
  sku: string;
  name: string;
  total_qty: number;
  last_updated: string;
}

export interface CondensedPage {
  data: CondensedRow[];
  total_count: number;
  limit: number;
  offset: number;
}

const DAY_MS = 86_400_000;

/** The first UTC day counted, `YYYY-MM-DD`: RM365 compared order dates to `today - range`. */
export function rangeStart(range: CondensedRange, now: Date): string {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  switch (range.type) {
    case "days":
      return new Date(today - range.days * DAY_MS).toISOString().slice(0, 10);
    case "months":
      return new Date(today - range.months * 30 * DAY_MS).toISOString().slice(0, 10);
    case "since":
      return range.day;
    case "six_months": {
      // Calendar months, as PostgreSQL's `CURRENT_DATE - INTERVAL '6 months'` (31 Aug → 28/29 Feb).
      const y = now.getUTCFullYear();
      const m = now.getUTCMonth() - 6;
      const first = new Date(Date.UTC(y, m, 1));
      const lastDay = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
      return new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), Math.min(now.getUTCDate(), lastDay))).toISOString().slice(0, 10);
    }
  }
}

/**
 * The order lines condensed: CSV-imported sales lines, or lines synced from Magento (RM365's
 * magentodata condensed the same way).
 */
type LineTable = typeof salesRows | typeof magentoSalesRows;
export type LineSource = "sales" | "magento";
const SOURCES: Record<LineSource, LineTable> = { sales: salesRows, magento: magentoSalesRows };

/** RM365's base SKU of an `-MD` variant, in SQL (its regex `-MD(-.*)?$`, case-insensitive). */
function baseSku(t: LineTable): SQL<string> {
  return sql<string>`case
    when instr(upper(${t.sku}), '-MD-') > 0 then substr(${t.sku}, 1, instr(upper(${t.sku}), '-MD-') - 1)
    when upper(${t.sku}) like '%-MD' then substr(${t.sku}, 1, length(${t.sku}) - 3)
    else ${t.sku} end`;
}

/** Length of `ordered_at` (ISO 8601 with milliseconds): the newest line's name is cut off after it. */
const ORDERED_AT_LENGTH = 24;

/** A region's order lines since the range's start, per base SKU, largest total first (then SKU). */
export async function condensedSales(
  deps: Pick<Deps, "db" | "now">,
  source: LineSource,
  region: MagentoDataRegion,
  query: CondensedQuery,
): Promise<CondensedPage> {
  const t = SOURCES[source];
  const since = `${rangeStart(query.range, deps.now())}T00:00:00.000Z`;
  const grouped = deps.db
    .select({
      sku: baseSku(t).as("base_sku"),
      name: sql<string>`substr(max(${t.orderedAt} || ${t.name}), ${ORDERED_AT_LENGTH + 1})`.as("latest_name"),
      totalQty: sql<number>`sum(${t.qty})`.as("total_qty"),
      lastUpdated: sql<string>`max(${t.updatedAt})`.as("last_updated"),
    })
    .from(t)
    .where(and(eq(t.region, region), gte(t.orderedAt, since)))
    .groupBy(sql`base_sku`)
    .as("condensed");
  const where = query.search ? likeContains([grouped.sku, grouped.name], query.search) : undefined;
  const [rows, totals] = await deps.db.batch([
    deps.db.select().from(grouped).where(where).orderBy(desc(grouped.totalQty), asc(grouped.sku)).limit(query.limit).offset(query.offset),
    deps.db.select({ total: sql<number>`count(*)` }).from(grouped).where(where),
  ]);
  return {
    data: rows.map((r, i) => ({
      id: query.offset + i + 1,
      sku: String(r.sku),
      name: String(r.name),
      total_qty: Number(r.totalQty),
      last_updated: String(r.lastUpdated),
    })),
    total_count: Number(totals[0]?.total ?? 0),
    limit: query.limit,
    offset: query.offset,
  };
}

/** What RM365's "refresh" reported: the products (base SKUs) its six-month view holds now. */
export async function condensedSkuCount(deps: Pick<Deps, "db" | "now">, source: LineSource, region: MagentoDataRegion): Promise<number> {
  const page = await condensedSales(deps, source, region, { range: { type: "six_months" }, limit: 1, offset: 0 });
  return page.total_count;
}
