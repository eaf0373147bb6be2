/**
 * RM365's magentodata: order lines synced from the Magento shop (the client in
 * modules/magento/client.ts) into `magento_sales_rows`, one row per order and SKU.
 *
 * A sync is bounded: at most MAX_ORDERS_PER_SYNC orders (the request's `max_orders`, lower if it
 * asks), read in pages of PAGE_SIZE sorted by `created_at`, each page's lines and the sync's
 * progress committed in one `db.batch`. It resumes where the region's last sync stopped: from the
 * newest order it wrote, skipping the orders already stored at exactly that instant (so a
 * caught-up sync reports 0 orders, and RM365's client, which starts again at once whenever
 * `orders_processed > 0`, waits). `resync_days` (when sent) reads that many days again to pick up
 * status changes; `start_date`/`end_date` bound the window explicitly. The test sync (RM365's
 * test page) walks backwards instead: the ten orders before the oldest it holds.
 *
 * One shop serves every region (RM365 likewise read its UK shop for FR and NL). A failure upstream
 * marks the sync `failed` with what it had written (its pages stay) and answers the 502.
 */
import { and, eq, isNotNull, max, min, sql } from "drizzle-orm";
import { z } from "zod";
import { type MagentoDataRegion, magentoSalesRows, magentoSyncs } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError } from "../../lib/errors";
import { actorOf } from "../../lib/principal";
import { chunk, D1_MAX_PARAMS, rowsPerInsert } from "../../lib/sql";
import type { Principal } from "../../types";
import { type Filter, MagentoOrder, MagentoOrderItem, magentoClient, search } from "../magento/client";

/** Orders one sync request reads at most (the client calls again while orders keep coming). */
export const MAX_ORDERS_PER_SYNC = 500;
/** Orders per Magento request. */
export const PAGE_SIZE = 50;
/** Orders the test sync reads (RM365's). */
export const TEST_SYNC_ORDERS = 10;
/** Row errors kept on a sync record. */
const MAX_ERRORS = 50;

const Money = z.number().min(-1e9).max(1e9).nullish();
const Line = z.string().max(255);
const Address = z
  .object({
    firstname: Line.nullish(),
    lastname: Line.nullish(),
    street: z.array(Line).max(5).nullish(),
    city: Line.nullish(),
    postcode: z.string().max(32).nullish(),
    country_id: z.string().max(8).nullish(),
  })
  .nullish();

/** The order fields a sales line needs, beyond those pick & pack reads (bounded like them). */
const SalesOrder = MagentoOrder.extend({
  items: z.array(MagentoOrderItem.extend({ price: Money, original_price: Money })).max(500),
  order_currency_code: z.string().max(8).nullish(),
  grand_total: Money,
  customer_email: z.string().max(255).nullish(),
  customer_group_id: z.number().int().nullish(),
  billing_address: Address,
  extension_attributes: z
    .object({
      shipping_assignments: z
        .array(z.object({ shipping: z.object({ address: Address }).partial().nullish() }))
        .max(20)
        .nullish(),
    })
    .nullish(),
});
type SalesOrder = z.infer<typeof SalesOrder>;

export interface SyncInput {
  start_date?: string | null;
  end_date?: string | null;
  max_orders?: number | null;
  resync_days?: number | null;
}

export interface SyncResult {
  status: "success";
  message: string;
  rows_synced: number;
  orders_processed: number;
  errors: string[];
  progress: string;
  is_complete: boolean;
}

/** Magento's `YYYY-MM-DD HH:MM:SS` (UTC) as ISO 8601, or undefined. */
export function magentoDateToIso(text: string | null | undefined): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(text ?? "");
  if (!m) return undefined;
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.000Z`;
  return Number.isNaN(Date.parse(iso)) ? undefined : iso;
}

/** ISO 8601 as Magento's `YYYY-MM-DD HH:MM:SS`. */
const isoToMagento = (iso: string) => iso.slice(0, 19).replace("T", " ");

const addressText = (a: z.infer<typeof Address>) =>
  a ? [[a.firstname, a.lastname].filter(Boolean).join(" "), ...(a.street ?? []), a.city, a.postcode, a.country_id].filter(Boolean).join(", ") : null;

type LineInsert = typeof magentoSalesRows.$inferInsert;

/** An order's product lines: one per SKU (repeats added up), children of a configurable skipped (the parent carries their SKU). */
export function orderLines(order: SalesOrder, region: MagentoDataRegion, syncId: string, orderedAt: string): LineInsert[] {
  const bySku = new Map<string, LineInsert>();
  const fullName = [order.customer_firstname, order.customer_lastname].filter(Boolean).join(" ") || null;
  const shipping = order.extension_attributes?.shipping_assignments?.[0]?.shipping?.address;
  for (const item of order.items) {
    if (item.parent_item_id) continue;
    const seen = bySku.get(item.sku);
    if (seen) {
      seen.qty = Number(seen.qty) + item.qty_ordered;
      continue;
    }
    const original = item.original_price ?? item.price ?? null;
    bySku.set(item.sku, {
      region,
      orderNumber: order.increment_id,
      orderedAt,
      sku: item.sku,
      name: item.name ?? "",
      qty: item.qty_ordered,
      originalPrice: original,
      specialPrice: item.price != null && original != null && item.price < original ? item.price : null,
      status: order.status ?? order.state ?? "",
      currency: order.order_currency_code ?? null,
      grandTotal: order.grand_total ?? null,
      customerEmail: order.customer_email ?? null,
      customerFullName: fullName,
      billingAddress: addressText(order.billing_address),
      shippingAddress: addressText(shipping),
      customerGroupCode: order.customer_group_id == null ? null : String(order.customer_group_id),
      syncId,
    });
  }
  return [...bySku.values()];
}

type SyncDeps = Pick<Deps, "db" | "feature" | "now">;

interface Window {
  from?: string;
  to?: string;
  direction: "ASC" | "DESC";
  /** Orders already stored at the resume instant: not counted again. */
  skip: ReadonlySet<string>;
  maxOrders: number;
}

/** The region's orders stored at exactly `iso` (the resume instant; bounded). */
async function storedAt(deps: Pick<Deps, "db">, region: MagentoDataRegion, iso: string): Promise<Set<string>> {
  const rows = await deps.db
    .selectDistinct({ order: magentoSalesRows.orderNumber })
    .from(magentoSalesRows)
    .where(and(eq(magentoSalesRows.region, region), eq(magentoSalesRows.orderedAt, iso)))
    .limit(PAGE_SIZE * 2);
  return new Set(rows.map((r) => r.order));
}

const dayStart = (day: string) => (/^\d{4}-\d{2}-\d{2}$/.test(day) ? `${day} 00:00:00` : day);
const dayEnd = (day: string) => (/^\d{4}-\d{2}-\d{2}$/.test(day) ? `${day} 23:59:59` : day);

/** Reads the window page by page and writes each page with the sync's progress. */
async function runSync(deps: SyncDeps, region: MagentoDataRegion, window: Window, actor: Principal): Promise<SyncResult> {
  const client = magentoClient(deps);
  const who = actorOf(actor);
  const syncId = crypto.randomUUID();
  await deps.db.insert(magentoSyncs).values({ id: syncId, region, status: "running", errors: [], userId: who.userId, username: who.name });
  const errors: string[] = [];
  let orders = 0;
  let rows = 0;
  let exhausted = false;
  let oldest: string | undefined;
  let newest: string | undefined;
  const perInsert = Math.min(rowsPerInsert(magentoSalesRows), D1_MAX_PARAMS);
  try {
    for (let page = 1; orders < window.maxOrders; page++) {
      const groups: Filter[][] = [];
      if (window.from) groups.push([{ field: "created_at", value: window.from, condition: "gteq" }]);
      if (window.to) groups.push([{ field: "created_at", value: window.to, condition: "lteq" }]);
      const answer = await search(
        client,
        "orders",
        { groups, pageSize: PAGE_SIZE, currentPage: page, sort: { field: "created_at", direction: window.direction } },
        SalesOrder,
      );
      const lines: LineInsert[] = [];
      let pageOrders = 0;
      for (const order of answer.items) {
        if (orders + pageOrders >= window.maxOrders) break;
        if (window.skip.has(order.increment_id)) continue;
        const orderedAt = magentoDateToIso(order.created_at);
        if (!orderedAt) {
          if (errors.length < MAX_ERRORS) errors.push(`Order ${order.increment_id}: no readable created_at (${JSON.stringify(order.created_at ?? null)})`);
          continue;
        }
        lines.push(...orderLines(order, region, syncId, orderedAt));
        pageOrders++;
        if (!oldest || orderedAt < oldest) oldest = orderedAt;
        if (!newest || orderedAt > newest) newest = orderedAt;
      }
      orders += pageOrders;
      rows += lines.length;
      const now = deps.now().toISOString();
      const upserts = chunk(lines, perInsert).map((part) =>
        deps.db
          .insert(magentoSalesRows)
          .values(part)
          .onConflictDoUpdate({
            target: [magentoSalesRows.region, magentoSalesRows.orderNumber, magentoSalesRows.sku],
            set: {
              orderedAt: sql`excluded.ordered_at`,
              name: sql`excluded.name`,
              qty: sql`excluded.qty`,
              originalPrice: sql`excluded.original_price`,
              specialPrice: sql`excluded.special_price`,
              status: sql`excluded.status`,
              currency: sql`excluded.currency`,
              grandTotal: sql`excluded.grand_total`,
              customerEmail: sql`excluded.customer_email`,
              customerFullName: sql`excluded.customer_full_name`,
              billingAddress: sql`excluded.billing_address`,
              shippingAddress: sql`excluded.shipping_address`,
              customerGroupCode: sql`excluded.customer_group_code`,
              syncId: sql`excluded.sync_id`,
              updatedAt: now,
            },
          }),
      );
      const progress = deps.db
        .update(magentoSyncs)
        .set({ ordersProcessed: orders, rowsSynced: rows, firstOrderAt: oldest ?? null, lastOrderAt: newest ?? null, errors, updatedAt: now })
        .where(eq(magentoSyncs.id, syncId));
      await deps.db.batch([progress, ...upserts]);
      if (answer.items.length < PAGE_SIZE || page * PAGE_SIZE >= answer.total_count) {
        exhausted = true;
        break;
      }
    }
  } catch (err) {
    const message = err instanceof AppError ? err.message : "The sync stopped unexpectedly";
    await deps.db
      .update(magentoSyncs)
      .set({ status: "failed", message: `Stopped after ${orders} orders: ${message}`, finishedAt: deps.now().toISOString() })
      .where(eq(magentoSyncs.id, syncId));
    throw err;
  }
  const message = orders === 0 ? "No new data to sync from Magento" : `Successfully synced ${rows} product rows from ${orders} orders`;
  await deps.db.update(magentoSyncs).set({ status: "completed", message, finishedAt: deps.now().toISOString() }).where(eq(magentoSyncs.id, syncId));
  return {
    status: "success",
    message,
    rows_synced: rows,
    orders_processed: orders,
    errors,
    progress: exhausted ? "All orders in the window read" : `Stopped after ${orders} orders (the limit of one request); sync again for more`,
    is_complete: exhausted,
  };
}

/** A region's sync (RM365's `POST /magentodata/{region}/sync`). */
export async function syncMagentoRegion(deps: SyncDeps, region: MagentoDataRegion, input: SyncInput, actor: Principal): Promise<SyncResult> {
  const maxOrders = Math.min(input.max_orders ?? MAX_ORDERS_PER_SYNC, MAX_ORDERS_PER_SYNC);
  const to = input.end_date ? dayEnd(input.end_date) : undefined;
  if (input.start_date) return runSync(deps, region, { from: dayStart(input.start_date), to, direction: "ASC", skip: new Set(), maxOrders }, actor);
  const [last] = await deps.db
    .select({ at: max(magentoSyncs.lastOrderAt) })
    .from(magentoSyncs)
    .where(and(eq(magentoSyncs.region, region), isNotNull(magentoSyncs.lastOrderAt)));
  const lastAt = last?.at ?? undefined;
  if (!lastAt) return runSync(deps, region, { to, direction: "ASC", skip: new Set(), maxOrders }, actor);
  if (input.resync_days) {
    const from = new Date(Date.parse(lastAt) - input.resync_days * 86_400_000).toISOString();
    return runSync(deps, region, { from: isoToMagento(from), to, direction: "ASC", skip: new Set(), maxOrders }, actor);
  }
  const skip = await storedAt(deps, region, lastAt);
  return runSync(deps, region, { from: isoToMagento(lastAt), to, direction: "ASC", skip, maxOrders }, actor);
}

/** RM365's test sync: the ten newest orders, then on each call the ten before the oldest held. */
export async function testSyncMagento(deps: SyncDeps, actor: Principal): Promise<SyncResult> {
  const [first] = await deps.db
    .select({ at: min(magentoSyncs.firstOrderAt) })
    .from(magentoSyncs)
    .where(and(eq(magentoSyncs.region, "test"), isNotNull(magentoSyncs.firstOrderAt)));
  const oldest = first?.at ?? undefined;
  const skip = oldest ? await storedAt(deps, "test", oldest) : new Set<string>();
  return runSync(deps, "test", { to: oldest ? isoToMagento(oldest) : undefined, direction: "DESC", skip, maxOrders: TEST_SYNC_ORDERS }, actor);
}
