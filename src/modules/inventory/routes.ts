import { z } from "zod";
import { csvHeaders } from "../../lib/download";
import { expectedVersion, setETag } from "../../lib/etag";
import { PageQuery } from "../../lib/pagination";
import { connectToRoom } from "../../lib/rooms";
import { createRouter, defineRoute, json, principalOf } from "../../lib/route";
import { locationExists } from "./live";
import {
  AdjustBody,
  AdjustmentPage,
  AdjustmentResult,
  BarcodeParams,
  BulkBody,
  BulkResult,
  CreateItem,
  HistoryExportQuery,
  Item,
  ItemListQuery,
  ItemPage,
  LocationParams,
  LowStockQuery,
  SkuParams,
  UpdateItem,
} from "./schemas";
import {
  adjustItem,
  bulkAdjust,
  createItem,
  deleteItem,
  exportAdjustmentsCsv,
  exportItemsCsv,
  getItem,
  getItemByBarcode,
  listAdjustments,
  listItems,
  listLowStock,
  updateItem,
} from "./service";

const TAGS = ["inventory"];
const TAB = "inventory";
const Message = z.object({ message: z.string() });
const csv = (description: string) => ({ description, content: { "text/csv": { schema: z.string() } } });

/** `/api/v1/inventory`: items, adjustments, history, low stock, exports and the live room. */
export const inventoryRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/items",
      access: "inventory:read",
      pureRead: true,
      tab: TAB,
      summary: "Items: ?search= (SKU, name or barcode contains), ?location=, ?limit=&offset=",
      tags: TAGS,
      request: { query: ItemListQuery },
      responses: { 200: json(ItemPage, "One page of items, by SKU") },
    }),
    async (c) => c.json(await listItems(c.get("deps"), c.req.valid("query")), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/items",
      access: "inventory:write",
      tab: TAB,
      summary: "Create an item (SKU normalised to upper case)",
      tags: TAGS,
      request: { body: { content: { "application/json": { schema: CreateItem } } } },
      errors: { 409: "SKU or barcode in use" },
      responses: { 201: json(Item, "The new item") },
    }),
    async (c) => {
      const item = await createItem(c.get("deps"), c.req.valid("json"), principalOf(c));
      setETag(c, item.version);
      return c.json(item, 201);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/items.csv",
      access: "inventory:read",
      userLimit: "exports",
      tab: TAB,
      summary: "Every item as CSV (?location=)",
      tags: TAGS,
      request: { query: LowStockQuery.pick({ location: true }) },
      responses: { 200: csv("CSV: sku, name, barcode, location, quantity, reorder_level, allow_negative, low_stock, updated_at") },
    }),
    (c) => c.body(exportItemsCsv(c.get("deps"), c.req.valid("query").location), 200, csvHeaders("inventory-items.csv")),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/items/by-barcode/{code}",
      access: "inventory:read",
      pureRead: true,
      tab: TAB,
      summary: "The item a scanned barcode (or SKU) belongs to",
      tags: TAGS,
      request: { params: BarcodeParams },
      errors: { 404: "No item with that barcode" },
      responses: { 200: json(Item, "The item") },
    }),
    async (c) => {
      const item = await getItemByBarcode(c.get("deps"), c.req.valid("param").code);
      setETag(c, item.version);
      return c.json(item, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/items/{sku}",
      access: "inventory:read",
      pureRead: true,
      tab: TAB,
      summary: "One item; ETag carries its version",
      tags: TAGS,
      request: { params: SkuParams },
      errors: { 404: "No such item" },
      responses: { 200: json(Item, "The item") },
    }),
    async (c) => {
      const item = await getItem(c.get("deps"), c.req.valid("param").sku);
      setETag(c, item.version);
      return c.json(item, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "patch",
      path: "/items/{sku}",
      access: "inventory:write",
      tab: TAB,
      summary: "Update an item's name, barcode, location, reorder level or allow_negative (If-Match: version); quantity moves only by adjustment",
      tags: TAGS,
      request: { params: SkuParams, body: { content: { "application/json": { schema: UpdateItem } } } },
      errors: { 404: "No such item", 409: "Stale If-Match, barcode in use, or negative stock that must first be brought to zero" },
      responses: { 200: json(Item, "The item as stored; ETag carries its version") },
    }),
    async (c) => {
      const item = await updateItem(c.get("deps"), c.req.valid("param").sku, c.req.valid("json"), principalOf(c), expectedVersion(c.req.header("if-match")));
      setETag(c, item.version);
      return c.json(item, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "delete",
      path: "/items/{sku}",
      access: "inventory:write",
      tab: TAB,
      summary: "Delete an item (If-Match: version); its history stays",
      tags: TAGS,
      request: { params: SkuParams },
      errors: { 404: "No such item", 409: "Stale If-Match" },
      responses: { 200: json(Message, "Deleted") },
    }),
    async (c) => {
      const { sku } = c.req.valid("param");
      await deleteItem(c.get("deps"), sku, principalOf(c), expectedVersion(c.req.header("if-match")));
      return c.json({ message: `Item '${sku}' deleted` }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/items/{sku}/adjustments",
      access: "inventory:write",
      tab: TAB,
      summary: "Adjust stock by delta (atomic, recorded); refused below zero unless the item allows it",
      tags: TAGS,
      request: { params: SkuParams, body: { content: { "application/json": { schema: AdjustBody } } } },
      errors: { 404: "No such item", 409: "Not enough stock: `details.quantity` is the current quantity; nothing was written" },
      responses: { 201: json(AdjustmentResult, "The recorded adjustment and the item after it") },
    }),
    async (c) => c.json(await adjustItem(c.get("deps"), c.req.valid("param").sku, c.req.valid("json"), principalOf(c)), 201),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/items/{sku}/adjustments",
      access: "inventory:read",
      pureRead: true,
      tab: TAB,
      summary: "An item's adjustment history, newest first",
      tags: TAGS,
      request: { params: SkuParams, query: PageQuery },
      errors: { 404: "No such item" },
      responses: { 200: json(AdjustmentPage, "One page of adjustments") },
    }),
    async (c) => c.json(await listAdjustments(c.get("deps"), c.req.valid("param").sku, c.req.valid("query")), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/adjustments/bulk",
      access: "inventory:write",
      tab: TAB,
      summary: "A scanned list of adjustments (by sku or barcode), applied in order, all or nothing",
      tags: TAGS,
      request: { body: { content: { "application/json": { schema: BulkBody } } } },
      errors: { 404: "A line names no item; nothing was written", 409: "A line would go below zero; nothing was written" },
      responses: { 201: json(BulkResult, "Every recorded adjustment and the items after them") },
    }),
    async (c) => c.json(await bulkAdjust(c.get("deps"), c.req.valid("json").adjustments, principalOf(c)), 201),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/adjustments.csv",
      access: "inventory:read",
      userLimit: "exports",
      tab: TAB,
      summary: "The adjustment history as CSV, oldest first (?sku=, ?location=)",
      tags: TAGS,
      request: { query: HistoryExportQuery },
      responses: { 200: csv("CSV: seq, created_at, sku, location, delta, quantity_after, reason, username, user_id") },
    }),
    (c) => c.body(exportAdjustmentsCsv(c.get("deps"), c.req.valid("query")), 200, csvHeaders("inventory-adjustments.csv")),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/low-stock",
      access: "inventory:read",
      pureRead: true,
      tab: TAB,
      summary: "Items at or below their reorder level (?location=), lowest first",
      tags: TAGS,
      request: { query: LowStockQuery },
      responses: { 200: json(ItemPage, "One page of low-stock items") },
    }),
    async (c) => c.json(await listLowStock(c.get("deps"), c.req.valid("query")), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/rooms/{location}/ws",
      access: "inventory:read",
      tab: TAB,
      upgrade: true,
      summary:
        "Live room of one location that holds items or has stock history (WebSocket, ?token=; needs inventory:read and the inventory tab, and a known location, else close 1008): system_alert, snapshot, user_joined, user_left, presence_update, cursor_updated, inventory_changed; send {type:'cursor', data:{sku, field?}}",
      tags: TAGS,
      request: { params: LocationParams },
      responses: { 101: { description: "Switching protocols" }, 426: { description: "Not a WebSocket upgrade" } },
    }),
    (c) => {
      // Only real locations get a room: an unknown name is refused before any Durable Object is touched.
      const { location } = c.req.valid("param");
      return connectToRoom(c, c.get("deps").rooms.inventory, location, { exists: () => locationExists(c.get("deps"), location), unknown: "Unknown location" });
    },
  );
