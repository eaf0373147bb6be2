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

// The equipment scenarios: the same shapes, fixed (200 items in CCbackend's bare array; a page of 50).
const ccItem = (n) => ({
  CCM_ID: `CC-${String(n).padStart(4, "0")}`,
  CC_SIZE: "M",
  BOX_ID: `BOX${n % 17}`,
  USER_NAME: `user${n % 9}`,
  CC_STARTTIME: "Thu, 01 Jan 2026 00:00:00 GMT",
  UPD_CNT: 2,
  CC_STATUS: "維修",
  CC_SUBSTATUS: "頭部修補",
  COMMENT: "檢查",
  UPDATE_BY: "bench-admin",
  UPDATE_TIME: "Thu, 01 Jan 2026 00:00:00 GMT",
});
const CC_EQUIPMENT = Array.from({ length: 200 }, (_, n) => ccItem(n));
const v1Item = (n) => ({
  id: `bench-eq-${n}`,
  code: `CC-${String(n).padStart(4, "0")}`,
  name: null,
  production_line: null,
  size: "M",
  box_id: `BOX${n % 17}`,
  user_name: `user${n % 9}`,
  start_time: "2026-01-01T00:00:00.000Z",
  status: "維修",
  sub_status: "頭部修補",
  comment: "檢查",
  updated_by: "bench-admin",
  updated_at: "2026-01-01T00:00:00.000Z",
  created_by: "bench-admin",
  created_at: "2026-01-01T00:00:00.000Z",
  version: 2,
});
const V1_PAGE = { items: Array.from({ length: 50 }, (_, n) => v1Item(n)), total: 200, limit: 50, offset: 0 };
app.get("/api/equipment", (c) => c.json(CC_EQUIPMENT));
app.get("/api/v1/equipment", (c) => c.json(V1_PAGE));

export default app;
