/**
 * RM365's importer against a real Postgres (test/legacy-pg.setup.mjs: embedded PostgreSQL with
 * RM365's tables as test/fixtures/legacy/rm365-schema.sql declares them and 10,000 clock events,
 * reached through the LEGACY_RM365_DB Hyperdrive binding's localConnectionString): import,
 * verify, change 100 source rows, re-import, exactly those 100 change; an RM365 user signs in
 * with their RM365 password; an imported employee's clock history shows through RM365's
 * attendance routes.
 */
import { env } from "cloudflare:workers";
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { createDb } from "../../src/db/client";
import { attendanceEmployees, attendanceEvents, enrollmentCards, enrollmentFingerprints, importJobs, legacyKeys, users } from "../../src/db/schema";
import { legacyClient } from "../../src/modules/bridge/postgres";
import { rm365Source, tabsOf } from "../../src/modules/bridge/rm365";
import { countQueries, D1_QUERY_BUDGET, runImport as runJob } from "../../src/modules/bridge/runner";
import { ImportJob, ImportVerification } from "../../src/modules/bridge/schemas";
import type { AnyTableSpec, LegacyRow, LegacySource } from "../../src/modules/bridge/source";
import { call, db, loginAs } from "../helpers";

const LOG_ROWS = 10_000;
const EMPLOYEES = 50;
const RM365_PASSWORD = "rm365-legacy-pass";

let pg: Client;
let admin: { token: string };

beforeAll(async () => {
  pg = legacyClient(env.LEGACY_RM365_DB.connectionString);
  await pg.connect();
  admin = await loginAs("admin");
});
afterAll(async () => {
  await pg.end();
});

async function runImport(body: Record<string, unknown> = { source: "rm365" }) {
  const started = await call("/api/v1/imports", { token: admin.token, body, schema: ImportJob });
  expect(started.status).toBe(202);
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

describe("RM365 import (real Postgres through Hyperdrive)", () => {
  let first: z.infer<typeof ImportJob>;

  it("imports users, employees, cards, fingerprints and clock events, and verifies", { timeout: 240_000 }, async () => {
    first = await runImport();
    expect(first.tables.login_users).toEqual({ read: 3, written: 3, updated: 0, skipped: 0, failed: 0 });
    expect(first.tables.employees).toMatchObject({ read: EMPLOYEES, written: EMPLOYEES, failed: 0 });
    // Every third employee has an NFC card, every fifth a fingerprint.
    expect(first.tables.employee_cards).toMatchObject({ read: 16, written: 16, failed: 0 });
    expect(first.tables.employee_fingerprints).toMatchObject({ read: 10, written: 10, failed: 0 });
    expect(first.tables.attendance_logs).toEqual({ read: LOG_ROWS, written: LOG_ROWS, updated: 0, skipped: 0, failed: 0 });
    expect(first.failure_count).toBe(0);

    const verify = await call(`/api/v1/imports/${first.id}/verify`, { token: admin.token, schema: ImportVerification });
    expect(verify.status).toBe(200);
    for (const t of verify.json.tables) expect(t, t.table).toMatchObject({ match: true });
    expect(verify.json.tables.find((t) => t.table === "attendance_logs")).toMatchObject({ source_rows: LOG_ROWS, floorline_rows: LOG_ROWS });
    expect(verify.json.match).toBe(true);

    // Each 'in' is closed by the 'out' after it (every employee's history alternates and ends on
    // an 'out'); each employee's clock state is their latest event.
    const [open] = await db()
      .select({ n: sql<number>`count(*)` })
      .from(attendanceEvents)
      .where(and(eq(attendanceEvents.direction, "in"), isNull(attendanceEvents.closedBy)));
    expect(open?.n).toBe(0);
    const [paired] = await db()
      .select({ n: sql<number>`count(*)` })
      .from(attendanceEvents)
      .innerJoin(sql`attendance_events AS o`, sql`o.id = ${attendanceEvents.closedBy}`)
      .where(sql`o.direction = 'out' AND o.employee_id = ${attendanceEvents.employeeId} AND o.at > ${attendanceEvents.at}`);
    expect(paired?.n).toBe(LOG_ROWS / 2);
    const staff = await db().select().from(attendanceEmployees);
    expect(staff).toHaveLength(EMPLOYEES);
    for (const e of staff) expect({ state: e.clockState, last: e.lastEventId !== null }).toEqual({ state: "out", last: true });
    const tenth = staff.find((e) => e.code === "RM-0010");
    expect(tenth).toMatchObject({ name: "Employee 010", department: "FR", active: false });
    const [card] = await db()
      .select()
      .from(enrollmentCards)
      .where(eq(enrollmentCards.employeeId, staff.find((e) => e.code === "RM-0003")?.id ?? ""));
    expect(card?.uid).toBe((3735928559 + 3).toString(16).toUpperCase());
    const [print] = await db()
      .select()
      .from(enrollmentFingerprints)
      .where(eq(enrollmentFingerprints.employeeId, tenth?.id ?? ""));
    expect(print?.templateHash).toMatch(/^[0-9a-f]{64}$/);
    const [clerk] = await db().select().from(users).where(eq(users.username, "rm_clerk"));
    expect(clerk).toMatchObject({ role: "viewer", allowedTabs: ["attendance.overview", "attendance.logs"] });
    expect(clerk?.passwordHash).toMatch(/^\$2b\$/);
  });

  it("re-import after 100 source rows changed writes exactly those 100", { timeout: 240_000 }, async () => {
    await pg.query(
      "UPDATE attendance_logs SET log_time = log_time + interval '30 seconds' WHERE id IN (SELECT id FROM attendance_logs ORDER BY id LIMIT 100 OFFSET 5000)",
    );
    const second = await runImport();
    expect(second.tables.attendance_logs).toEqual({ read: LOG_ROWS, written: 0, updated: 100, skipped: LOG_ROWS - 100, failed: 0 });
    for (const [table, counts] of Object.entries(second.tables)) {
      if (table !== "attendance_logs") expect({ table, written: counts.written, updated: counts.updated }).toEqual({ table, written: 0, updated: 0 });
    }
    const [touched] = await db().select({ n: sql<number>`count(*)` }).from(legacyKeys).where(eq(legacyKeys.jobId, second.id));
    expect(touched?.n).toBe(100);
    const verify = await call(`/api/v1/imports/${second.id}/verify`, { token: admin.token, schema: ImportVerification });
    expect(verify.json.match).toBe(true);
  });

  it("a new clock-out in RM365 closes the imported clock-in and moves the clock state", { timeout: 240_000 }, async () => {
    await pg.query(
      `INSERT INTO attendance_logs (employee_id, log_time, direction)
       SELECT id, timestamp '2026-03-01 08:00', 'in' FROM employees WHERE employee_code = 'RM-0001'
       UNION ALL SELECT id, timestamp '2026-03-01 16:30', 'out' FROM employees WHERE employee_code = 'RM-0001'`,
    );
    // RM365 stored the plant's wall clock (`datetime.now()`, no zone): summer times are BST.
    await pg.query(
      `INSERT INTO attendance_logs (employee_id, log_time, direction)
       SELECT id, timestamp '2026-07-01 09:00', 'in' FROM employees WHERE employee_code = 'RM-0004'
       UNION ALL SELECT id, timestamp '2026-07-01 17:00', 'out' FROM employees WHERE employee_code = 'RM-0004'`,
    );
    await pg.query(
      "UPDATE employees SET nfc_uid = NULL WHERE employee_code = 'RM-0002'; UPDATE employees SET nfc_uid = 'ab:cd:ef:01' WHERE employee_code = 'RM-0002'",
    );
    // A bad row is reported with its key, not dropped (in the same run).
    await pg.query("INSERT INTO employees (name, employee_code, nfc_uid) VALUES ('Bad Card', 'RM-BAD', 'not-a-uid!')");
    const third = await runImport();
    // The four new events, and each employee's previous latest 'out' (no longer the latest).
    expect(third.tables.attendance_logs).toMatchObject({ read: LOG_ROWS + 4, written: 4, updated: 2, failed: 0 });
    const [four] = await db().select().from(attendanceEmployees).where(eq(attendanceEmployees.code, "RM-0004"));
    expect(four).toMatchObject({ clockState: "out", clockSince: "2026-07-01T16:00:00.000Z" });
    expect(third.tables.employee_cards).toMatchObject({ read: 18, written: 1, failed: 1 });
    expect(third.failures).toEqual([expect.objectContaining({ table: "employee_cards", reason: expect.stringContaining("nfc_uid") })]);
    const [one] = await db().select().from(attendanceEmployees).where(eq(attendanceEmployees.code, "RM-0001"));
    expect(one).toMatchObject({ clockState: "out", clockSince: "2026-03-01T16:30:00.000Z" });
    const events = await db()
      .select()
      .from(attendanceEvents)
      .where(and(eq(attendanceEvents.employeeId, one?.id ?? ""), sql`${attendanceEvents.at} >= '2026-03-01'`));
    const clockIn = events.find((e) => e.direction === "in");
    const clockOut = events.find((e) => e.direction === "out");
    expect(clockIn?.closedBy).toBe(clockOut?.id);
    expect(one?.lastEventId).toBe(clockOut?.id);
  });

  it("an RM365 user signs in with their RM365 password; an imported employee's history shows through RM365's attendance routes", async () => {
    const login = await call("/api/v1/auth/login", { body: { username: "rm_clerk", password: RM365_PASSWORD } });
    expect(login.status).toBe(200);
    const wrong = await call("/api/v1/auth/login", { body: { username: "rm_clerk", password: "not-it" } });
    expect(wrong.status).toBe(401);

    const logs = await call("/api/v1/attendance/logs?from_date=2026-01-05&to_date=2026-01-06&search=Employee%20001", {
      token: admin.token,
      schema: z.array(z.object({ employee: z.string(), date: z.string(), time: z.string(), direction: z.string() })),
    });
    expect(logs.status, JSON.stringify(logs.json)).toBe(200);
    expect(logs.json.length).toBeGreaterThanOrEqual(6);
    expect(new Set(logs.json.map((l) => l.employee))).toEqual(new Set(["Employee 001"]));
    expect(new Set(logs.json.map((l) => l.direction))).toEqual(new Set(["in", "out"]));
    // Work hours pair each clock-in with its clock-out: the import linked them.
    const hours = await call("/api/v1/attendance/work-hours?from_date=2026-01-05&to_date=2026-01-06&name_search=Employee%20001", {
      token: admin.token,
      schema: z.array(z.object({ employee: z.string(), date: z.string(), hours_worked: z.number() })),
    });
    expect(hours.status, JSON.stringify(hours.json)).toBe(200);
    expect(hours.json.length).toBeGreaterThan(0);
    expect(hours.json.every((h) => h.employee === "Employee 001" && h.hours_worked > 0)).toBe(true);

    // The employee's RM365 card clocks them in Floorline, from the state the import left (out).
    const uid = (3735928559 + 3).toString(16).toUpperCase();
    const clock = await call("/api/v1/attendance/clock-by-card", { token: admin.token, body: { card_uid: uid.toLowerCase() } });
    expect(clock.status, JSON.stringify(clock.json)).toBe(200);
    const [three] = await db().select().from(attendanceEmployees).where(eq(attendanceEmployees.code, "RM-0003"));
    expect(three?.clockState).toBe("in");
  });

  it("reads RM365's comma-separated tabs", () => {
    expect(tabsOf(" attendance , labels.history,,attendance")).toEqual(["attendance", "labels.history"]);
    expect(tabsOf("")).toBeNull();
    expect(tabsOf(null)).toBeNull();
    expect(() => tabsOf("attendance,<script>")).toThrow(/not a tab name/);
  });
});

/** RM365's employees and clock events read from memory (keys compare as integers). */
function memoryRm365(tables: Record<string, LegacyRow[]>): LegacySource {
  const spec = (name: string) => rm365Source.tables.find((t) => t.read.name === name) as AnyTableSpec;
  return {
    name: "rm365",
    tables: [spec("employees"), spec("attendance_logs")],
    open: async () => ({
      async page(read, after, limit) {
        const rows = [...(tables[read.name] ?? [])].sort((a, b) => Number(a[read.key]) - Number(b[read.key]));
        return rows.filter((r) => after === null || Number(r[read.key]) > Number(after)).slice(0, limit);
      },
      async count(read) {
        return tables[read.name]?.length ?? 0;
      },
      async close() {},
    }),
  };
}

/**
 * `d1`, recording each batch's statement count; a batch whose SQL names `refuse` (a legacy id as
 * an SQL literal) fails, as D1 fails a batch with a row it refuses.
 */
function recordingD1(d1: D1Database, refuse?: string) {
  const batches: number[] = [];
  const sqlOf = new WeakMap<D1PreparedStatement, string>();
  const wrapped = {
    prepare(query: string) {
      const stmt = d1.prepare(query);
      sqlOf.set(stmt, query);
      const bind = stmt.bind.bind(stmt);
      stmt.bind = (...values: unknown[]) => {
        const bound = bind(...values);
        sqlOf.set(bound, query);
        return bound;
      };
      return stmt;
    },
    batch(statements: D1PreparedStatement[]) {
      batches.push(statements.length);
      if (refuse && statements.some((st) => sqlOf.get(st)?.includes(`'${refuse}'`)))
        return Promise.reject(new Error("D1_ERROR: CHECK constraint failed: refused for the test: SQLITE_CONSTRAINT"));
      return d1.batch(statements);
    },
    exec: (query: string) => d1.exec(query),
    withSession: () => {
      throw new Error("not used by the runner");
    },
    dump: () => d1.dump(),
  };
  return { d1: wrapped as unknown as D1Database, batches };
}

describe("RM365 clock events: a page in a few statements", () => {
  const EMP = [9101, 9102];
  /** 1,000 events (two pages), each employee's alternating in/out, each with its neighbours. */
  function history(): LegacyRow[] {
    const rows: LegacyRow[] = [];
    for (const [e, emp] of EMP.entries()) {
      for (let n = 0; n < 500; n++) {
        const id = 900_000 + n * EMP.length + e;
        const dir = (i: number) => (i % 2 === 0 ? "in" : "out");
        rows.push({
          id,
          employee_id: emp,
          log_time: new Date(Date.UTC(2025, 0, 1) + n * 3_600_000),
          direction: dir(n),
          next_id: n < 499 ? id + EMP.length : null,
          next_direction: n < 499 ? dir(n + 1) : null,
          prev_id: n > 0 ? id - EMP.length : null,
          prev_direction: n > 0 ? dir(n - 1) : null,
        });
      }
    }
    return rows;
  }
  const employees = EMP.map((id) => ({ id, name: `Memory ${id}`, employee_code: `MEM-${id}`, location: null, status: null }));

  async function run(source: LegacySource, d1: D1Database) {
    const id = crypto.randomUUID();
    await db()
      .insert(importJobs)
      .values({ id, source: "rm365", mode: "full", input: { mode: "full" }, report: {}, failures: [], createdBy: "test", username: "test" });
    const queries = { spent: 0, budget: D1_QUERY_BUDGET };
    const deps = {
      db: createDb(countQueries(d1, queries)),
      queries,
      queue: env.IMPORT_QUEUE,
      files: env.FILES,
      hyperdrive: () => env.LEGACY_DB,
      plantTimeZone: () => "UTC",
      now: () => new Date(),
    };
    const outcome = await runJob(deps, { get: () => source }, id);
    const [job] = await db().select().from(importJobs).where(eq(importJobs.id, id));
    return { outcome, job: job as typeof importJobs.$inferSelect, spent: queries.spent };
  }

  const eventsOf = async (code: string) => {
    const [emp] = await db().select().from(attendanceEmployees).where(eq(attendanceEmployees.code, code));
    const events = await db()
      .select()
      .from(attendanceEvents)
      .where(eq(attendanceEvents.employeeId, emp?.id ?? ""))
      .orderBy(attendanceEvents.at);
    return { emp, events };
  };

  it("a page of 500 events is one write batch of a few statements: 1,000 in one delivery, pairs linked, clock states set", async () => {
    const rows = history();
    const { d1, batches } = recordingD1(env.DB);
    const { outcome, job, spent } = await run(memoryRm365({ employees, attendance_logs: rows }), d1);
    expect(outcome).toBe("completed");
    expect(job.report.attendance_logs).toEqual({ read: 1000, written: 1000, updated: 0, skipped: 0, failed: 0 });
    // Row by row (the event, its pair's link, its legacy key) a page was 1,500 statements and more.
    expect(Math.max(...batches)).toBeLessThanOrEqual(10);
    expect(spent).toBeLessThan(100);
    for (const code of ["MEM-9101", "MEM-9102"]) {
      const { emp, events } = await eventsOf(code);
      expect(events).toHaveLength(500);
      // Each 'in' closed by the 'out' after it; the last event ('out') sets the state.
      for (let i = 0; i < events.length; i += 2) expect(events[i]?.closedBy).toBe(events[i + 1]?.id);
      expect(emp).toMatchObject({ clockState: "out", clockSince: events[499]?.at, lastEventId: events[499]?.id });
    }
    // Again: nothing changed, nothing written.
    const again = await run(memoryRm365({ employees, attendance_logs: rows }), env.DB);
    expect(again.job.report.attendance_logs).toEqual({ read: 1000, written: 0, updated: 0, skipped: 1000, failed: 0 });
  });

  it("a row D1 refuses in a page is found by halving the page and reported once; the rest land, linked", async () => {
    const rows = history().map((r) => ({
      ...r,
      id: Number(r.id) + 10_000,
      next_id: r.next_id === null ? null : Number(r.next_id) + 10_000,
      prev_id: r.prev_id === null ? null : Number(r.prev_id) + 10_000,
    }));
    const moved = employees.map((e) => ({ ...e, id: e.id + 100, employee_code: `${e.employee_code}-B` }));
    for (const r of rows as Record<string, unknown>[]) r.employee_id = Number(r.employee_id) + 100;
    // 910_200: employee 9201's clock-in n=100 (its 'out' is 910_202).
    const { d1, batches } = recordingD1(env.DB, "910200");
    const { outcome, job } = await run(memoryRm365({ employees: moved, attendance_logs: rows }), d1);
    expect(outcome).toBe("completed");
    expect(job.report.attendance_logs).toEqual({ read: 1000, written: 999, updated: 0, skipped: 0, failed: 1 });
    expect(job.failures).toEqual([{ table: "attendance_logs", legacy_id: "910200", reason: expect.stringContaining("refused for the test") }]);
    // Halves, not row by row: about 2·log2(500) batches more than the page's one.
    expect(batches.length).toBeLessThan(60);
    const { events } = await eventsOf("MEM-9101-B");
    expect(events).toHaveLength(499);
    expect(events.filter((e) => e.direction === "in" && e.closedBy === null)).toHaveLength(0);
  });
});
