// Legacy import (issue 19): MS5 rows per second through Hyperdrive into D1, beside an anchor in
// the same run: the same tables moved between two Postgres servers on this machine with COPY.
//
// The API and the import worker (deploy bundles in one Miniflare; the import worker consumes the
// API's import queue: bench/workers.mjs importWorker) read the embedded legacy Postgres on
// LEGACY_PG_PORT (default 54329, wrangler.toml's localConnectionString; bench/workers.mjs moves
// the Hyperdrive bindings with it), reloaded with
// `oeeRows` OEE rows; one import is started with POST /api/v1/imports and followed until it
// completes. Anchor: `COPY <table> TO '<file>'` on that server, then `COPY <table> FROM '<file>'`
// into a second embedded Postgres (54330, LEGACY_PG_ANCHOR_PORT) holding the same schema, table by
// table: what `pg_dump | psql` of the same rows does, minus the dump's SQL text.
//   rps      rows imported per second (Σ rows read ÷ import time)
//   p50/p99  the import's time, ms (one import)
//
// Alone: `node bench/bridge.mjs` bundles and serves the API itself (as run.mjs does, without the
// other workers and scenarios), runs the import, then a second full import of the unchanged
// database (every row read, mapped, hashed and skipped), and prints both beside the anchor.
// BENCH_BRIDGE_OEE_ROWS (default 10000) sizes the OEE table.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { connectionString, resetMs5, startLegacyPostgres } from "../scripts/legacy-pg.mjs";

const TABLES = [
  "users",
  "production_lines",
  "equipment_config",
  "product_types",
  "production_schedules",
  "job_assignments",
  "andon_events",
  "oee_calculations",
];

async function query(url, text) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

/** Moves MS5's tables from `fromUrl` to `toUrl` with server-side COPY; returns { rows, ms }. */
async function copyAnchor(fromUrl, toUrl) {
  await resetMs5(toUrl, { oeeRows: 0, andonRows: 0 });
  await query(toUrl, `TRUNCATE ${TABLES.map((t) => `factory_telemetry.${t}`).join(", ")} CASCADE`);
  const started = performance.now();
  let rows = 0;
  for (const table of TABLES) {
    const file = join(tmpdir(), `floorline-bench-copy-${table}.bin`);
    rmSync(file, { force: true });
    const out = await query(fromUrl, `COPY factory_telemetry.${table} TO '${file}' WITH (FORMAT binary)`);
    await query(toUrl, `COPY factory_telemetry.${table} FROM '${file}' WITH (FORMAT binary)`);
    rows += out.rowCount ?? 0;
    rmSync(file, { force: true });
  }
  return { rows, ms: performance.now() - started };
}

/** Starts one full MS5 import and follows it to its end; returns { job, ms }. */
async function importOnce(url, headers) {
  const started = performance.now();
  const res = await fetch(`${url}/api/v1/imports`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify({ source: "ms5", mode: "full" }),
  });
  const body = await res.text();
  if (res.status !== 202) throw new Error(`POST /api/v1/imports answered ${res.status}: ${body.slice(0, 300)}`);
  const { id } = JSON.parse(body);
  let job;
  for (;;) {
    job = await (await fetch(`${url}/api/v1/imports/${id}`, { headers })).json();
    if (job.state === "completed" || job.state === "failed") break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const ms = performance.now() - started;
  if (job.state !== "completed" || job.failure_count > 0) throw new Error(`import ${job.state}: ${job.error ?? `${job.failure_count} failures`}`);
  return { job, ms };
}

export async function legacyImport({ url, headers, oeeRows, reimport = false }) {
  const legacy = await startLegacyPostgres();
  const anchorServer = await startLegacyPostgres({ port: Number(process.env.LEGACY_PG_ANCHOR_PORT ?? 54330) });
  try {
    const ms5 = await legacy.ensureDatabase("ms5");
    await resetMs5(ms5, { oeeRows, andonRows: 1_000 });
    const { job, ms } = await importOnce(url, headers);
    // Alone (below): the same import again over the unchanged database, every row skipped.
    const again = reimport ? await importOnce(url, headers) : null;
    if (again && again.job.totals.skipped !== again.job.totals.read) throw new Error(`re-import wrote rows: ${JSON.stringify(again.job.totals)}`);
    const anchor = await copyAnchor(ms5, await anchorServer.ensureDatabase("ms5_copy"));
    const rps = job.totals.read / (ms / 1000);
    return {
      rps,
      p50: ms,
      p99: ms,
      requests: 1,
      duration: ms / 1000,
      statusCodes: { 202: 1 },
      non2xx: 0,
      errors: 0,
      timeouts: 0,
      rows: job.totals.read,
      anchor: { rows: anchor.rows, ms: anchor.ms, rps: anchor.rows / (anchor.ms / 1000), target: connectionString(anchorServer.port, "ms5_copy") },
      reimport: again && { rows: again.job.totals.read, ms: again.ms, rps: again.job.totals.read / (again.ms / 1000) },
    };
  } finally {
    await anchorServer.stop();
    await legacy.stop();
  }
}

/** `node bench/bridge.mjs`: the API alone in Miniflare, one import and one unchanged re-import, beside COPY. */
async function alone() {
  const { apiBindings, applyMigrations, bundle, insertUser, readApiConfig, root, serve, userRow } = await import("./workers.mjs");
  const { BENCH_USER } = await import("./scenarios.mjs");
  const oeeRows = Number(process.env.BENCH_BRIDGE_OEE_ROWS ?? 10_000);
  const tmp = mkdtempSync(join(tmpdir(), "floorline-bench-bridge-"));
  let server;
  try {
    const config = readApiConfig();
    console.log("• bundling the API with `wrangler deploy --dry-run` …");
    const built = bundle(join(root, "wrangler.toml"), join(tmp, "api"));
    const vars = { JWT_SECRET: "bench-only-jwt-secret-0123456789abcdef-0123456789", ENVIRONMENT: "production", LOGIN_RATE_LIMIT_PER_USERNAME: "100000000" };
    const { env, exports, triggers } = apiBindings(config, config.name, vars);
    server = await serve({
      name: config.name,
      bundle: built,
      env,
      exports,
      triggers,
      compatibilityDate: config.compatibility_date,
      compatibilityFlags: config.compatibility_flags ?? [],
      stateDir: join(tmp, "state"),
    });
    await applyMigrations(server.mf, "DB", join(root, "migrations"));
    await insertUser(server.mf, "DB", userRow(BENCH_USER));
    const res = await fetch(`${server.url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: BENCH_USER.username, password: BENCH_USER.password }),
    });
    if (!res.ok) throw new Error(`login answered ${res.status}`);
    const { access_token: token } = await res.json();
    console.log(`• MS5 with ${oeeRows} OEE rows on 127.0.0.1:${process.env.LEGACY_PG_PORT ?? 54329}: importing …`);
    const run = await legacyImport({ url: server.url, headers: { authorization: `Bearer ${token}` }, oeeRows, reimport: true });
    const line = (what, r) => `  ${what.padEnd(34)} ${r.rps.toFixed(0).padStart(7)} rows/s (${r.rows} rows in ${(r.ms / 1000).toFixed(2)} s)`;
    console.log(line("import (Hyperdrive → D1)", { ...run, ms: run.p50 }));
    console.log(line("re-import, nothing changed", run.reimport));
    console.log(line("anchor: COPY Postgres → Postgres", run.anchor));
    console.log(`  import ÷ COPY = ${(run.rps / run.anchor.rps).toFixed(2)}×`);
  } finally {
    await server?.mf.dispose();
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  alone().then(
    () => process.exit(0),
    (error) => {
      console.error(`✗ ${error instanceof Error ? (error.stack ?? error.message) : error}`);
      process.exit(1);
    },
  );
}
