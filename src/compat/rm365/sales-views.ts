/**
 * Wire shapes shared by RM365's sales-data and magentodata screens (its two backends answered
 * them alike): pages of up to 1,000, the condensed view and its custom range, refresh answers,
 * and the tables' init/status.
 */
import { z } from "zod";
import type { CondensedRange } from "../../modules/salesdata/condensed";

export const Page = {
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
};
export const Search = z.string().trim().max(100).optional().describe("Matches the SKU or product name (substring)");

/** RM365's condensed view query (`?limit&offset&search`). */
export const CondensedQuery = z.object({ ...Page, search: Search });

export const Flag = z.enum(["true", "false", "1", "0", "True", "False"]).transform((v) => v === "true" || v === "1" || v === "True");

/** RM365's custom range: `days`/`months` take a count, `since` a day (YYYY-MM-DD). */
export const CustomRangeQuery = z
  .object({
    range_type: z.enum(["days", "months", "since"]),
    range_value: z.string().trim().min(1).max(10),
    use_exclusions: Flag.default(true).describe("Accepted; Floorline keeps no exclusion lists"),
    ...Page,
    search: Search,
  })
  .transform((q, ctx): { range: CondensedRange; limit: number; offset: number; search?: string; range_type: string; range_value: string } => {
    const base = { limit: q.limit, offset: q.offset, search: q.search, range_type: q.range_type, range_value: q.range_value };
    if (q.range_type === "since") {
      if (!z.iso.date().safeParse(q.range_value).success) {
        ctx.addIssue({ code: "custom", path: ["range_value"], message: `Invalid date format: ${q.range_value}. Expected YYYY-MM-DD` });
        return z.NEVER;
      }
      return { ...base, range: { type: "since", day: q.range_value } };
    }
    const n = /^\d{1,5}$/.test(q.range_value) ? Number(q.range_value) : Number.NaN;
    if (!(n >= 1 && n <= (q.range_type === "days" ? 36_500 : 1_200))) {
      ctx.addIssue({ code: "custom", path: ["range_value"], message: `Invalid ${q.range_type} value: ${q.range_value}` });
      return z.NEVER;
    }
    return { ...base, range: q.range_type === "days" ? { type: "days", days: n } : { type: "months", months: n } };
  });

export const CondensedRow = z
  .object({
    id: z.number().int().describe("Its place in this ordering (1-based), as RM365's custom range numbered rows"),
    sku: z.string().describe("The base SKU (an -MD variant counts as its base)"),
    name: z.string().describe("The name on the newest order line"),
    total_qty: z.number(),
    last_updated: z.string().describe("When the newest contributing line was written"),
  })
  .meta({ id: "Rm365CondensedRow" });

export const CondensedList = z
  .object({
    status: z.literal("success"),
    region: z.string(),
    range_type: z.string().optional(),
    range_value: z.string().optional(),
    data: z.array(CondensedRow),
    total_count: z.number().int(),
    limit: z.number().int(),
    offset: z.number().int(),
  })
  .meta({ id: "Rm365CondensedList" });

export const RefreshRegion = z
  .object({ status: z.literal("success"), message: z.string(), region: z.string(), rows_aggregated: z.number().int(), table: z.string() })
  .meta({ id: "Rm365RefreshCondensed" });

export const RefreshAll = z
  .object({
    status: z.literal("success"),
    message: z.string(),
    results: z.record(z.string(), z.object({ success: z.boolean(), rows_aggregated: z.number().int() })),
    total_rows_aggregated: z.number().int(),
  })
  .meta({ id: "Rm365RefreshCondensedAll" });

export const InitResult = z.object({ status: z.enum(["success", "error"]), message: z.string(), tables: z.array(z.string()) }).meta({ id: "Rm365TablesInit" });

export const TablesStatus = z
  .object({ status: z.literal("success"), tables_status: z.record(z.string(), z.boolean()), all_tables_exist: z.boolean() })
  .meta({ id: "Rm365TablesStatus" });

/** RM365's `/init` answer from which of a surface's tables exist (`what`: "Sales data", "Magento data"). */
export function initAnswer(status: Record<string, boolean>, names: readonly string[], what: string): z.infer<typeof InitResult> {
  const tables = names.filter((t) => status[t]);
  const ready = tables.length === names.length;
  return {
    status: ready ? "success" : "error",
    message: ready ? `${what} tables initialized successfully` : `${what} tables are missing: apply the migrations`,
    tables,
  };
}

/** RM365's `/status` answer from which of a surface's tables exist. */
export const statusAnswer = (status: Record<string, boolean>): z.infer<typeof TablesStatus> => ({
  status: "success",
  tables_status: status,
  all_tables_exist: Object.values(status).every(Boolean),
});
