/**
 * The bridge's write path (src/modules/bridge/runner.ts) with MS5's table specs over an
 * in-memory legacy reader, so every D1 call can be counted: a page of rows and their legacy keys
 * is a few multi-row statements in one batch with the job's progress (not a statement per row
 * and per key), within D1's limits; literals write exactly what bound parameters write; a page
 * D1 refuses is retried row by row; the lease check comes before a page's write.
 * (test/bridge/ms5.test.ts covers the same path end to end through Hyperdrive and the queue.)
 */
import { env } from "cloudflare:workers";
import { and, desc, eq, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { beforeEach, describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { importJobs, legacyKeys, legacyWatermarks, oeeCalculations, productionLines } from "../../src/db/schema";
import { ExportFileError } from "../../src/modules/bridge/ccbackend/reader";
import { ms5Source } from "../../src/modules/bridge/ms5";
import { countQueries, D1_QUERY_BUDGET, MAX_STATEMENT_BYTES, runImport, upsertStatements } from "../../src/modules/bridge/runner";
import type { AnyTableSpec, LegacyRow, LegacySource, TableRead } from "../../src/modules/bridge/source";
import { sqlLiteral } from "../../src/modules/bridge/values";
import { db } from "../helpers";

/** D1 as the runner sees it, recording each call: a batch (its statements' SQL) or one statement. */
function countingD1(d1: D1Database) {
  const calls: string[][] = [];
  const sqlOf = new WeakMap<D1PreparedStatement, string>();
  const track = (stmt: D1PreparedStatement, text: string): D1PreparedStatement => {
    sqlOf.set(stmt, text);
    const methods = stmt as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const name of ["all", "run", "raw", "first"]) {
      const original = methods[name]?.bind(stmt);
      if (!original) continue;
      methods[name] = (...args: unknown[]) => {
        calls.push([text]);
        return original(...args);
      };
    }
    const bind = stmt.bind.bind(stmt);
    stmt.bind = (...values: unknown[]) => track(bind(...values), text);
    return stmt;
  };
  const wrapped = {
    prepare: (query: string) => track(d1.prepare(query), query),
    batch: (statements: D1PreparedStatement[]) => {
      calls.push(statements.map((s) => sqlOf.get(s) ?? "?"));
      return d1.batch(statements);
    },
    exec: (query: string) => d1.exec(query),
    withSession: () => {
      throw new Error("not used by the runner");
    },
    dump: () => d1.dump(),
  };
  return { d1: wrapped as unknown as D1Database, calls };
}

const spec = (name: string) => ms5Source.tables.find((t) => t.read.name === name) as AnyTableSpec;

const compare = (read: TableRead, a: unknown, b: unknown) =>
  read.keyType === "int" ? Number(a) - Number(b) : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;

/** MS5's lines and OEE tables read from memory; `beforePage` runs before each page is read. */
function memoryMs5(tables: Record<string, LegacyRow[]>, beforePage?: (table: string) => Promise<void>): LegacySource {
  return {
    name: "ms5",
    tables: [spec("production_lines"), spec("oee_calculations")],
    open: async () => ({
      async page(read, after, limit, since) {
        await beforePage?.(read.name);
        const rows = [...(tables[read.name] ?? [])].sort((a, b) => compare(read, a[read.key], b[read.key]));
        const changed = (r: LegacyRow) => since === null || !read.updatedAt || (r[read.updatedAt] as Date).toISOString() >= since;
        return rows.filter((r) => (after === null || compare(read, r[read.key], after) > 0) && changed(r)).slice(0, limit);
      },
      async count(read) {
        return tables[read.name]?.length ?? 0;
      },
      async close() {},
    }),
  };
}

const LINES = [1, 2, 3].map((n) => ({
  id: `00000000-0000-4000-8000-00000000000${n}`,
  line_code: `L-MEM${n}`,
  name: `Line ${n}`,
  description: null,
  equipment_codes: [`EQ${n}.A`],
  target_speed: 60,
  enabled: true,
  created_at: new Date("2026-01-01T00:00:00Z"),
  updated_at: new Date("2026-01-01T00:00:00Z"),
}));

const oeeRow = (n: number, goodParts = 400 + (n % 50)): LegacyRow => ({
  id: n,
  line_id: LINES[n % 3]?.id,
  equipment_code: `EQ${1 + (n % 3)}.A`,
  calculation_time: new Date(Date.UTC(2026, 0, 1) + n * 300_000),
  availability: 0.9,
  performance: 0.85,
  quality: 0.99,
  oee: 0.75735,
  planned_production_time: 300,
  actual_production_time: 290,
  ideal_cycle_time: 0.6,
  actual_cycle_time: 0.7,
  good_parts: goodParts,
  total_parts: 450,
});

/** A queued MS5 job's id. */
async function newJob(mode: "full" | "incremental" = "full"): Promise<string> {
  const id = crypto.randomUUID();
  await db().insert(importJobs).values({ id, source: "ms5", mode, input: { mode }, report: {}, failures: [], createdBy: "test", username: "test" });
  return id;
}

/** What one delivery's run gets, over `d1` (counted against a fresh budget). */
function runDeps(d1: D1Database) {
  const queries = { spent: 0, budget: D1_QUERY_BUDGET };
  return {
    db: createDb(countQueries(d1, queries)),
    queries,
    queue: env.IMPORT_QUEUE,
    files: env.FILES,
    hyperdrive: () => env.LEGACY_DB,
    plantTimeZone: () => "UTC",
    now: () => new Date(),
  };
}

async function runJob(source: LegacySource, d1: D1Database = env.DB, mode: "full" | "incremental" = "full") {
  const id = await newJob(mode);
  const outcome = await runImport(runDeps(d1), { get: (name) => (name === "ms5" ? source : undefined) }, id);
  const [job] = await db().select().from(importJobs).where(eq(importJobs.id, id));
  return { outcome, job: job as typeof importJobs.$inferSelect };
}

const count = async (table: typeof oeeCalculations | typeof productionLines) => (await db().select({ n: sql<number>`count(*)` }).from(table))[0]?.n;
const keyCount = async (table: string) =>
  (
    await db()
      .select({ n: sql<number>`count(*)` })
      .from(legacyKeys)
      .where(and(eq(legacyKeys.legacySource, "ms5"), eq(legacyKeys.legacyTable, table)))
  )[0]?.n;

beforeEach(async () => {
  await db().delete(oeeCalculations);
  await db().delete(productionLines);
  await db().delete(legacyKeys);
  await db().delete(legacyWatermarks);
  await db().delete(importJobs);
});

describe("bridge write path (MS5 specs, in-memory reader)", () => {
  it("writes a page of 500 rows and their keys in a few multi-row statements, one batch with the progress; every statement within D1's limits", async () => {
    const rows = Array.from({ length: 1_200 }, (_, i) => oeeRow(i + 1));
    const { d1, calls } = countingD1(env.DB);
    const { outcome, job } = await runJob(memoryMs5({ production_lines: LINES, oee_calculations: rows }), d1);
    expect(outcome).toBe("completed");
    expect(job.report.oee_calculations).toEqual({ read: 1_200, written: 1_200, updated: 0, skipped: 0, failed: 0 });
    expect(await count(oeeCalculations)).toBe(1_200);
    expect(await keyCount("oee_calculations")).toBe(1_200);

    const writes = calls.filter((c) => c.some((text) => text.startsWith('INSERT INTO "oee_calculations"')));
    // 1,200 rows = pages of 500, 500, 200: each one batch of row upserts, key upserts and the progress.
    expect(writes).toHaveLength(3);
    for (const batch of writes) {
      expect(batch.length).toBeLessThanOrEqual(6);
      expect(batch.filter((t) => t.startsWith('INSERT INTO "legacy_keys"')).length).toBeGreaterThanOrEqual(1);
      expect(batch[batch.length - 1]).toMatch(/^update "import_jobs"/);
    }
    const utf8 = new TextEncoder();
    for (const text of calls.flat()) expect(utf8.encode(text).length).toBeLessThanOrEqual(100_000);
    // D1 runs at most 1,000 queries an invocation (a batch's statements count each).
    const queries = calls.reduce((n, c) => n + c.length, 0);
    expect(queries).toBeLessThan(100);
    // D1 calls: the claim; per page one batch of the lease check and the lookups, then the write
    // batch (lines: 1 page, OEE: 3); a batch per table end (watermark, cursor); the verification
    // (its phase marker; its steps, each led by the hold: legacy pages (lines 1, OEE 3, each OEE
    // page with a lookup of its references) and its D1 checksum's pages of 1,000 (lines 1, OEE 2));
    // the finish; the read of the job's file to purge.
    const CALLS = 1 + 2 * (1 + 3) + 2 + (1 + (1 + 3) + 3 + 2 * (1 + 2)) + 1 + 1;
    expect(calls.length).toBe(CALLS);

    // Again, nothing changed: no row written.
    calls.length = 0;
    const again = await runJob(memoryMs5({ production_lines: LINES, oee_calculations: rows }), d1);
    expect(again.job.report.oee_calculations).toEqual({ read: 1_200, written: 0, updated: 0, skipped: 1_200, failed: 0 });
    expect(calls.flat().filter((t) => /^insert into "(oee_calculations|legacy_keys)"/i.test(t))).toEqual([]);
    // The same calls, the write batches holding only the progress.
    expect(calls.length).toBe(CALLS);

    // 100 rows changed in the legacy table: exactly those 100 rewritten, their keys moved to this job.
    const changed = rows.map((r, i) => (i >= 600 && i < 700 ? oeeRow(i + 1, 7) : r));
    const third = await runJob(memoryMs5({ production_lines: LINES, oee_calculations: changed }));
    expect(third.job.report.oee_calculations).toEqual({ read: 1_200, written: 0, updated: 100, skipped: 1_100, failed: 0 });
    expect((await db().select({ n: sql<number>`count(*)` }).from(legacyKeys).where(eq(legacyKeys.jobId, third.job.id)))[0]?.n).toBe(100);
    expect((await db().select({ n: sql<number>`count(*)` }).from(oeeCalculations).where(eq(oeeCalculations.goodParts, 7)))[0]?.n).toBe(100);
    expect(await count(oeeCalculations)).toBe(1_200);
  });

  it("literals write exactly what bound parameters write: quotes, NUL, non-ASCII, JSON, booleans, numbers, nulls; on conflict the same update", async () => {
    const values = {
      name: "O'Brien's line \\ \"quoted\" -- not a comment; DROP TABLE users;",
      description: "line\nbreak\u0000and NUL ✓",
      equipmentCodes: ["EQ'1", 'EQ"2', "Ünïcødé 🏭", "nul\u0000byte"],
      targetSpeed: -0.000001,
      enabled: false,
      createdAt: "2026-01-01T00:00:00.000Z",
    };
    const literalId = crypto.randomUUID();
    const boundId = crypto.randomUUID();
    /** The same values through the runner's literals (L-LIT) and through the spec's bound write (L-BND). */
    const write = async (v: Record<string, unknown>, existing: boolean) => {
      const built = upsertStatements(productionLines, [{ ...v, lineCode: "L-LIT", id: literalId }], ["id"], "all");
      expect(built.rest).toEqual([]);
      expect(built.statements).toHaveLength(1);
      await db().run(sql.raw(built.statements[0] as string));
      const [bound] = spec("production_lines").write(db(), boundId, { ...v, lineCode: "L-BND" }, existing);
      await db().batch([bound as BatchItem<"sqlite">]);
    };
    const read = async () => {
      const found = await db().select().from(productionLines);
      const byId = (id: string) => {
        const row = found.find((r) => r.id === id);
        expect(row).toBeDefined();
        const { id: _id, lineCode: _code, updatedAt: _updated, ...rest } = row as (typeof found)[number];
        return rest;
      };
      return { literal: byId(literalId), bound: byId(boundId) };
    };
    await write(values, false);
    const first = await read();
    expect(first.literal).toEqual(first.bound);
    expect(first.literal).toMatchObject({ ...values, status: "idle", version: 1 });

    // Again with other values: both update the same columns the same way (created_at kept).
    await write({ ...values, name: "Renamed", description: null, enabled: true, equipmentCodes: [], createdAt: undefined }, true);
    const second = await read();
    expect(second.literal).toEqual(second.bound);
    expect(second.literal).toMatchObject({ name: "Renamed", description: null, enabled: true, equipmentCodes: [], createdAt: "2026-01-01T00:00:00.000Z" });
  });

  it("splits a page's upsert by statement size and binds what cannot be a literal", () => {
    const long = "x".repeat(30_000);
    const rows = [1, 2, 3, 4, 5].map((n) => ({ id: `id-${n}`, lineCode: `L${n}`, name: long, enabled: true }));
    const nan = { id: "id-nan", lineCode: "LN", name: "n", targetSpeed: Number.NaN };
    const huge = { id: "id-huge", lineCode: "LH", name: "y".repeat(MAX_STATEMENT_BYTES) };
    const built = upsertStatements(productionLines, [...rows, nan, huge], ["id"], "all");
    expect(built.rest).toEqual([5, 6]);
    expect(built.statements.length).toBeGreaterThanOrEqual(2);
    for (const text of built.statements) expect(new TextEncoder().encode(text).length).toBeLessThanOrEqual(MAX_STATEMENT_BYTES);
    expect(built.statements.join("").match(/\('id-\d'/g)).toHaveLength(5);
    expect(sqlLiteral("it's")).toBe("'it''s'");
    expect(sqlLiteral("a\u0000b")).toBe("CAST(X'610062' AS TEXT)");
    expect(sqlLiteral(Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(sqlLiteral({})).toBeUndefined();
    expect(sqlLiteral(true)).toBe("1");
    expect(sqlLiteral(null)).toBe("NULL");
  });

  it("a page D1 refuses as a whole is written row by row: the bad row is reported with its key and D1's reason, the rest land", async () => {
    // Two legacy lines with one code: Floorline's line codes are unique.
    const clash = { ...(LINES[0] as LegacyRow), id: "00000000-0000-4000-8000-000000000009", name: "Clash" };
    const { outcome, job } = await runJob(memoryMs5({ production_lines: [...LINES, clash], oee_calculations: [oeeRow(1), oeeRow(2)] }));
    expect(outcome).toBe("completed");
    expect(job.report.production_lines).toEqual({ read: 4, written: 3, updated: 0, skipped: 0, failed: 1 });
    expect(job.failures).toEqual([{ table: "production_lines", legacy_id: clash.id, reason: expect.stringMatching(/^D1 refused the row: .*UNIQUE/) }]);
    expect(await count(productionLines)).toBe(3);
    expect(await keyCount("production_lines")).toBe(3);
    expect(job.report.oee_calculations).toMatchObject({ written: 2, failed: 0 });
  });

  it("a page that fails for want of D1 (not a refused row) is retried with the job, never written off row by row", async () => {
    // D1 is overloaded on every batch that writes OEE rows: no row is at fault (and "too long"
    // in its message is not a value too long).
    const lossy = {
      ...env.DB,
      prepare: (query: string) => env.DB.prepare(query),
      exec: (query: string) => env.DB.exec(query),
      dump: () => env.DB.dump(),
      withSession: () => env.DB.withSession(),
      batch: (statements: D1PreparedStatement[]) => {
        const text = statements.map((st) => String((st as unknown as { statement?: string }).statement ?? "")).join("\n");
        if (/insert into "oee_calculations"/i.test(text)) return Promise.reject(new Error("D1_ERROR: D1 DB is overloaded. Requests queued for too long."));
        return env.DB.batch(statements);
      },
    } as unknown as D1Database;
    const rows = Array.from({ length: 100 }, (_, i) => oeeRow(i + 1));
    const source = memoryMs5({ production_lines: LINES, oee_calculations: rows });
    const id = await newJob();
    await expect(runImport(runDeps(lossy), { get: () => source }, id)).rejects.toThrow(/overloaded/);
    const [job] = await db().select().from(importJobs).where(eq(importJobs.id, id));
    expect(job?.state).toBe("queued");
    expect(job?.failures).toEqual([]);
    expect(job?.failureCount).toBe(0);
    expect(await count(oeeCalculations)).toBe(0);

    // The queue's next delivery, with D1 back, writes every row: none lost, none reported.
    const again = await runImport(runDeps(env.DB), { get: () => source }, id);
    expect(again).toBe("completed");
    const [done] = await db().select().from(importJobs).where(eq(importJobs.id, id));
    expect(done?.report.oee_calculations).toMatchObject({ read: 100, written: 100, failed: 0 });
    expect(done?.failures).toEqual([]);
    expect(await count(oeeCalculations)).toBe(100);
  });

  it("checks the lease before writing a page: a run whose job was claimed again writes nothing more", async () => {
    const rows = Array.from({ length: 700 }, (_, i) => oeeRow(i + 1));
    let oeePages = 0;
    const source = memoryMs5({ production_lines: LINES, oee_calculations: rows }, async (table) => {
      if (table !== "oee_calculations" || ++oeePages !== 2) return;
      // After the first OEE page: the job is reaped and claimed by another delivery (attempts + 1).
      await db()
        .update(importJobs)
        .set({ attempts: sql`${importJobs.attempts} + 1` })
        .where(eq(importJobs.state, "running"));
    });
    const { outcome } = await runJob(source);
    expect(outcome).toBe("lost");
    expect(await count(oeeCalculations)).toBe(500);
    expect(await keyCount("oee_calculations")).toBe(500);
  });
  it("a run that stops while verifying resumes the verification, not the import: the report counts each row once", async () => {
    const rows = Array.from({ length: 600 }, (_, i) => oeeRow(i + 1));
    let linePasses = 0;
    let pagesRead = 0;
    const failing = memoryMs5({ production_lines: LINES, oee_calculations: rows }, async (table) => {
      pagesRead++;
      // The import reads the lines once; the second pass is the verification's.
      if (table === "production_lines" && ++linePasses === 2) throw new Error("legacy database went away");
    });
    const first = await runJob(failing).catch((err: unknown) => err);
    expect(first).toBeInstanceOf(Error);
    const [stopped] = await db().select().from(importJobs).orderBy(desc(importJobs.createdAt)).limit(1);
    expect(stopped?.state).toBe("queued");
    expect(stopped?.report.oee_calculations?.read).toBe(600);

    // The next delivery: reads only what verification reads (no page of the import again).
    pagesRead = 0;
    const deps = {
      db: db(),
      queries: { spent: 0, budget: 800 },
      queue: { send: async () => {} } as unknown as Queue,
      files: env.FILES,
      hyperdrive: () => env.LEGACY_DB,
      plantTimeZone: () => "UTC",
      now: () => new Date(),
    };
    const outcome = await runImport(deps, { get: () => failing }, stopped?.id as string);
    expect(outcome).toBe("completed");
    const [done] = await db()
      .select()
      .from(importJobs)
      .where(eq(importJobs.id, stopped?.id as string));
    expect(done?.state).toBe("completed");
    expect(done?.report.oee_calculations).toEqual({ read: 600, written: 600, updated: 0, skipped: 0, failed: 0 });
    expect(done?.report.production_lines?.read).toBe(3);
    expect(done?.verification?.every((t) => t.match)).toBe(true);
    // Lines 1 page + OEE 2 pages (500 + 100), each read once by the verification.
    expect(pagesRead).toBe(3);
  });
});

/**
 * Runs a job as the import queue would: one delivery per message, each with its own count of D1
 * queries under `budget` (D1's limit is per invocation); a delivery that throws is retried, as the
 * queue retries its message. Returns each delivery's outcome, queries and the job after it.
 */
async function deliver(source: LegacySource, budget: number, d1: D1Database = env.DB, most = 40) {
  const id = crypto.randomUUID();
  await db()
    .insert(importJobs)
    .values({ id, source: "ms5", mode: "full", input: { mode: "full" }, report: {}, failures: [], createdBy: "test", username: "test" });
  const sent: unknown[] = [];
  const queue = { send: async (body: unknown) => void sent.push(body) } as unknown as Queue;
  const deliveries: { outcome: string; spent: number; sent: unknown[]; job: typeof importJobs.$inferSelect }[] = [];
  for (;;) {
    const queries = { spent: 0, budget };
    const deps = {
      db: createDb(countQueries(d1, queries)),
      queries,
      queue,
      files: env.FILES,
      hyperdrive: () => env.LEGACY_DB,
      plantTimeZone: () => "UTC",
      now: () => new Date(),
    };
    const before = sent.length;
    const outcome = await runImport(deps, { get: (name) => (name === "ms5" ? source : undefined) }, id, "r1").catch((err: unknown) => `threw: ${String(err)}`);
    const [job] = await db().select().from(importJobs).where(eq(importJobs.id, id));
    deliveries.push({ outcome, spent: queries.spent, sent: sent.slice(before), job: job as typeof importJobs.$inferSelect });
    if (outcome !== "handed_off" && !outcome.startsWith("threw")) break;
    if (deliveries.length === most) break;
    if (deliveries.length > 40) throw new Error("the job never ended");
  }
  return deliveries;
}

describe("D1 query budget per invocation (hand-off to a fresh delivery)", () => {
  const oee = Array.from({ length: 3_000 }, (_, i) => oeeRow(i + 1));
  const BUDGET = 45;

  it("an import past the budget spans several deliveries, each within it, and ends as one delivery would: same rows, keys, verification, attempts", async () => {
    const deliveries = await deliver(memoryMs5({ production_lines: LINES, oee_calculations: oee }), BUDGET);
    expect(deliveries.length).toBeGreaterThan(2);
    const last = deliveries[deliveries.length - 1] as (typeof deliveries)[number];
    expect(last.outcome).toBe("completed");
    for (const d of deliveries.slice(0, -1)) {
      expect(d.outcome).toBe("handed_off");
      // Back to queued at its cursor, the attempt given back, its message sent again.
      expect(d.job).toMatchObject({ state: "queued", attempts: 0 });
      expect(d.sent).toEqual([{ type: "import_job", jobId: d.job.id, requestId: "r1" }]);
    }
    // Within the budget, plus the hand-off's own two queries.
    for (const d of deliveries) expect(d.spent).toBeLessThanOrEqual(BUDGET + 2);
    // One hand-off came between pages, one between verified tables (the first table's result kept).
    expect(deliveries.some((d) => d.job.cursor?.table === "oee_calculations")).toBe(true);
    expect(deliveries.some((d) => d.job.state === "queued" && d.job.verification?.length === 1)).toBe(true);
    expect(last.sent).toEqual([]);
    expect(last.job).toMatchObject({ state: "completed", error: null, attempts: 1, cursor: null, failureCount: 0 });
    expect(last.job.report.oee_calculations).toEqual({ read: 3_000, written: 3_000, updated: 0, skipped: 0, failed: 0 });
    expect(last.job.report.production_lines).toEqual({ read: 3, written: 3, updated: 0, skipped: 0, failed: 0 });
    expect(await count(oeeCalculations)).toBe(3_000);
    expect(await keyCount("oee_calculations")).toBe(3_000);
    expect(await count(productionLines)).toBe(3);
    expect(last.job.verification?.map((t) => [t.table, t.source_rows, t.floorline_rows, t.match])).toEqual([
      ["production_lines", 3, 3, true],
      ["oee_calculations", 3_000, 3_000, true],
    ]);

    // The same import in one delivery finds every row as the split one wrote it, and verifies the same.
    const [single] = await deliver(memoryMs5({ production_lines: LINES, oee_calculations: oee }), D1_QUERY_BUDGET);
    expect(single?.outcome).toBe("completed");
    expect(single?.sent).toEqual([]);
    expect(single?.job.report.oee_calculations).toEqual({ read: 3_000, written: 0, updated: 0, skipped: 3_000, failed: 0 });
    expect(single?.job.report.production_lines).toEqual({ read: 3, written: 0, updated: 0, skipped: 3, failed: 0 });
    expect(single?.job.verification).toEqual(last.job.verification);
    expect(await count(oeeCalculations)).toBe(3_000);
    expect(await keyCount("oee_calculations")).toBe(3_000);
  });

  it("a crash between hand-offs still counts an attempt; the job resumes at its cursor", async () => {
    let oeePages = 0;
    const source = memoryMs5({ production_lines: LINES, oee_calculations: oee }, async (table) => {
      if (table === "oee_calculations" && ++oeePages === 4) throw new Error("connection reset");
    });
    const deliveries = await deliver(source, BUDGET);
    const crashed = deliveries.findIndex((d) => d.outcome.startsWith("threw"));
    expect(crashed).toBeGreaterThan(0);
    expect(deliveries[crashed]?.job).toMatchObject({ state: "queued", attempts: 1, error: expect.stringMatching(/^The import stopped: .*connection reset/) });
    expect(deliveries.filter((d) => d.outcome.startsWith("threw"))).toHaveLength(1);
    const last = deliveries[deliveries.length - 1];
    expect(last?.job).toMatchObject({ state: "completed", error: null, attempts: 2 });
    expect(last?.job.report.oee_calculations).toEqual({ read: 3_000, written: 3_000, updated: 0, skipped: 0, failed: 0 });
    expect(await count(oeeCalculations)).toBe(3_000);
  });

  it("a file the importers refuse fails its job at once: one delivery, no retry", async () => {
    const source: LegacySource = {
      ...memoryMs5({}),
      open: async () => {
        throw new ExportFileError("The file is not a CCbackend export");
      },
    };
    const deliveries = await deliver(source, D1_QUERY_BUDGET);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]?.outcome).toBe("completed");
    expect(deliveries[0]?.sent).toEqual([]);
    expect(deliveries[0]?.job).toMatchObject({
      state: "failed",
      attempts: 1,
      error: "The import stopped: ExportFileError: The file is not a CCbackend export",
    });
  });
});

/** Line `n` of a larger legacy table: its update time `n` hours into 2026 unless told. */
const lineRow = (n: number, updatedAt = new Date(Date.UTC(2026, 0, 1) + n * 3_600_000), name = `Line ${n}`): LegacyRow => ({
  id: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
  line_code: `L-BIG${n}`,
  name,
  description: null,
  equipment_codes: [`EQ${n}.A`],
  target_speed: 60,
  enabled: true,
  created_at: new Date("2026-01-01T00:00:00Z"),
  updated_at: updatedAt,
});

/** 500 lines (one page), three of which take the code of line 1: D1 refuses them (unique line codes). */
const CLASHING = [101, 251, 401];
const clashingLines = () => Array.from({ length: 500 }, (_, i) => (CLASHING.includes(i + 1) ? { ...lineRow(i + 1), line_code: "L-BIG1" } : lineRow(i + 1)));
const clashIds = CLASHING.map((n) => lineRow(n).id as string);

/** D1 that dies after its `after`-th batch committed: that batch and every call after it throw, as in a worker killed mid-page. */
function dyingD1(d1: D1Database, after: number) {
  let batches = 0;
  let dead = false;
  const wrapped = {
    prepare: (query: string) => {
      if (dead) throw new Error("worker died");
      return d1.prepare(query);
    },
    batch: async (statements: D1PreparedStatement[]) => {
      if (dead) throw new Error("worker died");
      const results = await d1.batch(statements);
      if (++batches === after) {
        dead = true;
        throw new Error("worker died");
      }
      return results;
    },
    exec: (query: string) => d1.exec(query),
    withSession: () => {
      throw new Error("not used by the runner");
    },
    dump: () => d1.dump(),
  };
  return wrapped as unknown as D1Database;
}

describe("budget within a page and within a table's verification", () => {
  const BUDGET = 45;

  it("a page D1 refuses is written in halves, not row by row: within the budget, handed on mid-page, every row counted once, each bad row reported once", async () => {
    const deliveries = await deliver(memoryMs5({ production_lines: clashingLines(), oee_calculations: [] }), BUDGET);
    // Row by row, the page alone would spend 1,000 queries (a row and its key each) in one invocation.
    for (const d of deliveries) expect(d.spent).toBeLessThanOrEqual(BUDGET + 2);
    const midPage = deliveries.filter((d) => d.outcome === "handed_off" && d.job.cursor?.table === "production_lines" && d.job.cursor.after !== null);
    expect(midPage.length).toBeGreaterThan(0);
    for (const d of midPage) expect(d.job.report.production_lines?.read).toBeLessThan(500);
    const last = deliveries[deliveries.length - 1];
    expect(last?.job).toMatchObject({ state: "completed", attempts: 1, failureCount: 3 });
    expect(last?.job.report.production_lines).toEqual({ read: 500, written: 497, updated: 0, skipped: 0, failed: 3 });
    expect(last?.job.failures.map((f) => f.legacy_id)).toEqual(clashIds);
    for (const f of last?.job.failures ?? []) expect(f.reason).toMatch(/^D1 refused the row: .*UNIQUE/);
    expect(await count(productionLines)).toBe(497);
    expect(await keyCount("production_lines")).toBe(497);
    // Halving finds 3 bad rows among 500 in far fewer queries than the 1,000 of row by row.
    expect(deliveries.reduce((n, d) => n + d.spent, 0)).toBeLessThan(400);
  });

  it("a worker killed in the middle of a refused page resumes after the last rows that landed: none written twice, none lost, each bad row reported once", async () => {
    const source = memoryMs5({ production_lines: clashingLines(), oee_calculations: [] });
    // The claim, the lookups, the whole page (refused): the 9th batch is a few halvings in.
    const [dead] = await deliver(source, D1_QUERY_BUDGET, dyingD1(env.DB, 9), 1);
    expect(dead?.outcome).toMatch(/^threw: .*worker died/);
    // What the dead run left: a cursor inside the page and the counts of the rows before it.
    const [left] = await db().select().from(importJobs).orderBy(desc(importJobs.createdAt)).limit(1);
    const job = left as typeof importJobs.$inferSelect;
    expect(job.state).toBe("running");
    expect(job.cursor?.table).toBe("production_lines");
    const read = job.report.production_lines?.read ?? 0;
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThan(500);
    expect(job.cursor?.after).toBe(lineRow(read).id);
    expect(await keyCount("production_lines")).toBe(job.report.production_lines?.written);
    // The reaper re-queues it; the next delivery resumes at the cursor.
    await db().update(importJobs).set({ state: "queued" }).where(eq(importJobs.id, job.id));
    const queries = { spent: 0, budget: D1_QUERY_BUDGET };
    const deps = {
      db: createDb(countQueries(env.DB, queries)),
      queries,
      queue: { send: async () => {} } as unknown as Queue,
      files: env.FILES,
      hyperdrive: () => env.LEGACY_DB,
      plantTimeZone: () => "UTC",
      now: () => new Date(),
    };
    expect(await runImport(deps, { get: () => source }, job.id)).toBe("completed");
    const [done] = await db().select().from(importJobs).where(eq(importJobs.id, job.id));
    expect(done?.report.production_lines).toEqual({ read: 500, written: 497, updated: 0, skipped: 0, failed: 3 });
    expect(done?.failures.map((f) => f.legacy_id)).toEqual(clashIds);
    expect(await count(productionLines)).toBe(497);
  });

  it("a table whose verification alone passes the budget is verified across deliveries, each within it, to the same result as in one", async () => {
    const oee = Array.from({ length: 7_000 }, (_, i) => oeeRow(i + 1));
    // Verifying the OEE table takes 35 queries (14 legacy pages, each the hold and a lookup; 7 D1 pages): more than a budget of 30.
    const budget = 30;
    const deliveries = await deliver(memoryMs5({ production_lines: LINES, oee_calculations: oee }), budget);
    for (const d of deliveries) expect(d.spent).toBeLessThanOrEqual(budget + 2);
    // Handed on inside the OEE table's verification, on the legacy side and on D1's.
    const inside = deliveries.filter((d) => d.job.cursor?.table === "*verify" && d.job.cursor.after === "oee_calculations" && d.job.cursor.verify);
    expect(inside.length).toBeGreaterThan(0);
    const last = deliveries[deliveries.length - 1];
    expect(last?.job.state).toBe("completed");
    expect(last?.job.verification?.map((t) => [t.table, t.source_mapped, t.floorline_rows, t.match, t.scope])).toEqual([
      ["production_lines", 3, 3, true, "all"],
      ["oee_calculations", 7_000, 7_000, true, "all"],
    ]);
    const [single] = await deliver(memoryMs5({ production_lines: LINES, oee_calculations: oee }), D1_QUERY_BUDGET);
    expect(single?.outcome).toBe("completed");
    expect(single?.job.verification).toEqual(last?.job.verification);
  });

  it("an incremental run verifies the rows it read (its watermark's range), a full run every row", async () => {
    const lines = Array.from({ length: 1_200 }, (_, i) => lineRow(i + 1));
    const oee = [oeeRow(1), oeeRow(2)];
    const first = await runJob(memoryMs5({ production_lines: lines, oee_calculations: oee }), env.DB, "incremental");
    expect(first.job.verification?.[0]).toMatchObject({ table: "production_lines", scope: "all", source_mapped: 1_200, floorline_rows: 1_200, match: true });

    // Twelve lines renamed in MS5 since; the next incremental run reads them and the last line (the overlap behind the watermark).
    const renamed = lines.map((l, i) => (i % 100 === 0 ? lineRow(i + 1, new Date("2026-06-01T00:00:00Z"), `Renamed ${i + 1}`) : l));
    let linePasses = 0;
    let verifyPages = 0;
    const tamper = async (table: string) => {
      if (table !== "production_lines") return;
      // The second pass over the lines is the verification's: first, Floorline's rows drift.
      if (++linePasses === 2) {
        await db().update(productionLines).set({ name: "Drifted" }).where(eq(productionLines.lineCode, "L-BIG101"));
        await db().update(productionLines).set({ name: "Drifted" }).where(eq(productionLines.lineCode, "L-BIG2"));
      }
      if (linePasses >= 2) verifyPages++;
    };
    const second = await runJob(memoryMs5({ production_lines: renamed, oee_calculations: oee }, tamper), env.DB, "incremental");
    expect(second.job.report.production_lines).toEqual({ read: 13, written: 0, updated: 12, skipped: 1, failed: 0 });
    const lineCheck = second.job.verification?.[0];
    // One page of thirteen rows, not the table's three: a renamed line that drifted is caught, line 2 (not read) is not.
    expect(verifyPages).toBe(1);
    expect(lineCheck).toMatchObject({ scope: "changed", since: expect.any(String), source_rows: 1_200, source_mapped: 13, floorline_rows: 13, match: false });
    // OEE has no update time: every row is read, and verified.
    expect(second.job.verification?.[1]).toMatchObject({ table: "oee_calculations", scope: "all", source_mapped: 2, match: true });

    // A full run verifies every row: with the renamed line put right, it still finds line 2's drift.
    await db().update(productionLines).set({ name: "Renamed 101" }).where(eq(productionLines.lineCode, "L-BIG101"));
    const full = await runJob(memoryMs5({ production_lines: renamed, oee_calculations: oee }));
    expect(full.job.verification?.[0]).toMatchObject({ scope: "all", source_mapped: 1_200, floorline_rows: 1_200, match: false });
    await db().update(productionLines).set({ name: "Line 2" }).where(eq(productionLines.lineCode, "L-BIG2"));
    const again = await runJob(memoryMs5({ production_lines: renamed, oee_calculations: oee }));
    expect(again.job.verification?.[0]).toMatchObject({ scope: "all", source_mapped: 1_200, floorline_rows: 1_200, match: true });
  });
});
