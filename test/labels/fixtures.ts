import { sql } from "drizzle-orm";
import { inventoryItems } from "../../src/db/schema";
import { db, unique } from "../helpers";

export interface TestItem {
  id: string;
  sku: string;
  name: string;
  barcode: string | null;
  location: string;
}

/**
 * Inserts `n` items in one statement (the rows travel as one JSON parameter): every other one
 * with a barcode, the rest labelled by SKU. Returns them in order.
 */
export async function makeItems(n: number, options: { barcode?: (i: number) => string | null } = {}): Promise<TestItem[]> {
  const prefix = unique("LBL").toUpperCase();
  const location = unique("shelf");
  const items: TestItem[] = Array.from({ length: n }, (_, i) => ({
    id: crypto.randomUUID(),
    sku: `${prefix}-${String(i).padStart(5, "0")}`,
    name: `Hex bolt M${(i % 20) + 3} × ${i}`,
    barcode: options.barcode ? options.barcode(i) : i % 2 === 0 ? `BC${prefix.slice(4)}${i}` : null,
    location,
  }));
  await db().run(
    sql`insert into ${inventoryItems} (id, sku, name, barcode, location)
        select json_extract(value, '$.id'), json_extract(value, '$.sku'), json_extract(value, '$.name'), json_extract(value, '$.barcode'), json_extract(value, '$.location')
        from json_each(${JSON.stringify(items)})`,
  );
  return items;
}

/** What an item's label encodes (RM365: the barcode, else the SKU). */
export const labelValueOf = (item: Pick<TestItem, "barcode" | "sku">) => item.barcode ?? item.sku;
