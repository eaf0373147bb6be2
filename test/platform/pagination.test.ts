import { env } from "cloudflare:workers";
import { asc, desc, eq, like } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createDb } from "../../src/db/client";
import { apiKeys, roles, users } from "../../src/db/schema";
import { MAX_PAGE_LIMIT, PageQuery, pageOf, paginate } from "../../src/lib/pagination";
import { db, makeUser, unique } from "../helpers";

/** Inserts `n` API keys that all share one name, so only the tiebreaker orders them. */
async function keysNamed(name: string, n: number): Promise<string[]> {
  const rows = Array.from({ length: n }, (_, i) => ({
    id: `${name}-${crypto.randomUUID()}`,
    name,
    prefix: `p${i}`,
    keyHash: `${name}-hash-${i}`,
    permissions: ["parts:read"],
    rateLimitPerMinute: 60,
  }));
  await db().insert(apiKeys).values(rows);
  return rows.map((r) => r.id).sort();
}

/** A D1 binding that counts what reaches the database: batches and single statements. */
function countingD1() {
  const counts = { batch: 0, single: 0 };
  const wrapStatement = (stmt: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(stmt, {
      get(target, prop) {
        const value: unknown = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        if (prop === "bind") return (...args: unknown[]) => wrapStatement(target.bind(...args));
        if (prop === "all" || prop === "raw" || prop === "run" || prop === "first") {
          return (...args: unknown[]) => {
            counts.single++;
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return (value as (...a: unknown[]) => unknown).bind(target);
      },
    });
  const d1 = new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => wrapStatement(target.prepare(sql));
      if (prop === "batch") {
        return (statements: D1PreparedStatement[]) => {
          counts.batch++;
          return target.batch(statements);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { d1, counts };
}

describe("PageQuery", () => {
  it("defaults to limit 50, offset 0 and coerces query strings", () => {
    expect(PageQuery.parse({})).toEqual({ limit: 50, offset: 0 });
    expect(PageQuery.parse({ limit: "20", offset: "40" })).toEqual({ limit: 20, offset: 40 });
    expect(PageQuery.parse({ limit: String(MAX_PAGE_LIMIT) }).limit).toBe(200);
  });

  it.each([
    { limit: "0" },
    { limit: "201" },
    { limit: "abc" },
    { limit: "1.5" },
    { limit: "9".repeat(400) },
    { offset: "-1" },
    { offset: "100001" },
    { offset: "x" },
  ])("refuses %j", (query) => {
    const parsed = PageQuery.safeParse(query);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual([Object.keys(query)[0]]);
  });

  it("extends with a list's own filters", () => {
    const Query = PageQuery.extend({ role: z.string().max(64).optional() });
    expect(Query.parse({ role: "viewer", limit: "5" })).toEqual({ role: "viewer", limit: 5, offset: 0 });
  });
});

describe("pageOf", () => {
  it("describes { items, total, limit, offset }", () => {
    const Schema = pageOf(z.object({ id: z.string() }));
    expect(Schema.parse({ items: [{ id: "a" }], total: 1, limit: 50, offset: 0 })).toEqual({ items: [{ id: "a" }], total: 1, limit: 50, offset: 0 });
    expect(Schema.safeParse({ items: [{ id: 1 }], total: 1, limit: 50, offset: 0 }).success).toBe(false);
    expect(Schema.safeParse({ items: [], total: -1, limit: 50, offset: 0 }).success).toBe(false);
  });
});

describe("paginate", () => {
  it("pages through rows that tie on the order without repeats or gaps; every page knows the total", async () => {
    const name = unique("pg");
    const ids = await keysNamed(name, 7);
    const seen: string[] = [];
    for (let offset = 0; offset < 9; offset += 3) {
      const query = db().select({ id: apiKeys.id, name: apiKeys.name }).from(apiKeys).where(eq(apiKeys.name, name)).$dynamic();
      const page = await paginate(db(), query, { limit: 3, offset }, { orderBy: [asc(apiKeys.name)], tiebreaker: apiKeys.id });
      expect(page.total).toBe(7);
      expect(page.limit).toBe(3);
      expect(page.offset).toBe(offset);
      expect(page.items.length).toBe(offset === 6 ? 1 : 3);
      seen.push(...page.items.map((r) => r.id));
    }
    expect(seen).toEqual(ids);
  });

  it("a page past the end is empty and still carries the total", async () => {
    const name = unique("pg");
    await keysNamed(name, 2);
    const query = db().select().from(apiKeys).where(eq(apiKeys.name, name)).$dynamic();
    const page = await paginate(db(), query, { limit: 10, offset: 50 }, { tiebreaker: apiKeys.id });
    expect(page).toEqual({ items: [], total: 2, limit: 10, offset: 50 });
  });

  it("honours the caller's order first, and counts joined queries", async () => {
    const tag = unique("pj");
    const made = [];
    for (const role of ["viewer", "operator", "viewer"]) made.push(await makeUser(role, { username: `${tag}_${made.length}` }));
    const query = db()
      .select({ id: users.id, username: users.username, role: roles.name })
      .from(users)
      .innerJoin(roles, eq(users.role, roles.name))
      .where(like(users.username, `${tag}%`))
      .$dynamic();
    const page = await paginate(db(), query, { limit: 2, offset: 0 }, { orderBy: [desc(users.username)], tiebreaker: users.id });
    expect(page.total).toBe(3);
    expect(page.items.map((r) => r.username)).toEqual([`${tag}_2`, `${tag}_1`]);
    expect(page.items[1]?.role).toBe("operator");
  });

  it("runs the page and the count in one D1 round trip", async () => {
    const name = unique("pg");
    await keysNamed(name, 3);
    const { d1, counts } = countingD1();
    const counted = createDb(d1);
    const query = counted.select().from(apiKeys).where(eq(apiKeys.name, name)).$dynamic();
    const page = await paginate(counted, query, { limit: 2, offset: 0 }, { tiebreaker: apiKeys.id });
    expect(page.items).toHaveLength(2);
    expect(page.total).toBe(3);
    expect(counts).toEqual({ batch: 1, single: 0 });
  });

  it("refuses a tiebreaker that is not unique", async () => {
    const query = db().select().from(apiKeys).$dynamic();
    await expect(paginate(db(), query, { limit: 1, offset: 0 }, { tiebreaker: apiKeys.name })).rejects.toThrow(/tiebreaker/);
  });
});
