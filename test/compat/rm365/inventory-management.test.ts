/**
 * RM365's inventory management screen as its client loads it (the slipped `/api/api/v1/…` URLs):
 * a page of items with stock and six months of demand, the shelf rows and the product list; who
 * may read them, the bounds, and the status filters.
 */
import { describe, expect, it } from "vitest";
import { salesRows } from "../../../src/db/schema";
import { arr, call, loginAs, testDeps, unique } from "../../helpers";

const base = "/api/api/v1/inventory/management";

async function item(token: string, sku: string, name: string, quantity: number) {
  const r = await call("/api/v1/inventory/items", { token, body: { sku, name, location: "Aisle 7", quantity } });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  return String(r.json.id);
}

describe("RM365 inventory management", () => {
  it("pages items by SKU with stock on the '<1' shelf and six months of UK and FR+NL units; the shelf rows and products agree", async () => {
    const admin = await loginAs("admin");
    const tag = unique("mg").toUpperCase();
    const [a, b] = [`${tag}-A`, `${tag}-B`];
    const idA = await item(admin.token, a, "Alpha bolt", 7);
    await item(admin.token, b, "Beta nut", 3);
    const recent = new Date(Date.now() - 30 * 86_400_000).toISOString();
    const old = new Date(Date.now() - 400 * 86_400_000).toISOString();
    const sale = (region: "uk" | "fr" | "nl", orderNumber: string, qty: number, orderedAt: string) => ({
      region,
      orderNumber,
      orderedAt,
      sku: a.toLowerCase(),
      name: "Alpha",
      qty,
      price: 1,
      status: "complete",
      currency: "GBP",
      grandTotal: 1,
      customerEmail: "x@example.com",
      customerFullName: "X",
      billingAddress: "",
      shippingAddress: "",
      customerGroupCode: "",
      importId: "test",
    });
    await testDeps()
      .db.insert(salesRows)
      .values([sale("uk", `${tag}1`, 5, recent), sale("fr", `${tag}2`, 2, recent), sale("nl", `${tag}3`, 1, recent), sale("uk", `${tag}4`, 100, old)]);

    const page = await call(`${base}/items?page=1&per_page=100&search=${encodeURIComponent(tag)}`, { token: admin.token });
    expect(page.status).toBe(200);
    expect(page.res.headers.get("x-total-count")).toBe("2");
    expect(page.json).toMatchObject({ total: 2, page: 1, per_page: 100, total_pages: 1 });
    expect(arr(page.json.items)).toEqual([
      {
        item_id: idA,
        product_name: "Alpha bolt",
        sku: a,
        stock_on_hand: 7,
        custom_fields: { uk_6m_data: 5, fr_6m_data: 3, shelf_lt1_qty: 7, shelf_gt1_qty: 0, top_floor_total: 0 },
      },
      expect.objectContaining({ sku: b, stock_on_hand: 3, custom_fields: expect.objectContaining({ uk_6m_data: 0, fr_6m_data: 0 }) }),
    ]);
    const second = await call(`${base}/items?page=2&per_page=1&search=${encodeURIComponent(tag)}`, { token: admin.token });
    expect(arr(second.json.items).map((i) => i.sku)).toEqual([b]);
    expect(second.json.total_pages).toBe(2);

    const metadata = arr((await call(`${base}/metadata`, { token: admin.token })).json);
    expect(metadata.find((m) => String(m.sku) === a)).toMatchObject({
      item_id: idA,
      location: "Aisle 7",
      shelf_lt1: "Aisle 7",
      shelf_lt1_qty: 7,
      status: "Active",
    });
    const products = arr((await call(`${base}/magento-products`, { token: admin.token })).json);
    expect(products.find((p) => String(p.sku) === a)).toMatchObject({ name: "Alpha bolt", discontinued_status: "Active" });
  });

  it("filters without Active answer nothing; a page beyond the bound is a 422 in RM365's shape; sales figures follow the caller's regions", async () => {
    const admin = await loginAs("admin");
    const sku = `${unique("mf").toUpperCase()}-X`;
    await item(admin.token, sku, "Filtered", 1);
    const none = await call(`${base}/items?page=1&per_page=100&discontinued_status=Samples%2CPre%20Order`, { token: admin.token });
    expect(none.json).toMatchObject({ items: [], total: 0 });
    expect((await call(`${base}/magento-products?status_filters=Samples`, { token: admin.token })).json).toEqual([]);
    const active = await call(`${base}/items?page=1&per_page=100&search=${sku}&discontinued_status=Active`, { token: admin.token });
    expect(arr(active.json.items).map((i) => i.sku)).toEqual([sku]);

    const tooBig = await call(`${base}/items?page=1&per_page=101`, { token: admin.token });
    expect(tooBig.status).toBe(422);
    expect(tooBig.json.detail).toBeDefined();

    // An inventory user without the sales tabs sees stock, not sales.
    const stock = await loginAs("operator", { allowed_tabs: ["inventory"] });
    const seen = await call(`${base}/items?search=${sku}`, { token: stock.token });
    expect(seen.status).toBe(200);
    expect(arr(seen.json.items)[0]?.custom_fields).toMatchObject({ uk_6m_data: 0, fr_6m_data: 0 });
    // Without the inventory tab the screen's reads are refused.
    const picker = await loginAs("operator", { allowed_tabs: ["orders"] });
    for (const path of ["items", "metadata", "magento-products"]) expect((await call(`${base}/${path}`, { token: picker.token })).status, path).toBe(403);
  });
});
