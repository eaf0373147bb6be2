import { z } from "zod";
import { FULFILLMENT_STATUSES, SESSION_TYPES } from "../../db/schema/magento";
import { LongText } from "../../lib/fields";

/** A Magento order number (increment id), e.g. `000000101`. */
export const OrderNumber = z
  .string()
  .trim()
  .min(1, "order_number is required")
  .max(32)
  .regex(/^[A-Za-z0-9_-]+$/, "order_number may contain letters, digits, _ and -");

/** A session id as this API issues them. */
export const SessionId = z.string().trim().min(1).max(64);

/** A scanned SKU or barcode text. */
export const ScannedSku = z.string().trim().min(1, "sku is required").max(64);

export const StartSessionBody = z
  .object({
    order_number: OrderNumber,
    session_type: z.enum(SESSION_TYPES).default("pick"),
  })
  .strict()
  .meta({ id: "MagentoStartSession" });
export type StartSessionBody = z.infer<typeof StartSessionBody>;

export const ScanBody = z
  .object({
    session_id: SessionId,
    sku: ScannedSku,
    quantity: z.number().int().min(1).max(10_000).default(1),
  })
  .strict()
  .meta({ id: "MagentoScan" });
export type ScanBody = z.infer<typeof ScanBody>;

export const CompleteBody = z.object({ session_id: SessionId }).strict().meta({ id: "MagentoCompleteSession" });
export type CompleteBody = z.infer<typeof CompleteBody>;

export const CancelBody = z.object({ session_id: SessionId, reason: LongText.optional() }).strict().meta({ id: "MagentoCancelSession" });
export type CancelBody = z.infer<typeof CancelBody>;

export const SessionParams = z.object({ session_id: SessionId });

export const SessionItem = z
  .object({
    sku: z.string(),
    name: z.string(),
    qty_ordered: z.number().int(),
    qty_invoiced: z.number().int(),
    qty_expected: z.number().int(),
    qty_scanned: z.number().int(),
    qty_remaining: z.number().int(),
    is_complete: z.boolean(),
  })
  .meta({ id: "MagentoSessionItem" });
export type SessionItem = z.infer<typeof SessionItem>;

export const Session = z
  .object({
    session_id: z.string(),
    order_number: z.string(),
    invoice_number: z.string(),
    session_type: z.enum(SESSION_TYPES),
    status: z.enum(FULFILLMENT_STATUSES),
    customer_name: z.string().nullable(),
    items: z.array(SessionItem),
    total_items: z.number().int().describe("Lines (SKUs) in the session"),
    completed_items: z.number().int().describe("Lines scanned in full"),
    progress_percentage: z.number().describe("Units scanned / units expected × 100, one decimal"),
    created_by: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
    completed_at: z.string().nullable(),
    cancelled_at: z.string().nullable(),
    cancel_reason: z.string().nullable(),
    version: z.number().int(),
  })
  .meta({ id: "MagentoSession" });
export type Session = z.infer<typeof Session>;

export const ScanResult = z
  .object({
    success: z.literal(true),
    message: z.string(),
    sku: z.string(),
    qty_expected: z.number().int(),
    qty_scanned: z.number().int(),
    qty_remaining: z.number().int(),
    is_complete: z.boolean(),
    is_overpicked: z.boolean().describe("Always false: an over-pick is refused (409) and changes nothing"),
    all_items_complete: z.boolean(),
    session_status: z.enum(FULFILLMENT_STATUSES),
  })
  .meta({ id: "MagentoScanResult" });
export type ScanResult = z.infer<typeof ScanResult>;

export const SessionSummary = Session.omit({ items: true }).meta({ id: "MagentoSessionSummary" });
export type SessionSummary = z.infer<typeof SessionSummary>;

export const BoardQuery = z.object({
  /** Finished sessions (completed, cancelled) shown per column, newest first. */
  recent: z.coerce.number().int().min(0).max(100).default(20),
});
export type BoardQuery = z.infer<typeof BoardQuery>;

export const TrackingBoard = z
  .object({
    columns: z.object(
      Object.fromEntries(FULFILLMENT_STATUSES.map((s) => [s, z.array(SessionSummary)])) as Record<
        (typeof FULFILLMENT_STATUSES)[number],
        z.ZodArray<typeof SessionSummary>
      >,
    ),
    counts: z.object(Object.fromEntries(FULFILLMENT_STATUSES.map((s) => [s, z.number().int()])) as Record<(typeof FULFILLMENT_STATUSES)[number], z.ZodNumber>),
    generated_at: z.string(),
  })
  .meta({ id: "MagentoTrackingBoard" });
export type TrackingBoard = z.infer<typeof TrackingBoard>;

export const InvoiceQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  state: z.enum(["pending", "paid", "canceled"]).default("paid"),
});
export type InvoiceQuery = z.infer<typeof InvoiceQuery>;

export const PickableInvoice = z
  .object({
    invoice_number: z.string(),
    order_number: z.string().nullable(),
    state: z.number().int().describe("1 pending, 2 paid, 3 canceled"),
    created_at: z.string().nullable(),
    grand_total: z.number().nullable(),
    open_session_id: z.string().nullable().describe("The order's open pick session, if one is under way"),
  })
  .meta({ id: "MagentoInvoice" });
export type PickableInvoice = z.infer<typeof PickableInvoice>;

export const InvoiceList = z
  .object({ items: z.array(PickableInvoice), total: z.number().int(), limit: z.number().int(), page: z.number().int() })
  .meta({ id: "MagentoInvoiceList" });
export type InvoiceList = z.infer<typeof InvoiceList>;

/** The stored enums, for the compat surfaces (which do not import db). */
export { FULFILLMENT_STATUSES, OPEN_STATUSES } from "../../db/schema";
