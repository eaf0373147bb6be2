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
    // The Part Management web client's board load: every part (50 here) by API key, seed shape.
    name: "GET /api/parts/ (list)",
    method: "GET",
    path: "/api/parts/",
    targets: ["api", "bare"],
    setup: async (ctx) => {
      if (ctx.target !== "api") return {};
      const token = await ctx.login();
      await seedParts(ctx.url, token);
      const res = await fetch(`${ctx.url}/api/v1/api-keys`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ name: "bench-parts", permissions: ["parts:read"], rate_limit_per_minute: 6000 }),
      });
      if (res.status !== 201) throw new Error(`creating the bench API key: ${res.status} ${await res.text()}`);
      const { key } = await res.json();
      return { headers: { "x-api-key": key } };
    },
  },
  {
    // The v1 list: one page of 50 with its total (one D1 batch), by bearer token.
    name: "GET /api/v1/parts?limit=50",
    method: "GET",
    path: "/api/v1/parts?limit=50",
    targets: ["api", "bare"],
    setup: async (ctx) => {
      if (ctx.target !== "api") return {};
      const token = await ctx.login();
      await seedParts(ctx.url, token);
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

/** Makes sure the API has at least 50 parts (created through the API itself). */
async function seedParts(url, token) {
  const probe = await fetch(`${url}/api/v1/parts?limit=1`, { headers: { authorization: `Bearer ${token}` } });
  const { total } = await probe.json();
  for (let i = total; i < 50; i++) {
    const res = await fetch(`${url}/api/v1/parts`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({
        type: i % 3 === 0 ? "hand" : "cnc",
        name: `Bench part ${i}`,
        part_id: `B-${i}`,
        material: "6061",
        subsystem: "Drive",
        notes: "bench",
      }),
    });
    if (res.status !== 201) throw new Error(`seeding parts: ${res.status} ${await res.text()}`);
  }
}
