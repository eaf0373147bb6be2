import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { createdAt, id, timestamps, version } from "./columns";

/**
 * Stock items (RM365's labels database): one row per SKU. `sku` is stored normalised (trimmed,
 * NFKC, upper case) and unique; `barcode` is unique when present. The CHECK makes a batch that
 * would take an item below zero fail as a whole, so a bulk adjustment is all-or-nothing.
 */
export const inventoryItems = sqliteTable(
  "inventory_items",
  {
    id: id(),
    sku: text("sku").notNull().unique(),
    name: text("name").notNull(),
    barcode: text("barcode").unique(),
    location: text("location").notNull(),
    quantity: integer("quantity").notNull().default(0),
    reorderLevel: integer("reorder_level").notNull().default(0),
    allowNegative: integer("allow_negative", { mode: "boolean" }).notNull().default(false),
    createdBy: text("created_by"),
    version: version(),
    ...timestamps(),
  },
  (t) => [
    index("inventory_items_location_idx").on(t.location, t.sku),
    index("inventory_items_name_idx").on(t.name),
    check("inventory_items_not_negative", sql`${t.allowNegative} = 1 OR ${t.quantity} >= 0`),
  ],
);

/**
 * Every stock change (RM365's inventory-logs database): the delta, why, the quantity it left,
 * who and when. Written in the same batch as the change itself. `item_id` is not a foreign key:
 * history outlives a deleted item; `sku` and `location` are copied for that reason.
 */
export const inventoryAdjustments = sqliteTable(
  "inventory_adjustments",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull().unique(),
    itemId: text("item_id").notNull(),
    sku: text("sku").notNull(),
    location: text("location").notNull(),
    delta: integer("delta").notNull(),
    reason: text("reason").notNull(),
    quantityAfter: integer("quantity_after").notNull(),
    userId: text("user_id"),
    username: text("username").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("inventory_adjustments_item_idx").on(t.itemId, t.seq), index("inventory_adjustments_location_idx").on(t.location, t.seq)],
);
