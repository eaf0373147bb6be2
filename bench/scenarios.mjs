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

/** The label job the progress-poll scenario reads (a fixed id, in the API's or the minimal worker's D1). */
const BENCH_LABEL_JOB = "00000000-0000-4000-a000-00000000b001";

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
  // --- Production floor (issue 7) -------------------------------------------------------------
  {
    name: "GET /api/v1/production/lines",
    method: "GET",
    path: "/api/v1/production/lines",
    setup: async (ctx) => {
      const token = await ctx.login();
      if (ctx.target === "api") await benchLine(ctx, token);
      return { headers: { authorization: `Bearer ${token}` } };
    },
  },
  {
    // Each request raises an andon: D1 insert, the line room's escalation clock, the push to the
    // line room and the floor room (no socket listening here; see the fan-out rows).
    name: "POST /api/v1/andon/events",
    method: "POST",
    path: "/api/v1/andon/events",
    headers: { "content-type": "application/json" },
    targets: ["api", "bare"],
    setup: async (ctx) => {
      const token = await ctx.login();
      const lineId = ctx.target === "api" ? await benchLine(ctx, token) : "bare-line";
      return { headers: { authorization: `Bearer ${token}` }, body: { line_id: lineId, event_type: "stop", priority: "high", description: "bench" } };
    },
  },
  {
    // Acknowledge: a conditional update, the room's clock change and the push. Acknowledging
    // twice is a 409, so each request acknowledges a fresh andon raised in setup (`nextPath`).
    name: "PUT /api/v1/andon/events/{id}/acknowledge",
    method: "PUT",
    targets: ["api", "bare"],
    path: "/api/v1/andon/events/x/acknowledge",
    setup: async (ctx) => {
      const token = await ctx.login();
      if (ctx.target !== "api") return { headers: { authorization: `Bearer ${token}` } };
      const lineId = await benchLine(ctx, token);
      const ids = [];
      for (let i = 0; i < 20_000; i++) ids.push(crypto.randomUUID());
      // Raised straight in D1 (raising 20,000 through the API would dominate the bench's time);
      // the room has no clocks for them, which acknowledging does not need.
      const db = await ctx.mf.getD1Database("DB");
      for (let i = 0; i < ids.length; i += 500) {
        const chunk = ids.slice(i, i + 500);
        await db.batch(
          chunk.map((id) =>
            db
              .prepare(
                "INSERT INTO andon_events (id, line_id, event_type, priority, description, reported_by, reported_at) VALUES (?, ?, 'stop', 'high', 'bench', 'bench', ?)",
              )
              .bind(id, lineId, new Date().toISOString()),
          ),
        );
      }
      // The checked request takes the first; the load takes the rest in turn.
      let next = 1;
      return {
        headers: { authorization: `Bearer ${token}` },
        path: `/api/v1/andon/events/${ids[0]}/acknowledge`,
        nextPath: () => `/api/v1/andon/events/${ids[next++ % ids.length]}/acknowledge`,
      };
    },
  },
  {
    name: "GET /api/v1/oee/lines/{id}/current",
    method: "GET",
    path: "/api/v1/oee/lines/bare-line/current",
    targets: ["api", "bare"],
    setup: async (ctx) => {
      const token = await ctx.login();
      if (ctx.target !== "api") return { headers: { authorization: `Bearer ${token}` } };
      const lineId = await benchLine(ctx, token);
      const now = Date.now();
      for (let h = 3; h > 0; h--) {
        const res = await fetch(`${ctx.url}/api/v1/production/counts`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify({
            line_id: lineId,
            period_start: new Date(now - h * 600_000).toISOString(),
            period_end: new Date(now - (h - 1) * 600_000).toISOString(),
            total_count: 300,
            good_count: 290,
          }),
        });
        if (res.status !== 201) throw new Error(`recording bench counts: ${res.status} ${await res.text()}`);
      }
      return { headers: { authorization: `Bearer ${token}` }, path: `/api/v1/oee/lines/${lineId}/current` };
    },
  },
  // Andon fan-out: N sockets on one line; each round POSTs an andon and waits for the last socket
  // to receive it. api req/s = messages delivered per second per room; p50/p99 = POST → last
  // client (ms). bare = a bare hibernating Durable Object that only broadcasts.
  ...[100, 500, 1000].map((clients) => ({
    name: `andon fan-out N=${clients} (msgs/s; POST → last client)`,
    fanout: { clients, rounds: Number(process.env.BENCH_FANOUT_ROUNDS ?? 30) },
    method: "POST",
    path: "/api/v1/andon/events",
    headers: { "content-type": "application/json" },
    targets: ["api", "bare"],
    setup: async (ctx) => {
      const token = await ctx.login();
      if (ctx.target !== "api") {
        const lineId = `bare-${clients}`;
        return {
          headers: { authorization: `Bearer ${token}` },
          body: { line_id: lineId, event_type: "stop", priority: "low", description: "fan-out" },
          ws: `/ws/lines/${lineId}?token=${token}`,
        };
      }
      const lineId = await benchLine(ctx, token);
      // A user holds at most 20 sockets in a room (src/rooms/room.ts): the clients are tablets of
      // several users, FANOUT_PER_USER each.
      const watchers = await fanoutTokens(ctx, token, Math.ceil(clients / FANOUT_PER_USER));
      return {
        headers: { authorization: `Bearer ${token}` },
        body: { line_id: lineId, event_type: "stop", priority: "low", description: "fan-out" },
        ws: (i) => `/ws/lines/${lineId}?token=${watchers[Math.floor(i / FANOUT_PER_USER)]}`,
      };
    },
  })),
  {
    // A critical andon's latency to a tablet on its line, quiet vs while another socket on the
    // line floods `subscribe` with a recent `last_seq` (bench/flood.mjs). Target: flood p99 ≤
    // 1.5 × quiet p99. API only: the bare room has no replay to abuse.
    name: "andon latency, line quiet vs flooded (p99 ratio ≤ 1.5×)",
    flood: { rounds: Number(process.env.BENCH_FLOOD_ROUNDS ?? 300) },
    method: "POST",
    path: "/api/v1/andon/events",
    headers: { "content-type": "application/json" },
    targets: ["api"],
    setup: async (ctx) => {
      const token = await ctx.login();
      const lineId = await benchLine(ctx, token);
      return {
        headers: { authorization: `Bearer ${token}` },
        body: { line_id: lineId, event_type: "quality", priority: "critical", description: "flood" },
        ws: `/ws/lines/${lineId}?token=${token}`,
      };
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
    // Part Management's board with a page size (issue 8), against all three: the API (bearer
    // token, seed shape, page + total in one D1 batch), the bare worker's fixed JSON, and the
    // minimal worker (JWT verification and one query: the page with its total, mapped to the
    // seed's camelCase).
    name: "GET /api/parts/?limit=50",
    method: "GET",
    path: "/api/parts/?limit=50",
    setup: async (ctx) => {
      if (ctx.target === "bare") return {};
      const token = await ctx.login();
      if (ctx.target === "api") await seedParts(ctx.url, token);
      if (ctx.target === "minimal") await benchPartRows(ctx, 50);
      return { headers: { authorization: `Bearer ${token}` } };
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
  // --- Labels (issue 9) --------------------------------------------------------------------------
  // Label rendering itself (labels/s in the documents worker's code path) is `node bench/labels.mjs`.
  {
    // The generator's poll while a job renders: JWT, tab + permission, one job read by id.
    name: "GET /api/v1/labels/job/{id} (progress poll)",
    method: "GET",
    path: `/api/v1/labels/job/${BENCH_LABEL_JOB}`,
    setup: async (ctx) => {
      const token = await ctx.login();
      if (ctx.target !== "bare") await benchLabelJob(ctx);
      return { headers: { authorization: `Bearer ${token}` } };
    },
  },
  {
    // One label rendered on request: item read, bwip-js Code 128, pdf-lib page, PDF bytes out.
    name: "GET /api/v1/labels/items/{sku}/pdf (one label, synchronous)",
    method: "GET",
    path: "/api/v1/labels/items/BENCH-LABEL-0000/pdf",
    targets: ["api", "bare"],
    setup: async (ctx) => {
      const token = ctx.target === "api" ? await ctx.login() : "";
      if (ctx.target === "api") await benchItems(ctx, token, 1, "LABEL");
      return { headers: { authorization: `Bearer ${token}` } };
    },
  },
  {
    // Magento pick & pack (issue 10): one scan of one unit into an open session of 10 lines. One
    // D1 batch: the conditional increment, the scan's audit row and the session's version (both
    // chained on changes()), and the session with its lines read back. Every request hits the
    // same line (D1's single writer serialises them), expecting far more units than the run scans.
    name: "POST /api/v1/magento/session/scan (one hot line)",
    method: "POST",
    path: "/api/v1/magento/session/scan",
    headers: { "content-type": "application/json" },
    body: { session_id: "bench-magento-session", sku: "BENCH-SKU-0", quantity: 1 },
    targets: ["api", "bare"],
    setup: async (ctx) => {
      if (ctx.target !== "api") return {};
      const token = await ctx.login();
      await benchPickSession(ctx);
      return { headers: { authorization: `Bearer ${token}` } };
    },
  },
  // Sales CSV import (issue 10): generated UK files of 10,000 and 100,000 lines uploaded one at
  // a time (bench/salesdata.mjs), orders in date order as Magento exports them, and once more
  // with every line on a different day. api req/s = rows imported per second; p50/p99 = one upload, ms.
  ...[
    // One untimed upload first, as every load scenario has its warm-up: after a long stretch of
    // earlier load the first 100,000-line upload cost up to 0.7 workerd CPU-seconds more, in
    // every stage of both isolates (bench/README.md, "Sixth round"); it is printed, not counted.
    { rows: 10_000, uploads: 3, warmups: 1 },
    { rows: 100_000, uploads: 2, warmups: 1 },
    // Every line a different day: the worst case for sales_rows' date index (not the goal's file).
    { rows: 100_000, uploads: 2, warmups: 0, dates: "shuffled" },
  ].map((csvImport) => ({
    name:
      csvImport.dates === "shuffled"
        ? `sales CSV import, dates shuffled, ${csvImport.rows.toLocaleString("en")} rows (worst case; rows/s; ms per upload)`
        : `sales CSV import ${csvImport.rows.toLocaleString("en")} rows (rows/s; ms per upload)`,
    csvImport,
    method: "POST",
    path: "/api/v1/salesdata/uk/upload",
    targets: ["api"],
    setup: async (ctx) => ({ headers: { authorization: `Bearer ${await ctx.login()}` } }),
  })),
  // Legacy import (issue 19): MS5's database (10,000 OEE rows + the rest) through Hyperdrive into
  // D1, one full import (bench/bridge.mjs), beside COPY of the same tables into another Postgres.
  {
    name: "MS5 legacy import via Hyperdrive → D1 (rows/s; anchor: COPY into Postgres)",
    legacyImport: { oeeRows: 10_000 },
    method: "POST",
    path: "/api/v1/imports",
    targets: ["api"],
    setup: async (ctx) => ({ headers: { authorization: `Bearer ${await ctx.login()}` } }),
  },
  // --- Attendance (issue 10) -----------------------------------------------------------------
  {
    // A hardware reader's tap: API key (scoped to attendance:clock) lookup, the card → employee
    // join, then one batch that moves the employee's state (conditioned on the state read and on
    // the card still being active) and writes the event. Each request taps the next of 500 cards,
    // so taps on one card never overlap (they would be refused as simultaneous, by design).
    name: "POST /api/v1/attendance/clock-by-card (reader key, 500 cards)",
    method: "POST",
    path: "/api/v1/attendance/clock-by-card",
    headers: { "content-type": "application/json" },
    body: { card_uid: "BE0000000000" },
    targets: ["api", "bare"],
    setup: async (ctx) => {
      if (ctx.target !== "api") return {};
      const token = await ctx.login();
      await benchEmployees(ctx, BENCH_CARDS);
      const key = await fetch(`${ctx.url}/api/v1/api-keys`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ name: "bench reader", permissions: ["attendance:clock"], rate_limit_per_minute: 6000 }),
      });
      if (key.status !== 201) throw new Error(`creating the bench reader key: ${key.status} ${await key.text()}`);
      let next = 1;
      return {
        headers: { "x-api-key": (await key.json()).key },
        nextBody: () => JSON.stringify({ card_uid: benchCardUid(next++ % BENCH_CARDS) }),
      };
    },
  },
  {
    // RM365's log (canonical path since the RM365 surface took /logs for its range query): 50
    // events newest first with their employees, and the total, in one D1 batch. The minimal
    // worker (its /logs): JWT verification + the same join, no count.
    name: "GET /api/v1/attendance/events?limit=50 (the log)",
    method: "GET",
    path: "/api/v1/attendance/logs?limit=50",
    setup: async (ctx) => {
      const token = await ctx.login();
      if (ctx.target !== "bare") await benchEmployees(ctx, 100, 2_000);
      return { headers: { authorization: `Bearer ${token}` }, ...(ctx.target === "api" ? { path: "/api/v1/attendance/events?limit=50" } : {}) };
    },
  },
  // --- Production reports (issue 7 part 7) --------------------------------------------------
  // (POST /reports/production/generate is not benched: one user may hold five queued or
  // rendering reports (409 beyond), so a flood from the bench's one user measures the refusal.)
  {
    // A ready report's PDF (16 KB, about the size of a one-line weekly report) streamed from R2
    // after the job row is read.
    name: "GET /api/v1/reports/production/{id}/pdf (16 KB, ready)",
    method: "GET",
    path: "/api/v1/reports/production/bare/pdf",
    targets: ["api", "bare"],
    setup: async (ctx) => {
      const token = await ctx.login();
      if (ctx.target !== "api") return { headers: { authorization: `Bearer ${token}` } };
      const id = crypto.randomUUID();
      const key = `reports/production/${id}.pdf`;
      const pdf = new Uint8Array(16_000).fill(0x20);
      pdf.set(new TextEncoder().encode("%PDF-1.7\n"));
      await (await ctx.mf.getR2Bucket("FILES")).put(key, pdf, { httpMetadata: { contentType: "application/pdf" } });
      const db = await ctx.mf.getD1Database("DB");
      await db
        .prepare(
          "INSERT INTO production_reports (id, title, state, line_ids, start_date, end_date, group_by, requested_by, pdf_key, pdf_bytes, page_count) VALUES (?, 'bench', 'ready', '[]', '2026-11-01', '2026-11-07', 'day', 'bench', ?, ?, 2)",
        )
        .bind(id, key, pdf.byteLength)
        .run();
      return { headers: { authorization: `Bearer ${token}` }, path: `/api/v1/reports/production/${id}/pdf` };
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

/**
 * A day for every andon clock of a bench line. An andon still sets its escalation clock as any
 * other (the request does the same work), but none runs out during the bench: with MS5's
 * defaults the andon scenarios' ~1,500 high and critical andons escalated 2–5 minutes later, all
 * at once, in the middle of the parts reads (their first rounds fell to ~60 %).
 */
const BENCH_ESCALATION = {
  timeouts: Object.fromEntries(["low", "medium", "high", "critical"].map((priority) => [priority, { acknowledge: 1440, resolve: 1440 }])),
};

/** Creates a production line on the API for a scenario and returns its id. */
async function benchLine(ctx, token) {
  const res = await fetch(`${ctx.url}/api/v1/production/lines`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({
      line_code: `BENCH-${crypto.randomUUID().slice(0, 8)}`,
      name: "Bench line",
      ideal_cycle_time: 1.8,
      escalation_policy: BENCH_ESCALATION,
    }),
  });
  if (res.status !== 201) throw new Error(`creating the bench line: ${res.status} ${await res.text()}`);
  return (await res.json()).id;
}

/** Fan-out clients per user (a user may hold 20 sockets in one room). */
const FANOUT_PER_USER = 10;
/** Access tokens of the fan-out's users, per target URL: created and signed in once, reused by every N. */
const fanoutUsers = new Map();

/** `count` access tokens of distinct operators on the target (created through the API by the admin `token`). */
async function fanoutTokens(ctx, token, count) {
  const tokens = fanoutUsers.get(ctx.url) ?? [];
  fanoutUsers.set(ctx.url, tokens);
  const post = async (path, body, auth) => {
    const res = await fetch(`${ctx.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`POST ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text);
  };
  while (tokens.length < count) {
    // Ten at a time: each is two PBKDF2 hashes (create, sign in).
    const batch = Array.from({ length: Math.min(10, count - tokens.length) }, (_, j) => tokens.length + j);
    const signedIn = await Promise.all(
      batch.map(async (n) => {
        const username = `bench-fan-${n}`;
        const password = `bench-fan-password-${n}`;
        await post("/api/v1/users", { username, password, role: "operator" }, token);
        return (await post("/api/v1/auth/login", { username, password })).access_token;
      }),
    );
    tokens.push(...signedIn);
  }
  return tokens.slice(0, count);
}

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

/** An open pick session with 10 lines straight in the API's D1 (no Magento in the bench). */
async function benchPickSession(ctx) {
  const db = await ctx.mf.getD1Database("DB");
  const now = new Date().toISOString();
  await db.batch([
    db
      .prepare(
        "INSERT OR IGNORE INTO fulfillment_sessions (id, order_number, order_id, invoice_number, session_type, status, owner_id, owner_name, created_at, updated_at) VALUES ('bench-magento-session', 'BENCH-1', 1, 'BENCH-INV-1', 'pick', 'in_progress', 'bench', 'bench-admin', ?, ?)",
      )
      .bind(now, now),
    ...Array.from({ length: 10 }, (_, i) =>
      db
        .prepare(
          "INSERT OR IGNORE INTO fulfillment_items (session_id, sku, name, position, qty_ordered, qty_invoiced, qty_expected) VALUES ('bench-magento-session', ?, ?, ?, 1000000000, 1000000000, 1000000000)",
        )
        .bind(`BENCH-SKU-${i}`, `Bench item ${i}`, i),
    ),
  ]);
}

/** Inserts the bench label job (half done) straight into the target's D1. */
async function benchLabelJob(ctx) {
  const db = await ctx.mf.getD1Database("DB");
  await db
    .prepare(
      "INSERT OR IGNORE INTO label_jobs (id, status, template_id, template, item_ids, total, done, created_by, username) VALUES (?, 'processing', 'rm365', ?, '[]', 1000, 500, 'bench', 'bench-admin')",
    )
    .bind(
      BENCH_LABEL_JOB,
      JSON.stringify({
        id: "rm365",
        name: "RM365",
        page_width_mm: 103,
        page_height_mm: 200,
        label_width_mm: 69,
        label_height_mm: 27,
        columns: 1,
        rows: 7,
        margin_left_mm: 17,
        margin_top_mm: 5.5,
        gap_x_mm: 0,
        gap_y_mm: 0,
        symbology: "code128",
        fields: ["name", "sku", "line_date"],
      }),
    )
    .run();
}

const BENCH_CARDS = 500;
/** The UID of bench card n: `BE0000000000`, `BE0000000001`, … */
function benchCardUid(n) {
  return `BE${String(n).padStart(10, "0")}`;
}

/**
 * `count` employees with a card each (`benchCardUid(n)`) and, when asked, `events` clock events
 * spread over them, straight into D1 (creating them through the API would dominate the setup).
 */
async function benchEmployees(ctx, count, events = 0) {
  const db = await ctx.mf.getD1Database("DB");
  const employee = db.prepare("INSERT OR IGNORE INTO attendance_employees (id, code, name, department) VALUES (?, ?, ?, 'Bench')");
  const card = db.prepare("INSERT OR IGNORE INTO enrollment_cards (id, employee_id, uid) VALUES (?, ?, ?)");
  const statements = [];
  for (let n = 0; n < count; n++)
    statements.push(employee.bind(`bench-emp-${n}`, `BENCH-${n}`, `Bench employee ${n}`), card.bind(`bench-card-${n}`, `bench-emp-${n}`, benchCardUid(n)));
  const event = db.prepare("INSERT OR IGNORE INTO attendance_events (id, employee_id, direction, at, source, actor_name) VALUES (?, ?, ?, ?, 'card', 'bench')");
  const start = Date.UTC(2026, 0, 5, 7);
  for (let i = 0; i < events; i++) {
    statements.push(event.bind(`bench-ev-${i}`, `bench-emp-${i % count}`, i % 2 === 0 ? "in" : "out", new Date(start + i * 60_000).toISOString()));
  }
  for (let i = 0; i < statements.length; i += 500) await db.batch(statements.slice(i, i + 500));
}

/** Inserts `count` parts straight into the minimal worker's D1 (the API seeds through itself). */
async function benchPartRows(ctx, count) {
  const db = await ctx.mf.getD1Database("DB");
  const insert = db.prepare("INSERT OR IGNORE INTO parts (id, type, name, part_id, material, subsystem, notes) VALUES (?, ?, ?, ?, '6061', 'Drive', 'bench')");
  await db.batch(Array.from({ length: count }, (_, i) => insert.bind(i + 1, i % 3 === 0 ? "hand" : "cnc", `Bench part ${i}`, `B-${i}`)));
}
