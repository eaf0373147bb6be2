/**
 * RM365's "products to print" joins inventory with six months of sales. The sales figures (units
 * per region, the region's last name and price) are what GET /salesdata/{region} guards with
 * salesdata:read and the region's tab: a label printer without them gets the items, not the sales.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { arr, call, loginAs } from "../../helpers";

async function seed() {
  const sku = `TP-${crypto.randomUUID().slice(0, 8).toUpperCase()}`;
  const now = new Date().toISOString();
  await env.DB.prepare("INSERT INTO inventory_items (id, sku, name, location, created_at, updated_at) VALUES (?, ?, 'Shelf name', 'UK', ?, ?)")
    .bind(crypto.randomUUID(), sku, now, now)
    .run();
  const sale = (region: string, qty: number) =>
    env.DB.prepare(
      `INSERT INTO sales_rows (region, order_number, ordered_at, sku, name, qty, price, status, currency, grand_total, customer_email,
        customer_full_name, billing_address, shipping_address, customer_group_code, import_id, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'Secret sales name', ?, 42.5, 'complete', 'GBP', 100, 'a@b.c', 'A B', '-', '-', 'General', 'imp', ?, ?)`,
    )
      .bind(region, crypto.randomUUID(), now, sku, qty, now, now)
      .run();
  await sale("uk", 7);
  await sale("fr", 3);
  return sku;
}

const rowOf = async (token: string, sku: string) => {
  const res = await call("/api/v1/labels/to-print?region=uk", { token });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return arr(res.json).find((r) => (r as { sku?: string }).sku === sku);
};

describe("RM365 to-print and sales figures", () => {
  it("a label printer without salesdata:read gets the items without sales units, names or prices; one with it gets them", async () => {
    const sku = await seed();
    const operator = await loginAs("operator", { allowed_tabs: ["labels", "inventory"] });
    expect(await rowOf(operator.token, sku)).toEqual({ item_id: sku, sku, product_name: "Shelf name", price: null, uk_6m_data: 0, fr_6m_data: 0 });

    const manager = await loginAs("admin");
    expect(await rowOf(manager.token, sku)).toEqual({ item_id: sku, sku, product_name: "Secret sales name", price: 42.5, uk_6m_data: 7, fr_6m_data: 3 });
  });
});
