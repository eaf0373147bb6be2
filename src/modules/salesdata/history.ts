/**
 * RM365's import history (`GET /salesdata/history`): newest first, its field names, and an
 * integer `id` (its client writes the id into an `onclick` and finds the record by `===`). The
 * integer is the row's SQLite rowid: assigned on insert, never reused while the row exists, and
 * only read back within the page it came with. Only the regions whose tab the caller holds.
 */
import { count, desc, eq, inArray, sql } from "drizzle-orm";
import { SALES_REGIONS, type SalesImportStatus, type SalesRegion, salesImports } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import type { Principal } from "../../types";
import { assertRegion, regionsOf } from "./access";

export interface ImportHistoryQuery {
  limit: number;
  offset: number;
  region?: SalesRegion;
}

export interface ImportHistoryRecord {
  id: number;
  import_id: string;
  region: SalesRegion;
  filename: string;
  rows_imported: number;
  rows_failed: number;
  errors: string[];
  imported_by: string;
  imported_at: string;
  status: string;
}

export interface ImportHistoryPage {
  data: ImportHistoryRecord[];
  total_count: number;
  limit: number;
  offset: number;
}

/** RM365 recorded `success` for a finished import; Floorline's other states keep their names. */
const rm365Status = (status: SalesImportStatus): string => (status === "completed" ? "success" : status);

export async function importHistory(deps: Pick<Deps, "db">, query: ImportHistoryQuery, actor: Principal): Promise<ImportHistoryPage> {
  const t = salesImports;
  const regions = regionsOf(actor);
  if (query.region !== undefined) assertRegion(actor, query.region);
  if (regions.length === 0) return { data: [], total_count: 0, limit: query.limit, offset: query.offset };
  const where = query.region !== undefined ? eq(t.region, query.region) : regions.length === SALES_REGIONS.length ? undefined : inArray(t.region, regions);
  const [rows, totals] = await deps.db.batch([
    deps.db
      .select({
        rowid: sql<number>`${t}.rowid`.as("row_number"),
        id: t.id,
        region: t.region,
        filename: t.filename,
        rowsImported: t.rowsImported,
        rowsFailed: t.rowsFailed,
        errors: t.errors,
        username: t.username,
        createdAt: t.createdAt,
        status: t.status,
      })
      .from(t)
      .where(where)
      .orderBy(desc(t.createdAt), desc(t.id))
      .limit(query.limit)
      .offset(query.offset),
    deps.db.select({ total: count() }).from(t).where(where),
  ]);
  return {
    data: rows.map((r) => ({
      id: Number(r.rowid),
      import_id: r.id,
      region: r.region,
      filename: r.filename,
      rows_imported: r.rowsImported,
      rows_failed: r.rowsFailed,
      errors: r.errors,
      imported_by: r.username,
      imported_at: r.createdAt,
      status: rm365Status(r.status),
    })),
    total_count: totals[0]?.total ?? 0,
    limit: query.limit,
    offset: query.offset,
  };
}
