import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { roles } from "../../src/db/schema";
import { afterOneChange, insertWhere } from "../../src/lib/sql";
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
