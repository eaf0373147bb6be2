/**
 * RM365's sales-data screens (`/api/v1/salesdata/…` as its backend served them): the region
 * lists with `limit` up to 1,000 (RM365's `le=1000`, default 100), and the home page's `init` and
 * `status`. Uploads, import history by id and the summary are the module's own routes.
 *
 * Differences from the seed, on purpose:
 * - `init` creates nothing: Floorline's tables come from migrations. It reports the tables that
 *   exist, as RM365's did after creating them (`status: "error"` if one is missing).
 * - `de` is a region too (Floorline's fourth tab).
 */

import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { createRouter, json } from "../../lib/route";
import { Region, SalesList, type SalesRegion } from "../../modules/salesdata/schemas";
import { listSalesRows, REGION_TABS, SALES_TABLES, salesTablesStatus } from "../../modules/salesdata/service";
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

export const rm365SalesdataRoutes = regionList(regionList(regionList(regionList(router, "uk"), "fr"), "nl"), "de");
