/** Sales data reads: a region's rows, the import history and the summary. */
import { and, asc, count, desc, eq, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import { SALES_REGIONS, type SalesRegion, salesImports, salesRows } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { notFound } from "../../lib/errors";
import { type ReapDeps, reapIfExpired } from "../../lib/jobs";
import { type Page, paginate } from "../../lib/pagination";
import { likeContains } from "../../lib/sql";
import type { Principal } from "../../types";
import { assertRegion, regionsOf } from "./access";
import { salesImportJobKind } from "./lease";
import type { ImportListQuery, SalesImport, SalesList, SalesListQuery, Summary, SummaryQuery } from "./schemas";
import { toSalesImport, toSalesRow } from "./shared";

/** RM365's region list: newest orders first, `search` over order, SKU, product and customer. */
export async function listSalesRows(deps: Pick<Deps, "db">, region: SalesRegion, query: SalesListQuery): Promise<SalesList> {
  const search = query.search ? query.search : undefined;
  const where = and(
    eq(salesRows.region, region),
    search === undefined
      ? undefined
      : likeContains([salesRows.orderNumber, salesRows.sku, salesRows.name, salesRows.customerFullName, salesRows.customerEmail], search),
  );
  const page = await paginate(deps.db, deps.db.select().from(salesRows).where(where).$dynamic(), query, {
    orderBy: [desc(salesRows.orderedAt), desc(salesRows.id)],
    tiebreaker: salesRows.id,
  });
  return { status: "success", region, data: page.items.map(toSalesRow), total_count: page.total, limit: page.limit, offset: page.offset };
}

/**
 * Import history, newest first, by region and status: only the regions whose tab the caller
 * holds (row errors quote the file's cells); asking for another region's is a 403.
 */
export async function listSalesImports(deps: Pick<Deps, "db">, query: ImportListQuery, actor: Principal): Promise<Page<SalesImport>> {
  const regions = regionsOf(actor);
  if (query.region !== undefined) assertRegion(actor, query.region);
  const where = and(
    query.region === undefined
      ? regions.length === SALES_REGIONS.length
        ? undefined
        : inArray(salesImports.region, regions)
      : eq(salesImports.region, query.region),
    query.status === undefined ? undefined : eq(salesImports.status, query.status),
  );
  const page = await paginate(deps.db, deps.db.select().from(salesImports).where(where).$dynamic(), query, {
    orderBy: [desc(salesImports.createdAt)],
    tiebreaker: salesImports.id,
  });
  return { ...page, items: page.items.map(toSalesImport) };
}

/**
 * One import, with its progress while it runs; one of a region whose tab the caller lacks is not
 * found. A queue job whose lease ran out is re-queued or failed first (src/lib/jobs.ts), so a
 * caller never watches a dead job.
 */
export async function getSalesImport(deps: ReapDeps, id: string, actor: Principal): Promise<SalesImport> {
  const [row] = await deps.db.select().from(salesImports).where(eq(salesImports.id, id)).limit(1);
  if (!row || !regionsOf(actor).includes(row.region)) throw notFound(`Sales import ${id}`);
  return toSalesImport(salesImportJobKind.isActive(row) ? await reapIfExpired(deps, salesImportJobKind, row) : row);
}

/** An import's states that are still moving. */
const RUNNING: readonly string[] = ["queued", "validating", "importing"];
/** Longest an SSE stream of one import stays open (the client reconnects for more). */
export const WATCH_MAX_MS = 300_000;

/**
 * An import's record as it moves: now, then each time its status, `rows_done`, `rows_total` or
 * `attempts` changes (read once a second), until it ends or WATCH_MAX_MS pass.
 */
export async function* watchSalesImport(
  deps: ReapDeps,
  id: string,
  actor: Principal,
  options: { intervalMs?: number; maxMs?: number } = {},
): AsyncGenerator<SalesImport> {
  let last = await getSalesImport(deps, id, actor);
  yield last;
  const deadline = Date.now() + Math.min(options.maxMs ?? WATCH_MAX_MS, WATCH_MAX_MS);
  while (RUNNING.includes(last.status) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 1000));
    const now = await getSalesImport(deps, id, actor);
    if (now.status !== last.status || now.rows_done !== last.rows_done || now.rows_total !== last.rows_total || now.attempts !== last.attempts) {
      last = now;
      yield now;
    }
  }
}

const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000).toISOString();

/**
 * Aggregates per SKU, country (region) or month (of the order date), per currency: distinct
 * orders, lines, quantity and revenue (Σ qty × price). `from`/`to` are whole UTC days,
 * inclusive. SKU and country groups come largest revenue first, months in order.
 */
export async function salesSummary(deps: Pick<Deps, "db">, query: SummaryQuery, actor: Principal): Promise<Summary> {
  const t = salesRows;
  // Totals are sales data too: only the regions whose tab the caller holds are counted.
  const regions = regionsOf(actor);
  if (query.region !== undefined) assertRegion(actor, query.region);
  const key: SQL<string> =
    query.group_by === "sku" ? sql<string>`${t.sku}` : query.group_by === "country" ? sql<string>`${t.region}` : sql<string>`substr(${t.orderedAt}, 1, 7)`;
  const where = and(
    // The held regions named even when they are all: SQLite seeks the region + date index once per region.
    query.region === undefined ? inArray(t.region, regions) : eq(t.region, query.region),
    query.from === undefined ? undefined : gte(t.orderedAt, `${query.from}T00:00:00.000Z`),
    query.to === undefined ? undefined : lt(t.orderedAt, nextDay(query.to)),
  );
  const revenue = sql<number>`round(sum(${t.qty} * ${t.price}), 2)`;
  const grouped = deps.db
    .select({
      key: key.as("group_key"),
      currency: t.currency,
      orders: sql<number>`count(distinct ${t.orderNumber})`.as("orders"),
      lines: count().as("lines"),
      quantity: sql<number>`sum(${t.qty})`.as("quantity"),
      revenue: revenue.as("revenue"),
    })
    .from(t)
    .where(where)
    .groupBy(key, t.currency);
  const sub = grouped.as("groups");
  const order = query.group_by === "month" ? [asc(sub.key), asc(sub.currency)] : [desc(sub.revenue), asc(sub.key), asc(sub.currency)];
  const [groups, totals] = await deps.db.batch([
    deps.db
      .select()
      .from(sub)
      .orderBy(...order)
      .limit(query.limit)
      .offset(query.offset),
    deps.db.select({ total: count() }).from(sub),
  ]);
  return {
    group_by: query.group_by,
    from: query.from ?? null,
    to: query.to ?? null,
    region: query.region ?? null,
    groups: groups.map((g) => ({
      key: String(g.key),
      currency: g.currency,
      orders: Number(g.orders),
      lines: Number(g.lines),
      quantity: Number(g.quantity),
      revenue: Number(g.revenue),
    })),
    total_groups: totals[0]?.total ?? 0,
    limit: query.limit,
    offset: query.offset,
  };
}

/** The tables that hold sales data (created by migrations, not on request as RM365's were). */
export const SALES_TABLES = ["sales_rows", "sales_imports"] as const;

/** Which of the sales-data tables exist in D1 (RM365's `/init` and `/status` report them). */
export async function salesTablesStatus(deps: Pick<Deps, "db">): Promise<Record<(typeof SALES_TABLES)[number], boolean>> {
  const rows = await deps.db.all<{ name: string }>(
    sql`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (${sql.join(
      SALES_TABLES.map((t) => sql`${t}`),
      sql`, `,
    )})`,
  );
  const present = new Set(rows.map((r) => r.name));
  return { sales_rows: present.has("sales_rows"), sales_imports: present.has("sales_imports") };
}
