/**
 * Reads for RM365's inventory management screen (a spreadsheet of every product with its shelf
 * stock and six months of demand): a page of items with their UK and FR+NL units sold in the
 * last six months (from the imported sales rows, as the labels' to-print list counts them), and
 * the whole catalogue, bounded, for the screen's per-SKU indexes.
 */
import { and, asc, count, gte, inArray, sql } from "drizzle-orm";
import { inventoryItems, type SalesRegion, salesRows } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { chunk } from "../../lib/sql";
import type { Item } from "./schemas";
import { listItems } from "./service";

type ItemRow = typeof inventoryItems.$inferSelect;

/** The most items one catalogue read returns (RM365 returned its whole table). */
export const MAX_CATALOGUE = 5000;
/** The largest page of the management list (RM365's client asks for 100). */
export const MAX_MANAGEMENT_PAGE = 100;
/** SKUs per sales lookup: with the date, under D1's 100 bound parameters. */
const SKUS_PER_STATEMENT = 90;
const SIX_MONTHS_MS = 183 * 86_400_000;

export interface Demand {
  uk: number;
  frNl: number;
}

/** A page of items by SKU (search: SKU, name or barcode contains), its total, and each SKU's six-month demand. */
export async function managementPage(
  deps: Pick<Deps, "db" | "now">,
  query: { page: number; perPage: number; search?: string },
): Promise<{ items: Item[]; total: number; demand: Map<string, Demand> }> {
  const page = await listItems(deps, { limit: query.perPage, offset: (query.page - 1) * query.perPage, search: query.search });
  return {
    items: page.items,
    total: page.total,
    demand: await sixMonthDemand(
      deps,
      page.items.map((i) => i.sku),
    ),
  };
}

/** The regions whose sales count as demand: the UK, and FR with NL. */
const DEMAND_REGIONS: SalesRegion[] = ["uk", "fr", "nl"];

/** Units sold in the last six months per upper-cased SKU: the UK's, and FR's with NL's. At most {@link MAX_MANAGEMENT_PAGE} SKUs are looked up. */
export async function sixMonthDemand(deps: Pick<Deps, "db" | "now">, skus: readonly string[]): Promise<Map<string, Demand>> {
  const demand = new Map<string, Demand>();
  const keys = [...new Set(skus.map((s) => s.toUpperCase()))].slice(0, MAX_MANAGEMENT_PAGE);
  if (keys.length === 0) return demand;
  const since = new Date(deps.now().getTime() - SIX_MONTHS_MS).toISOString();
  const s = salesRows;
  const query = (part: string[]) =>
    deps.db
      .select({ sku: sql<string>`upper(${s.sku})`, region: s.region, qty: sql<number>`sum(${s.qty})` })
      .from(s)
      // The regions summed, named: SQLite seeks the region + date index once per region.
      .where(and(inArray(s.region, DEMAND_REGIONS), gte(s.orderedAt, since), inArray(sql`upper(${s.sku})`, part)))
      .groupBy(sql`upper(${s.sku})`, s.region);
  const [first, ...rest] = chunk(keys, SKUS_PER_STATEMENT).map(query);
  if (!first) return demand;
  const sold = (await deps.db.batch([first, ...rest])).flat();
  for (const row of sold) {
    const entry = demand.get(row.sku) ?? { uk: 0, frNl: 0 };
    if (row.region === "uk") entry.uk += Number(row.qty);
    else if (row.region === "fr" || row.region === "nl") entry.frNl += Number(row.qty);
    demand.set(row.sku, entry);
  }
  return demand;
}

/** Every item by SKU, at most {@link MAX_CATALOGUE}, and how many there are. */
export async function catalogue(deps: Pick<Deps, "db">): Promise<{ rows: ItemRow[]; total: number }> {
  const i = inventoryItems;
  const [rows, counted] = await deps.db.batch([deps.db.select().from(i).orderBy(asc(i.sku)).limit(MAX_CATALOGUE), deps.db.select({ n: count() }).from(i)]);
  return { rows, total: counted[0]?.n ?? 0 };
}
