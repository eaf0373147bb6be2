import { describe, expect, it } from "vitest";
import { arr, call, loginAs, unique } from "../helpers";

const INV = { allowed_tabs: ["inventory"] };
const sku = () => unique("sku").toUpperCase();

describe("inventory items", () => {
  it("create, read, search, filter, page, update with If-Match, delete", async () => {
    const manager = await loginAs("production_manager");
    const location = unique("loc");
    const code = unique("bc");
    const lower = unique("abc");
    const created = await call("/api/v1/inventory/items", {
      token: manager.token,
      body: { sku: `  ${lower} `, name: "Hex bolt M8", barcode: code, location, quantity: 5, reorder_level: 10 },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      sku: lower.toUpperCase(),
      name: "Hex bolt M8",
      barcode: code,
      location,
      quantity: 5,
      reorder_level: 10,
      allow_negative: false,
      low_stock: true,
      version: 1,
    });
    expect(created.res.headers.get("etag")).toBe('"1"');
    const s = lower.toUpperCase();

    expect((await call(`/api/v1/inventory/items/${lower}`, { token: manager.token })).json).toMatchObject({ sku: s });
    expect((await call(`/api/v1/inventory/items/by-barcode/${code}`, { token: manager.token })).json).toMatchObject({ sku: s });
    expect((await call(`/api/v1/inventory/items/by-barcode/${unique("nope")}`, { token: manager.token })).status).toBe(404);

    for (const n of [1, 2]) {
      const r = await call("/api/v1/inventory/items", { token: manager.token, body: { sku: `${s}-${n}`, name: `Washer ${n}`, location, quantity: 50 } });
      expect(r.status).toBe(201);
    }
    const page = await call(`/api/v1/inventory/items?location=${location}&limit=2`, { token: manager.token });
    expect(page.json).toMatchObject({ total: 3, limit: 2, offset: 0 });
    expect(arr(page.json.items).map((i) => i.sku)).toEqual([s, `${s}-1`]);
    const searched = await call(`/api/v1/inventory/items?location=${location}&search=washer%202`, { token: manager.token });
    expect(arr(searched.json.items).map((i) => i.sku)).toEqual([`${s}-2`]);
    // LIKE wildcards are literal in a search
    expect((await call(`/api/v1/inventory/items?location=${location}&search=%25`, { token: manager.token })).json).toMatchObject({ total: 0 });

    const low = await call(`/api/v1/inventory/low-stock?location=${location}`, { token: manager.token });
    expect(arr(low.json.items).map((i) => i.sku)).toEqual([s]);

    const patched = await call(`/api/v1/inventory/items/${s}`, {
      method: "PATCH",
      token: manager.token,
      headers: { "if-match": '"1"' },
      body: { name: "Hex bolt M8x40", reorder_level: 2 },
    });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ name: "Hex bolt M8x40", reorder_level: 2, low_stock: false, version: 2, quantity: 5 });
    const stale = await call(`/api/v1/inventory/items/${s}`, { method: "PATCH", token: manager.token, headers: { "if-match": '"1"' }, body: { name: "lost" } });
    expect(stale.status).toBe(409);
    expect((await call(`/api/v1/inventory/items/${s}`, { token: manager.token })).json).toMatchObject({ name: "Hex bolt M8x40" });

    const csv = await call(`/api/v1/inventory/items.csv?location=${location}`, { token: manager.token });
    expect(csv.status).toBe(200);
    expect(csv.res.headers.get("content-type")).toContain("text/csv");
    const lines = String(csv.json).trim().split("\r\n");
    expect(lines[0]).toBe("sku,name,barcode,location,quantity,reorder_level,allow_negative,low_stock,updated_at");
    expect(lines).toHaveLength(4);

    expect((await call(`/api/v1/inventory/items/${s}`, { method: "DELETE", token: manager.token })).status).toBe(200);
    expect((await call(`/api/v1/inventory/items/${s}`, { token: manager.token })).status).toBe(404);
  });

  it("validation: bad SKU, unbounded strings, quantity in the body of a PATCH, duplicates, negative start", async () => {
    const manager = await loginAs("production_manager");
    const location = unique("loc");
    const bad = [
      { sku: "", name: "x", location },
      { sku: "has space", name: "x", location },
      { sku: "A".repeat(65), name: "x", location },
      { sku: sku(), name: "x".repeat(201), location },
      { sku: sku(), name: "x", location, barcode: "tab\there" },
      { sku: sku(), name: "x", location, quantity: 1.5 },
      { sku: sku(), name: "x", location, extra: 1 },
      { sku: sku(), name: "x" },
    ];
    for (const body of bad) expect((await call("/api/v1/inventory/items", { token: manager.token, body })).status, JSON.stringify(body)).toBe(422);
    expect((await call("/api/v1/inventory/items", { token: manager.token, body: { sku: sku(), name: "x", location, quantity: -1 } })).status).toBe(422);

    const s = sku();
    const code = unique("bc");
    expect((await call("/api/v1/inventory/items", { token: manager.token, body: { sku: s, name: "x", location, barcode: code } })).status).toBe(201);
    const dupSku = await call("/api/v1/inventory/items", { token: manager.token, body: { sku: s.toLowerCase(), name: "y", location } });
    expect(dupSku.status).toBe(409);
    const dupCode = await call("/api/v1/inventory/items", { token: manager.token, body: { sku: sku(), name: "y", location, barcode: code } });
    expect(dupCode.status).toBe(409);
    expect((await call(`/api/v1/inventory/items/${s}`, { method: "PATCH", token: manager.token, body: { quantity: 100 } })).status).toBe(422);
    expect((await call(`/api/v1/inventory/items/${s}`, { method: "PATCH", token: manager.token, body: {} })).status).toBe(422);
    expect((await call(`/api/v1/inventory/items?limit=1000`, { token: manager.token })).status).toBe(422);
  });

  it("tabs and permissions: the inventory tab is needed on top of the permission; readers cannot write", async () => {
    const noTab = await loginAs("production_manager", { allowed_tabs: ["labels"] });
    const list = await call("/api/v1/inventory/items", { token: noTab.token });
    expect(list.status).toBe(403);
    expect(list.json).toMatchObject({ message: "Your account does not have the 'inventory' tab" });
    expect((await call("/api/v1/inventory/items", { token: noTab.token, body: { sku: sku(), name: "x", location: "A" } })).status).toBe(403);

    const reader = await loginAs("operator", INV);
    expect((await call("/api/v1/inventory/items", { token: reader.token })).status).toBe(200);
    const write = await call("/api/v1/inventory/items", { token: reader.token, body: { sku: sku(), name: "x", location: "A" } });
    expect(write.status).toBe(403);
    expect(write.json).toMatchObject({ message: "Permission 'inventory:write' is required" });
    expect((await call("/api/v1/inventory/items/X/adjustments", { token: reader.token, body: { delta: 1, reason: "r" } })).status).toBe(403);
    expect((await call("/api/v1/inventory/items")).status).toBe(401);
  });
});
