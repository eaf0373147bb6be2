/**
 * RM365's inventory database through the legacy bridge, against a real Postgres
 * (test/legacy-pg.setup.mjs: embedded PostgreSQL with the tables RM365's inventory and labels
 * modules create, test/fixtures/legacy/rm365-inventory-schema.sql, 500 items, 10,000
 * adjustments and 40 label jobs, reached through the LEGACY_RM365_INVENTORY_DB binding): import,
 * verify, change 100 source rows, re-import, exactly those 100 change; an adjustment made in RM365
 * moves the item's stock; an imported item's stock and label history show through the routes
 * RM365's client calls; rows that cannot be imported (an unknown password hash among them) are
 * reported with their legacy key.
 */
import { env } from "cloudflare:workers";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { inventoryAdjustments, inventoryItems, labelJobs, legacyKeys, users } from "../../src/db/schema";
import { legacyClient } from "../../src/modules/bridge/postgres";
import { knownHash } from "../../src/modules/bridge/rm365";
import { rm365Location, rm365Sku, UNASSIGNED } from "../../src/modules/bridge/rm365-inventory";
import { ImportJob, ImportVerification } from "../../src/modules/bridge/schemas";
import { call, db, loginAs } from "../helpers";

const ITEMS = 500;
const LOGS = 10_000;
/** Every 50th adjustment has status 'Error' (RM365 never applied it). */
const NOT_APPLIED = LOGS / 50;
const JOBS = 40;
const INVENTORY_TABLES = ["inventory_metadata", "inventory_logs", "label_print_jobs"];

let inv: Client;
let attendance: Client;
let admin: { token: string };

beforeAll(async () => {
  inv = legacyClient(env.LEGACY_RM365_INVENTORY_DB.connectionString);
  attendance = legacyClient(env.LEGACY_RM365_DB.connectionString);
  await inv.connect();
  await attendance.connect();
  admin = await loginAs("admin");
});
afterAll(async () => {
  await inv.end();
  await attendance.end();
});

async function runImport() {
  const started = await call("/api/v1/imports", { token: admin.token, body: { source: "rm365" }, schema: ImportJob });
  expect(started.status).toBe(202);
  let job = started.json;
  await vi.waitUntil(
    async () => {
      job = (await call(`/api/v1/imports/${started.json.id}`, { token: admin.token, schema: ImportJob })).json;
      return job.state === "completed" || job.state === "failed";
    },
    { timeout: 240_000, interval: 250 },
  );
  expect(job.error).toBeNull();
  expect(job.state).toBe("completed");
  return job;
}

/** An item's stock in RM365: its three places summed. */
async function legacyStock(sku: string): Promise<number> {
  const { rows } = await inv.query<{ n: number }>(
    "SELECT (coalesce(shelf_lt1_qty,0) + coalesce(shelf_gt1_qty,0) + coalesce(top_floor_total,0))::int AS n FROM inventory_metadata WHERE sku = $1",
    [sku],
  );
  return rows[0]?.n ?? Number.NaN;
}

async function verifyInventory(id: string) {
  const verify = await call(`/api/v1/imports/${id}/verify`, { token: admin.token, schema: ImportVerification });
  expect(verify.status).toBe(200);
  const mine = verify.json.tables.filter((t) => INVENTORY_TABLES.includes(t.table));
  expect(mine.map((t) => t.table)).toEqual(INVENTORY_TABLES);
  for (const t of mine) expect(t, t.table).toMatchObject({ match: true });
  return mine;
}

describe("RM365 inventory import (real Postgres through Hyperdrive)", () => {
  it("imports items, adjustments and label jobs from RM365's inventory database, and verifies", { timeout: 300_000 }, async () => {
    const first = await runImport();
    expect(first.tables.inventory_metadata).toEqual({ read: ITEMS, written: ITEMS, updated: 0, skipped: 0, failed: 0 });
    expect(first.tables.inventory_logs).toEqual({ read: LOGS, written: LOGS - NOT_APPLIED, updated: 0, skipped: NOT_APPLIED, failed: 0 });
    expect(first.tables.label_print_jobs).toEqual({ read: JOBS, written: JOBS, updated: 0, skipped: 0, failed: 0 });
    expect(first.failures.filter((f) => INVENTORY_TABLES.includes(f.table))).toEqual([]);

    const tables = await verifyInventory(first.id);
    expect(tables.find((t) => t.table === "inventory_logs")).toMatchObject({
      source_rows: LOGS,
      source_mapped: LOGS - NOT_APPLIED,
      floorline_rows: LOGS - NOT_APPLIED,
    });

    // An item's quantity is its three RM365 places summed; its location RM365's `location`, else the "<1" shelf.
    const [seven] = await db().select().from(inventoryItems).where(eq(inventoryItems.sku, "RM-SKU-0007"));
    expect(seven).toMatchObject({ name: "Product 0007", barcode: "770000000000000007", location: "A-07", quantity: await legacyStock("RM-SKU-0007") });
    const [eight] = await db().select().from(inventoryItems).where(eq(inventoryItems.sku, "RM-SKU-0008"));
    expect(eight?.location).toBe("Warehouse B");

    // The reconstructed history adds up: each adjustment's quantity_after is the previous one's
    // plus its delta, and every item's latest equals its stock.
    const [broken] = await db().all<{ n: number }>(sql`
      SELECT count(*) AS n FROM (
        SELECT quantity_after, delta, lag(quantity_after) OVER (PARTITION BY item_id ORDER BY seq) AS before FROM inventory_adjustments
      ) WHERE before IS NOT NULL AND quantity_after <> before + delta`);
    expect(broken?.n).toBe(0);
    const [off] = await db().all<{ n: number }>(sql`
      SELECT count(*) AS n FROM inventory_items i JOIN inventory_adjustments a ON a.item_id = i.id
      WHERE a.seq = (SELECT max(seq) FROM inventory_adjustments b WHERE b.item_id = i.id) AND a.quantity_after <> i.quantity`);
    expect(off?.n).toBe(0);
    // Who adjusted: RM365's login users are linked; a name it no longer has is kept as text.
    const byAdmin = await db().select().from(inventoryAdjustments).where(eq(inventoryAdjustments.username, "rm_admin")).limit(1);
    const [rmAdmin] = await db().select().from(users).where(eq(users.username, "rm_admin"));
    expect(byAdmin[0]?.userId).toBe(rmAdmin?.id);
    const byGone = await db().select().from(inventoryAdjustments).where(eq(inventoryAdjustments.username, "old_picker")).limit(1);
    expect(byGone[0]?.userId).toBeNull();

    // Label jobs: completed history, labels in RM365's order; every 10th job had a label for an item RM365 no longer has.
    const jobs = await db().select().from(labelJobs);
    expect(jobs).toHaveLength(JOBS);
    for (const job of jobs) {
      expect(job.status).toBe("completed");
      expect(job.itemIds.length + job.skipped).toBe(job.total);
    }
    expect(jobs.filter((j) => j.skipped === 1)).toHaveLength(JOBS / 10);
  });

  it("re-import after 100 source rows changed writes exactly those 100", { timeout: 300_000 }, async () => {
    await inv.query(
      "UPDATE inventory_logs SET reason = reason || ' (recounted)' WHERE id IN (SELECT id FROM inventory_logs WHERE status = 'Success' ORDER BY id LIMIT 100 OFFSET 3000)",
    );
    const second = await runImport();
    expect(second.tables.inventory_logs).toEqual({ read: LOGS, written: 0, updated: 100, skipped: LOGS - 100, failed: 0 });
    for (const [table, counts] of Object.entries(second.tables)) {
      if (table !== "inventory_logs") expect({ table, written: counts.written, updated: counts.updated }).toEqual({ table, written: 0, updated: 0 });
    }
    const [touched] = await db().select({ n: sql<number>`count(*)` }).from(legacyKeys).where(eq(legacyKeys.jobId, second.id));
    expect(touched?.n).toBe(100);
    const [recounted] = await db()
      .select({ n: sql<number>`count(*)` })
      .from(inventoryAdjustments)
      .where(sql`${inventoryAdjustments.reason} LIKE '% (recounted) (%'`);
    expect(recounted?.n).toBe(100);
    await verifyInventory(second.id);
  });

  it("an adjustment made in RM365 during the cutover moves the item's stock and adds one line of history; rows that cannot be imported are reported with their legacy key and reason, the rest imported", {
    timeout: 300_000,
  }, async () => {
    const before = await legacyStock("RM-SKU-0011");
    try {
      // What RM365's adjustment does: a 'Success' log row and the shelf quantity moved.
      await inv.query(
        `INSERT INTO inventory_logs (barcode, quantity, reason, field, status, response_message, adjusted_by, created_at)
         VALUES ('770000000000000011', -3, 'Picked', 'shelf_gt1_qty', 'Success', 'Adjustment applied to inventory_metadata', 'rm_clerk', timestamp '2026-07-01 10:00')`,
      );
      await inv.query("UPDATE inventory_metadata SET shelf_gt1_qty = shelf_gt1_qty - 3 WHERE item_id = '770000000000000011'");
      // In the same run, rows that cannot be imported (an unknown password hash among them) beside good ones.
      await attendance.query(
        "INSERT INTO login_users (username, password_hash, role) VALUES ('rm_md5', '5f4dcc3b5aa765d61d8327deb882cf99', 'user'), ('rm_fine', '$2b$04$abcdefghijklmnopqrstuu5Hh7y9sXvNqY3s2ZcYl2m0aNf0iYtZa', 'user')",
      );
      await inv.query(
        `INSERT INTO inventory_metadata (sku, item_id, shelf_lt1, shelf_lt1_qty) VALUES ('RM-NEG-1', '780000000000000001', 'A-01', -4), ('RM-NEW-1', '780000000000000002', 'C 3 / top', 9);
         INSERT INTO inventory_logs (barcode, quantity, reason, field, status, adjusted_by) VALUES ('781111111111111111', 2, 'Goods in', 'shelf_lt1_qty', 'Success', 'rm_admin')`,
      );
      const { rows } = await inv.query<{ id: number }>("SELECT max(id)::int AS id FROM inventory_logs");
      const third = await runImport();
      expect(third.failures).toEqual(
        expect.arrayContaining([
          { table: "login_users", legacy_id: "rm_md5", reason: expect.stringContaining("password_hash: not a") },
          { table: "inventory_metadata", legacy_id: "RM-NEG-1", reason: expect.stringContaining("sum to -4") },
          { table: "inventory_logs", legacy_id: String(rows[0]?.id), reason: expect.stringContaining("no item in inventory_metadata") },
        ]),
      );
      expect(third.tables.login_users).toMatchObject({ written: 1, failed: 1 });
      // RM-NEW-1 new, RM-SKU-0011 moved, RM-NEG-1 refused.
      expect(third.tables.inventory_metadata).toMatchObject({ written: 1, updated: 1, failed: 1 });
      // Only the new line (and the bad one): the earlier lines' reconstructed quantities did not move.
      expect(third.tables.inventory_logs).toMatchObject({ read: LOGS + 2, written: 1, updated: 0, failed: 1 });
      const [item] = await db().select().from(inventoryItems).where(eq(inventoryItems.sku, "RM-SKU-0011"));
      expect(item?.quantity).toBe(before - 3);
      expect(item?.version).toBe(2);
      const [latest] = await db()
        .select()
        .from(inventoryAdjustments)
        .where(eq(inventoryAdjustments.itemId, item?.id ?? ""))
        .orderBy(sql`${inventoryAdjustments.seq} DESC`)
        .limit(1);
      // RM365 wrote the plant's wall clock: 10:00 in July is 09:00Z (BST).
      expect(latest).toMatchObject({
        delta: -3,
        reason: "Picked (shelf >1)",
        quantityAfter: before - 3,
        username: "rm_clerk",
        createdAt: "2026-07-01T09:00:00.000Z",
      });
      const imported = await db()
        .select({ username: users.username })
        .from(users)
        .where(inArray(users.username, ["rm_md5", "rm_fine"]));
      expect(imported).toEqual([{ username: "rm_fine" }]);
      const [fresh] = await db().select().from(inventoryItems).where(eq(inventoryItems.sku, "RM-NEW-1"));
      expect(fresh).toMatchObject({ quantity: 9, location: "C 3 - top" });
    } finally {
      await attendance.query("DELETE FROM login_users WHERE username IN ('rm_md5', 'rm_fine')");
      await inv.query("DELETE FROM inventory_logs WHERE barcode = '781111111111111111'; DELETE FROM inventory_metadata WHERE sku IN ('RM-NEG-1', 'RM-NEW-1')");
    }
  });

  it("an imported item shows its stock and its label history through the routes RM365's client calls", async () => {
    const stock = await legacyStock("RM-SKU-0011");
    // The management screen, as the client builds the URL (`/api/api/v1/…`).
    const page = await call("/api/api/v1/inventory/management/items?search=RM-SKU-0011", {
      token: admin.token,
      schema: z.object({
        items: z.array(
          z.object({ sku: z.string(), product_name: z.string(), stock_on_hand: z.number(), custom_fields: z.object({ shelf_lt1_qty: z.number() }) }),
        ),
      }),
    });
    expect(page.status, JSON.stringify(page.json)).toBe(200);
    expect(page.json.items).toEqual([expect.objectContaining({ sku: "RM-SKU-0011", product_name: "Product 0011", stock_on_hand: stock })]);
    const metadata = await call("/api/api/v1/inventory/management/metadata", {
      token: admin.token,
      schema: z.array(z.object({ sku: z.string(), shelf_lt1_qty: z.number(), location: z.string() })),
    });
    expect(metadata.status).toBe(200);
    expect(metadata.json.find((m) => m.sku === "RM-SKU-0011")).toMatchObject({ shelf_lt1_qty: stock, location: "A-11" });
    // Its history, newest first, ends at its stock.
    const history = await call("/api/v1/inventory/items/RM-SKU-0011/adjustments?limit=5", {
      token: admin.token,
      schema: z.object({ items: z.array(z.object({ delta: z.number(), quantity_after: z.number(), reason: z.string() })), total: z.number() }),
    });
    expect(history.status).toBe(200);
    expect(history.json.items[0]).toMatchObject({ delta: -3, quantity_after: stock, reason: "Picked (shelf >1)" });
    const { rows: logged } = await inv.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM inventory_logs WHERE barcode = '770000000000000011' AND status = 'Success'",
    );
    expect(history.json.total).toBe(logged[0]?.n);

    // The label history: RM365's jobs that printed this item are listed as `{jobs}` (creator by name).
    const { rows: printed } = await inv.query<{ id: number; created_by: string }>(
      "SELECT DISTINCT j.id, j.created_by FROM label_print_jobs j JOIN label_print_items i ON i.job_id = j.id WHERE i.item_id = '770000000000000011' ORDER BY j.id",
    );
    expect(printed.length).toBeGreaterThan(0);
    const keys = await db()
      .select({ legacyId: legacyKeys.legacyId, id: legacyKeys.floorlineId })
      .from(legacyKeys)
      .where(
        and(
          eq(legacyKeys.legacySource, "rm365"),
          eq(legacyKeys.legacyTable, "label_print_jobs"),
          inArray(
            legacyKeys.legacyId,
            printed.map((p) => String(p.id)),
          ),
        ),
      );
    expect(keys).toHaveLength(printed.length);
    const [item] = await db().select().from(inventoryItems).where(eq(inventoryItems.sku, "RM-SKU-0011"));
    const list = await call("/api/v1/labels/jobs?limit=100", {
      token: admin.token,
      schema: z.object({
        jobs: z.array(z.object({ id: z.string(), status: z.string(), created_by: z.string(), item_count: z.number(), line_date: z.string().nullable() })),
      }),
    });
    expect(list.status).toBe(200);
    expect(list.json.jobs).toHaveLength(JOBS);
    for (const { legacyId, id } of keys) {
      const listed = list.json.jobs.find((j) => j.id === id);
      expect(listed).toMatchObject({ status: "completed", created_by: printed.find((p) => String(p.id) === legacyId)?.created_by });
      const one = await call(`/api/v1/labels/job/${id}`, { token: admin.token, schema: z.object({ status: z.string(), total: z.number() }) });
      expect(one.status).toBe(200);
      const [row] = await db().select().from(labelJobs).where(eq(labelJobs.id, id));
      expect(row?.itemIds).toContain(item?.id);
    }
    // The to-print list names the item by RM365's barcode, and a new job takes that barcode.
    const toPrint = await call("/api/v1/labels/to-print", { token: admin.token, schema: z.array(z.object({ item_id: z.string(), sku: z.string() })) });
    expect(toPrint.status).toBe(200);
    expect(toPrint.json.find((r) => r.sku === "RM-SKU-0011")?.item_id).toBe("770000000000000011");
    const started = await call("/api/v1/labels/start-job", { token: admin.token, body: { item_ids: ["770000000000000011"], created_by: "admin" } });
    expect(started.status, JSON.stringify(started.json)).toBe(202);
  });

  it("maps RM365's SKUs, locations and password hashes", () => {
    expect(rm365Sku(" rm-sku-1 ")).toBe("RM-SKU-1");
    expect(() => rm365Sku("has space")).toThrow(/sku/);
    expect(rm365Location(null, " A-01 ", "B-02")).toBe("A-01");
    expect(rm365Location("", null, "B-02")).toBe("B-02");
    expect(rm365Location("#!", "", null)).toBe(UNASSIGNED);
    expect(knownHash("$2b$12$abcdefghijklmnopqrstuuAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).toMatch(/^\$2b\$/);
    expect(knownHash(`pbkdf2:sha256:600000$salt$${"a".repeat(64)}`)).toMatch(/^pbkdf2/);
    expect(() => knownHash("pbkdf2:sha256:600000$salt$hash")).toThrow(/not a well-formed Werkzeug/);
    expect(() => knownHash("5f4dcc3b5aa765d61d8327deb882cf99")).toThrow(/not a password hash Floorline verifies/);
    expect(() => knownHash("{SSHA}abc")).toThrow(/password_hash/);
  });
});
