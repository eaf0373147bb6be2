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

export default app;
