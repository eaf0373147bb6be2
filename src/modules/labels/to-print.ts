/**
 * RM365's "products to print" list: every inventory item with the name and price the chosen
 * region's sales last recorded for its SKU, and six months of units sold in the UK and in FR+NL
 * (RM365's `uk_6m_data` / `fr_6m_data`), from the imported sales rows. Two queries.
 */
import { and, asc, gte, inArray, sql } from "drizzle-orm";
import { inventoryItems, SALES_REGIONS, salesRows } from "../../db/schema";
import type { Deps } from "../../lib/deps";

/** The most items one list returns (RM365 returned its whole catalogue). */
export const MAX_TO_PRINT = 5000;
const SIX_MONTHS_MS = 183 * 86_400_000;

export interface ToPrintRow {
  id: string;
  sku: string;
  barcode: string | null;
  name: string;
  regionName: string | null;
  price: number | null;
  uk6m: number;
  frNl6m: number;
}

export async function itemsToPrint(deps: Pick<Deps, "db" | "now">, region: "uk" | "fr" | "nl"): Promise<{ rows: ToPrintRow[]; total: number }> {
  const since = new Date(deps.now().getTime() - SIX_MONTHS_MS).toISOString();
  const s = salesRows;
  const i = inventoryItems;
  const [items, counted, sold, latest] = await deps.db.batch([
    deps.db.select({ id: i.id, sku: i.sku, barcode: i.barcode, name: i.name }).from(i).orderBy(asc(i.sku)).limit(MAX_TO_PRINT),
    deps.db.select({ n: sql<number>`count(*)` }).from(i),
    deps.db
      .select({ sku: sql<string>`upper(${s.sku})`, region: s.region, qty: sql<number>`sum(${s.qty})` })
      .from(s)
      // Every region named: SQLite seeks the region + date index once per region.
      .where(and(inArray(s.region, SALES_REGIONS), gte(s.orderedAt, since)))
      .groupBy(sql`upper(${s.sku})`, s.region),
    // SQLite returns the bare columns of the row holding max(): the latest sale's name and price.
    deps.db
      .select({ sku: sql<string>`upper(${s.sku})`, name: s.name, price: s.price, at: sql<string>`max(${s.orderedAt})` })
      .from(s)
      .where(sql`${s.region} = ${region}`)
      .groupBy(sql`upper(${s.sku})`),
  ]);
  const units = new Map<string, { uk: number; frNl: number }>();
  for (const row of sold) {
    const entry = units.get(row.sku) ?? { uk: 0, frNl: 0 };
    if (row.region === "uk") entry.uk += Number(row.qty);
    else if (row.region === "fr" || row.region === "nl") entry.frNl += Number(row.qty);
    units.set(row.sku, entry);
  }
  const last = new Map(latest.map((r) => [r.sku, r]));
  const rows = items.map((item) => {
    const key = item.sku.toUpperCase();
    const sale = last.get(key);
    return {
      ...item,
      regionName: sale?.name ?? null,
      price: sale ? Number(sale.price) : null,
      uk6m: units.get(key)?.uk ?? 0,
      frNl6m: units.get(key)?.frNl ?? 0,
    };
  });
  return { rows, total: counted[0]?.n ?? 0 };
}
