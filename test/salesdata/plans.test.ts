/**
 * The date windows over `sales_rows` seek its one date index (region + order date): no index on
 * `ordered_at` alone exists (it cost imports ~40 % of their upsert, migration 0042), so a
 * window that forgets to name its regions would scan the whole table. Each query is recorded
 * as the code sends it to D1, then planned with EXPLAIN QUERY PLAN.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { sixMonthDemand } from "../../src/modules/inventory/management";
import { itemsToPrint } from "../../src/modules/labels/to-print";
import { condensedSales } from "../../src/modules/salesdata/condensed";
import { salesSummary } from "../../src/modules/salesdata/service";
import type { Principal } from "../../src/types";

const admin: Principal = { kind: "user", userId: "u-plans", username: "plans", role: "admin", permissions: new Set(["*"]), tabs: [], sessionId: "" };

interface Recorded {
  query: string;
  params: unknown[];
}

/** A D1 that records every statement prepared and bound on it (batches included), then runs it. */
function recordingD1(): { d1: D1Database; statements: Recorded[] } {
  const statements: Recorded[] = [];
  const d1 = new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "prepare")
        return (query: string) => {
          const entry: Recorded = { query, params: [] };
          statements.push(entry);
          const prepared = target.prepare(query);
          return new Proxy(prepared, {
            get(statement, key) {
              if (key === "bind")
                return (...params: unknown[]) => {
                  entry.params = params;
                  return statement.bind(...params);
                };
              const value = Reflect.get(statement, key);
              return typeof value === "function" ? value.bind(statement) : value;
            },
          });
        };
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { d1, statements };
}

/** SQLite's plan of every recorded statement that reads `sales_rows`, one line per step. */
async function plansOf(statements: Recorded[]): Promise<string[][]> {
  const plans: string[][] = [];
  for (const { query, params } of statements.filter((s) => /"sales_rows"/.test(s.query))) {
    const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${query}`)
      .bind(...params)
      .all<{ detail: string }>();
    plans.push(results.map((r) => r.detail));
  }
  return plans;
}

const now = () => new Date("2026-06-01T00:00:00.000Z");

describe("sales date windows use the region + date index", () => {
  it.each([
    [
      "the summary of every region",
      (deps: { db: ReturnType<typeof createDb> }) => salesSummary(deps, { group_by: "month", limit: 50, offset: 0, from: "2026-01-01" }, admin),
    ],
    [
      "the summary of one region",
      (deps: { db: ReturnType<typeof createDb> }) => salesSummary(deps, { group_by: "sku", limit: 50, offset: 0, region: "uk", from: "2026-01-01" }, admin),
    ],
    ["labels to print (six months, every region)", (deps: { db: ReturnType<typeof createDb> }) => itemsToPrint({ ...deps, now }, "uk")],
    [
      "RM365's inventory management demand (six months, UK and FR + NL)",
      (deps: { db: ReturnType<typeof createDb> }) => sixMonthDemand({ ...deps, now }, ["SKU-1", "sku-2"]),
    ],
    [
      "a condensed view",
      (deps: { db: ReturnType<typeof createDb> }) => condensedSales({ ...deps, now }, "sales", "uk", { range: { type: "six_months" }, limit: 10, offset: 0 }),
    ],
  ])("%s", async (_name, run) => {
    const { d1, statements } = recordingD1();
    await run({ db: createDb(d1) });
    const plans = await plansOf(statements);
    expect(plans.length).toBeGreaterThan(0);
    for (const plan of plans) {
      const steps = plan.filter((step) => /\bsales_rows\b/.test(step));
      expect(steps.length, plan.join("\n")).toBeGreaterThan(0);
      for (const step of steps)
        expect(step, plan.join("\n")).toMatch(/^SEARCH sales_rows USING (COVERING )?INDEX sales_rows_(region_ordered_idx|natural_key) /);
    }
  });
});
