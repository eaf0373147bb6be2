/**
 * RM365's condensed sales views, their refresh and the import history (src/compat/rm365/salesdata.ts
 * over modules/salesdata/condensed.ts and history.ts), with order lines uploaded as a client would.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { rangeStart } from "../../../src/modules/salesdata/condensed";
import { arr, call, type Json, loginAs, unique } from "../../helpers";

const HEADER =
  "order_number,created_at,sku,name,qty,price,status,currency,grand_total,customer_email,customer_full_name,billing_address,shipping_address,customer_group_code";

const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);

const line = (order: string, sku: string, name: string, qty: number, date: string) =>
  [order, `${date} 10:00:00`, sku, name, qty, "10.00", "complete", "GBP", "10.00", "jo@example.com", "Jo", "Leeds", "Leeds", "General"].join(",");

async function upload(token: string, region: string, lines: string[]) {
  const form = new FormData();
  form.append("file", new File([`${HEADER}\r\n${lines.join("\r\n")}\r\n`], `${unique("export")}.csv`, { type: "text/csv" }));
  const res = await call(`/api/v1/salesdata/${region}/upload`, { token, body: form });
  expect(res.status, JSON.stringify(res.json)).toBeLessThan(300);
  return res;
}

const CondensedRows = z.array(z.object({ sku: z.string(), name: z.string(), total_qty: z.number(), id: z.number().int(), last_updated: z.string() }));
const rows = (json: Json) => CondensedRows.parse(json.data);

describe("RM365 condensed sales", () => {
  it("adds up six months per base SKU (-MD variants merged), newest name, largest first, searchable and paged", async () => {
    const admin = (await loginAs("admin")).token;
    const tag = unique("CND").toUpperCase();
    await upload(admin, "uk", [
      line(`${tag}-1`, `${tag}-A`, "Old name", 2, day(100)),
      line(`${tag}-2`, `${tag}-A-MD`, "Variant", 3, day(10)),
      line(`${tag}-3`, `${tag}-A-md-2`, "New name", 4, day(5)),
      line(`${tag}-4`, `${tag}-B`, "Bee", 1, day(3)),
      line(`${tag}-5`, `${tag}-B`, "Too old", 50, day(400)),
    ]);
    const res = await call(`/api/v1/salesdata/uk/condensed?limit=100&offset=0&search=${tag}`, { token: admin });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: "success", region: "uk", total_count: 2, limit: 100, offset: 0 });
    expect(res.res.headers.get("x-total-count")).toBe("2");
    expect(rows(res.json).map(({ sku, name, total_qty, id }) => ({ sku, name, total_qty, id }))).toEqual([
      { sku: `${tag}-A`, name: "New name", total_qty: 9, id: 1 },
      { sku: `${tag}-B`, name: "Bee", total_qty: 1, id: 2 },
    ]);
    expect(rows(res.json)[0]?.last_updated).toMatch(/^\d{4}-\d\d-\d\dT/);
    const second = await call(`/api/v1/salesdata/uk/condensed?limit=1&offset=1&search=${tag}`, { token: admin });
    expect(rows(second.json).map((r) => [r.sku, r.id])).toEqual([[`${tag}-B`, 2]]);
    // Other regions hold none of these lines.
    const fr = await call(`/api/v1/salesdata/fr/condensed?search=${tag}`, { token: admin });
    expect(fr.json.total_count).toBe(0);
  });

  it("a custom range counts the last N days or months, or since a day; a bad range is a 422 {detail}", async () => {
    const admin = (await loginAs("admin")).token;
    const tag = unique("RNG").toUpperCase();
    await upload(admin, "nl", [line(`${tag}-1`, `${tag}-X`, "X", 2, day(3)), line(`${tag}-2`, `${tag}-X`, "X", 5, day(45))]);
    const total = async (query: string) => {
      const res = await call(`/api/v1/salesdata/nl/condensed/custom-range?${query}&use_exclusions=true&limit=1000&offset=0&search=${tag}`, {
        token: admin,
      });
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      return rows(res.json)[0]?.total_qty ?? 0;
    };
    expect(await total("range_type=days&range_value=30")).toBe(2);
    expect(await total("range_type=days&range_value=60")).toBe(7);
    expect(await total("range_type=months&range_value=1")).toBe(2);
    expect(await total("range_type=months&range_value=2")).toBe(7);
    expect(await total(`range_type=since&range_value=${day(10)}`)).toBe(2);
    const ok = await call(`/api/v1/salesdata/nl/condensed/custom-range?range_type=days&range_value=30&use_exclusions=false&search=${tag}`, { token: admin });
    expect(ok.json).toMatchObject({ status: "success", region: "nl", range_type: "days", range_value: "30", total_count: 1 });
    for (const bad of ["range_type=days&range_value=abc", "range_type=weeks&range_value=2", "range_type=since&range_value=2026-02-31", "range_type=days"]) {
      const res = await call(`/api/v1/salesdata/nl/condensed/custom-range?${bad}`, { token: admin });
      expect(res.status, bad).toBe(422);
      expect(res.json.detail, bad).toBeTruthy();
    }
  });

  it("six months are calendar months, as RM365's INTERVAL '6 months' (the 31st falls back to the month's last day)", () => {
    expect(rangeStart({ type: "six_months" }, new Date("2026-08-31T12:00:00Z"))).toBe("2026-02-28");
    expect(rangeStart({ type: "six_months" }, new Date("2026-03-15T00:00:00Z"))).toBe("2025-09-15");
    expect(rangeStart({ type: "months", months: 2 }, new Date("2026-03-15T23:00:00Z"))).toBe("2026-01-14");
    expect(rangeStart({ type: "days", days: 30 }, new Date("2026-03-15T23:00:00Z"))).toBe("2026-02-13");
  });

  it("refresh reports the products of each of the caller's regions and writes nothing; each region keeps its tab", async () => {
    const admin = (await loginAs("admin")).token;
    const tag = unique("REF").toUpperCase();
    await upload(admin, "fr", [line(`${tag}-1`, `${tag}-P`, "P", 1, day(2)), line(`${tag}-2`, `${tag}-Q`, "Q", 1, day(2))]);
    const before = await call("/api/v1/salesdata/fr/condensed?limit=1", { token: admin });
    const one = await call("/api/v1/salesdata/refresh-condensed/fr", { token: admin, body: {} });
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({ status: "success", region: "fr", rows_aggregated: before.json.total_count });
    const frOnly = (await loginAs("production_manager", { allowed_tabs: ["salesdata.fr-sales"] })).token;
    const all = await call("/api/v1/salesdata/refresh-condensed", { token: frOnly, body: {} });
    expect(all.status).toBe(200);
    expect(Object.keys(all.json.results as object)).toEqual(["fr"]);
    expect(all.json.total_rows_aggregated).toBe(before.json.total_count);
    expect((await call("/api/v1/salesdata/refresh-condensed/uk", { token: frOnly, body: {} })).status).toBe(403);
    expect((await call("/api/v1/salesdata/uk/condensed", { token: frOnly })).status).toBe(403);
    expect((await call("/api/v1/salesdata/uk/condensed/custom-range?range_type=days&range_value=3", { token: frOnly })).status).toBe(403);
    expect((await call("/api/v1/salesdata/fr/condensed", { token: frOnly })).status).toBe(200);
    expect((await call("/api/v1/salesdata/fr/condensed")).status).toBe(401);
  });

  it("the history lists imports newest first with integer ids, RM365's fields, and only the caller's regions", async () => {
    const admin = (await loginAs("admin")).token;
    const tag = unique("HIS").toUpperCase();
    await upload(admin, "uk", [line(`${tag}-1`, `${tag}-U`, "U", 1, day(2))]);
    await upload(admin, "nl", [line(`${tag}-2`, `${tag}-N`, "N", 1, day(2))]);
    const res = await call("/api/v1/salesdata/history?limit=50&offset=0", { token: admin });
    expect(res.status).toBe(200);
    const data = arr(res.json.data) as Json[];
    expect(res.res.headers.get("x-total-count")).toBe(String(res.json.total_count));
    const [newest, previous] = data;
    expect(newest).toMatchObject({ region: "nl", status: "success", rows_imported: 1, rows_failed: 0, errors: [] });
    expect(previous).toMatchObject({ region: "uk", status: "success" });
    expect(Number.isInteger(newest?.id)).toBe(true);
    expect(newest?.id).not.toBe(previous?.id);
    expect(newest?.imported_by).toBeTypeOf("string");
    expect(newest?.import_id).toMatch(/^[0-9a-f-]{36}$/);
    const byUuid = await call(`/api/v1/salesdata/imports/${newest?.import_id}`, { token: admin });
    expect(byUuid.json.filename).toEqual(newest?.filename);

    const ukHistory = (await loginAs("production_manager", { allowed_tabs: ["salesdata.history", "salesdata.uk-sales"] })).token;
    const mine = await call("/api/v1/salesdata/history?limit=50&offset=0", { token: ukHistory });
    expect(arr(mine.json.data).map((r) => (r as Json).region)).toEqual(expect.arrayContaining(["uk"]));
    expect(new Set(arr(mine.json.data).map((r) => (r as Json).region))).toEqual(new Set(["uk"]));
    expect((await call("/api/v1/salesdata/history?region=nl", { token: ukHistory })).status).toBe(403);
    const onlyHistory = (await loginAs("production_manager", { allowed_tabs: ["salesdata.history"] })).token;
    expect((await call("/api/v1/salesdata/history", { token: onlyHistory })).json).toMatchObject({ data: [], total_count: 0 });
    const noHistoryTab = (await loginAs("production_manager", { allowed_tabs: ["salesdata.uk-sales"] })).token;
    expect((await call("/api/v1/salesdata/history", { token: noHistoryTab })).status).toBe(403);
    expect((await call("/api/v1/salesdata/history?limit=1001", { token: admin })).status).toBe(422);
  });
});
