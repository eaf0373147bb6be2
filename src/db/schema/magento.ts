import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, id, timestamp, timestamps, version } from "./columns";

/** RM365's session statuses (CONTRACTS.md). Floorline's own flow uses in_progress → ready_to_check → completed, or cancelled. */
export const FULFILLMENT_STATUSES = ["draft", "approved", "in_progress", "ready_to_check", "completed", "cancelled"] as const;
export type FulfillmentStatus = (typeof FULFILLMENT_STATUSES)[number];

/** Statuses in which a session is open: it holds its order, and scans are accepted while in_progress. */
export const OPEN_STATUSES = ["draft", "approved", "in_progress", "ready_to_check"] as const satisfies readonly FulfillmentStatus[];

export const SESSION_TYPES = ["pick", "return"] as const;
export type SessionType = (typeof SESSION_TYPES)[number];

/**
 * Pick & pack sessions (RM365's session files, here in D1 so a tablet reload loses nothing):
 * one Magento order and invoice, who started it, and where it stands. The partial unique index
 * lets an order have at most one open session of each type, whichever tablet starts it first.
 */
export const fulfillmentSessions = sqliteTable(
  "fulfillment_sessions",
  {
    id: id(),
    /** RM365's integer session id: set by a trigger on insert (migration 0022). */
    number: integer("number").unique(),
    orderNumber: text("order_number").notNull(),
    /** Magento's order entity id. */
    orderId: integer("order_id").notNull(),
    invoiceNumber: text("invoice_number").notNull(),
    sessionType: text("session_type", { enum: SESSION_TYPES }).notNull(),
    status: text("status", { enum: FULFILLMENT_STATUSES }).notNull(),
    customerName: text("customer_name"),
    /** The user who started it (an API key's creator); owner of scans, completion and cancel. */
    ownerId: text("owner_id").notNull(),
    ownerName: text("owner_name").notNull(),
    completedAt: timestamp("completed_at"),
    cancelledAt: timestamp("cancelled_at"),
    cancelReason: text("cancel_reason"),
    version: version(),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex("fulfillment_sessions_one_open")
      .on(t.orderNumber, t.sessionType)
      .where(sql`${t.status} in ('draft', 'approved', 'in_progress', 'ready_to_check')`),
    index("fulfillment_sessions_order_idx").on(t.orderNumber, t.createdAt),
    index("fulfillment_sessions_status_idx").on(t.status, t.updatedAt),
  ],
);

/**
 * A session's lines, one per SKU: what the invoice expects and what has been scanned. The
 * CHECK keeps `qty_scanned` within 0..`qty_expected`, so no write can over-pick even if a
 * statement's own condition were wrong.
 */
export const fulfillmentItems = sqliteTable(
  "fulfillment_items",
  {
    sessionId: text("session_id")
      .notNull()
      .references(() => fulfillmentSessions.id, { onDelete: "cascade" }),
    sku: text("sku").notNull(),
    name: text("name").notNull(),
    /** Display order: the invoice's line order. */
    position: integer("position").notNull(),
    qtyOrdered: integer("qty_ordered").notNull(),
    qtyInvoiced: integer("qty_invoiced").notNull(),
    qtyExpected: integer("qty_expected").notNull(),
    qtyScanned: integer("qty_scanned").notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.sessionId, t.sku] }),
    check("fulfillment_items_scanned_in_range", sql`${t.qtyScanned} >= 0 AND ${t.qtyScanned} <= ${t.qtyExpected}`),
  ],
);

/** Every accepted scan: which session, SKU and quantity, who and when (the audit of a pick). */
export const fulfillmentScans = sqliteTable(
  "fulfillment_scans",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    sessionId: text("session_id")
      .notNull()
      .references(() => fulfillmentSessions.id, { onDelete: "cascade" }),
    sku: text("sku").notNull(),
    quantity: integer("quantity").notNull(),
    userId: text("user_id").notNull(),
    username: text("username").notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("fulfillment_scans_session_idx").on(t.sessionId, t.seq)],
);
