import { env } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { roles } from "../../src/db/schema";
import { afterOneChange, insertWhere, pagedRead } from "../../src/lib/sql";
import { testDeps, unique } from "../helpers";

describe("insertWhere", () => {
  it("inserts only when its condition holds, with defaults and encoded values", async () => {
    const deps = testDeps();
    const yes = unique("role_yes");
    const no = unique("role_no");
    await deps.db.batch([insertWhere(deps, roles, { name: yes, allowedTabs: ["inventory"] }, sql`1 = 1`), insertWhere(deps, roles, { name: no }, sql`1 = 0`)]);
    const [row] = await deps.db.select().from(roles).where(eq(roles.name, yes));
    expect(row).toMatchObject({ name: yes, allowedTabs: ["inventory"], permissions: [], isBuiltin: false });
    expect(row?.createdAt).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    expect(await deps.db.select().from(roles).where(eq(roles.name, no))).toEqual([]);
  });

  it("afterOneChange chains a write on the previous statement of the batch", async () => {
    const deps = testDeps();
    const first = unique("chain");
    const second = unique("chain");
    const third = unique("chain");
    await deps.db.batch([
      deps.db.update(roles).set({ description: "x" }).where(eq(roles.name, "no-such-role")),
      insertWhere(deps, roles, { name: first }, afterOneChange),
      insertWhere(deps, roles, { name: second }, sql`1 = 1`),
      insertWhere(deps, roles, { name: third }, afterOneChange),
    ]);
    const names = (await deps.db.select({ name: roles.name }).from(roles)).map((r) => r.name);
    expect(names).not.toContain(first);
    expect(names).toContain(second);
    expect(names).toContain(third);
  });
});

describe("pagedRead: a page and its total in one statement", () => {
  it("answers rows (decoded, without the total column) and the filtered total; an empty page past the end still knows the total", async () => {
    const deps = testDeps();
    const prefix = unique("paged");
    await deps.db.insert(roles).values(Array.from({ length: 5 }, (_, i) => ({ name: `${prefix}_${i}`, allowedTabs: [`tab${i}`] })));
    const from = sql`from ${roles} where ${roles.name} like ${sql.placeholder("prefix")}`;
    const read = pagedRead({ name: roles.name, allowedTabs: roles.allowedTabs }, from, sql`order by ${roles.name} asc`);
    const values = { prefix: `${prefix}%` };
    // One statement: the count is a subquery of the page.
    expect(read.sql).toMatch(/^select .*\(select count\(\*\) from "roles" where .*\) as "__total" from "roles" where .* limit \? offset \?$/);

    const first = await read.run(env.DB, { ...values, limit: 2, offset: 0 });
    expect(first).toEqual({
      rows: [
        { name: `${prefix}_0`, allowedTabs: ["tab0"] },
        { name: `${prefix}_1`, allowedTabs: ["tab1"] },
      ],
      total: 5,
    });
    // The total's column does not reach what the rows serialise to.
    expect(JSON.stringify(first.rows)).not.toContain("__total");
    const last = await read.run(env.DB, { ...values, limit: 2, offset: 4 });
    expect(last).toEqual({ rows: [{ name: `${prefix}_4`, allowedTabs: ["tab4"] }], total: 5 });
    // Past the end: no row carries the total, so it is counted alone.
    expect(await read.run(env.DB, { ...values, limit: 2, offset: 10 })).toEqual({ rows: [], total: 5 });
    expect(await read.run(env.DB, { prefix: `${prefix}-none%`, limit: 2, offset: 0 })).toEqual({ rows: [], total: 0 });
  });

  it("counts what countFrom names when it is given (a cheaper count of the same rows)", async () => {
    const deps = testDeps();
    const prefix = unique("counted");
    await deps.db.insert(roles).values(Array.from({ length: 3 }, (_, i) => ({ name: `${prefix}_${i}` })));
    const p = sql.placeholder("prefix");
    const read = pagedRead(
      { name: roles.name },
      sql`from ${roles} where ${roles.name} like ${p}`,
      sql`order by ${roles.name} desc`,
      sql`from ${roles} where ${roles.name} like ${p} and ${roles.name} <> ${`${prefix}_0`}`,
    );
    expect(await read.run(env.DB, { prefix: `${prefix}%`, limit: 1, offset: 0 })).toEqual({ rows: [{ name: `${prefix}_2` }], total: 2 });
  });
});
