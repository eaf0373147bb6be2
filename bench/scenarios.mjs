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
    // CCbackend's client's main screen: every item joined with its latest log row, a bare array
    // (200 items seeded; equipment:read via the bench admin's token).
    name: "GET /api/equipment (CCbackend, 200 items)",
    method: "GET",
    path: "/api/equipment",
    setup: async (ctx) => {
      if (ctx.target !== "bare") await seedEquipment(ctx.mf);
      return ctx.target === "bare" ? {} : { headers: { authorization: `Bearer ${await ctx.login()}` } };
    },
  },
  {
    // The canonical list: one page of 50 and its total in one D1 round trip.
    name: "GET /api/v1/equipment?limit=50",
    method: "GET",
    path: "/api/v1/equipment?limit=50",
    setup: async (ctx) => {
      if (ctx.target !== "bare") await seedEquipment(ctx.mf);
      return ctx.target === "bare" ? {} : { headers: { authorization: `Bearer ${await ctx.login()}` } };
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

/** Number of registry items the equipment scenarios read. */
export const BENCH_EQUIPMENT = 200;

/**
 * Seeds BENCH_EQUIPMENT items, each with two log rows (so "latest" means something), into a
 * target's D1. Fixed ids and INSERT OR IGNORE: running it again changes nothing.
 */
export async function seedEquipment(mf) {
  const db = await mf.getD1Database("DB");
  const statements = [];
  for (let n = 0; n < BENCH_EQUIPMENT; n++) {
    const id = `bench-eq-${n}`;
    const code = `CC-${String(n).padStart(4, "0")}`;
    const start = new Date(Date.UTC(2026, 0, 1) + n * 60_000).toISOString();
    statements.push(
      db
        .prepare(
          "INSERT OR IGNORE INTO equipment (id, code, size, box_id, user_name, start_time, created_by, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, 'bench-admin', ?, ?, 2)",
        )
        .bind(id, code, ["S", "M", "L"][n % 3], `BOX${n % 17}`, `user${n % 9}`, start, start, start),
      db
        .prepare(
          "INSERT OR IGNORE INTO equipment_log (equipment_id, version, action, input_date, status, sub_status, comment, updated_by, updated_at) VALUES (?, 1, 'create', ?, '在廠', '在廠', '入庫', 'bench-admin', ?), (?, 2, 'status', ?, ?, ?, '檢查', 'bench-admin', ?)",
        )
        .bind(id, start, start, id, start, ["清洗", "維修", "報廢"][n % 3], ["清洗", "頭部修補", "報廢"][n % 3], start),
    );
  }
  await db.batch(statements);
}
