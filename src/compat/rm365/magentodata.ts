/**
 * RM365's magentodata screens (`/api/v1/magentodata/…`): order lines synced from the Magento
 * shop (modules/magentodata/sync.ts, over the client in modules/magento), listed per region,
 * condensed per product like the sales data, and the sync history. `init`/`status` report the
 * tables (they exist by migration).
 *
 * Differences from the seed, on purpose:
 * - A sync reads at most 500 orders per request (`max_orders` lowers it) and says whether it
 *   read everything (`is_complete`); RM365's client calls again while orders keep coming. It
 *   resumes after the newest order it holds; `resync_days` re-reads that many days only when
 *   sent (RM365 always re-read 7 days, so its client never saw "caught up").
 * - A failure upstream is a 502 `{detail}` (RM365: 200 with `status: "error"`); the sync is
 *   recorded `failed` in the history with what it wrote, and its committed pages stay.
 * - The history lists syncs (RM365's shared its table with CSV uploads, which Floorline does not
 *   take for magentodata); `filename` names the sync.
 * - The condensed views are computed on read, as for sales data (no exclusion lists).
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { forbidden } from "../../lib/errors";
import { createRouter, json, principalOf } from "../../lib/route";
import { listMagentoLines, MAGENTO_DATA_TABLES, magentoSyncHistory, magentoTablesStatus } from "../../modules/magentodata/queries";
import { MAGENTO_REGION_TABS, type MagentoScreenRegion, magentoRegionsOf } from "../../modules/magentodata/regions";
import { MAX_ORDERS_PER_SYNC, syncMagentoRegion, testSyncMagento } from "../../modules/magentodata/sync";
import { condensedSales, condensedSkuCount } from "../../modules/salesdata/condensed";
import type { AppEnv } from "../../types";
import { defineRoute, jsonBody, setTotal } from "./common";
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

const ListQuery = z.object({
  ...Page,
  search: z.string().trim().max(100).optional().describe("Matches order number, SKU, product name, customer name or e-mail (substring)"),
  fields: z.string().max(500).optional().describe("Accepted, not applied: every column is returned"),
});

const MagentoLine = z
  .object({
    id: z.number().int(),
    order_number: z.string(),
    created_at: z.string(),
    sku: z.string(),
    name: z.string(),
    qty: z.number(),
    original_price: z.number().nullable(),
    special_price: z.number().nullable(),
    status: z.string(),
    currency: z.string().nullable(),
    grand_total: z.number().nullable(),
    customer_email: z.string().nullable(),
    customer_full_name: z.string().nullable(),
    billing_address: z.string().nullable(),
    shipping_address: z.string().nullable(),
    customer_group_code: z.string().nullable(),
    imported_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "Rm365MagentoLine" });

const MagentoList = z
  .object({
    status: z.literal("success"),
    region: z.string(),
    data: z.array(MagentoLine),
    total_count: z.number().int(),
    total: z.number().int().describe("The same as total_count (RM365's test page reads `total`)"),
    limit: z.number().int(),
    offset: z.number().int(),
  })
  .meta({ id: "Rm365MagentoList" });

/** `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS` (UTC), as RM365's client and Magento write them. */
const SyncDate = z
  .string()
  .trim()
  .regex(/^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?$/, "must be YYYY-MM-DD or YYYY-MM-DD HH:MM:SS")
  .nullish();

const SyncBody = z.object({
  start_date: SyncDate,
  end_date: SyncDate,
  max_orders: z.number().int().min(1).max(MAX_ORDERS_PER_SYNC).nullish(),
  resync_days: z.number().int().min(0).max(90).nullish(),
});

const SyncResult = z
  .object({
    status: z.literal("success"),
    message: z.string(),
    rows_synced: z.number().int(),
    orders_processed: z.number().int(),
    errors: z.array(z.string()),
    progress: z.string(),
    is_complete: z.boolean(),
  })
  .meta({ id: "Rm365MagentoSyncResult" });

const HistoryList = z
  .object({
    status: z.literal("success"),
    data: z.array(
      z.object({
        id: z.number().int(),
        sync_id: z.string(),
        region: z.string(),
        filename: z.string(),
        rows_imported: z.number().int(),
        rows_failed: z.number().int(),
        orders_processed: z.number().int(),
        errors: z.array(z.string()),
        imported_by: z.string(),
        imported_at: z.string(),
        finished_at: z.string().nullable(),
        status: z.string().describe("success, running or failed"),
        message: z.string(),
      }),
    ),
    total_count: z.number().int(),
    limit: z.number().int(),
    offset: z.number().int(),
  })
  .meta({ id: "Rm365MagentoHistory" });

const HistoryQuery = z.object({ ...Page, region: z.enum(["uk", "fr", "nl", "test"]).optional() });

const CONDENSED_TABLE = "magento_sales_rows (aggregated on read)";

const router = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/init",
      access: "salesdata:read",
      pureRead: true,
      tab: "magentodata",
      summary: "RM365's magentodata table initialisation: the tables exist by migration; lists them",
      tags: TAGS,
      responses: { 200: json(InitResult, "The tables") },
    }),
    async (c) => c.json(initAnswer(await magentoTablesStatus(c.get("deps")), MAGENTO_DATA_TABLES, "Magento data"), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/status",
      access: "salesdata:read",
      pureRead: true,
      tab: "magentodata",
      summary: "RM365's magentodata table status",
      tags: TAGS,
      responses: { 200: json(TablesStatus, "Per table") },
    }),
    async (c) => c.json(statusAnswer(await magentoTablesStatus(c.get("deps"))), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/history",
      access: "salesdata:read",
      pureRead: true,
      tab: "magentodata.history",
      summary: "RM365's magentodata history: the syncs, newest first, integer ids, the regions whose tab the caller holds",
      tags: TAGS,
      request: { query: HistoryQuery },
      errors: { 403: "The region's tab is missing" },
      responses: { 200: json(HistoryList, "A page of syncs") },
    }),
    async (c) => {
      const { region, limit, offset } = c.req.valid("query");
      const mine = magentoRegionsOf(principalOf(c));
      if (region !== undefined && !mine.includes(region)) throw forbidden(`Your account does not have the '${MAGENTO_REGION_TABS[region]}' tab`);
      const page = await magentoSyncHistory(c.get("deps"), region === undefined ? mine : [region], { limit, offset });
      setTotal(c, page.total_count);
      return c.json({ status: "success" as const, ...page }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/test-sync",
      access: "salesdata:import",
      userLimit: "upstream",
      tab: "magentodata",
      summary: "RM365's test sync: the ten newest orders into the test region, then the ten before the oldest held",
      tags: TAGS,
      errors: { 502: "Magento failed or answered something unexpected", 503: "Magento is not configured" },
      responses: { 200: json(SyncResult, "What the sync wrote") },
    }),
    async (c) => c.json(await testSyncMagento(c.get("deps"), principalOf(c)), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/refresh-condensed",
      access: "salesdata:read",
      tab: "magentodata",
      summary: "RM365's refresh of every magentodata condensed view: computed on read here, so it reports each of the caller's regions",
      tags: TAGS,
      responses: { 200: json(RefreshAll, "Products per region") },
    }),
    async (c) => {
      const regions = magentoRegionsOf(principalOf(c)).filter((r) => r !== "test");
      const results: Record<string, { success: boolean; rows_aggregated: number }> = {};
      let total = 0;
      for (const region of regions) {
        const count = await condensedSkuCount(c.get("deps"), "magento", region);
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

/** A region's list (RM365's test page included), under the region's tab. */
function regionList(app: OpenAPIHono<AppEnv>, region: MagentoScreenRegion) {
  return app.openapi(
    defineRoute({
      method: "get",
      path: `/${region}`,
      access: "salesdata:read",
      pureRead: true,
      tab: MAGENTO_REGION_TABS[region],
      summary: `${region.toUpperCase()} order lines synced from Magento, newest first (limit up to 1,000, offset, search)`,
      tags: TAGS,
      request: { query: ListQuery },
      responses: { 200: json(MagentoList, "A page of order lines") },
    }),
    async (c) => {
      const { limit, offset, search } = c.req.valid("query");
      const page = await listMagentoLines(c.get("deps"), region, { limit, offset, search });
      setTotal(c, page.total_count);
      return c.json({ status: "success" as const, region, ...page, total: page.total_count }, 200);
    },
  );
}

/** A region's sync, condensed view, custom range and refresh, under the region's tab. */
function regionRoutes(app: OpenAPIHono<AppEnv>, region: "uk" | "fr" | "nl") {
  const name = region.toUpperCase();
  const tab = MAGENTO_REGION_TABS[region];
  return regionList(app, region)
    .openapi(
      defineRoute({
        method: "post",
        path: `/${region}/sync`,
        access: "salesdata:import",
        userLimit: "upstream",
        tab,
        summary: `Sync ${name} order lines from Magento (at most ${MAX_ORDERS_PER_SYNC} orders a request; resumes after the newest held)`,
        tags: TAGS,
        request: jsonBody(SyncBody),
        errors: { 502: "Magento failed or answered something unexpected", 503: "Magento is not configured" },
        responses: { 200: json(SyncResult, "What the sync wrote") },
      }),
      async (c) => c.json(await syncMagentoRegion(c.get("deps"), region, c.req.valid("json"), principalOf(c)), 200),
    )
    .openapi(
      defineRoute({
        method: "get",
        path: `/${region}/condensed`,
        access: "salesdata:read",
        pureRead: true,
        tab,
        summary: `${name} Magento quantities per product over six months, largest first`,
        tags: TAGS,
        request: { query: CondensedQuery },
        responses: { 200: json(CondensedList, `A page of ${name} products`) },
      }),
      async (c) => {
        const { limit, offset, search } = c.req.valid("query");
        const page = await condensedSales(c.get("deps"), "magento", region, { range: { type: "six_months" }, limit, offset, search });
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
        tab,
        summary: `${name} Magento quantities per product over the last N days or months, or since a day`,
        tags: TAGS,
        request: { query: CustomRangeQuery },
        responses: { 200: json(CondensedList, `A page of ${name} products`) },
      }),
      async (c) => {
        const { range, limit, offset, search, range_type, range_value } = c.req.valid("query");
        const page = await condensedSales(c.get("deps"), "magento", region, { range, limit, offset, search });
        setTotal(c, page.total_count);
        return c.json({ status: "success" as const, region, range_type, range_value, ...page }, 200);
      },
    )
    .openapi(
      defineRoute({
        method: "post",
        path: `/refresh-condensed/${region}`,
        access: "salesdata:read",
        tab,
        summary: `RM365's refresh of the ${name} magentodata condensed view: computed on read here, so it reports the products it holds`,
        tags: TAGS,
        responses: { 200: json(RefreshRegion, "Products in the view") },
      }),
      async (c) => {
        const count = await condensedSkuCount(c.get("deps"), "magento", region);
        return c.json(
          { status: "success" as const, message: `Successfully refreshed condensed data for ${name}`, region, rows_aggregated: count, table: CONDENSED_TABLE },
          200,
        );
      },
    );
}

export const rm365MagentodataRoutes = regionRoutes(regionRoutes(regionRoutes(regionList(router, "test"), "uk"), "fr"), "nl");
