import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { heartbeatAt, id, timestamp, timestamps } from "./columns";

/** Regions with a sales export (RM365's uk, fr, nl; de added). */
export const SALES_REGIONS = ["uk", "fr", "nl", "de"] as const;
export type SalesRegion = (typeof SALES_REGIONS)[number];

/**
 * Where an import stands: `validating` → `importing` → `completed`; or `rejected` / `failed` /
 * `duplicate`. A large upload runs as a queue job and starts `queued` (again `queued` between
 * deliveries of a retry).
 */
export const SALES_IMPORT_STATUSES = ["queued", "validating", "importing", "completed", "rejected", "failed", "duplicate"] as const;
export type SalesImportStatus = (typeof SALES_IMPORT_STATUSES)[number];

/**
 * One order line of a region's sales export (RM365's products database, one table per region
 * there). The natural key is region + order number + SKU: importing the same order again, from
 * the same file or another, updates its line in place (an order's status moves on) and never
 * adds a second one. Amounts are numbers as the file gave them (after the region's decimal
 * separator); `ordered_at` is the order's `created_at`, ISO 8601 UTC.
 */
export const salesRows = sqliteTable(
  "sales_rows",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    region: text("region", { enum: SALES_REGIONS }).notNull(),
    orderNumber: text("order_number").notNull(),
    orderedAt: text("ordered_at").notNull(),
    sku: text("sku").notNull(),
    name: text("name").notNull(),
    qty: real("qty").notNull(),
    price: real("price").notNull(),
    status: text("status").notNull(),
    currency: text("currency").notNull(),
    grandTotal: real("grand_total").notNull(),
    customerEmail: text("customer_email").notNull(),
    customerFullName: text("customer_full_name").notNull(),
    billingAddress: text("billing_address").notNull(),
    shippingAddress: text("shipping_address").notNull(),
    customerGroupCode: text("customer_group_code").notNull(),
    /** The import that last wrote this line. */
    importId: text("import_id").notNull(),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex("sales_rows_natural_key").on(t.region, t.orderNumber, t.sku),
    // Every date window: a region's lists, condensed views and summaries, and the cross-region
    // ones (labels to print, summaries of every region), which name every region
    // (`region IN (…)`) so SQLite seeks this index once per region. No index on `ordered_at`
    // alone (migration 0042 dropped it): it cost ~40 % of an import's upsert, as its random
    // inserts fill SQLite's page cache. No SKU index: no query leads with a plain `sku` (they
    // compare `upper(sku)`), so one was pure write cost (migration 0040 dropped it).
    index("sales_rows_region_ordered_idx").on(t.region, t.orderedAt),
  ],
);

/**
 * Every upload of a sales file: the original's R2 key and SHA-256, what happened (status,
 * rows seen, written and failed, the first row errors), who and when. `rows_done` moves as
 * chunks commit, so a long import shows its progress; it is also the cursor an interrupted
 * import can be judged by.
 */
export const salesImports = sqliteTable(
  "sales_imports",
  {
    id: id(),
    region: text("region", { enum: SALES_REGIONS }).notNull(),
    filename: text("filename").notNull(),
    sha256: text("sha256").notNull(),
    r2Key: text("r2_key").notNull(),
    sizeBytes: integer("size_bytes").notNull(),
    status: text("status", { enum: SALES_IMPORT_STATUSES }).notNull(),
    partial: integer("partial", { mode: "boolean" }).notNull().default(false),
    rowsTotal: integer("rows_total").notNull().default(0),
    rowsDone: integer("rows_done").notNull().default(0),
    rowsImported: integer("rows_imported").notNull().default(0),
    rowsFailed: integer("rows_failed").notNull().default(0),
    /** The first row errors (bounded); `errors_more` counts the rest. */
    errors: text("errors", { mode: "json" }).$type<string[]>().notNull(),
    errorsMore: integer("errors_more").notNull().default(0),
    message: text("message").notNull().default(""),
    /** The completed import of the same bytes this one repeated. */
    duplicateOf: text("duplicate_of"),
    userId: text("user_id"),
    username: text("username").notNull(),
    startedAt: timestamp("started_at").notNull(),
    finishedAt: timestamp("finished_at"),
    durationMs: integer("duration_ms"),
    /** Run as a queue job (a large file: 202), not within the upload's request. */
    background: integer("background", { mode: "boolean" }).notNull().default(false),
    /** Deliveries that claimed the job (its lease fence: a run writes only while this is still its claim). */
    attempts: integer("attempts").notNull().default(0),
    /** Renewed by every committed chunk; a queued or running job silent for the lease is re-queued or failed. */
    heartbeatAt: heartbeatAt(),
    /** Chunks (staging batches) committed so far, and the file row the last one ended at: a retry stages from the next row. */
    chunksDone: integer("chunks_done").notNull().default(0),
    cursorRow: integer("cursor_row").notNull().default(0),
    ...timestamps(),
  },
  (t) => [
    index("sales_imports_created_idx").on(t.createdAt, t.id),
    index("sales_imports_sha_idx").on(t.region, t.sha256, t.status),
    index("sales_imports_lease_idx").on(t.status, t.heartbeatAt),
  ],
);

/**
 * The valid lines of an import in progress, staged before they reach `sales_rows`: one row per
 * line, typed like `sales_rows` (the commit copies plain columns, no JSON to unpack), keyed by
 * the import and the line's row in the file (file order). Lines stage as the file is read, so
 * nothing of a file is visible until the import's last batch copies its lines into `sales_rows`
 * and deletes them in one transaction ("nothing imported unless every row is valid"); a rejected
 * or failed import's lines are deleted (or swept). `WITHOUT ROWID` in the migration (0037): the
 * key is the table, with no second index to maintain.
 */
export const salesImportLines = sqliteTable(
  "sales_import_lines",
  {
    importId: text("import_id")
      .notNull()
      .references(() => salesImports.id, { onDelete: "cascade" }),
    /** The line's row in the file (the header is row 1). */
    row: integer("row").notNull(),
    orderNumber: text("order_number").notNull(),
    orderedAt: text("ordered_at").notNull(),
    sku: text("sku").notNull(),
    name: text("name").notNull(),
    qty: real("qty").notNull(),
    price: real("price").notNull(),
    status: text("status").notNull(),
    currency: text("currency").notNull(),
    grandTotal: real("grand_total").notNull(),
    customerEmail: text("customer_email").notNull(),
    customerFullName: text("customer_full_name").notNull(),
    billingAddress: text("billing_address").notNull(),
    shippingAddress: text("shipping_address").notNull(),
    customerGroupCode: text("customer_group_code").notNull(),
  },
  (t) => [primaryKey({ columns: [t.importId, t.row] })],
);
