// Legacy import (issue 19): MS5 rows per second through Hyperdrive into D1, beside an anchor in
// the same run: the same tables moved between two Postgres servers on this machine with COPY.
//
// The API and the import worker (deploy bundles in one Miniflare; the import worker consumes the
// API's import queue: bench/workers.mjs importWorker) read the embedded legacy Postgres on 54329 (wrangler.toml's localConnectionString), reloaded with
// `oeeRows` OEE rows; one import is started with POST /api/v1/imports and followed until it
// completes. Anchor: `COPY <table> TO '<file>'` on that server, then `COPY <table> FROM '<file>'`
// into a second embedded Postgres (54330, LEGACY_PG_ANCHOR_PORT) holding the same schema, table by
// table: what `pg_dump | psql` of the same rows does, minus the dump's SQL text.
//   rps      rows imported per second (Σ rows read ÷ import time)
//   p50/p99  the import's time, ms (one import)
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

export async function legacyImport({ url, headers, oeeRows }) {
  const legacy = await startLegacyPostgres();
  const anchorServer = await startLegacyPostgres({ port: Number(process.env.LEGACY_PG_ANCHOR_PORT ?? 54330) });
  try {
    const ms5 = await legacy.ensureDatabase("ms5");
    await resetMs5(ms5, { oeeRows, andonRows: 1_000 });
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
    };
  } finally {
    await anchorServer.stop();
    await legacy.stop();
  }
}
