/** Reads of the Magento-synced order lines: a region's list, the sync history and the tables' status. */
import { and, asc, count, desc, eq, inArray, sql } from "drizzle-orm";
import { MAGENTO_DATA_REGIONS, type MagentoDataRegion, magentoSalesRows, magentoSyncs } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { likeContains } from "../../lib/sql";

export interface MagentoLine {
  id: number;
  order_number: string;
  created_at: string;
  sku: string;
  name: string;
  qty: number;
  original_price: number | null;
  special_price: number | null;
  status: string;
  currency: string | null;
  grand_total: number | null;
  customer_email: string | null;
  customer_full_name: string | null;
  billing_address: string | null;
  shipping_address: string | null;
  customer_group_code: string | null;
  imported_at: string;
  updated_at: string;
}

export interface MagentoLinePage {
  data: MagentoLine[];
  total_count: number;
  limit: number;
  offset: number;
}

type Row = typeof magentoSalesRows.$inferSelect;

const toLine = (r: Row): MagentoLine => ({
  id: r.id,
  order_number: r.orderNumber,
  created_at: r.orderedAt,
  sku: r.sku,
  name: r.name,
  qty: r.qty,
  original_price: r.originalPrice,
  special_price: r.specialPrice,
  status: r.status,
  currency: r.currency,
  grand_total: r.grandTotal,
  customer_email: r.customerEmail,
  customer_full_name: r.customerFullName,
  billing_address: r.billingAddress,
  shipping_address: r.shippingAddress,
  customer_group_code: r.customerGroupCode,
  imported_at: r.createdAt,
  updated_at: r.updatedAt,
});

/** A region's synced lines, newest orders first; `search` over order, SKU, product and customer. */
export async function listMagentoLines(
  deps: Pick<Deps, "db">,
  region: MagentoDataRegion,
  query: { limit: number; offset: number; search?: string },
): Promise<MagentoLinePage> {
  const t = magentoSalesRows;
  const where = and(
    eq(t.region, region),
    query.search ? likeContains([t.orderNumber, t.sku, t.name, t.customerFullName, t.customerEmail], query.search) : undefined,
  );
  const [rows, totals] = await deps.db.batch([
    deps.db.select().from(t).where(where).orderBy(desc(t.orderedAt), asc(t.id)).limit(query.limit).offset(query.offset),
    deps.db.select({ total: count() }).from(t).where(where),
  ]);
  return { data: rows.map(toLine), total_count: totals[0]?.total ?? 0, limit: query.limit, offset: query.offset };
}

export interface SyncRecord {
  id: number;
  sync_id: string;
  region: MagentoDataRegion;
  filename: string;
  rows_imported: number;
  rows_failed: number;
  orders_processed: number;
  errors: string[];
  imported_by: string;
  imported_at: string;
  finished_at: string | null;
  status: string;
  message: string;
}

/**
 * The sync history in RM365's import-history shape (its history page is shared with uploads):
 * newest first, an integer `id` (the row's SQLite rowid, as for sales imports), `filename`
 * naming the sync, `status` `success` for a completed sync. Only `regions` (the caller's).
 */
export async function magentoSyncHistory(
  deps: Pick<Deps, "db">,
  regions: readonly MagentoDataRegion[],
  query: { limit: number; offset: number },
): Promise<{ data: SyncRecord[]; total_count: number; limit: number; offset: number }> {
  const t = magentoSyncs;
  if (regions.length === 0) return { data: [], total_count: 0, limit: query.limit, offset: query.offset };
  const where = regions.length === MAGENTO_DATA_REGIONS.length ? undefined : inArray(t.region, [...regions]);
  const [rows, totals] = await deps.db.batch([
    deps.db
      .select({ rowid: sql<number>`${t}.rowid`.as("row_number"), sync: t })
      .from(t)
      .where(where)
      .orderBy(desc(t.createdAt), desc(t.id))
      .limit(query.limit)
      .offset(query.offset),
    deps.db.select({ total: count() }).from(t).where(where),
  ]);
  return {
    data: rows.map(({ rowid, sync: s }) => ({
      id: Number(rowid),
      sync_id: s.id,
      region: s.region,
      filename: `Magento sync (${s.region.toUpperCase()})`,
      rows_imported: s.rowsSynced,
      rows_failed: s.errors.length,
      orders_processed: s.ordersProcessed,
      errors: s.errors,
      imported_by: s.username,
      imported_at: s.createdAt,
      finished_at: s.finishedAt,
      status: s.status === "completed" ? "success" : s.status,
      message: s.message,
    })),
    total_count: totals[0]?.total ?? 0,
    limit: query.limit,
    offset: query.offset,
  };
}

/** The tables that hold Magento-synced data (created by migrations). */
export const MAGENTO_DATA_TABLES = ["magento_sales_rows", "magento_syncs"] as const;

/** Which of them exist in D1 (RM365's `/magentodata/init` and `/status` report them). */
export async function magentoTablesStatus(deps: Pick<Deps, "db">): Promise<Record<(typeof MAGENTO_DATA_TABLES)[number], boolean>> {
  const rows = await deps.db.all<{ name: string }>(
    sql`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (${sql.join(
      MAGENTO_DATA_TABLES.map((t) => sql`${t}`),
      sql`, `,
    )})`,
  );
  const present = new Set(rows.map((r) => r.name));
  return { magento_sales_rows: present.has("magento_sales_rows"), magento_syncs: present.has("magento_syncs") };
}
