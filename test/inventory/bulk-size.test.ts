import { describe, expect, it } from "vitest";
import { MAX_BULK_LINES } from "../../src/modules/inventory/schemas";
import { arr, call, loginAs, unique } from "../helpers";

describe("inventory bulk at its limit", () => {
  it(`a scanned list of ${MAX_BULK_LINES} lines over as many items applies and reports every line`, async () => {
    const manager = await loginAs("production_manager");
    const location = unique("Big");
    const prefix = unique("BULK").toUpperCase();
    const skus = Array.from({ length: MAX_BULK_LINES }, (_, i) => `${prefix}-${i}`);
    for (const sku of skus)
      expect((await call("/api/v1/inventory/items", { token: manager.token, body: { sku, name: "x", location, quantity: 1 } })).status).toBe(201);
    const ok = await call("/api/v1/inventory/adjustments/bulk", {
      token: manager.token,
      body: { adjustments: skus.map((sku) => ({ sku, delta: 2, reason: "count" })) },
    });
    expect(ok.status, JSON.stringify(ok.json).slice(0, 300)).toBe(201);
    expect(arr(ok.json.adjustments)).toHaveLength(MAX_BULK_LINES);
    expect(arr(ok.json.items)).toHaveLength(MAX_BULK_LINES);
    expect(arr(ok.json.items).every((i) => Number(i.quantity) === 3)).toBe(true);

    const refused = await call("/api/v1/inventory/adjustments/bulk", {
      token: manager.token,
      body: { adjustments: skus.map((sku, i) => ({ sku, delta: i === MAX_BULK_LINES - 1 ? -4 : -1, reason: "count" })) },
    });
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ details: { sku: skus.at(-1), quantity: 3, line: MAX_BULK_LINES - 1 } });
    expect((await call(`/api/v1/inventory/items/${skus[0]}`, { token: manager.token })).json).toMatchObject({ quantity: 3 });
    const tooMany = Array.from({ length: MAX_BULK_LINES + 1 }, () => ({ sku: skus[0], delta: 1, reason: "x" }));
    expect((await call("/api/v1/inventory/adjustments/bulk", { token: manager.token, body: { adjustments: tooMany } })).status).toBe(422);
  }, 60_000);
});
