// What `npm run bench` measures. Each scenario is one request shape, loaded against every target
// it lists: "api" (the Floorline worker), "bare" (bench/bare-worker.mjs, a bare Hono app that
// answers the same paths with fixed JSON) and "minimal" (bench/minimal-worker.mjs: the same path
// doing only the unavoidable work, a jose JWT verification and one D1 query). To add a scenario,
// append an object here and give the baselines that should answer it the same path.
//
// Fields:
//   name      row label in the table
//   method    HTTP method (default GET)
//   path      request path
//   headers   request headers (optional)
//   body      request body: a string, or an object sent as JSON (optional)
//   targets   which workers to load (default ["api", "bare", "minimal"]); a ratio needs the API
//             and that baseline
//   setup     optional async (ctx) => ({ headers?, body?, path? }), run once per target before
//             the warm-up; what it returns is merged into the request. ctx is:
//               ctx.target  "api" | "bare" | "minimal"
//               ctx.url     the target's base URL (http://127.0.0.1:<port>)
//               ctx.mf      its Miniflare instance (e.g. `await ctx.mf.getD1Database("DB")` to seed rows)
//               ctx.login() logs BENCH_USER in on that target and resolves to the access token

/** The user run.mjs inserts into the API's and the minimal worker's D1 before any scenario runs. */
export const BENCH_USER = { username: "bench-admin", password: "bench-password-not-secret", role: "admin" };

export const scenarios = [
  {
    name: "GET /health",
    method: "GET",
    path: "/health",
    // No binding, no auth: the minimal worker would be the bare one.
    targets: ["api", "bare"],
  },
  {
    // PBKDF2-SHA256 with 100,000 iterations on every request: CPU-bound by design. The minimal
    // worker's nearest equivalent: one user lookup, the same PBKDF2, a signed JWT.
    name: "POST /api/v1/auth/login",
    method: "POST",
    path: "/api/v1/auth/login",
    headers: { "content-type": "application/json" },
    body: { username: BENCH_USER.username, password: BENCH_USER.password },
  },
  {
    name: "GET /api/v1/auth/me",
    method: "GET",
    path: "/api/v1/auth/me",
    // One login per target; every request then reuses the same bearer token.
    setup: async (ctx) => ({ headers: { authorization: `Bearer ${await ctx.login()}` } }),
  },
  {
    // The hardware-reader / CAD-client hot path: an API key (one D1 lookup joined with its
    // creator, a rate-limiting-binding check, no D1 write per request).
    name: "GET /api/parts/auth/check (API key)",
    method: "GET",
    path: "/api/parts/auth/check",
    targets: ["api", "bare"],
    setup: async (ctx) => {
      if (ctx.target !== "api") return {};
      const res = await fetch(`${ctx.url}/api/v1/api-keys`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${await ctx.login()}` },
        body: JSON.stringify({ name: "bench", permissions: ["parts:read"], rate_limit_per_minute: 6000 }),
      });
      if (res.status !== 201) throw new Error(`creating the bench API key: ${res.status} ${await res.text()}`);
      const { key } = await res.json();
      return { headers: { "x-api-key": key } };
    },
  },
  {
    // Inventory (issue 9): one page of 50 items by SKU with its total, one D1 batch. The minimal
    // worker: JWT verification + the same page query, no count.
    name: "GET /api/v1/inventory/items?limit=50",
    method: "GET",
    path: "/api/v1/inventory/items?limit=50",
    setup: async (ctx) => {
      const token = await ctx.login();
      if (ctx.target === "api") await benchItems(ctx, token, 60);
      if (ctx.target === "minimal") await benchItemRows(ctx, 60);
      return { headers: { authorization: `Bearer ${token}` } };
    },
  },
  {
    // Adjustments per second on one hot item: every request updates the same row (D1's single
    // writer serialises them) and records a history row in the same batch, then reads both back.
    name: "POST /api/v1/inventory/items/{sku}/adjustments (one hot item)",
    method: "POST",
    headers: { "content-type": "application/json" },
    body: { delta: 1, reason: "bench" },
    targets: ["api", "bare"],
    setup: async (ctx) => {
      const token = ctx.target === "api" ? await ctx.login() : "";
      if (ctx.target === "api") await benchItems(ctx, token, 1, "HOT");
      return { path: "/api/v1/inventory/items/BENCH-HOT-0000/adjustments", headers: { authorization: `Bearer ${token}` } };
    },
  },
  {
    // Adjustments across many items: a scanned list of 50 lines over 50 items, all-or-nothing in
    // one batch. Adjustments per second = requests per second × 50.
    name: "POST /api/v1/inventory/adjustments/bulk (50 items per request)",
    method: "POST",
    path: "/api/v1/inventory/adjustments/bulk",
    headers: { "content-type": "application/json" },
    body: { adjustments: Array.from({ length: 50 }, (_, i) => ({ sku: `BENCH-MANY-${String(i).padStart(4, "0")}`, delta: 1, reason: "bench" })) },
    targets: ["api", "bare"],
    setup: async (ctx) => {
      const token = ctx.target === "api" ? await ctx.login() : "";
      if (ctx.target === "api") await benchItems(ctx, token, 50, "MANY");
      return { headers: { authorization: `Bearer ${token}` } };
    },
  },
  {
    // The floor: a Hono handler returning two bytes of text through the same workerd server.
    // Nothing can be faster than this through this stack; it calibrates the other rows.
    name: "baseline: bare Hono GET /",
    method: "GET",
    path: "/",
    targets: ["bare"],
  },
];

/** Creates `count` inventory items through the API (`BENCH-<group>-0000`…), ignoring ones that exist. */
async function benchItems(ctx, token, count, group = "LIST") {
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${ctx.url}/api/v1/inventory/items`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({
        sku: `BENCH-${group}-${String(i).padStart(4, "0")}`,
        name: `Bench item ${i}`,
        location: "Bench",
        quantity: 1000,
        barcode: `BENCH${group}${i}`,
      }),
    });
    if (res.status !== 201 && res.status !== 409) throw new Error(`creating bench items: ${res.status} ${await res.text()}`);
  }
}

/** The same rows straight into the minimal worker's D1 (it has no create route). */
async function benchItemRows(ctx, count) {
  const db = await ctx.mf.getD1Database("DB");
  const insert = db.prepare("INSERT OR IGNORE INTO inventory_items (id, sku, name, location, quantity) VALUES (?, ?, ?, 'Bench', 1000)");
  await db.batch(Array.from({ length: count }, (_, i) => insert.bind(`bench-${i}`, `BENCH-LIST-${String(i).padStart(4, "0")}`, `Bench item ${i}`)));
}
