import { z } from "zod";
import { SALES_IMPORT_STATUSES, SALES_REGIONS } from "../../db/schema";
import { MAX_PAGE_OFFSET, PageQuery, pageOf } from "../../lib/pagination";

export const Region = z.enum(SALES_REGIONS).describe("Sales region: uk, fr, nl or de");
export type SalesRegion = z.infer<typeof Region>;
export const RegionParams = z.object({ region: Region });

/** `?limit&offset&search` of a region's list (RM365's). */
export const SalesListQuery = PageQuery.extend({
  search: z.string().trim().max(100).optional().describe("Matches order number, SKU, product name, customer name or e-mail (substring)"),
});
export type SalesListQuery = z.infer<typeof SalesListQuery>;

/** One order line: RM365's 14 columns plus its id, region and the import that last wrote it. */
export const SalesRow = z
  .object({
    id: z.number().int(),
    region: Region,
    order_number: z.string(),
    created_at: z.string().describe("The order's date, ISO 8601 UTC"),
    sku: z.string(),
    name: z.string(),
    qty: z.number(),
    price: z.number(),
    status: z.string(),
    currency: z.string(),
    grand_total: z.number(),
    customer_email: z.string(),
    customer_full_name: z.string(),
    billing_address: z.string(),
    shipping_address: z.string(),
    customer_group_code: z.string(),
    import_id: z.string(),
    imported_at: z.string().describe("When this line was last written"),
  })
  .meta({ id: "SalesRow" });
export type SalesRow = z.infer<typeof SalesRow>;

/** RM365's `GET /salesdata/{region}` answer. */
export const SalesList = z
  .object({
    status: z.literal("success"),
    region: Region,
    data: z.array(SalesRow),
    total_count: z.number().int().min(0),
    limit: z.number().int(),
    offset: z.number().int(),
  })
  .meta({ id: "SalesList" });
export type SalesList = z.infer<typeof SalesList>;

const Flag = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");

/** `?partial=true`: import the valid rows of a file with bad ones (default: all or nothing). */
export const UploadQuery = z.object({
  partial: Flag.optional().describe("true: import the valid rows and report the bad ones; default false: a bad row rejects the whole file"),
  background: Flag.optional().describe("true: import as a queue job (202 with the import) whatever the file's size; files over 4 MiB always are"),
});

/** The form's text fields (`file` is the CSV itself, streamed, never a text field). */
export const UploadFields = z.object({ partial: Flag.optional(), background: Flag.optional() }).strict();

/** The multipart form, for the docs (an OpenAPI schema object: the body streams, never through zod). */
export const UploadForm = {
  type: "object" as const,
  required: ["file"],
  properties: {
    file: { type: "string" as const, format: "binary", description: "The CSV: header row, then 14 columns by position (UTF-8; `,` `;` or tab)" },
    partial: { type: "string" as const, enum: ["true", "false"], description: "Same as ?partial=" },
    background: { type: "string" as const, enum: ["true", "false"], description: "Same as ?background=" },
  },
};

/** RM365's upload answer, plus the import's record. */
export const UploadResult = z
  .object({
    status: z.literal("success"),
    message: z.string(),
    rows_imported: z.number().int().min(0),
    errors: z.array(z.string()).describe("Row errors (partial import), at most 100; errors_more counts the rest"),
    rows_failed: z.number().int().min(0),
    errors_more: z.number().int().min(0),
    import_id: z.string(),
    duplicate_of: z.string().nullable().describe("Set when the same bytes were already imported for this region: nothing was written"),
  })
  .meta({ id: "SalesUploadResult" });
export type UploadResult = z.infer<typeof UploadResult>;

export const SalesImport = z
  .object({
    id: z.string(),
    region: Region,
    filename: z.string(),
    sha256: z.string(),
    r2_key: z.string().describe("Where the original file is kept"),
    size_bytes: z.number().int(),
    status: z.enum(SALES_IMPORT_STATUSES),
    partial: z.boolean(),
    rows_total: z.number().int().describe("Order lines in the file (known once validation ends)"),
    rows_done: z.number().int().describe("Lines written so far: the progress of a running import"),
    rows_imported: z.number().int(),
    rows_failed: z.number().int(),
    errors: z.array(z.string()),
    errors_more: z.number().int(),
    message: z.string(),
    duplicate_of: z.string().nullable(),
    user_id: z.string().nullable(),
    username: z.string(),
    started_at: z.string(),
    finished_at: z.string().nullable(),
    duration_ms: z.number().int().nullable(),
    background: z.boolean().describe("Run as a queue job (the upload answered 202)"),
    attempts: z.number().int().describe("Deliveries of the job that claimed it (0 for an import run within its upload)"),
    chunks_done: z.number().int().describe("Staging chunks committed: a retried job stages from the row after the last one"),
  })
  .meta({ id: "SalesImport" });
export type SalesImport = z.infer<typeof SalesImport>;

export const ImportListQuery = PageQuery.extend({
  region: Region.optional(),
  status: z.enum(SALES_IMPORT_STATUSES).optional(),
});
export type ImportListQuery = z.infer<typeof ImportListQuery>;
export const ImportList = pageOf(SalesImport).meta({ id: "SalesImportList" });
export const ImportIdParams = z.object({ id: z.uuid() });

const Day = z.iso.date().describe("YYYY-MM-DD (UTC), inclusive");

export const SummaryQuery = z
  .object({
    group_by: z.enum(["sku", "country", "month"]),
    from: Day.optional(),
    to: Day.optional(),
    region: Region.optional().describe("Only this region (country)"),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    offset: z.coerce.number().int().min(0).max(MAX_PAGE_OFFSET).default(0),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, { message: "from must not be after to", path: ["from"] });
export type SummaryQuery = z.infer<typeof SummaryQuery>;

export const SummaryGroup = z
  .object({
    key: z.string().describe("The SKU, the region (country) or the month (YYYY-MM)"),
    currency: z.string(),
    orders: z.number().int().describe("Distinct orders"),
    lines: z.number().int(),
    quantity: z.number(),
    revenue: z.number().describe("Σ qty × price, rounded to 2 places"),
  })
  .meta({ id: "SalesSummaryGroup" });
export type SummaryGroup = z.infer<typeof SummaryGroup>;

export const Summary = z
  .object({
    group_by: z.enum(["sku", "country", "month"]),
    from: z.string().nullable(),
    to: z.string().nullable(),
    region: Region.nullable(),
    groups: z.array(SummaryGroup),
    total_groups: z.number().int(),
    limit: z.number().int(),
    offset: z.number().int(),
  })
  .meta({ id: "SalesSummary" });
export type Summary = z.infer<typeof Summary>;
