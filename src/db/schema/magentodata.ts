import { index, integer, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { id, timestamp, timestamps } from "./columns";
import { SALES_REGIONS } from "./salesdata";

/** Regions whose order lines are synced from Magento (RM365's magentodata): the sales regions, and `test` (its test page). */
export const MAGENTO_DATA_REGIONS = [...SALES_REGIONS, "test"] as const;
export type MagentoDataRegion = (typeof MAGENTO_DATA_REGIONS)[number];

export const MAGENTO_SYNC_STATUSES = ["running", "completed", "failed"] as const;
export type MagentoSyncStatus = (typeof MAGENTO_SYNC_STATUSES)[number];

/**
 * One product line of a Magento order, synced from the shop (RM365's `<region>_magento_data`).
 * The natural key is region + order number + SKU, as for CSV sales lines: a sync that reads an
 * order again rewrites its lines in place. `ordered_at` is the order's `created_at`, ISO 8601 UTC.
 */
export const magentoSalesRows = sqliteTable(
  "magento_sales_rows",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    region: text("region", { enum: MAGENTO_DATA_REGIONS }).notNull(),
    orderNumber: text("order_number").notNull(),
    orderedAt: text("ordered_at").notNull(),
    sku: text("sku").notNull(),
    name: text("name").notNull(),
    qty: real("qty").notNull(),
    originalPrice: real("original_price"),
    specialPrice: real("special_price"),
    status: text("status").notNull(),
    currency: text("currency"),
    grandTotal: real("grand_total"),
    customerEmail: text("customer_email"),
    customerFullName: text("customer_full_name"),
    billingAddress: text("billing_address"),
    shippingAddress: text("shipping_address"),
    customerGroupCode: text("customer_group_code"),
    /** The sync that last wrote this line. */
    syncId: text("sync_id").notNull(),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex("magento_sales_rows_natural_key").on(t.region, t.orderNumber, t.sku),
    index("magento_sales_rows_region_ordered_idx").on(t.region, t.orderedAt),
  ],
);

/**
 * Every sync from Magento (RM365's import history for magentodata): who, which region, how far
 * it got. `first_order_at`/`last_order_at` are the oldest and newest order dates it wrote; the
 * next sync of the region resumes from the newest (the test region walks back from the oldest).
 * Counts move with each committed page, so a sync cut off part-way still says what it wrote.
 */
export const magentoSyncs = sqliteTable(
  "magento_syncs",
  {
    id: id(),
    region: text("region", { enum: MAGENTO_DATA_REGIONS }).notNull(),
    status: text("status", { enum: MAGENTO_SYNC_STATUSES }).notNull(),
    ordersProcessed: integer("orders_processed").notNull().default(0),
    rowsSynced: integer("rows_synced").notNull().default(0),
    firstOrderAt: timestamp("first_order_at"),
    lastOrderAt: timestamp("last_order_at"),
    message: text("message").notNull().default(""),
    errors: text("errors", { mode: "json" }).$type<string[]>().notNull(),
    userId: text("user_id"),
    username: text("username").notNull(),
    finishedAt: timestamp("finished_at"),
    ...timestamps(),
  },
  (t) => [index("magento_syncs_region_created_idx").on(t.region, t.createdAt), index("magento_syncs_created_idx").on(t.createdAt, t.id)],
);
