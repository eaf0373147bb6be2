/**
 * RM365's magentodata (src/compat/rm365/magentodata.ts over modules/magentodata): syncs from the
 * bundled fake shop into per-region lines, resumption, bounds, failures, condensed views, history
 * and access.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { orderLines, PAGE_SIZE } from "../../../src/modules/magentodata/sync";
import { arr, call, type Json, loginAs, unique } from "../../helpers";
import { useFakeShop } from "../../magento/fake-shop";

const shop = useFakeShop();

const Lines = z.array(z.object({ order_number: z.string(), sku: z.string(), qty: z.number(), name: z.string(), created_at: z.string() }));

/** A date `daysAgo` days back, in Magento's format, `seconds` past 08:00. */
const magentoDate = (daysAgo: number, seconds = 0) =>
  `${new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10)} 08:00:${String(seconds).padStart(2, "0")}`;

async function sync(token: string, region: string, body: object = {}) {
  return call(`/api/v1/magentodata/${region}/sync`, { token, body });
}

/** This file's orders only: the shop holds only what this file adds, but each test adds its own. */
const linesOf = async (token: string, region: string, tag: string) => {
  const res = await call(`/api/v1/magentodata/${region}?limit=1000&offset=0&search=${tag}`, { token });
  expect(res.status).toBe(200);
  return Lines.parse(res.json.data);
};

describe("RM365 magentodata", () => {
  it("a sync writes one line per order and SKU, then resumes after the newest order: caught up is 0 orders", async () => {
    const admin = (await loginAs("admin")).token;
    const tag = unique("MG").toUpperCase();
    shop.orders.length = 0;
    const a = shop.addOrder(
      [
        { sku: `${tag}-A`, name: "Anchor", qty_ordered: 2 },
        { sku: `${tag}-B`, qty_ordered: 1 },
      ],
      { created_at: magentoDate(5) },
    );
    const b = shop.addOrder([{ sku: `${tag}-A`, name: "Anchor", qty_ordered: 3 }], { created_at: magentoDate(2) });
    const first = await sync(admin, "uk");
    expect(first.status, JSON.stringify(first.json)).toBe(200);
    expect(first.json).toMatchObject({ status: "success", orders_processed: 2, rows_synced: 3, is_complete: true });
    const lines = await linesOf(admin, "uk", tag);
    expect(lines.map((l) => [l.order_number, l.sku, l.qty])).toEqual([
      [b, `${tag}-A`, 3],
      [a, `${tag}-A`, 2],
      [a, `${tag}-B`, 1],
    ]);
    expect(lines[0]?.created_at).toBe(`${magentoDate(2).replace(" ", "T")}.000Z`);

    const again = await sync(admin, "uk");
    expect(again.json).toMatchObject({ status: "success", orders_processed: 0, rows_synced: 0, message: "No new data to sync from Magento" });
    const c = shop.addOrder([{ sku: `${tag}-C`, qty_ordered: 4 }], { created_at: magentoDate(1) });
    const next = await sync(admin, "uk");
    expect(next.json).toMatchObject({ orders_processed: 1, rows_synced: 1 });
    expect((await linesOf(admin, "uk", tag)).map((l) => l.order_number)).toContain(c);
    // Another region's data is its own: FR has none of these until it syncs.
    expect(await linesOf(admin, "fr", tag)).toEqual([]);

    // The condensed view adds the lines up per SKU.
    const condensed = await call(`/api/v1/magentodata/uk/condensed?limit=100&offset=0&search=${tag}`, { token: admin });
    expect(arr(condensed.json.data).map((r) => [(r as Json).sku, (r as Json).total_qty])).toEqual([
      [`${tag}-A`, 5],
      [`${tag}-C`, 4],
      [`${tag}-B`, 1],
    ]);
    const refreshed = await call("/api/v1/magentodata/refresh-condensed/uk", { token: admin, body: {} });
    expect(refreshed.json).toMatchObject({ status: "success", rows_aggregated: condensed.json.total_count });
  });

  it("re-reading a window (resync_days, start_date) rewrites lines in place and never doubles them", async () => {
    const admin = (await loginAs("admin")).token;
    const tag = unique("RS").toUpperCase();
    shop.orders.length = 0;
    const n = shop.addOrder([{ sku: `${tag}-A`, qty_ordered: 1 }], { created_at: magentoDate(3) });
    await sync(admin, "nl");
    const order = shop.orders.find((o) => o.increment_id === n);
    if (!order?.items[0]) throw new Error("order missing");
    order.items[0].qty_ordered = 6;
    order.status = "complete";
    const resync = await sync(admin, "nl", { resync_days: 7 });
    expect(resync.json).toMatchObject({ orders_processed: 1, rows_synced: 1 });
    const window = await sync(admin, "nl", { start_date: magentoDate(10).slice(0, 10), end_date: magentoDate(0).slice(0, 10) });
    expect(window.json).toMatchObject({ orders_processed: 1 });
    expect((await linesOf(admin, "nl", tag)).map((l) => [l.order_number, l.qty])).toEqual([[n, 6]]);
  });

  it("one request reads at most max_orders, in pages, and the next continues; orders at the same second are not lost", async () => {
    const admin = (await loginAs("admin")).token;
    const tag = unique("PG").toUpperCase();
    shop.orders.length = 0;
    for (let i = 0; i < PAGE_SIZE + 5; i++) shop.addOrder([{ sku: `${tag}-${i}`, qty_ordered: 1 }], { created_at: magentoDate(4, i < 3 ? 0 : 1) });
    const first = await sync(admin, "fr", { max_orders: 2 });
    expect(first.json).toMatchObject({ orders_processed: 2, is_complete: false });
    const rest = await sync(admin, "fr");
    expect(rest.json).toMatchObject({ orders_processed: PAGE_SIZE + 3, is_complete: true });
    const pages = shop.state.requests.filter((r) => r.url.includes("currentPage%5D=2") || r.url.includes("currentPage]=2"));
    expect(pages.length).toBeGreaterThan(0);
    expect(await linesOf(admin, "fr", tag)).toHaveLength(PAGE_SIZE + 5);
    expect((await sync(admin, "fr")).json.orders_processed).toBe(0);
    expect((await sync(admin, "fr", { max_orders: 501 })).status).toBe(422);
    expect((await sync(admin, "fr", { start_date: "yesterday" })).status).toBe(422);
  });

  it("the test sync takes the ten newest orders, then the ten before the oldest it holds", async () => {
    const admin = (await loginAs("admin")).token;
    const tag = unique("TS").toUpperCase();
    shop.orders.length = 0;
    for (let i = 0; i < 25; i++) shop.addOrder([{ sku: `${tag}-${i}`, qty_ordered: 1 }], { created_at: magentoDate(30 - i) });
    const first = await call("/api/v1/magentodata/test-sync", { token: admin, body: {} });
    expect(first.json).toMatchObject({ status: "success", orders_processed: 10 });
    const newest = (await linesOf(admin, "test", tag)).map((l) => l.sku);
    expect(newest).toEqual(Array.from({ length: 10 }, (_, i) => `${tag}-${24 - i}`));
    await call("/api/v1/magentodata/test-sync", { token: admin, body: {} });
    const third = await call("/api/v1/magentodata/test-sync", { token: admin, body: {} });
    expect(third.json).toMatchObject({ orders_processed: 5 });
    const list = await call(`/api/v1/magentodata/test?limit=100&offset=0&search=${tag}`, { token: admin });
    expect(list.json).toMatchObject({ total: 25, total_count: 25 });
    expect((await call("/api/v1/magentodata/test-sync", { token: admin, body: {} })).json.orders_processed).toBe(0);
  });

  it("a failure upstream is a 502 {detail}; the sync is recorded failed in the history, earlier syncs success", async () => {
    const admin = (await loginAs("admin")).token;
    shop.orders.length = 0;
    shop.addOrder([{ sku: unique("H"), qty_ordered: 1 }], { created_at: magentoDate(1) });
    expect((await sync(admin, "uk")).status).toBe(200);
    shop.state.mode = "error500";
    const failed = await sync(admin, "uk");
    expect(failed.status).toBe(502);
    expect(failed.json.detail).toBeTypeOf("string");
    const history = await call("/api/v1/magentodata/history?limit=50&offset=0", { token: admin });
    const [latest, previous] = arr(history.json.data) as Json[];
    expect(latest).toMatchObject({ region: "uk", status: "failed", rows_imported: 0 });
    expect(String(latest?.message)).toContain("Magento");
    expect(previous).toMatchObject({ region: "uk", status: "success" });
    expect(Number.isInteger(latest?.id)).toBe(true);
    expect(history.res.headers.get("x-total-count")).toBe(String(history.json.total_count));
  });

  it("without Magento configured a sync is a 503 and writes nothing", async () => {
    const admin = (await loginAs("admin")).token;
    shop.setEnv({ MAGENTO_TOKEN: undefined });
    const res = await sync(admin, "uk");
    expect(res.status).toBe(503);
    expect(res.json.detail).toContain("MAGENTO_TOKEN");
  });

  it("each region keeps its tab; syncing needs salesdata:import; the history shows only the caller's regions", async () => {
    const ukViewer = (await loginAs("viewer", { allowed_tabs: ["magentodata.uk-magento", "magentodata.history"] })).token;
    expect((await call("/api/v1/magentodata/uk?limit=10", { token: ukViewer })).status).toBe(200);
    expect((await call("/api/v1/magentodata/fr?limit=10", { token: ukViewer })).status).toBe(403);
    expect((await call("/api/v1/magentodata/fr/condensed", { token: ukViewer })).status).toBe(403);
    expect((await sync(ukViewer, "uk")).status).toBe(403);
    expect((await call("/api/v1/magentodata/history?region=fr", { token: ukViewer })).status).toBe(403);
    const mine = await call("/api/v1/magentodata/history?limit=50", { token: ukViewer });
    // UK and the test page (any magentodata tab opens it), never FR or NL.
    const shown = arr(mine.json.data).map((r) => (r as Json).region);
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.filter((region) => String(region) !== "uk" && String(region) !== "test")).toEqual([]);
    const frManager = (await loginAs("production_manager", { allowed_tabs: ["magentodata.fr-magento"] })).token;
    expect((await sync(frManager, "uk")).status).toBe(403);
    expect((await call("/api/v1/magentodata/history", { token: frManager })).status).toBe(403);
    expect((await call("/api/v1/magentodata/status")).status).toBe(401);
  });

  it("order lines: configurable children skipped, repeated SKUs added up, prices and addresses kept", () => {
    const lines = orderLines(
      {
        entity_id: 1,
        increment_id: "100001",
        status: "processing",
        created_at: "2026-11-20 08:00:00",
        customer_firstname: "Ada",
        customer_lastname: "Lovelace",
        order_currency_code: "EUR",
        grand_total: 42,
        customer_email: "ada@example.com",
        customer_group_id: 1,
        billing_address: { firstname: "Ada", lastname: "Lovelace", street: ["1 Rue"], city: "Paris", postcode: "75001", country_id: "FR" },
        items: [
          { item_id: 1, sku: "SHIRT-M", name: "Shirt", qty_ordered: 1, qty_invoiced: 0, product_type: "configurable", price: 8, original_price: 10 },
          { item_id: 2, sku: "SHIRT-M", name: "Shirt M", qty_ordered: 1, qty_invoiced: 0, parent_item_id: 1, price: 0, original_price: 0 },
          { item_id: 3, sku: "SOCK", name: "Sock", qty_ordered: 2, qty_invoiced: 0, price: 3 },
          { item_id: 4, sku: "SOCK", name: "Sock", qty_ordered: 1, qty_invoiced: 0, price: 3 },
        ],
      },
      "fr",
      "sync-1",
      "2026-11-20T08:00:00.000Z",
    );
    expect(lines.map((l) => [l.sku, l.qty, l.originalPrice, l.specialPrice])).toEqual([
      ["SHIRT-M", 1, 10, 8],
      ["SOCK", 3, 3, null],
    ]);
    expect(lines[0]).toMatchObject({
      currency: "EUR",
      customerFullName: "Ada Lovelace",
      billingAddress: "Ada Lovelace, 1 Rue, Paris, 75001, FR",
      customerGroupCode: "1",
    });
  });
});
