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
import { condensedSales, condensedSkuCount } from "../../modules/salesdata/condensed";
import { importHistory } from "../../modules/salesdata/history";
import { Region, SalesList, type SalesRegion } from "../../modules/salesdata/schemas";
import { listSalesRows, REGION_TABS, regionsOf, SALES_TABLES, salesTablesStatus } from "../../modules/salesdata/service";
import type { AppEnv } from "../../types";
import { defineRoute, setTotal } from "./common";
import {
  CondensedList,
  CondensedQuery,
  CustomRangeQuery,
  InitResult,
  initAnswer,
  Page,
  RefreshAll,
  RefreshRegion,
  statusAnswer,
  TablesStatus,
} from "./sales-views";

const TAGS = ["rm365"];

/** RM365's `?limit&offset&search` (its `limit` went to 1,000, default 100). */
const Rm365SalesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
  search: z.string().trim().max(100).optional().describe("Matches order number, SKU, product name, customer name or e-mail (substring)"),
  fields: z.string().max(500).optional().describe("Accepted, not applied: every column is returned"),
});

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
    async (c) => c.json(initAnswer(await salesTablesStatus(c.get("deps")), SALES_TABLES, "Sales data"), 200),
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
    async (c) => c.json(statusAnswer(await salesTablesStatus(c.get("deps"))), 200),
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
      const page = await importHistory(c.get("deps"), c.req.valid("query"), principalOf(c));
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
        const count = await condensedSkuCount(c.get("deps"), "sales", region);
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
      const list = await listSalesRows(c.get("deps"), Region.parse(region), { limit, offset, search });
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
        const page = await condensedSales(c.get("deps"), "sales", region, { range: { type: "six_months" }, limit, offset, search });
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
        const page = await condensedSales(c.get("deps"), "sales", region, { range, limit, offset, search });
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
        const count = await condensedSkuCount(c.get("deps"), "sales", region);
        return c.json(
          { status: "success" as const, message: `Successfully refreshed condensed data for ${name}`, region, rows_aggregated: count, table: CONDENSED_TABLE },
          200,
        );
      },
    );
}

const withLists = regionList(regionList(regionList(regionList(router, "uk"), "fr"), "nl"), "de");
export const rm365SalesdataRoutes = regionCondensed(regionCondensed(regionCondensed(regionCondensed(withLists, "uk"), "fr"), "nl"), "de");
