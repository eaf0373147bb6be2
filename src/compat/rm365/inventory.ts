/**
 * RM365's inventory management screen (frontend/js/modules/inventory/management.js). Its client
 * builds these URLs as `/api/api/v1/inventory/management/…` (slips.ts rewrites them), so RM365's
 * own backend never answered it: the shapes here are what the client reads. Served from the
 * inventory module (src/modules/inventory/management.ts).
 *
 * What maps how, on purpose:
 * - Floorline keeps one quantity per item at one location. The screen's shelf spreadsheet shows
 *   it as the "<1" shelf: `shelf_lt1` is the item's location and `shelf_lt1_qty` its quantity;
 *   the ">1" shelf and the top floor are empty, so the screen's totals equal Floorline's stock.
 * - `uk_6m_data` / `fr_6m_data` are the last six months' units sold in the UK and in FR+NL, from
 *   the imported sales, for callers who may read those regions (as the labels' to-print list).
 * - Floorline has no discontinued status: every product is `Active`, so a status filter that
 *   leaves `Active` out answers no items.
 * - Editing the spreadsheet (POST/PATCH `management/metadata`) is not served: stock changes go
 *   through adjustments, which keep the history.
 */
import { z } from "zod";
import { isAllowed } from "../../lib/rbac";
import { createRouter, json, principalOf } from "../../lib/route";
import { catalogue, type Demand, MAX_CATALOGUE, MAX_MANAGEMENT_PAGE, managementPage } from "../../modules/inventory/management";
import { regionsOf } from "../../modules/salesdata/service";
import type { Principal } from "../../types";
import { defineRoute, setTotal } from "./common";

const TAGS = ["rm365"];
const TAB = "inventory.management";
const STATUS = "Active";

/** The regions whose sales figures `actor` may read (as labels.ts): salesdata:read and the region's tab. */
const salesVisibility = (actor: Principal): ReadonlySet<string> => new Set(isAllowed(actor, { access: "salesdata:read" }) ? regionsOf(actor) : []);

/** Whether RM365's comma-separated discontinued-status filter keeps Floorline's products (all `Active`). */
const keepsActive = (filter: string | undefined) =>
  filter === undefined ||
  filter.trim() === "" ||
  filter
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .includes(STATUS.toLowerCase());

const StatusFilter = z.string().max(500).optional();

const ManagementItem = z
  .object({
    item_id: z.string(),
    product_name: z.string(),
    sku: z.string(),
    stock_on_hand: z.number().int(),
    custom_fields: z.object({
      uk_6m_data: z.number(),
      fr_6m_data: z.number(),
      shelf_lt1_qty: z.number().int(),
      shelf_gt1_qty: z.number().int(),
      top_floor_total: z.number().int(),
    }),
  })
  .meta({ id: "Rm365ManagementItem" });

const Metadata = z
  .object({
    sku: z.string(),
    item_id: z.string(),
    location: z.string(),
    date: z.string(),
    qty_ordered_jason: z.number().int(),
    shelf_lt1: z.string(),
    shelf_lt1_qty: z.number().int(),
    shelf_gt1: z.string(),
    shelf_gt1_qty: z.number().int(),
    top_floor_expiry: z.string(),
    top_floor_total: z.number().int(),
    status: z.string(),
    uk_fr_preorder: z.string(),
  })
  .meta({ id: "Rm365InventoryMetadata" });

const MagentoProduct = z
  .object({ sku: z.string(), name: z.string(), product_name: z.string(), item_id: z.string(), discontinued_status: z.string(), status: z.string() })
  .meta({ id: "Rm365MagentoProduct" });

export const rm365InventoryRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/management/items",
      access: "inventory:read",
      tab: TAB,
      pureRead: true,
      summary: `RM365: a page of items by SKU (per_page ≤ ${MAX_MANAGEMENT_PAGE}) with stock and six months of UK and FR+NL demand`,
      tags: TAGS,
      request: {
        query: z.object({
          page: z.coerce.number().int().min(1).max(1000).default(1),
          per_page: z.coerce.number().int().min(1).max(MAX_MANAGEMENT_PAGE).default(100),
          search: z.string().trim().max(100).optional(),
          discontinued_status: StatusFilter.describe("Comma-separated; Floorline's products are all Active"),
        }),
      },
      responses: {
        200: json(
          z.object({
            items: z.array(ManagementItem),
            total: z.number().int(),
            page: z.number().int(),
            per_page: z.number().int(),
            total_pages: z.number().int(),
          }),
          "The page",
        ),
      },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const { page, per_page } = query;
      const empty = { items: [], total: 0, demand: new Map<string, Demand>() };
      const found = keepsActive(query.discontinued_status)
        ? await managementPage(c.get("deps"), { page, perPage: per_page, search: query.search || undefined })
        : empty;
      const sees = salesVisibility(principalOf(c));
      setTotal(c, found.total);
      return c.json(
        {
          items: found.items.map((item) => {
            const demand = found.demand.get(item.sku.toUpperCase());
            return {
              item_id: item.id,
              product_name: item.name,
              sku: item.sku,
              stock_on_hand: item.quantity,
              custom_fields: {
                uk_6m_data: sees.has("uk") ? (demand?.uk ?? 0) : 0,
                fr_6m_data: sees.has("fr") && sees.has("nl") ? (demand?.frNl ?? 0) : 0,
                shelf_lt1_qty: item.quantity,
                shelf_gt1_qty: 0,
                top_floor_total: 0,
              },
            };
          }),
          total: found.total,
          page,
          per_page,
          total_pages: Math.ceil(found.total / per_page),
        },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/management/metadata",
      access: "inventory:read",
      tab: TAB,
      pureRead: true,
      summary: `RM365: every item's shelf row (bare array by SKU, at most ${MAX_CATALOGUE}; total in X-Total-Count)`,
      tags: TAGS,
      responses: { 200: json(z.array(Metadata), "By SKU") },
    }),
    async (c) => {
      const { rows, total } = await catalogue(c.get("deps"));
      setTotal(c, total);
      return c.json(
        rows.map((row) => ({
          sku: row.sku,
          item_id: row.id,
          location: row.location,
          date: row.updatedAt.slice(0, 10),
          qty_ordered_jason: 0,
          shelf_lt1: row.location,
          shelf_lt1_qty: row.quantity,
          shelf_gt1: "",
          shelf_gt1_qty: 0,
          top_floor_expiry: "",
          top_floor_total: 0,
          status: STATUS,
          uk_fr_preorder: "",
        })),
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/management/magento-products",
      access: "inventory:read",
      tab: TAB,
      pureRead: true,
      summary: `RM365: the product list with its discontinued status (bare array by SKU, at most ${MAX_CATALOGUE}; all Active)`,
      tags: TAGS,
      request: { query: z.object({ status_filters: StatusFilter.describe("Comma-separated, e.g. Active,Pre Order") }) },
      responses: { 200: json(z.array(MagentoProduct), "By SKU") },
    }),
    async (c) => {
      if (!keepsActive(c.req.valid("query").status_filters)) {
        setTotal(c, 0);
        return c.json([], 200);
      }
      const { rows, total } = await catalogue(c.get("deps"));
      setTotal(c, total);
      return c.json(
        rows.map((row) => ({ sku: row.sku, name: row.name, product_name: row.name, item_id: row.id, discontinued_status: STATUS, status: STATUS })),
        200,
      );
    },
  );
