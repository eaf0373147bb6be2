/**
 * The legacy bridge against a real Postgres (test/legacy-pg.setup.mjs: embedded PostgreSQL with
 * MS5's schema and 10,000 OEE rows, reached through the LEGACY_DB Hyperdrive binding's
 * localConnectionString): import, verify, change 100 source rows, re-import, exactly those 100
 * change; the imported line shows its andon history and OEE; a user signs in with their MS5
 * password.
 */
import { env } from "cloudflare:workers";
import { and, eq, sql } from "drizzle-orm";
import type { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { z } from "zod";
import { importJobs, legacyKeys, productionLines, users } from "../../src/db/schema";
import { ErrorSchema } from "../../src/lib/surface";
import { legacyClient } from "../../src/modules/bridge/postgres";
import { ImportJob, ImportVerification } from "../../src/modules/bridge/schemas";
import { call, db, loginAs, makeUser } from "../helpers";

const OEE_ROWS = 10_000;
const MS5_PASSWORD = "ms5-legacy-pass";

let pg: Client;
let admin: { token: string };

beforeAll(async () => {
  pg = legacyClient(env.LEGACY_DB.connectionString);
  await pg.connect();
  admin = await loginAs("admin");
  // The fixture's rows were last changed days apart, the latest a day ago: an incremental run
  // re-reads only the latest (within the overlap behind the watermark).
  // (Users by name: the latest is ms5_manager, so the user changed below is not the one re-read.)
  for (const [table, order] of [
    ["users", "username"],
    ["production_lines", "id"],
    ["equipment_config", "id"],
    ["production_schedules", "id"],
  ]) {
    await pg.query(
      `UPDATE factory_telemetry.${table} t SET updated_at = now() - interval '1 day' * r.n
       FROM (SELECT id, row_number() OVER (ORDER BY ${order}) AS n FROM factory_telemetry.${table}) r WHERE t.id = r.id`,
    );
  }
});
afterAll(async () => {
  await pg.end();
});

async function runImport(body: Record<string, unknown> = { source: "ms5" }) {
  const started = await call("/api/v1/imports", { token: admin.token, body, schema: ImportJob });
  expect(started.status).toBe(202);
  expect(started.json.state).toBe("queued");
  let job = started.json;
  await vi.waitUntil(
    async () => {
      job = (await call(`/api/v1/imports/${started.json.id}`, { token: admin.token, schema: ImportJob })).json;
      return job.state === "completed" || job.state === "failed";
    },
    { timeout: 180_000, interval: 250 },
  );
  expect(job.error).toBeNull();
  expect(job.state).toBe("completed");
  return job;
}

describe("MS5 import (real Postgres through Hyperdrive)", () => {
  let first: z.infer<typeof ImportJob>;

  it("imports every table, reports counts per table, and verifies", { timeout: 240_000 }, async () => {
    first = await runImport();
    const oee = first.tables.oee_calculations;
    expect(oee).toEqual({ read: OEE_ROWS, written: OEE_ROWS, updated: 0, skipped: 0, failed: 0 });
    expect(first.tables.andon_events?.written).toBe(1000);
    expect(first.tables.production_lines?.written).toBe(3);
    // The seed's jobs all resolve to imported schedules, lines and users.
    expect(first.tables.job_assignments).toMatchObject({ read: 30, written: 30, failed: 0 });
    expect(first.failure_count).toBe(0);

    const verify = await call(`/api/v1/imports/${first.id}/verify`, { token: admin.token, schema: ImportVerification });
    expect(verify.status).toBe(200);
    for (const t of verify.json.tables) expect(t, t.table).toMatchObject({ match: true });
    expect(verify.json.tables.find((t) => t.table === "oee_calculations")).toMatchObject({ source_rows: OEE_ROWS, floorline_rows: OEE_ROWS });
    expect(verify.json.match).toBe(true);
  });

  it("re-import after 100 source rows changed writes exactly those 100", { timeout: 240_000 }, async () => {
    await pg.query(
      "UPDATE factory_telemetry.oee_calculations SET good_parts = good_parts - 1 WHERE id IN (SELECT id FROM factory_telemetry.oee_calculations ORDER BY id LIMIT 100 OFFSET 5000)",
    );
    const second = await runImport();
    expect(second.tables.oee_calculations).toEqual({ read: OEE_ROWS, written: 0, updated: 100, skipped: OEE_ROWS - 100, failed: 0 });
    for (const [table, counts] of Object.entries(second.tables)) {
      if (table !== "oee_calculations") expect({ table, written: counts.written, updated: counts.updated }).toEqual({ table, written: 0, updated: 0 });
    }
    const [touched] = await db().select({ n: sql<number>`count(*)` }).from(legacyKeys).where(eq(legacyKeys.jobId, second.id));
    expect(touched?.n).toBe(100);
    // Tables with update times were read from their watermark: only the latest row of each again.
    expect(second.tables.users?.read).toBe(1);
    expect(second.tables.production_schedules?.read).toBe(1);
    // Verify still matches: D1 holds the changed values.
    const verify = await call(`/api/v1/imports/${second.id}/verify`, { token: admin.token, schema: ImportVerification });
    expect(verify.json.match).toBe(true);
  });

  it("a user changed in MS5 comes over by its update time; a bad row is reported, not dropped", { timeout: 240_000 }, async () => {
    await pg.query("UPDATE factory_telemetry.users SET department = 'Packing', updated_at = now() WHERE username = 'ms5_op1'");
    // An OEE row whose line is gone from MS5's lines cannot be mapped (its line was never imported).
    const bad = await pg.query<{ id: string }>(
      `INSERT INTO factory_telemetry.production_lines (line_code, name, equipment_codes) VALUES ('L-GONE', 'Gone', ARRAY[]::text[]) RETURNING id`,
    );
    const lineId = bad.rows[0]?.id;
    await pg.query("UPDATE factory_telemetry.production_lines SET updated_at = now() - interval '10 years' WHERE id = $1", [lineId]);
    await pg.query(
      `INSERT INTO factory_telemetry.oee_calculations (line_id, equipment_code, calculation_time, availability, performance, quality, oee, good_parts, total_parts)
       VALUES ($1, 'X', now(), 1, 1, 1, 1, 1, 1)`,
      [lineId],
    );
    // A new MS5 user whose name is already taken in Floorline: D1 refuses the row (unique name);
    // the rest of its page still lands.
    await makeUser("viewer", { username: "ms5_clash" });
    await pg.query(
      `INSERT INTO factory_telemetry.users (username, email, password_hash, role) VALUES ('ms5_clash', 'clash@ms5.local', '$2b$04$abcdefghijklmnopqrstuu0123456789012345678901234567890', 'viewer'),
              ('ms5_new', 'new@ms5.local', '$2b$04$abcdefghijklmnopqrstuu0123456789012345678901234567890', 'quality')`,
    );
    const third = await runImport();
    // The changed user, the one at the last watermark (re-read in the overlap, unchanged), two new.
    expect(third.tables.users).toEqual({ read: 4, written: 1, updated: 1, skipped: 1, failed: 1 });
    expect(third.tables.oee_calculations).toMatchObject({ written: 0, failed: 1 });
    expect(third.failure_count).toBe(2);
    expect(third.failures).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ table: "oee_calculations", reason: expect.stringContaining("was not imported") }),
        expect.objectContaining({ table: "users", reason: expect.stringMatching(/D1 refused the row: .*UNIQUE/) }),
      ]),
    );
    const verify = await call(`/api/v1/imports/${third.id}/verify`, { token: admin.token, schema: ImportVerification });
    // An incremental run verifies what it read: the refused user is named. The line whose update
    // time lies before the watermark is outside what the run read (the import cannot see it either).
    expect(verify.json.tables.filter((t) => !t.match).map((t) => t.table)).toEqual(["users"]);
    expect(verify.json.tables.find((t) => t.table === "production_lines")).toMatchObject({ scope: "changed", match: true });
    // A full run reads and verifies every row: the line comes over, and then its OEE row; only the refused user is left.
    const full = await runImport({ source: "ms5", mode: "full" });
    expect(full.tables.production_lines).toMatchObject({ written: 1, failed: 0 });
    expect(full.tables.oee_calculations).toMatchObject({ read: OEE_ROWS + 1, written: 1, failed: 0 });
    // (Read from D1: the route counts against the admin's imports budget.)
    const [fullJob] = await db().select().from(importJobs).where(eq(importJobs.id, full.id));
    expect(new Set(fullJob?.verification?.map((t) => t.scope))).toEqual(new Set(["all"]));
    expect(fullJob?.verification?.filter((t) => !t.match).map((t) => t.table)).toEqual(["users"]);
    const [row] = await db()
      .select()
      .from(legacyKeys)
      .where(and(eq(legacyKeys.legacySource, "ms5"), eq(legacyKeys.legacyTable, "users")));
    expect(row).toBeDefined();
  });

  it("an imported line shows its andon history and OEE; an MS5 user signs in with their MS5 password", async () => {
    const [line] = await db().select().from(productionLines).where(eq(productionLines.lineCode, "L-DEMO1"));
    expect(line).toBeDefined();
    const manager = await loginAs("production_manager");
    const andons = await call(`/api/v1/andon/events?line_id=${line?.id}&limit=5`, { token: manager.token });
    expect(andons.status, JSON.stringify(andons.json)).toBe(200);
    expect(Number(andons.res.headers.get("x-total-count"))).toBeGreaterThan(300);
    const oee = await call(`/api/v1/oee/lines/${line?.id}?limit=5`, { token: manager.token });
    expect(oee.status).toBe(200);
    expect(Number(oee.res.headers.get("x-total-count"))).toBeGreaterThan(3000);

    const login = await call("/api/v1/auth/login", { body: { username: "ms5_op1", password: MS5_PASSWORD } });
    expect(login.status).toBe(200);
    const wrong = await call("/api/v1/auth/login", { body: { username: "ms5_op1", password: "not-it" } });
    expect(wrong.status).toBe(401);
  });

  it("refuses a second import of a source while one is active, and non-admins entirely", async () => {
    const operator = await loginAs("operator");
    const denied = await call("/api/v1/imports", { token: operator.token, body: { source: "ms5" }, schema: ErrorSchema });
    expect(denied.status).toBe(403);
    const bad = await call("/api/v1/imports", { token: admin.token, body: { source: "oracle" }, schema: ErrorSchema });
    expect(bad.status).toBe(422);
    // One import per source: a second one while another is queued or running is refused.
    const active = crypto.randomUUID();
    await db()
      .insert(importJobs)
      .values({ id: active, source: "ms5", state: "running", input: {}, report: {}, failures: [], createdBy: "test", username: "test" });
    const busy = await call("/api/v1/imports", { token: admin.token, body: { source: "ms5" }, schema: ErrorSchema });
    expect(busy.status).toBe(409);
    await db().delete(importJobs).where(eq(importJobs.id, active));
    const sneaky = await call("/api/v1/imports", { token: admin.token, body: { source: "ms5", file_key: "../../secrets" }, schema: ErrorSchema });
    expect(sneaky.status).toBe(422);
  });
  it("a run whose worker died is re-queued by its lease and resumes at its cursor", { timeout: 240_000 }, async () => {
    // A job left running by a killed isolate: half-way through andon_events, heartbeat long gone.
    const { rows } = await pg.query<{ id: string }>("SELECT id::text AS id FROM factory_telemetry.andon_events ORDER BY id LIMIT 1 OFFSET 599");
    const after = rows[0]?.id as string;
    const id = crypto.randomUUID();
    const earlier = { read: 7, written: 7, updated: 0, skipped: 0, failed: 0 };
    await db()
      .insert(importJobs)
      .values({
        id,
        source: "ms5",
        state: "running",
        mode: "full",
        input: { mode: "full" },
        report: { users: earlier, andon_events: { read: 600, written: 0, updated: 0, skipped: 600, failed: 0 } },
        failures: [],
        cursor: { table: "andon_events", after, since: null, high: null },
        attempts: 1,
        heartbeatAt: "2020-01-01T00:00:00.000Z",
        createdBy: "test",
        username: "test",
      });
    // Reading it reaps it: re-queued (attempt 2 of 3), and the queue runs it again.
    const read = await call(`/api/v1/imports/${id}`, { token: admin.token, schema: ImportJob });
    expect(read.json.state).toBe("queued");
    let job = read.json;
    await vi.waitUntil(
      async () => {
        job = (await call(`/api/v1/imports/${id}`, { token: admin.token, schema: ImportJob })).json;
        return job.state === "completed" || job.state === "failed";
      },
      { timeout: 180_000, interval: 250 },
    );
    expect(job.state).toBe("completed");
    // Tables before the cursor were not read again; andon_events went on after the cursor.
    expect(job.tables.users).toEqual(earlier);
    expect(job.tables.production_lines).toBeUndefined();
    expect(job.tables.andon_events).toEqual({ read: 1000, written: 0, updated: 0, skipped: 1000, failed: 0 });
    expect(job.tables.oee_calculations?.read).toBe(OEE_ROWS + 1);
    expect(job.attempts).toBe(2);
  });

  it("a re-import refreshes an imported user's profile but never their password, role or activation as Floorline set them", { timeout: 240_000 }, async () => {
    const [before] = await db().select().from(users).where(eq(users.username, "ms5_op1"));
    expect(before).toBeDefined();
    // In Floorline: demoted, deactivated, a new password. In MS5 meanwhile: a login and a new department.
    await db().update(users).set({ role: "viewer", isActive: false, passwordHash: "floorline-set" }).where(eq(users.username, "ms5_op1"));
    await pg.query(
      "UPDATE factory_telemetry.users SET department = 'Shipping', role = 'admin', is_active = true, last_login = now(), updated_at = now() WHERE username = 'ms5_op1'",
    );
    admin = await loginAs("admin"); // another admin: the imports budget is per user
    const again = await runImport();
    expect(again.tables.users?.updated).toBeGreaterThanOrEqual(1);
    const [after] = await db().select().from(users).where(eq(users.username, "ms5_op1"));
    expect(after).toMatchObject({ department: "Shipping", role: "viewer", isActive: false, passwordHash: "floorline-set" });
  });
});
