/** Wire shapes of the inventory module (`/api/v1/inventory`): snake_case, every string bounded. */
import { z } from "zod";
import { ShortText } from "../../lib/fields";
import { PageQuery, pageOf } from "../../lib/pagination";

/** Largest stock count an item may hold (either sign); far beyond any shelf. */
export const MAX_QUANTITY = 1_000_000_000;
/** Largest single adjustment (either sign). */
export const MAX_DELTA = 1_000_000;
/** Most lines in one bulk (scanned-list) adjustment. */
export const MAX_BULK_LINES = 200;

/** SKUs are stored normalised: trimmed, NFKC, upper case; letters, digits and `. _ - /`. */
export const Sku = z
  .string()
  .trim()
  .min(1, "SKU is required")
  .max(64, "SKU is at most 64 characters")
  .overwrite((s) => s.normalize("NFKC").toUpperCase())
  .regex(/^[A-Z0-9][A-Z0-9._\-/]*$/, "SKU may contain letters, digits and . _ - /");

/** A barcode as scanned: printable ASCII (Code 128's set), no surrounding spaces. */
export const Barcode = z
  .string()
  .trim()
  .min(1, "Barcode is required")
  .max(64, "Barcode is at most 64 characters")
  .regex(/^[\x21-\x7E]+$/, "Barcode may contain printable ASCII characters only");

/** A location (warehouse, shelf): the name of its inventory room too. */
export const Location = z
  .string()
  .trim()
  .min(1, "Location is required")
  .max(64, "Location is at most 64 characters")
  .regex(/^[\p{L}\p{N}][\p{L}\p{N} ._-]*$/u, "Location may contain letters, digits, spaces and . _ -");

const Quantity = z.number().int().min(-MAX_QUANTITY).max(MAX_QUANTITY);
const Level = z.number().int().min(0).max(MAX_QUANTITY);
const ItemName = ShortText.min(1, "Name is required").max(200);
const Reason = z.string().trim().min(1, "Reason is required").max(200, "Reason is at most 200 characters");
const Delta = z
  .number()
  .int()
  .min(-MAX_DELTA)
  .max(MAX_DELTA)
  .refine((d) => d !== 0, "Delta must not be zero");

export const Item = z
  .object({
    id: z.string(),
    sku: z.string(),
    name: z.string(),
    barcode: z.string().nullable(),
    location: z.string(),
    quantity: z.number().int(),
    reorder_level: z.number().int(),
    allow_negative: z.boolean(),
    low_stock: z.boolean(),
    version: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "InventoryItem" });
export type Item = z.infer<typeof Item>;

export const CreateItem = z
  .object({
    sku: Sku,
    name: ItemName,
    barcode: Barcode.nullable().optional(),
    location: Location,
    quantity: Quantity.default(0),
    reorder_level: Level.default(0),
    allow_negative: z.boolean().default(false),
  })
  .strict();
export type CreateItem = z.infer<typeof CreateItem>;

/** Quantity is not patchable: stock moves only through adjustments, which are recorded. */
export const UpdateItem = z
  .object({
    name: ItemName.optional(),
    barcode: Barcode.nullable().optional(),
    location: Location.optional(),
    reorder_level: Level.optional(),
    allow_negative: z.boolean().optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, "Nothing to update");
export type UpdateItem = z.infer<typeof UpdateItem>;

export const SkuParams = z.object({ sku: Sku });
export const BarcodeParams = z.object({ code: Barcode });
export const LocationParams = z.object({ location: Location });

export const ItemListQuery = PageQuery.extend({
  search: z.string().trim().max(100).optional(),
  location: Location.optional(),
});
export type ItemListQuery = z.infer<typeof ItemListQuery>;

export const LowStockQuery = PageQuery.extend({ location: Location.optional() });
export type LowStockQuery = z.infer<typeof LowStockQuery>;

export const ItemPage = pageOf(Item).meta({ id: "InventoryItemPage" });

export const AdjustBody = z.object({ delta: Delta, reason: Reason }).strict();
export type AdjustBody = z.infer<typeof AdjustBody>;

/** One scanned line: the item by SKU or by barcode, exactly one of them. */
export const BulkLine = z
  .object({ sku: Sku.optional(), barcode: Barcode.optional(), delta: Delta, reason: Reason })
  .strict()
  .refine((l) => (l.sku === undefined) !== (l.barcode === undefined), "Give exactly one of sku and barcode");
export type BulkLine = z.infer<typeof BulkLine>;

export const BulkBody = z.object({ adjustments: z.array(BulkLine).min(1).max(MAX_BULK_LINES) }).strict();
export type BulkBody = z.infer<typeof BulkBody>;

export const Adjustment = z
  .object({
    id: z.string(),
    seq: z.number().int(),
    item_id: z.string(),
    sku: z.string(),
    location: z.string(),
    delta: z.number().int(),
    reason: z.string(),
    quantity_after: z.number().int(),
    user_id: z.string().nullable(),
    username: z.string(),
    created_at: z.string(),
  })
  .meta({ id: "InventoryAdjustment" });
export type Adjustment = z.infer<typeof Adjustment>;

export const AdjustmentResult = z.object({ adjustment: Adjustment, item: Item }).meta({ id: "InventoryAdjustmentResult" });
export const BulkResult = z.object({ adjustments: z.array(Adjustment), items: z.array(Item) }).meta({ id: "InventoryBulkResult" });
export const AdjustmentPage = pageOf(Adjustment).meta({ id: "InventoryAdjustmentPage" });

export const HistoryExportQuery = z.object({ sku: Sku.optional(), location: Location.optional() });
export type HistoryExportQuery = z.infer<typeof HistoryExportQuery>;
