/**
 * The items labels are printed for, read in one query however many a job names (a JSON array
 * bound as one parameter and expanded with `json_each`: D1 caps bound parameters at 100), and
 * what each label shows. Shared by the API (start a job, one label) and the documents worker.
 */
import { sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { inventoryItems } from "../../db/schema";
import { ean13CheckDigit, type LabelData, type Symbology } from "./render";

export type LabelItem = Pick<typeof inventoryItems.$inferSelect, "id" | "sku" | "name" | "barcode" | "location">;

const columns = {
  id: inventoryItems.id,
  sku: inventoryItems.sku,
  name: inventoryItems.name,
  barcode: inventoryItems.barcode,
  location: inventoryItems.location,
};

/** Items by id, one query. */
export async function itemsById(db: Db, ids: readonly string[]): Promise<Map<string, LabelItem>> {
  if (ids.length === 0) return new Map();
  const json = JSON.stringify([...new Set(ids)]);
  const rows = await db.select(columns).from(inventoryItems).where(sql`${inventoryItems.id} in (select value from json_each(${json}))`);
  return new Map(rows.map((r) => [r.id, r]));
}

/**
 * Items by the references a client sent: an item id, else a SKU (normalised as SKUs are
 * stored), else a barcode. One query; the map is keyed by the reference as sent.
 */
export async function itemsByRef(db: Db, refs: readonly string[]): Promise<Map<string, LabelItem>> {
  const distinct = [...new Set(refs)];
  if (distinct.length === 0) return new Map();
  const ids = JSON.stringify(distinct);
  const skus = JSON.stringify(distinct.map((r) => r.normalize("NFKC").toUpperCase()));
  const rows = await db
    .select(columns)
    .from(inventoryItems)
    .where(
      sql`${inventoryItems.id} in (select value from json_each(${ids})) or ${inventoryItems.sku} in (select value from json_each(${skus})) or ${inventoryItems.barcode} in (select value from json_each(${ids}))`,
    );
  const byId = new Map(rows.map((r) => [r.id, r]));
  const bySku = new Map(rows.map((r) => [r.sku, r]));
  // RM365's label screen sends the barcode as `item_id`.
  const byBarcode = new Map(rows.flatMap((r) => (r.barcode === null ? [] : [[r.barcode, r] as const])));
  const out = new Map<string, LabelItem>();
  for (const ref of distinct) {
    const row = byId.get(ref) ?? bySku.get(ref.normalize("NFKC").toUpperCase()) ?? byBarcode.get(ref);
    if (row) out.set(ref, row);
  }
  return out;
}

/**
 * What an item's barcode encodes: its barcode, else its SKU (RM365's rule). For EAN-13 a
 * 12-digit value gains its check digit, so the label's value is what a scanner reads.
 */
export function labelValue(item: Pick<LabelItem, "barcode" | "sku">, symbology: Symbology): string {
  const value = item.barcode ?? item.sku;
  return symbology === "ean13" && /^\d{12}$/.test(value) ? value + ean13CheckDigit(value) : value;
}

/** One label's content for an item. */
export function labelData(item: LabelItem, symbology: Symbology, lineDate: string | null): LabelData {
  return { value: labelValue(item, symbology), sku: item.sku, name: item.name, location: item.location, line_date: lineDate };
}

/** R2 keys of a job's files. */
export const jobKeys = (jobId: string) => ({ pdf: `labels/${jobId}/labels.pdf`, csv: `labels/${jobId}/labels.csv` });
