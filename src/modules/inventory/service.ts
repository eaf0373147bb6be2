/**
 * Inventory: items, atomic stock adjustments and their history, low stock, CSV exports; every
 * stock change is pushed to the location's inventory room (src/rooms/inventory-room.ts).
 *
 * Atomicity without interactive transactions: an adjustment is one `db.batch` of
 *   UPDATE item SET quantity = quantity + delta …   (the table's CHECK refuses a negative
 *                                                     quantity unless the item allows it)
 *   INSERT adjustment VALUES ((SELECT id …), …, (SELECT quantity …))   (NOT NULL: the item exists)
 * per line, then the reads of what was written. A line that would go below zero, or names no
 * item, makes its statement fail, and D1 rolls the whole batch back: nothing is written, and a
 * bulk (scanned list) is all-or-nothing. `quantity + delta` is computed by SQLite under D1's
 * single writer, so concurrent adjustments never lose an update.
 */
import { and, asc, desc, eq, gt, inArray, lte, or, type SQL, sql } from "drizzle-orm";
import { isConstraintError } from "../../db/client";
import { inventoryAdjustments, inventoryItems } from "../../db/schema";
import { CSV_PAGE_ROWS, csvStream } from "../../lib/csv";
import type { Deps } from "../../lib/deps";
import { AppError } from "../../lib/errors";
import { describeError, log } from "../../lib/logging";
import { type Page, paginate } from "../../lib/pagination";
import { actorOf } from "../../lib/principal";
import { chunk, IDS_PER_STATEMENT, likeContains } from "../../lib/sql";
import type { InventoryEvents } from "../../rooms/inventory-protocol";
import type { JsonValue, ServerMessageOf } from "../../rooms/messages";
import type { Principal } from "../../types";
import type { AdjustBody, Adjustment, BulkLine, CreateItem, HistoryExportQuery, Item, ItemListQuery, LowStockQuery, UpdateItem } from "./schemas";

type ItemRow = typeof inventoryItems.$inferSelect;
type AdjustmentRow = typeof inventoryAdjustments.$inferSelect;
type InventoryDeps = Pick<Deps, "db" | "rooms" | "now" | "waitUntil">;

/** Low stock: at or below a positive reorder level. */
const isLow = (row: Pick<ItemRow, "quantity" | "reorderLevel">) => row.reorderLevel > 0 && row.quantity <= row.reorderLevel;

/** The wire shape of an item row. */
export function toItem(row: ItemRow): Item {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    barcode: row.barcode,
    location: row.location,
    quantity: row.quantity,
    reorder_level: row.reorderLevel,
    allow_negative: row.allowNegative,
    low_stock: isLow(row),
    version: row.version,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

/** The wire shape of a history row. */
export function toAdjustment(row: AdjustmentRow): Adjustment {
  return {
    id: row.id,
    seq: row.seq,
    item_id: row.itemId,
    sku: row.sku,
    location: row.location,
    delta: row.delta,
    reason: row.reason,
    quantity_after: row.quantityAfter,
    user_id: row.userId,
    username: row.username,
    created_at: row.createdAt,
  };
}

// ---------------------------------------------------------------------------------------------
// Room pushes

type InventoryChange = Omit<Extract<ServerMessageOf<InventoryEvents>, { type: "inventory_changed" }>["data"], "user_id" | "username">;

/**
 * Tells each location's room about changes that have committed. Runs after the response
 * (`waitUntil`); a room that cannot be reached loses only the push, never the write, and a
 * client that missed it resynchronises from the snapshot on reconnect.
 */
function pushChanges(deps: Pick<Deps, "rooms" | "waitUntil">, actor: Principal, changes: { location: string; change: InventoryChange }[]): void {
  if (changes.length === 0) return;
  const who = actorOf(actor);
  const byLocation = new Map<string, InventoryChange[]>();
  for (const { location, change } of changes) byLocation.set(location, [...(byLocation.get(location) ?? []), change]);
  const rooms = deps.rooms.inventory;
  const work = [...byLocation].map(async ([location, list]) => {
    try {
      const room = rooms.get(rooms.idFromName(location));
      await room.publishMany(list.map((change) => ({ type: "inventory_changed", data: { user_id: who.userId, username: who.name, ...change } })));
    } catch (err) {
      log("warn", "inventory room push failed", { location, ...describeError(err) });
    }
  });
  deps.waitUntil(Promise.all(work));
}

const FIELDS: Record<keyof UpdateItem, keyof ItemRow> = {
  name: "name",
  barcode: "barcode",
  location: "location",
  reorder_level: "reorderLevel",
  allow_negative: "allowNegative",
};

// ---------------------------------------------------------------------------------------------
// Items

async function findBy(db: Deps["db"], where: SQL): Promise<ItemRow | undefined> {
  const [row] = await db.select().from(inventoryItems).where(where).limit(1);
  return row;
}

const itemNotFound = (sku: string) => new AppError("NOT_FOUND", `Item '${sku}' not found`, { reason: "item_not_found" });

/** 409 for a SKU or barcode another item holds (the unique index decided). */
async function uniqueConflict(db: Deps["db"], sku: string | undefined, barcode: string | null | undefined): Promise<AppError> {
  if (sku !== undefined && (await findBy(db, eq(inventoryItems.sku, sku))))
    return new AppError("CONFLICT", `An item with SKU '${sku}' exists`, { reason: "sku_taken" });
  if (barcode) return new AppError("CONFLICT", `Barcode '${barcode}' belongs to another item`, { reason: "barcode_taken" });
  return new AppError("CONFLICT", "SKU or barcode already in use");
}

/** Creates an item (SKU normalised by the schema). 409 when the SKU or barcode is taken. */
export async function createItem(deps: InventoryDeps, input: CreateItem, actor: Principal): Promise<Item> {
  let row: ItemRow | undefined;
  try {
    [row] = await deps.db
      .insert(inventoryItems)
      .values({
        id: crypto.randomUUID(),
        sku: input.sku,
        name: input.name,
        barcode: input.barcode ?? null,
        location: input.location,
        quantity: input.quantity,
        reorderLevel: input.reorder_level,
        allowNegative: input.allow_negative,
        createdBy: actorOf(actor).userId,
      })
      .returning();
  } catch (err) {
    if (isConstraintError(err, "UNIQUE")) throw await uniqueConflict(deps.db, input.sku, input.barcode);
    if (isCheckError(err))
      throw new AppError("VALIDATION_ERROR", "Quantity may be negative only when allow_negative is true", {
        details: [{ path: "body.quantity", message: "must be at least 0" }],
      });
    throw err;
  }
  if (!row) throw new Error("insert returned no row");
  pushChanges(deps, actor, [
    { location: row.location, change: { update_type: "created", sku: row.sku, field: null, old_value: null, new_value: toItem(row) } },
  ]);
  return toItem(row);
}

/** One item by SKU; 404 when none. */
export async function getItem(deps: Pick<Deps, "db">, sku: string): Promise<Item> {
  const row = await findBy(deps.db, eq(inventoryItems.sku, sku));
  if (!row) throw itemNotFound(sku);
  return toItem(row);
}

/** The item a scanned barcode belongs to (or, failing that, whose SKU it is); 404 when none. */
export async function getItemByBarcode(deps: Pick<Deps, "db">, code: string): Promise<Item> {
  const rows = await deps.db
    .select()
    .from(inventoryItems)
    .where(or(eq(inventoryItems.barcode, code), eq(inventoryItems.sku, code.normalize("NFKC").toUpperCase())))
    .limit(2);
  const row = rows.find((r) => r.barcode === code) ?? rows[0];
  if (!row) throw new AppError("NOT_FOUND", `No item with barcode '${code}'`, { reason: "item_not_found" });
  return toItem(row);
}

/** Items, filtered by a search (SKU, name or barcode contains) and a location; ordered by SKU. */
export async function listItems(deps: Pick<Deps, "db">, query: ItemListQuery): Promise<Page<Item>> {
  const conditions: SQL[] = [];
  if (query.location) conditions.push(eq(inventoryItems.location, query.location));
  if (query.search) {
    conditions.push(likeContains([inventoryItems.sku, inventoryItems.name, inventoryItems.barcode], query.search));
  }
  const q = deps.db
    .select()
    .from(inventoryItems)
    .where(and(...conditions))
    .$dynamic();
  const page = await paginate(deps.db, q, query, { orderBy: [asc(inventoryItems.sku)], tiebreaker: inventoryItems.sku });
  return { ...page, items: page.items.map(toItem) };
}

/** Items at or below their reorder level, lowest stock first. */
export async function listLowStock(deps: Pick<Deps, "db">, query: LowStockQuery): Promise<Page<Item>> {
  const low = and(gt(inventoryItems.reorderLevel, 0), lte(inventoryItems.quantity, inventoryItems.reorderLevel));
  const q = deps.db
    .select()
    .from(inventoryItems)
    .where(query.location ? and(low, eq(inventoryItems.location, query.location)) : low)
    .$dynamic();
  const page = await paginate(deps.db, q, query, {
    orderBy: [asc(sql`${inventoryItems.quantity} - ${inventoryItems.reorderLevel}`)],
    tiebreaker: inventoryItems.sku,
  });
  return { ...page, items: page.items.map(toItem) };
}

/**
 * Updates an item's details (not its quantity: that moves only by adjustment). With
 * `expectedVersion` (If-Match), a stale version is 409 and changes nothing.
 */
export async function updateItem(deps: InventoryDeps, sku: string, input: UpdateItem, actor: Principal, expectedVersion?: number): Promise<Item> {
  const before = await findBy(deps.db, eq(inventoryItems.sku, sku));
  if (!before) throw itemNotFound(sku);
  const version = expectedVersion ?? before.version;
  let row: ItemRow | undefined;
  try {
    [row] = await deps.db
      .update(inventoryItems)
      .set({
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.barcode !== undefined ? { barcode: input.barcode } : {}),
        ...(input.location !== undefined ? { location: input.location } : {}),
        ...(input.reorder_level !== undefined ? { reorderLevel: input.reorder_level } : {}),
        ...(input.allow_negative !== undefined ? { allowNegative: input.allow_negative } : {}),
        version: sql`${inventoryItems.version} + 1`,
        updatedAt: deps.now().toISOString(),
      })
      .where(and(eq(inventoryItems.id, before.id), eq(inventoryItems.version, version)))
      .returning();
  } catch (err) {
    if (isConstraintError(err, "UNIQUE")) throw await uniqueConflict(deps.db, undefined, input.barcode);
    if (isCheckError(err)) {
      throw new AppError("CONFLICT", `Item '${sku}' holds ${before.quantity}: it must be brought to zero before it may refuse negative stock`, {
        reason: "negative_stock",
        details: { sku, quantity: before.quantity },
      });
    }
    throw err;
  }
  if (!row) {
    const current = await findBy(deps.db, eq(inventoryItems.sku, sku));
    if (!current) throw itemNotFound(sku);
    throw new AppError("CONFLICT", `Item '${sku}' changed meanwhile (version ${current.version}); reload and retry`, {
      reason: "stale_version",
      details: { version: current.version },
    });
  }
  const changes: { location: string; change: InventoryChange }[] = [];
  for (const key of Object.keys(input) as (keyof UpdateItem)[]) {
    const field = FIELDS[key];
    const [oldValue, newValue] = [before[field], row[field]] as [JsonValue, JsonValue];
    if (oldValue === newValue) continue;
    const change: InventoryChange = { update_type: "updated", sku: row.sku, field: key, old_value: oldValue, new_value: newValue };
    changes.push({ location: row.location, change });
    if (key === "location") changes.push({ location: before.location, change });
  }
  pushChanges(deps, actor, changes);
  return toItem(row);
}

/** Deletes an item (its history stays). With `expectedVersion`, a stale version is 409. */
export async function deleteItem(deps: InventoryDeps, sku: string, actor: Principal, expectedVersion?: number): Promise<void> {
  const where = expectedVersion === undefined ? eq(inventoryItems.sku, sku) : and(eq(inventoryItems.sku, sku), eq(inventoryItems.version, expectedVersion));
  const [row] = await deps.db.delete(inventoryItems).where(where).returning();
  if (!row) {
    const current = await findBy(deps.db, eq(inventoryItems.sku, sku));
    if (!current) throw itemNotFound(sku);
    throw new AppError("CONFLICT", `Item '${sku}' changed meanwhile (version ${current.version}); reload and retry`, {
      reason: "stale_version",
      details: { version: current.version },
    });
  }
  pushChanges(deps, actor, [
    { location: row.location, change: { update_type: "deleted", sku: row.sku, field: null, old_value: toItem(row), new_value: null } },
  ]);
}

// ---------------------------------------------------------------------------------------------
// Adjustments

/** A CHECK or NOT NULL failure inside a batch: a line went below zero or named no item. */
function isCheckError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const text = `${err.message} ${err.cause instanceof Error ? err.cause.message : ""}`;
  return /CHECK constraint failed|NOT NULL constraint failed/i.test(text);
}

/** One resolved line of an adjustment: the item by SKU or by barcode. */
interface Line {
  by: { sku: string } | { barcode: string };
  delta: number;
  reason: string;
}

const lineWhere = (line: Line) => ("sku" in line.by ? eq(inventoryItems.sku, line.by.sku) : eq(inventoryItems.barcode, line.by.barcode));
const lineName = (line: Line) => ("sku" in line.by ? line.by.sku : `barcode ${line.by.barcode}`);

/**
 * Applies lines in order, all or nothing, recording each in the same batch. Returns the history
 * rows (in line order) and the items as they ended. On refusal, explains it (404 or 409 with the
 * current quantity) and nothing has been written.
 */
async function applyLines(deps: InventoryDeps, lines: Line[], actor: Principal): Promise<{ adjustments: AdjustmentRow[]; items: ItemRow[] }> {
  const { db } = deps;
  const who = actorOf(actor);
  const at = deps.now().toISOString();
  const ids = lines.map(() => crypto.randomUUID());
  const t = inventoryItems;
  const writes = lines.flatMap((line, i) => {
    const where = lineWhere(line);
    const of = (column: typeof t.id | typeof t.sku | typeof t.location | typeof t.quantity) => sql`(select ${column} from ${t} where ${where})`;
    return [
      db
        .update(t)
        .set({ quantity: sql`${t.quantity} + ${line.delta}`, version: sql`${t.version} + 1`, updatedAt: at })
        .where(where),
      db.insert(inventoryAdjustments).values({
        id: ids[i] ?? "",
        itemId: of(t.id),
        sku: of(t.sku),
        location: of(t.location),
        delta: line.delta,
        reason: line.reason,
        quantityAfter: of(t.quantity),
        userId: who.userId,
        username: who.name,
        createdAt: at,
      }),
    ];
  });
  // The reads of what was written, in statements of at most IDS_PER_STATEMENT ids each.
  const reads = chunk(ids, IDS_PER_STATEMENT).flatMap((group) => [
    db.select().from(inventoryAdjustments).where(inArray(inventoryAdjustments.id, group)),
    db
      .select()
      .from(t)
      .where(inArray(t.id, db.select({ id: inventoryAdjustments.itemId }).from(inventoryAdjustments).where(inArray(inventoryAdjustments.id, group)))),
  ]);
  const [first, ...rest] = writes;
  if (!first) return { adjustments: [], items: [] };
  try {
    const results = await db.batch([first, ...rest, ...reads]);
    const readResults = results.slice(writes.length);
    const adjustments = readResults.filter((_, i) => i % 2 === 0).flat() as AdjustmentRow[];
    const items = new Map((readResults.filter((_, i) => i % 2 === 1).flat() as ItemRow[]).map((r) => [r.id, r]));
    return { adjustments: adjustments.sort((a, b) => a.seq - b.seq), items: [...items.values()].sort((a, b) => a.sku.localeCompare(b.sku)) };
  } catch (err) {
    if (!isCheckError(err)) throw err;
    throw await explainRefusal(deps, lines);
  }
}

/** Why a batch of lines was refused, from the items as they are now. */
async function explainRefusal(deps: Pick<Deps, "db">, lines: Line[]): Promise<AppError> {
  const t = inventoryItems;
  const skus = [...new Set(lines.flatMap((l) => ("sku" in l.by ? [l.by.sku] : [])))];
  const barcodes = [...new Set(lines.flatMap((l) => ("barcode" in l.by ? [l.by.barcode] : [])))];
  const rows = (
    await Promise.all([
      ...chunk(skus, IDS_PER_STATEMENT).map((group) => deps.db.select().from(t).where(inArray(t.sku, group))),
      ...chunk(barcodes, IDS_PER_STATEMENT).map((group) => deps.db.select().from(t).where(inArray(t.barcode, group))),
    ])
  ).flat();
  const find = (line: Line) => rows.find((r) => ("sku" in line.by ? r.sku === line.by.sku : r.barcode === line.by.barcode));
  const missing = lines.map((line, index) => ({ line, index })).filter(({ line }) => !find(line));
  if (missing.length > 0) {
    const [firstMissing] = missing;
    return new AppError("NOT_FOUND", `Item '${firstMissing ? lineName(firstMissing.line) : "?"}' not found; nothing was adjusted`, {
      reason: "item_not_found",
      details: missing.map(({ line, index }) => ({ path: lines.length > 1 ? `body.adjustments.${index}` : "path.sku", message: `No item ${lineName(line)}` })),
    });
  }
  const running = new Map<string, number>();
  for (const [index, line] of lines.entries()) {
    const row = find(line);
    if (!row) continue;
    const after = (running.get(row.id) ?? row.quantity) + line.delta;
    running.set(row.id, after);
    if (after < 0 && !row.allowNegative) {
      return new AppError("CONFLICT", `Not enough stock of '${row.sku}': ${row.quantity} in stock, the adjustment would leave ${after}; nothing was adjusted`, {
        reason: "insufficient_stock",
        details: { sku: row.sku, quantity: row.quantity, delta: line.delta, line: index },
      });
    }
  }
  return new AppError("CONFLICT", "The stock changed while adjusting; nothing was adjusted, retry", {
    reason: "insufficient_stock",
    details: { items: rows.map((r) => ({ sku: r.sku, quantity: r.quantity })) },
  });
}

function pushAdjustments(deps: InventoryDeps, actor: Principal, rows: AdjustmentRow[]): void {
  pushChanges(
    deps,
    actor,
    rows.map((a) => ({
      location: a.location,
      change: { update_type: "adjustment", sku: a.sku, field: "quantity", old_value: a.quantityAfter - a.delta, new_value: a.quantityAfter },
    })),
  );
}

/**
 * Adjusts one item's stock by `delta`, atomically, and records it. 404 for an unknown SKU; 409
 * with the current quantity when it would go below zero and the item does not allow it.
 */
export async function adjustItem(deps: InventoryDeps, sku: string, input: AdjustBody, actor: Principal): Promise<{ adjustment: Adjustment; item: Item }> {
  const { adjustments, items } = await applyLines(deps, [{ by: { sku }, delta: input.delta, reason: input.reason }], actor);
  const [adjustment] = adjustments;
  const [item] = items;
  if (!adjustment || !item) throw new Error("adjustment batch returned no rows");
  pushAdjustments(deps, actor, adjustments);
  return { adjustment: toAdjustment(adjustment), item: toItem(item) };
}

/** A scanned list of adjustments: all applied, in order, or none (404/409 as for one). */
export async function bulkAdjust(deps: InventoryDeps, input: BulkLine[], actor: Principal): Promise<{ adjustments: Adjustment[]; items: Item[] }> {
  const lines: Line[] = input.map((l) => ({ by: l.sku !== undefined ? { sku: l.sku } : { barcode: l.barcode ?? "" }, delta: l.delta, reason: l.reason }));
  const { adjustments, items } = await applyLines(deps, lines, actor);
  pushAdjustments(deps, actor, adjustments);
  return { adjustments: adjustments.map(toAdjustment), items: items.map(toItem) };
}

/** An item's history, newest first; 404 for an unknown SKU. */
export async function listAdjustments(deps: Pick<Deps, "db">, sku: string, page: { limit: number; offset: number }): Promise<Page<Adjustment>> {
  const item = await findBy(deps.db, eq(inventoryItems.sku, sku));
  if (!item) throw itemNotFound(sku);
  const q = deps.db.select().from(inventoryAdjustments).where(eq(inventoryAdjustments.itemId, item.id)).$dynamic();
  const result = await paginate(deps.db, q, page, { orderBy: [desc(inventoryAdjustments.seq)], tiebreaker: inventoryAdjustments.seq });
  return { ...result, items: result.items.map(toAdjustment) };
}

// ---------------------------------------------------------------------------------------------
// CSV exports, streamed a chunk of rows at a time (keyset paging: no deep offsets).

/** Every item (optionally of one location) as CSV, by SKU. */
export function exportItemsCsv(deps: Pick<Deps, "db">, location?: string): ReadableStream<Uint8Array> {
  const t = inventoryItems;
  return csvStream(
    ["sku", "name", "barcode", "location", "quantity", "reorder_level", "allow_negative", "low_stock", "updated_at"],
    (after: string | undefined) =>
      deps.db
        .select()
        .from(t)
        .where(and(location ? eq(t.location, location) : undefined, after === undefined ? undefined : gt(t.sku, after)))
        .orderBy(asc(t.sku))
        .limit(CSV_PAGE_ROWS),
    (row) => row.sku,
    (r) => [r.sku, r.name, r.barcode, r.location, r.quantity, r.reorderLevel, r.allowNegative, isLow(r), r.updatedAt],
  );
}

/** The adjustment history (optionally of one SKU or location) as CSV, oldest first. */
export function exportAdjustmentsCsv(deps: Pick<Deps, "db">, query: HistoryExportQuery): ReadableStream<Uint8Array> {
  const a = inventoryAdjustments;
  return csvStream(
    ["seq", "created_at", "sku", "location", "delta", "quantity_after", "reason", "username", "user_id"],
    (after: number | undefined) =>
      deps.db
        .select()
        .from(a)
        .where(
          and(
            query.sku ? eq(a.sku, query.sku) : undefined,
            query.location ? eq(a.location, query.location) : undefined,
            after === undefined ? undefined : gt(a.seq, after),
          ),
        )
        .orderBy(asc(a.seq))
        .limit(CSV_PAGE_ROWS),
    (row) => row.seq,
    (r) => [r.seq, r.createdAt, r.sku, r.location, r.delta, r.quantityAfter, r.reason, r.username, r.userId],
  );
}
