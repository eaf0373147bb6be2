import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { inventoryAdjustments } from "../../src/db/schema";
import { adjustItem, createItem } from "../../src/modules/inventory/service";
import type { UserPrincipal } from "../../src/types";
import { arr, call, db, loginAs, testDeps, unique } from "../helpers";

const newSku = () => unique("adj").toUpperCase();

async function item(token: string, extra: Record<string, unknown> = {}) {
  const sku = newSku();
  const r = await call("/api/v1/inventory/items", { token, body: { sku, name: "Part", location: unique("loc"), quantity: 10, ...extra } });
  expect(r.status).toBe(201);
  return { sku, location: String(r.json.location), id: String(r.json.id) };
}

const historyOf = async (itemId: string) => db().select().from(inventoryAdjustments).where(eq(inventoryAdjustments.itemId, itemId));

describe("inventory adjustments", () => {
  it("an adjustment moves the stock, is recorded with who and the resulting quantity, and is readable and exportable", async () => {
    const manager = await loginAs("production_manager");
    const it1 = await item(manager.token);
    const r = await call(`/api/v1/inventory/items/${it1.sku}/adjustments`, { token: manager.token, body: { delta: -4, reason: "picked for order 17" } });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({
      adjustment: { sku: it1.sku, delta: -4, reason: "picked for order 17", quantity_after: 6, user_id: manager.id, username: manager.username },
      item: { quantity: 6, version: 2 },
    });
    await call(`/api/v1/inventory/items/${it1.sku}/adjustments`, { token: manager.token, body: { delta: 7, reason: "=cmd|' /C calc'!A0" } });
    const history = await call(`/api/v1/inventory/items/${it1.sku}/adjustments`, { token: manager.token });
    expect(history.json).toMatchObject({ total: 2 });
    expect(arr(history.json.items).map((a) => [a.delta, a.quantity_after])).toEqual([
      [7, 13],
      [-4, 6],
    ]);
    const csv = await call(`/api/v1/inventory/adjustments.csv?sku=${it1.sku}`, { token: manager.token });
    const lines = String(csv.json).trim().split("\r\n");
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain(",-4,6,picked for order 17,");
    // a formula in a reason is defused in the export
    expect(lines[2]).toContain(",7,13,'=cmd|' /C calc'!A0,");
  });

  it("a refused negative is 409 with the current quantity and writes nothing; allow_negative permits it", async () => {
    const manager = await loginAs("production_manager");
    const it1 = await item(manager.token, { quantity: 3 });
    const refused = await call(`/api/v1/inventory/items/${it1.sku}/adjustments`, { token: manager.token, body: { delta: -5, reason: "pick" } });
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ error: "CONFLICT", details: { sku: it1.sku, quantity: 3, delta: -5 } });
    expect((await call(`/api/v1/inventory/items/${it1.sku}`, { token: manager.token })).json).toMatchObject({ quantity: 3, version: 1 });
    expect(await historyOf(it1.id)).toEqual([]);

    const loose = await item(manager.token, { quantity: 1, allow_negative: true });
    const r = await call(`/api/v1/inventory/items/${loose.sku}/adjustments`, { token: manager.token, body: { delta: -3, reason: "backorder" } });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ item: { quantity: -2 } });
    // it may not stop allowing negatives while it is negative
    const flip = await call(`/api/v1/inventory/items/${loose.sku}`, { method: "PATCH", token: manager.token, body: { allow_negative: false } });
    expect(flip.status).toBe(409);
    expect((await call(`/api/v1/inventory/items/${loose.sku}`, { token: manager.token })).json).toMatchObject({ allow_negative: true });

    expect((await call(`/api/v1/inventory/items/${newSku()}/adjustments`, { token: manager.token, body: { delta: 1, reason: "x" } })).status).toBe(404);
    for (const body of [{ delta: 0, reason: "x" }, { delta: 1.5, reason: "x" }, { delta: 1 }, { delta: 1, reason: "" }, { delta: 10_000_000, reason: "x" }]) {
      expect((await call(`/api/v1/inventory/items/${it1.sku}/adjustments`, { token: manager.token, body })).status, JSON.stringify(body)).toBe(422);
    }
  });

  it("100 concurrent adjustments on one item lose nothing: exact quantity, 100 history rows", async () => {
    const manager = await loginAs("production_manager");
    const it1 = await item(manager.token, { quantity: 1000 });
    const deps = testDeps();
    const actor: UserPrincipal = {
      kind: "user",
      userId: manager.id,
      username: manager.username,
      role: "production_manager",
      permissions: new Set(["inventory:write"]),
      tabs: ["inventory"],
      sessionId: "",
    };
    const deltas = Array.from({ length: 100 }, (_, i) => (i % 3 === 0 ? -7 : i + 1));
    const results = await Promise.all(deltas.map((delta) => adjustItem(deps, it1.sku, { delta, reason: "concurrent" }, actor)));
    const expected = 1000 + deltas.reduce((a, b) => a + b, 0);
    expect((await call(`/api/v1/inventory/items/${it1.sku}`, { token: manager.token })).json).toMatchObject({ quantity: expected, version: 101 });
    const rows = await historyOf(it1.id);
    expect(rows).toHaveLength(100);
    // each row's resulting quantity follows the previous one by its delta: a serial history
    const ordered = rows.sort((a, b) => a.seq - b.seq);
    let q = 1000;
    for (const row of ordered) {
      q += row.delta;
      expect(row.quantityAfter).toBe(q);
    }
    expect(new Set(results.map((r) => r.adjustment.id))).toEqual(new Set(rows.map((r) => r.id)));
  });

  it("concurrent takes never oversell: of 20 takes of 1 from 10 in stock, exactly 10 succeed", async () => {
    const manager = await loginAs("production_manager");
    const it1 = await item(manager.token, { quantity: 10 });
    const statuses = await Promise.all(
      Array.from({ length: 20 }, () =>
        call(`/api/v1/inventory/items/${it1.sku}/adjustments`, { token: manager.token, body: { delta: -1, reason: "pick" } }).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.filter((s) => s === 409)).toHaveLength(10);
    expect((await call(`/api/v1/inventory/items/${it1.sku}`, { token: manager.token })).json).toMatchObject({ quantity: 0 });
    expect(await historyOf(it1.id)).toHaveLength(10);
  });

  it("bulk (a scanned list) is all-or-nothing, by SKU or barcode, in order", async () => {
    const manager = await loginAs("production_manager");
    const code = unique("bc");
    const a = await item(manager.token, { quantity: 5, barcode: code });
    const b = await item(manager.token, { quantity: 2 });
    const failing = await call("/api/v1/inventory/adjustments/bulk", {
      token: manager.token,
      body: {
        adjustments: [
          { barcode: code, delta: -1, reason: "scan" },
          { sku: b.sku, delta: -1, reason: "scan" },
          { sku: b.sku, delta: -2, reason: "scan" },
        ],
      },
    });
    expect(failing.status).toBe(409);
    expect(failing.json).toMatchObject({ details: { sku: b.sku, quantity: 2, delta: -2, line: 2 } });
    const missing = await call("/api/v1/inventory/adjustments/bulk", {
      token: manager.token,
      body: {
        adjustments: [
          { sku: a.sku, delta: -1, reason: "scan" },
          { sku: newSku(), delta: 1, reason: "scan" },
        ],
      },
    });
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ details: [{ path: "body.adjustments.1" }] });
    expect(await historyOf(a.id)).toEqual([]);
    expect(await historyOf(b.id)).toEqual([]);
    expect((await call(`/api/v1/inventory/items/${a.sku}`, { token: manager.token })).json).toMatchObject({ quantity: 5 });

    const ok = await call("/api/v1/inventory/adjustments/bulk", {
      token: manager.token,
      body: {
        adjustments: [
          { barcode: code, delta: -1, reason: "scan" },
          { sku: b.sku, delta: -1, reason: "scan" },
          { sku: b.sku, delta: -1, reason: "scan" },
        ],
      },
    });
    expect(ok.status).toBe(201);
    expect(arr(ok.json.adjustments).map((x) => x.quantity_after)).toEqual([4, 1, 0]);
    expect(arr(ok.json.items)).toHaveLength(2);
    expect(
      (
        await call("/api/v1/inventory/adjustments/bulk", {
          token: manager.token,
          body: { adjustments: [{ sku: a.sku, barcode: code, delta: 1, reason: "x" }] },
        })
      ).status,
    ).toBe(422);
    expect((await call("/api/v1/inventory/adjustments/bulk", { token: manager.token, body: { adjustments: [] } })).status).toBe(422);
  });

  it("a retried adjustment with the same Idempotency-Key is applied once (flaky Wi-Fi)", async () => {
    const manager = await loginAs("production_manager");
    const it1 = await item(manager.token, { quantity: 10 });
    const headers = { "idempotency-key": crypto.randomUUID() };
    const first = await call(`/api/v1/inventory/items/${it1.sku}/adjustments`, { token: manager.token, headers, body: { delta: -2, reason: "pick" } });
    const retry = await call(`/api/v1/inventory/items/${it1.sku}/adjustments`, { token: manager.token, headers, body: { delta: -2, reason: "pick" } });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.json).toEqual(first.json);
    expect((await call(`/api/v1/inventory/items/${it1.sku}`, { token: manager.token })).json).toMatchObject({ quantity: 8 });
    expect(await historyOf(it1.id)).toHaveLength(1);
  });

  it("the service creates items for direct callers too", async () => {
    const manager = await loginAs("production_manager");
    const actor: UserPrincipal = {
      kind: "user",
      userId: manager.id,
      username: manager.username,
      role: "production_manager",
      permissions: new Set(["inventory:write"]),
      tabs: ["inventory"],
      sessionId: "",
    };
    const created = await createItem(testDeps(), { sku: newSku(), name: "x", location: "A", quantity: 0, reorder_level: 0, allow_negative: false }, actor);
    expect(created.quantity).toBe(0);
  });
});
