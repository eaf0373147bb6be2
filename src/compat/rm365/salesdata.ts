/**
 * RM365's sales-data screens (`/api/v1/salesdata/…` as its backend served them): the region
 * lists with `limit` up to 1,000 (RM365's `le=1000`, default 100), the home page's `init` and
 * `status`, each region's condensed view (six months, or a custom range) and its refresh, and
 * the import history with integer ids. Uploads, import history by UUID and the summary are the
 * module's own routes.
 *
 * Differences from the seed, on purpose:
 * - `init` creates nothing: Floorline's tables come from migrations. It reports the tables that
 *   exist, as RM365's did after creating them (`status: "error"` if one is missing).
 * - `de` is a region too (Floorline's fourth tab).
 * - The condensed view is computed on read (modules/salesdata/condensed.ts), so it is never
 *   stale: `refresh-condensed` writes nothing and reports the products the view holds. RM365's
 *   exclusion lists and thresholds are not kept (`use_exclusions` changes nothing).
 * - A bad custom range (`range_type` or `range_value`) is a 422 `{detail}`, not RM365's 200 with
 *   `status: "error"`; the client shows either message.
 * - The history's `status` is `success` for a finished import (RM365's word) and Floorline's
 *   state otherwise (`rejected`, `failed`, `duplicate`, `validating`, `importing`); its `id` is
 *   an integer, `import_id` the import's UUID (`GET /salesdata/imports/{id}`).
 */

import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { createRouter, json, principalOf } from "../../lib/route";
import { type CondensedRange, condensedSales, condensedSkuCount } from "../../modules/salesdata/condensed";
import { importHistory } from "../../modules/salesdata/history";
import { Region, SalesList, type SalesRegion } from "../../modules/salesdata/schemas";
import { listSalesRows, REGION_TABS, regionsOf, SALES_TABLES, salesTablesStatus } from "../../modules/salesdata/service";
import type { AppEnv } from "../../types";
import { defineRoute, setTotal } from "./common";

const TAGS = ["rm365"];

/** RM365's `?limit&offset&search` (its `limit` went to 1,000, default 100). */
const Rm365SalesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
  search: z.string().trim().max(100).optional().describe("Matches order number, SKU, product name, customer name or e-mail (substring)"),
  fields: z.string().max(500).optional().describe("Accepted, not applied: every column is returned"),
});

const Page = {
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
};
const Search = z.string().trim().max(100).optional().describe("Matches the SKU or product name (substring)");

/** RM365's condensed view query (`?limit&offset&search`). */
const CondensedQuery = z.object({ ...Page, search: Search });

const Flag = z.enum(["true", "false", "1", "0", "True", "False"]).transform((v) => v === "true" || v === "1" || v === "True");

/** RM365's custom range: `days`/`months` take a count, `since` a day (YYYY-MM-DD). */
const CustomRangeQuery = z
  .object({
    range_type: z.enum(["days", "months", "since"]),
    range_value: z.string().trim().min(1).max(10),
    use_exclusions: Flag.default(true).describe("Accepted; Floorline keeps no exclusion lists"),
    ...Page,
    search: Search,
  })
  .transform((q, ctx): { range: CondensedRange; limit: number; offset: number; search?: string; range_type: string; range_value: string } => {
    const base = { limit: q.limit, offset: q.offset, search: q.search, range_type: q.range_type, range_value: q.range_value };
    if (q.range_type === "since") {
      if (!z.iso.date().safeParse(q.range_value).success) {
        ctx.addIssue({ code: "custom", path: ["range_value"], message: `Invalid date format: ${q.range_value}. Expected YYYY-MM-DD` });
        return z.NEVER;
      }
      return { ...base, range: { type: "since", day: q.range_value } };
    }
    const n = /^\d{1,5}$/.test(q.range_value) ? Number(q.range_value) : Number.NaN;
    if (!(n >= 1 && n <= (q.range_type === "days" ? 36_500 : 1_200))) {
      ctx.addIssue({ code: "custom", path: ["range_value"], message: `Invalid ${q.range_type} value: ${q.range_value}` });
      return z.NEVER;
    }
    return { ...base, range: q.range_type === "days" ? { type: "days", days: n } : { type: "months", months: n } };
  });

const CondensedRow = z
  .object({
    id: z.number().int().describe("Its place in this ordering (1-based), as RM365's custom range numbered rows"),
    sku: z.string().describe("The base SKU (an -MD variant counts as its base)"),
    name: z.string().describe("The name on the newest order line"),
    total_qty: z.number(),
    last_updated: z.string().describe("When the newest contributing line was written"),
  })
  .meta({ id: "Rm365CondensedRow" });

const CondensedList = z
  .object({
    status: z.literal("success"),
    region: Region,
    range_type: z.string().optional(),
    range_value: z.string().optional(),
    data: z.array(CondensedRow),
    total_count: z.number().int(),
    limit: z.number().int(),
    offset: z.number().int(),
  })
  .meta({ id: "Rm365CondensedList" });

const RefreshRegion = z
  .object({ status: z.literal("success"), message: z.string(), region: Region, rows_aggregated: z.number().int(), table: z.string() })
  .meta({ id: "Rm365RefreshCondensed" });

const RefreshAll = z
  .object({
    status: z.literal("success"),
    message: z.string(),
    results: z.record(z.string(), z.object({ success: z.boolean(), rows_aggregated: z.number().int() })),
    total_rows_aggregated: z.number().int(),
  })
  .meta({ id: "Rm365RefreshCondensedAll" });

const HistoryQuery = z.object({ ...Page, region: Region.optional().describe("Only this region") });

const HistoryRecord = z
  .object({
    id: z.number().int().describe("An integer id (the client embeds it in its markup)"),
    import_id: z.string().describe("The import's UUID (GET /salesdata/imports/{id})"),
    region: Region,
    filename: z.string(),
    rows_imported: z.number().int(),
    rows_failed: z.number().int(),
    errors: z.array(z.string()),
    imported_by: z.string(),
    imported_at: z.string(),
    status: z.string().describe("success (a finished import), or rejected, failed, duplicate, validating, importing"),
  })
  .meta({ id: "Rm365ImportHistoryRecord" });

const HistoryList = z
  .object({ status: z.literal("success"), data: z.array(HistoryRecord), total_count: z.number().int(), limit: z.number().int(), offset: z.number().int() })
  .meta({ id: "Rm365ImportHistory" });

const CONDENSED_TABLE = "sales_rows (aggregated on read)";

const InitResult = z.object({ status: z.enum(["success", "error"]), message: z.string(), tables: z.array(z.string()) }).meta({ id: "Rm365SalesInit" });

const TablesStatus = z
  .object({ status: z.literal("success"), tables_status: z.record(z.string(), z.boolean()), all_tables_exist: z.boolean() })
  .meta({ id: "Rm365SalesTablesStatus" });

const router = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/init",
      access: "salesdata:read",
      pureRead: true,
      tab: "salesdata",
      summary: "RM365's table initialisation: the sales-data tables exist by migration; lists them",
      tags: TAGS,
      responses: { 200: json(InitResult, "The tables") },
    }),
    async (c) => {
      const status = await salesTablesStatus(c.var.deps);
      const tables = SALES_TABLES.filter((t) => status[t]);
      const ready = tables.length === SALES_TABLES.length;
      return c.json(
        {
          status: ready ? ("success" as const) : ("error" as const),
          message: ready ? "Sales data tables initialized successfully" : "Sales data tables are missing: apply the migrations",
          tables,
        },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/status",
      access: "salesdata:read",
      pureRead: true,
      tab: "salesdata",
      summary: "RM365's table status: which sales-data tables exist",
      tags: TAGS,
      responses: { 200: json(TablesStatus, "Per table") },
    }),
    async (c) => {
      const status = await salesTablesStatus(c.var.deps);
      return c.json({ status: "success" as const, tables_status: status, all_tables_exist: Object.values(status).every(Boolean) }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/history",
      access: "salesdata:read",
      pureRead: true,
      tab: "salesdata.history",
      summary: "RM365's import history: newest first, integer ids, the regions whose tab the caller holds",
      tags: TAGS,
      request: { query: HistoryQuery },
      errors: { 403: "The region's tab is missing" },
      responses: { 200: json(HistoryList, "A page of imports") },
    }),
    async (c) => {
      const page = await importHistory(c.var.deps, c.req.valid("query"), principalOf(c));
      setTotal(c, page.total_count);
      return c.json({ status: "success" as const, ...page }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/refresh-condensed",
      access: "salesdata:read",
      tab: "salesdata",
      summary: "RM365's refresh of every condensed view: computed on read here, so it reports each of the caller's regions",
      tags: TAGS,
      responses: { 200: json(RefreshAll, "Products per region") },
    }),
    async (c) => {
      const regions = regionsOf(principalOf(c));
      const results: Record<string, { success: boolean; rows_aggregated: number }> = {};
      let total = 0;
      for (const region of regions) {
        const count = await condensedSkuCount(c.var.deps, region);
        results[region] = { success: true, rows_aggregated: count };
        total += count;
      }
      return c.json(
        {
          status: "success" as const,
          message: `Refreshed condensed data for ${regions.length}/${regions.length} regions`,
          results,
          total_rows_aggregated: total,
        },
        200,
      );
    },
  );

/** A region's list: one route per region, so each declares its region's tab (as the module did). */
function regionList(app: OpenAPIHono<AppEnv>, region: SalesRegion) {
  return app.openapi(
    defineRoute({
      method: "get",
      path: `/${region}`,
      access: "salesdata:read",
      pureRead: true,
      tab: REGION_TABS[region],
      summary: `${region.toUpperCase()} order lines, newest first (RM365: limit up to 1,000, offset, search)`,
      tags: TAGS,
      request: { query: Rm365SalesQuery },
      responses: { 200: json(SalesList, `A page of ${region.toUpperCase()} order lines`) },
    }),
    async (c) => {
      const { limit, offset, search } = c.req.valid("query");
      const list = await listSalesRows(c.var.deps, Region.parse(region), { limit, offset, search });
      setTotal(c, list.total_count);
      return c.json(list, 200);
    },
  );
}

/** A region's condensed view (six months), its custom range and its refresh, under the region's tab. */
function regionCondensed(app: OpenAPIHono<AppEnv>, region: SalesRegion) {
  const name = region.toUpperCase();
  return app
    .openapi(
      defineRoute({
        method: "get",
        path: `/${region}/condensed`,
        access: "salesdata:read",
        pureRead: true,
        tab: REGION_TABS[region],
        summary: `${name} quantities per product over six months, largest first (RM365's condensed view)`,
        tags: TAGS,
        request: { query: CondensedQuery },
        responses: { 200: json(CondensedList, `A page of ${name} products`) },
      }),
      async (c) => {
        const { limit, offset, search } = c.req.valid("query");
        const page = await condensedSales(c.var.deps, region, { range: { type: "six_months" }, limit, offset, search });
        setTotal(c, page.total_count);
        return c.json({ status: "success" as const, region, ...page }, 200);
      },
    )
    .openapi(
      defineRoute({
        method: "get",
        path: `/${region}/condensed/custom-range`,
        access: "salesdata:read",
        pureRead: true,
        tab: REGION_TABS[region],
        summary: `${name} quantities per product over the last N days or months, or since a day`,
        tags: TAGS,
        request: { query: CustomRangeQuery },
        responses: { 200: json(CondensedList, `A page of ${name} products`) },
      }),
      async (c) => {
        const { range, limit, offset, search, range_type, range_value } = c.req.valid("query");
        const page = await condensedSales(c.var.deps, region, { range, limit, offset, search });
        setTotal(c, page.total_count);
        return c.json({ status: "success" as const, region, range_type, range_value, ...page }, 200);
      },
    )
    .openapi(
      defineRoute({
        method: "post",
        path: `/refresh-condensed/${region}`,
        access: "salesdata:read",
        tab: REGION_TABS[region],
        summary: `RM365's refresh of the ${name} condensed view: computed on read here, so it reports the products it holds`,
        tags: TAGS,
        responses: { 200: json(RefreshRegion, "Products in the view") },
      }),
      async (c) => {
        const count = await condensedSkuCount(c.var.deps, region);
        return c.json(
          { status: "success" as const, message: `Successfully refreshed condensed data for ${name}`, region, rows_aggregated: count, table: CONDENSED_TABLE },
          200,
        );
      },
    );
}

const withLists = regionList(regionList(regionList(regionList(router, "uk"), "fr"), "nl"), "de");
export const rm365SalesdataRoutes = regionCondensed(regionCondensed(regionCondensed(regionCondensed(withLists, "uk"), "fr"), "nl"), "de");
