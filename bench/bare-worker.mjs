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
// Parts lists: 50 fixed parts in the seed's and in the v1 shape.
const barePart = (id) => ({
  id,
  type: "cnc",
  material: "6061",
  materialThickness: null,
  name: `Part ${id}`,
  partId: `P-${id}`,
  subsystem: "Drive",
  assigned: null,
  status: "Pending",
  miscInfo: null,
  notes: null,
  file: null,
  onshapeUrl: null,
  claimedDate: null,
  createdAt: "2000-01-01T00:00:00.000Z",
  updatedAt: "2000-01-01T00:00:00.000Z",
  category: "review",
  amount: 1,
});
const bareParts = Array.from({ length: 50 }, (_, i) => barePart(i + 1));
app.get("/api/parts/", (c) => c.json({ parts: bareParts, total: 50, limit: null, offset: 0 }));
app.get("/api/v1/parts", (c) => c.json({ items: bareParts, total: 50, limit: 50, offset: 0 }));

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

// Magento pick & pack (issue 10): a scan's answer, fixed.
app.post("/api/v1/magento/session/scan", (c) =>
  c.json({
    success: true,
    message: "Scanned 1 × BENCH-SKU-0; 999999999 to go",
    sku: "BENCH-SKU-0",
    qty_expected: 1000000000,
    qty_scanned: 1,
    qty_remaining: 999999999,
    is_complete: false,
    is_overpicked: false,
    all_items_complete: false,
    session_status: "in_progress",
  }),
);

// Labels (issue 9): a job's progress and a one-label PDF, as fixed bodies.
app.get("/api/v1/labels/job/:id", (c) =>
  c.json({
    id: c.req.param("id"),
    job_id: c.req.param("id"),
    status: "processing",
    template_id: "rm365",
    item_count: 1000,
    done: 500,
    total: 1000,
    progress: 0.5,
    pages: null,
    error: null,
  }),
);
const BARE_PDF = new TextEncoder().encode("%PDF-1.7\n%bare\n".padEnd(3000, " "));
app.get("/api/v1/labels/items/:sku/pdf", (c) => c.body(BARE_PDF, 200, { "content-type": "application/pdf" }));
// Production reports (issue 7 part 7): a job of the API's shape, and 16 KB of "PDF".
const benchReport = {
  id: "bare",
  title: "Production report 2026-11-01 – 2026-11-07",
  state: "queued",
  line_ids: ["bare-line"],
  start_date: "2026-11-01",
  end_date: "2026-11-07",
  group_by: "shift",
  utc_offset_minutes: 0,
  shift_start_hour: 6,
  requested_by: "bare",
  attempts: 0,
  error: null,
  page_count: null,
  pdf_bytes: null,
  pdf_url: "/api/v1/reports/production/bare/pdf",
  created_at: "2000-01-01T00:00:00.000Z",
  updated_at: "2000-01-01T00:00:00.000Z",
  started_at: null,
  finished_at: null,
};
const benchPdf = new Uint8Array(16_000).fill(0x20);
app.post("/api/v1/reports/production/generate", (c) => c.json(benchReport, 202));
app.get("/api/v1/reports/production/:id/pdf", (c) => c.body(benchPdf, 200, { "content-type": "application/pdf" }));

export default app;

// --- Production floor (issue 7) ---------------------------------------------------------------
// The same paths with fixed JSON, and for the andon fan-out baseline a bare hibernating Durable
// Object room: `GET /ws/lines/:id` joins it (no token check), `POST /api/v1/andon/events`
// broadcasts one fixed andon_event to every socket in line `line_id`'s room. No storage, no
// sequence numbers, no validation: what fan-out costs on the platform itself.
import { DurableObject } from "cloudflare:workers";

const FIXED_LINE = { id: "bare-line", line_code: "L-BARE", name: "Bare", status: "running", enabled: true };
app.get("/api/v1/production/lines", (c) => c.json({ items: [FIXED_LINE], total: 1, limit: 50, offset: 0 }));
app.get("/api/v1/oee/lines/:id/current", (c) =>
  c.json({ line_id: c.req.param("id"), availability: 0.9, performance: 0.9, quality: 0.99, oee: 0.8019, good_parts: 99, total_parts: 100 }),
);
app.get("/ws/lines/:id", (c) => {
  if (!c.env?.BARE_ROOM) return c.text("no room binding", 500);
  const ns = c.env.BARE_ROOM;
  return ns.get(ns.idFromName(c.req.param("id"))).fetch(c.req.raw);
});
app.post("/api/v1/andon/events", async (c) => {
  const body = await c.req.json().catch(() => ({}));
  const lineId = typeof body.line_id === "string" ? body.line_id : "bare-line";
  const event = { id: crypto.randomUUID(), line_id: lineId, status: "open", priority: body.priority ?? "high", description: body.description ?? "" };
  if (c.env?.BARE_ROOM) await c.env.BARE_ROOM.get(c.env.BARE_ROOM.idFromName(lineId)).broadcast(event);
  return c.json(event, 201);
});
app.put("/api/v1/andon/events/:id/acknowledge", (c) => c.json({ id: c.req.param("id"), status: "acknowledged" }));

/** A bare hibernating room: accept, broadcast, nothing else. */
export class BareRoom extends DurableObject {
  async fetch() {
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }
  async broadcast(data) {
    const payload = JSON.stringify({ type: "andon_event", line_id: data.line_id, data, timestamp: new Date().toISOString() });
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(payload);
      } catch {}
    }
  }
  async webSocketMessage() {}
  async webSocketClose(ws, code) {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, "bye");
    } catch {}
  }
}

// --- Attendance (issue 10) --------------------------------------------------------------------
const benchClock = {
  status: "success",
  direction: "in",
  message: "Bench employee 0 clocked in",
  employee_id: "bench-emp-0",
  employee_code: "BENCH-0",
  employee_name: "Bench employee 0",
  event_id: "bare",
  timestamp: "2000-01-01T00:00:00.000Z",
};
const benchLog = {
  id: "bare",
  employee: "Bench employee 0",
  employee_id: "bench-emp-0",
  employee_code: "BENCH-0",
  department: "Bench",
  date: "2026-01-05",
  time: "07:00:00",
  direction: "in",
  timestamp: "2026-01-05T07:00:00.000Z",
  source: "card",
  recorded_by: "bench",
};
app.post("/api/v1/attendance/clock-by-card", (c) => c.json(benchClock));
app.get("/api/v1/attendance/logs", (c) => c.json(Array.from({ length: 50 }, () => benchLog)));
