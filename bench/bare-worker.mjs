// The benchmark's baseline: a bare Hono app answering the benchmarked API paths with fixed JSON,
// touching no binding (no D1, no crypto, no middleware). It is bundled and served exactly like
// the API worker, so the ratio bare/api isolates what Floorline itself adds per request.
import { Hono } from "hono";

const app = new Hono();

app.get("/", (c) => c.text("ok"));
app.get("/health", (c) => c.json({ status: "healthy", service: "bare", environment: "bench", timestamp: "2000-01-01T00:00:00.000Z" }));
app.post("/api/v1/auth/login", (c) =>
  c.json({ access_token: "bare-access-token", refresh_token: "bare-refresh-token", token_type: "bearer", expires_in: 3600, role: "admin" }),
);
app.get("/api/v1/auth/me", (c) => c.json({ id: "bare", username: "bench-admin", role: "admin", allowed_tabs: [] }));
app.get("/api/parts/auth/check", (c) => c.json({ status: "authenticated", message: "API key is valid", timestamp: "2000-01-01T00:00:00.000Z" }));

// Inventory (issue 9): fixed JSON of the same shapes.
const benchItem = {
  id: "bare",
  sku: "BENCH-HOT-0000",
  name: "Bench item",
  barcode: null,
  location: "Bench",
  quantity: 1001,
  reorder_level: 0,
  allow_negative: false,
  low_stock: false,
  version: 2,
  created_at: "2000-01-01T00:00:00.000Z",
  updated_at: "2000-01-01T00:00:00.000Z",
};
const benchAdjustment = {
  id: "bare",
  seq: 1,
  item_id: "bare",
  sku: "BENCH-HOT-0000",
  location: "Bench",
  delta: 1,
  reason: "bench",
  quantity_after: 1001,
  user_id: "bare",
  username: "bench-admin",
  created_at: "2000-01-01T00:00:00.000Z",
};
app.get("/api/v1/inventory/items", (c) => c.json({ items: Array.from({ length: 50 }, () => benchItem), total: 60, limit: 50, offset: 0 }));
app.post("/api/v1/inventory/items/:sku/adjustments", (c) => c.json({ adjustment: benchAdjustment, item: benchItem }, 201));
app.post("/api/v1/inventory/adjustments/bulk", (c) =>
  c.json({ adjustments: Array.from({ length: 50 }, () => benchAdjustment), items: Array.from({ length: 50 }, () => benchItem) }, 201),
);

export default app;
