/**
 * RM365's sales-data routes (src/compat/rm365/salesdata.ts): the region lists take `limit` up to
 * 1,000 as RM365's did, carry the total in X-Total-Count, and keep each region's tab; `init` and
 * `status` report the tables that exist.
 */
import { describe, expect, it } from "vitest";
import { call, loginAs } from "../../helpers";

describe("RM365 sales data", () => {
  it("a region list takes limit up to 1,000 (RM365's le=1000), not beyond, and sends X-Total-Count", async () => {
    const admin = (await loginAs("admin")).token;
    const res = await call("/api/v1/salesdata/uk?limit=1000&offset=0&search=", { token: admin });
    expect(res.status).toBe(200);
    expect(res.json.limit).toBe(1000);
    expect(res.res.headers.get("x-total-count")).toBe(String(res.json.total_count));
    const defaulted = await call("/api/v1/salesdata/fr", { token: admin });
    expect(defaulted.json.limit).toBe(100);
    const over = await call("/api/v1/salesdata/uk?limit=1001", { token: admin });
    expect(over.status).toBe(422);
    expect(over.json.detail).toBeTypeOf("string");
  });

  it("a region list is refused without the region's tab; init and status need a sales-data tab", async () => {
    const frOnly = (await loginAs("production_manager", { allowed_tabs: ["salesdata.fr-sales"] })).token;
    expect((await call("/api/v1/salesdata/uk?limit=1000", { token: frOnly })).status).toBe(403);
    expect((await call("/api/v1/salesdata/fr?limit=1000", { token: frOnly })).status).toBe(200);
    const status = await call("/api/v1/salesdata/status", { token: frOnly });
    expect(status.json).toEqual({ status: "success", tables_status: { sales_rows: true, sales_imports: true }, all_tables_exist: true });
    const init = await call("/api/v1/salesdata/init", { token: frOnly });
    expect(init.json).toMatchObject({ status: "success", tables: ["sales_rows", "sales_imports"] });
    const noTab = (await loginAs("production_manager", { allowed_tabs: ["labels.generator"] })).token;
    expect((await call("/api/v1/salesdata/status", { token: noTab })).status).toBe(403);
    expect((await call("/api/v1/salesdata/init")).status).toBe(401);
  });
});
