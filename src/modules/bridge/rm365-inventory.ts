/**
 * RM365's inventory database (helenrm365/rm365-tools-testing `backend/`: the tables its inventory
 * and labels modules create, test/fixtures/legacy/rm365-inventory-schema.sql) into Floorline's
 * inventory and labels. RM365 keeps it apart from its attendance database (its INVENTORY_LOGS_*
 * settings), so it is read through its own Hyperdrive binding, LEGACY_RM365_INVENTORY_DB; the
 * tables below are part of the `rm365` import (./rm365.ts), after its users, whom they point at.
 *
 *   inventory_metadata → inventory_items     one item per SKU; its Magento name (magento_product_list);
 *                                            barcode = RM365's 18-digit item_id (what its labels print
 *                                            and its scanners read); see "Stock places" below
 *   inventory_logs → inventory_adjustments   each applied ('Success') adjustment; the shelf it touched
 *                                            is kept in the reason; 'Error' rows (never applied) skipped
 *   label_print_jobs (+ label_print_items) → label_jobs   a completed job per RM365 print job, its
 *                                            labels' items in RM365's order (by SKU)
 *
 * Stock places. RM365 keeps each item's stock in three places: the "<1" shelf (`shelf_lt1`,
 * `shelf_lt1_qty`), the ">1" shelf (`shelf_gt1`, `shelf_gt1_qty`) and the top floor
 * (`top_floor_total`). Floorline keeps one quantity per item at one location, so an item's
 * quantity is the sum of the three (what RM365's "auto" adjustment draws from, shelf by shelf)
 * and its location is RM365's `location`, else the "<1" shelf, else the ">1" shelf, else
 * `UNASSIGNED`. A negative sum is reported as a failed row: Floorline keeps stock at or above zero.
 *
 * History. RM365 logged each adjustment's delta but not the quantity it left; Floorline's history
 * shows both. The quantity after each adjustment is reconstructed backwards from the item's
 * current stock: the sum of its places now, less the applied deltas logged after it. It is exact
 * for every adjustment after the last direct edit of the shelf spreadsheet (which RM365 did not
 * log), and the latest one always equals the item's stock.
 *
 * Label jobs. RM365 rendered a job's PDF on demand from its rows; Floorline renders once into R2.
 * Imported jobs are history: completed, with their items, creator, line date and time, and no
 * files (their PDF/CSV answer 404; a reprint is a new job, which RM365's barcodes resolve to).
 * Labels whose item RM365 no longer has are counted as the job's `skipped`.
 *
 * No table here keeps a reliable update time (RM365's `updated_at` on inventory_metadata is not
 * moved by its spreadsheet saves or its adjustments): every run reads every row and writes only
 * those whose mapped values changed (row hash).
 */
import { eq, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../../db/client";
import { inventoryAdjustments, inventoryItems, labelJobs } from "../../db/schema";
import { isoNow } from "../../db/schema/columns";
import { Barcode, Location, Sku } from "../inventory/schemas";
import type { LabelTemplate } from "../labels/render";
import { MAX_JOB_LABELS } from "../labels/schemas";
import { resolveTemplate } from "../labels/templates";
import { ident } from "./postgres";
import { jsonLiterals, upsertStatements } from "./runner";
import type { AnyTableSpec, LegacyRow, MapContext, WriteMany, WriteRow } from "./source";
import { defineTable } from "./source";
import { BadValue, legacyKey, optionalDate, optionalInt, optionalText, requiredNumber, requiredText, requiredTime, sqlLiteral } from "./values";

/** Who Floorline records as the author of rows RM365 kept no (known) author for. */
const IMPORTER = "legacy:rm365";
const ACTOR_NAME = "RM365 (imported)";
/** The location of an item RM365 gave no location or shelf. */
export const UNASSIGNED = "UNASSIGNED";

/** The legacy tables read from RM365's inventory database (the rest come from its attendance one). */
export const RM365_INVENTORY_TABLES: ReadonlySet<string> = new Set(["inventory_metadata", "inventory_logs", "label_print_jobs"]);

/** A reference that must resolve (its row imported earlier). */
function mustRef(ctx: MapContext, table: string, id: unknown, what: string): string {
  const found = ctx.ref(table, id);
  if (!found) throw new BadValue(`${what} ${String(id).slice(0, 60)} was not imported`);
  return found;
}

/** RM365's SKU as Floorline stores SKUs (trimmed, NFKC, upper case), or BadValue. */
export function rm365Sku(value: unknown, column = "sku"): string {
  const parsed = Sku.safeParse(requiredText(value, column, 255));
  if (!parsed.success) throw new BadValue(`${column}: ${parsed.error.issues[0]?.message ?? "not a SKU"}`);
  return parsed.data;
}

/**
 * A place name as a Floorline location: characters a location cannot hold (letters, digits,
 * spaces and `. _ -`) become `-`, at most 64 characters; null when nothing usable is left.
 */
function placeName(value: unknown, column: string): string | null {
  const text = optionalText(value, column, 255);
  if (text === null) return null;
  const cleaned = text
    .normalize("NFKC")
    .replace(/[^\p{L}\p{N} ._-]+/gu, "-")
    .replace(/^[^\p{L}\p{N}]+/u, "")
    .trim()
    .slice(0, 64)
    .trim();
  return cleaned && Location.safeParse(cleaned).success ? cleaned : null;
}

/** An item's Floorline location from RM365's `location` and shelves (module header). */
export function rm365Location(location: unknown, shelfLt1: unknown, shelfGt1: unknown): string {
  return placeName(location, "location") ?? placeName(shelfLt1, "shelf_lt1") ?? placeName(shelfGt1, "shelf_gt1") ?? UNASSIGNED;
}

/** An item's stock: the sum of its three places (null counts 0, as RM365's COALESCE did). */
export function rm365Stock(row: LegacyRow, prefix = ""): number {
  const places = ["shelf_lt1_qty", "shelf_gt1_qty", "top_floor_total"].map((c) => optionalInt(row[`${prefix}${c}`], c) ?? 0);
  return places.reduce((a, b) => a + b, 0);
}

const MAX_QUANTITY = 1_000_000_000;

type ItemValues = Omit<typeof inventoryItems.$inferInsert, "id">;

/**
 * Items in multi-row upserts; a re-import moves the version, so a client holding the item's ETag
 * sees it changed. A row that cannot be literals is bound on its own.
 */
function writeItems(db: Db, rows: readonly WriteRow<ItemValues>[]): WriteMany {
  const items = rows.map((r) => ({ ...r.values, id: r.id }));
  const upserts = upsertStatements(inventoryItems, items, ["id"], "all", ['"version" = "inventory_items"."version" + 1']);
  const out: BatchItem<"sqlite">[] = upserts.statements.map((text) => db.run(sql.raw(text)));
  for (const i of upserts.rest) {
    const { id, ...values } = items[i] as (typeof items)[number];
    out.push(
      db
        .insert(inventoryItems)
        .values({ ...values, id })
        .onConflictDoUpdate({ target: inventoryItems.id, set: { ...values, version: sql`${inventoryItems.version} + 1` } }),
    );
  }
  return { rows: out, afterKeys: [] };
}

const itemsTable = defineTable<ItemValues>({
  read: {
    name: "inventory_metadata",
    key: "sku",
    keyType: "text",
    columns: ["sku", "item_id", "location", "shelf_lt1", "shelf_lt1_qty", "shelf_gt1", "shelf_gt1_qty", "top_floor_total", "product_name"],
  },
  target: {
    table: inventoryItems,
    checksum: ["sku", "name", "barcode", "location", "quantity"],
    writeMany: writeItems,
  },
  map: (row) => {
    const sku = rm365Sku(row.sku);
    const quantity = rm365Stock(row);
    if (quantity < 0) throw new BadValue(`stock: the shelves sum to ${quantity}; Floorline keeps stock at or above zero`);
    if (quantity > MAX_QUANTITY) throw new BadValue(`stock: ${quantity} is more than ${MAX_QUANTITY}`);
    const itemId = optionalText(row.item_id, "item_id", 255)?.trim() || null;
    let barcode: string | null = null;
    if (itemId !== null) {
      const parsed = Barcode.safeParse(itemId);
      if (!parsed.success) throw new BadValue(`item_id: ${parsed.error.issues[0]?.message ?? "not a barcode"}`);
      barcode = parsed.data;
    }
    const name = optionalText(row.product_name, "product_name", 100_000)?.trim().slice(0, 200) || sku;
    return {
      values: {
        sku,
        name,
        barcode,
        location: rm365Location(row.location, row.shelf_lt1, row.shelf_gt1),
        quantity,
        reorderLevel: 0,
        allowNegative: false,
        createdBy: IMPORTER,
      },
    };
  },
});

/** RM365's stock places as its adjustment screen names them (`inventory_logs.field`). */
const PLACES: Readonly<Record<string, string>> = {
  shelf_lt1_qty: "shelf <1",
  shelf_gt1_qty: "shelf >1",
  top_floor_total: "top floor",
};

const adjustmentsTable = defineTable({
  read: {
    name: "inventory_logs",
    key: "id",
    keyType: "int",
    columns: [
      "id",
      "quantity",
      "reason",
      "field",
      "status",
      "adjusted_by",
      "created_at",
      "item_sku",
      "item_location",
      "item_shelf_lt1",
      "item_shelf_gt1",
      "quantity_after",
    ],
  },
  refs: { item_sku: "inventory_metadata", adjusted_by: "login_users" },
  target: { table: inventoryAdjustments, checksum: ["itemId", "delta", "reason", "quantityAfter", "username", "createdAt"] },
  map: (row, ctx) => {
    const status = optionalText(row.status, "status", 50)?.trim() ?? "";
    if (status.toLowerCase() !== "success") return { skip: `status ${JSON.stringify(status.slice(0, 30))}: RM365 never applied it` };
    if (row.item_sku === null || row.item_sku === undefined) throw new BadValue("barcode: no item in inventory_metadata has this item_id");
    const delta = requiredNumber(row.quantity, "quantity");
    if (!Number.isSafeInteger(delta) || delta === 0) throw new BadValue("quantity: not a non-zero integer");
    const field = requiredText(row.field, "field", 50).trim();
    const reason = requiredText(row.reason, "reason", 255).trim();
    const place = PLACES[field] ?? field;
    const username = optionalText(row.adjusted_by, "adjusted_by", 100)?.trim() || ACTOR_NAME;
    return {
      values: {
        itemId: mustRef(ctx, "inventory_metadata", row.item_sku, "item"),
        sku: rm365Sku(row.item_sku, "item sku"),
        location: rm365Location(row.item_location, row.item_shelf_lt1, row.item_shelf_gt1),
        delta,
        reason: `${reason} (${place})`.slice(0, 200),
        quantityAfter: requiredNumber(row.quantity_after, "quantity after"),
        userId: row.adjusted_by === null || row.adjusted_by === undefined ? null : (ctx.ref("login_users", row.adjusted_by) ?? null),
        username,
        createdAt: requiredTime(row.created_at, "created_at"),
      },
    };
  },
});

interface JobValues extends Record<string, unknown> {
  status: "completed";
  templateId: string;
  template: LabelTemplate;
  /** Legacy keys (inventory_metadata SKUs) of the job's labels in print order: resolved to item ids in D1. */
  itemSkus: string[];
  lineDate: string | null;
  total: number;
  done: number;
  createdBy: string;
  username: string;
  createdAt: string;
  startedAt: string;
  finishedAt: string;
}

/** A job's item ids: its labels' legacy SKUs resolved through legacy_keys, in print order. */
function itemIdsOf(skus: readonly string[]) {
  return sql`(SELECT coalesce(json_group_array(k.floorline_id), '[]') FROM (
    SELECT lk.floorline_id FROM json_each(${JSON.stringify(skus)}) AS je
    JOIN legacy_keys AS lk ON lk.legacy_source = 'rm365' AND lk.legacy_table = 'inventory_metadata' AND lk.legacy_id = je.value
    ORDER BY je.key) AS k)`;
}

/**
 * Label jobs, a few statements for a chunk of a page: the jobs in multi-row upserts (their items
 * still RM365's SKUs), then one `UPDATE … FROM json_each('[…]')` that resolves each job's SKUs to item
 * ids through legacy_keys, in print order (labels whose item was not imported drop out, counted
 * as the job's `skipped`). A row that cannot be literals is bound on its own.
 */
function writeJobs(db: Db, rows: readonly WriteRow<JobValues>[]): WriteMany {
  const jobs = rows.map(({ id, values: { itemSkus, ...row } }) => ({ ...row, id, itemIds: itemSkus, heartbeatAt: row.finishedAt }));
  const first = jobs[0];
  if (!first) return { rows: [], afterKeys: [] };
  // On conflict what the mapping sets and the items; the heartbeat only on insert.
  const update = Object.keys(first).filter((k) => k !== "id" && k !== "heartbeatAt");
  const upserts = upsertStatements(labelJobs, jobs, ["id"], update);
  const out: BatchItem<"sqlite">[] = upserts.statements.map((text) => db.run(sql.raw(text)));
  for (const i of upserts.rest) {
    const { id, heartbeatAt, ...row } = jobs[i] as (typeof jobs)[number];
    out.push(
      db
        .insert(labelJobs)
        .values({ ...row, id, heartbeatAt })
        .onConflictDoUpdate({ target: labelJobs.id, set: row }),
    );
  }
  const skus = rows.map((r) => [r.id, r.values.itemSkus]);
  const lists = jsonLiterals(skus);
  for (const list of lists.literals)
    out.push(
      db.run(
        sql.raw(`UPDATE label_jobs SET item_ids = p.ids, skipped = label_jobs.total - json_array_length(p.ids), updated_at = ${sqlLiteral(isoNow())}
          FROM (SELECT json_extract(j.value, '$[0]') AS id,
                       (SELECT coalesce(json_group_array(k.floorline_id), '[]') FROM (
                          SELECT lk.floorline_id FROM json_each(j.value, '$[1]') AS je
                          JOIN legacy_keys AS lk ON lk.legacy_source = 'rm365' AND lk.legacy_table = 'inventory_metadata' AND lk.legacy_id = je.value
                          ORDER BY je.key) AS k) AS ids
                FROM json_each(${list}) AS j) AS p
          WHERE label_jobs.id = p.id`),
      ),
    );
  // A job whose labels are too many for one literal statement: its SKUs bound.
  for (const i of lists.large) {
    const { id, values } = rows[i] as WriteRow<JobValues>;
    out.push(
      db
        .update(labelJobs)
        .set({ itemIds: itemIdsOf(values.itemSkus) })
        .where(eq(labelJobs.id, id)),
      db
        .update(labelJobs)
        .set({ skipped: sql`${labelJobs.total} - json_array_length(${labelJobs.itemIds})` })
        .where(eq(labelJobs.id, id)),
    );
  }
  return { rows: out, afterKeys: [] };
}

const jobsTable = defineTable<JobValues>({
  read: { name: "label_print_jobs", key: "id", keyType: "int", columns: ["id", "created_by", "line_date", "created_at", "labels", "item_skus"] },
  refs: { created_by: "login_users" },
  target: { table: labelJobs, checksum: ["status", "lineDate", "total", "username", "createdAt"], writeMany: writeJobs },
  map: (row, ctx) => {
    const total = requiredNumber(row.labels, "labels");
    if (total > MAX_JOB_LABELS) throw new BadValue(`${total} labels: a Floorline job holds at most ${MAX_JOB_LABELS}`);
    if (!Array.isArray(row.item_skus)) throw new BadValue("labels: not a list");
    const itemSkus = row.item_skus.map((s) => legacyKey(s));
    const at = requiredTime(row.created_at, "created_at");
    const creator = optionalText(row.created_by, "created_by", 255)?.trim() || null;
    return {
      values: {
        status: "completed",
        templateId: "rm365",
        template: resolveTemplate(undefined),
        itemSkus,
        lineDate: optionalDate(row.line_date, "line_date"),
        total,
        done: total,
        createdBy: (creator && ctx.ref("login_users", creator)) || IMPORTER,
        username: creator?.slice(0, 100) || ACTOR_NAME,
        createdAt: at,
        startedAt: at,
        finishedAt: at,
      },
    };
  },
});

/** The inventory tables, in dependency order (items before what points at them). */
export const rm365InventoryTables: readonly AnyTableSpec[] = [itemsTable, adjustmentsTable, jobsTable];

/**
 * The SELECTs the reader pages through instead of the plain tables (./postgres.ts `relations`).
 * `at(column)` turns one of RM365's naive timestamps into an instant (the plant's time zone).
 */
export function rm365InventoryRelations(at: (column: string) => string): Record<string, string> {
  const s = ident("public");
  return {
    inventory_metadata: `
      SELECT m.sku, m.item_id, m.location, m.shelf_lt1, m.shelf_lt1_qty, m.shelf_gt1, m.shelf_gt1_qty, m.top_floor_total,
             coalesce(nullif(btrim(p.name), ''), nullif(btrim(p.product_name), '')) AS product_name
      FROM ${s}.inventory_metadata m LEFT JOIN ${s}.magento_product_list p ON p.sku = m.sku`,
    // The quantity an applied adjustment left: the item's stock now less the applied deltas after it.
    inventory_logs: `
      SELECT l.id, l.quantity, l.reason, l.field, l.status, l.adjusted_by, ${at("l.created_at")} AS created_at,
             m.sku AS item_sku, m.location AS item_location, m.shelf_lt1 AS item_shelf_lt1, m.shelf_gt1 AS item_shelf_gt1,
             coalesce(m.shelf_lt1_qty, 0) + coalesce(m.shelf_gt1_qty, 0) + coalesce(m.top_floor_total, 0)
               - coalesce((SELECT sum(a.quantity) FROM ${s}.inventory_logs a
                           WHERE a.barcode = l.barcode AND a.status = 'Success' AND a.id > l.id), 0) AS quantity_after
      FROM ${s}.inventory_logs l LEFT JOIN ${s}.inventory_metadata m ON m.item_id = l.barcode`,
    // A job with its labels' items in RM365's print order (its job rows are read ORDER BY sku),
    // each by the inventory_metadata SKU its item_id (else its SKU) names; at most MAX_JOB_LABELS.
    label_print_jobs: `
      SELECT j.id, j.created_by, to_char(j.line_date, 'YYYY-MM-DD') AS line_date, ${at("j.created_at")} AS created_at,
             c.labels,
             CASE WHEN c.labels <= ${MAX_JOB_LABELS} THEN
               (SELECT coalesce(json_agg(coalesce(m.sku, ms.sku) ORDER BY i.sku, i.id) FILTER (WHERE coalesce(m.sku, ms.sku) IS NOT NULL), '[]'::json)
                FROM ${s}.label_print_items i
                LEFT JOIN ${s}.inventory_metadata m ON m.item_id = i.item_id
                LEFT JOIN ${s}.inventory_metadata ms ON ms.sku = i.sku
                WHERE i.job_id = j.id)
             ELSE '[]'::json END AS item_skus
      FROM ${s}.label_print_jobs j
      CROSS JOIN LATERAL (SELECT count(*)::int AS labels FROM ${s}.label_print_items i WHERE i.job_id = j.id) c`,
  };
}
