/**
 * The part lists are plain reads (src/lib/sql.ts) naming their columns themselves, so each list
 * item must equal the part as the single-part read (drizzle's own mapping) returns it, on every
 * surface: `/api/v1/parts`, `/api/v1/parts/categories/{c}` and the seeds' `/api/parts/`. Nulls,
 * JSON (`misc_info`), timestamps set later (`claimed_date`), sorting without case and the id
 * tiebreaker, filters, paging and the total are pinned here.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { CompatList, CompatPart } from "../../src/compat/parts/shapes";
import { parts } from "../../src/db/schema";
import { Part, PartList } from "../../src/modules/parts/schemas";
import { call, db, loginAs, str, unique } from "../helpers";

async function admin() {
  const { token } = await loginAs("admin");
  const key = await call("/api/v1/api-keys", { token, body: { name: unique("list"), permissions: ["parts:read"] } });
  expect(key.status).toBe(201);
  return { token, key: str(key.json.key) };
}

describe("part lists", () => {
  it("every item equals the single-part read, with nulls, JSON and a later claimed date, on v1 and /api/parts/", async () => {
    const { token, key } = await admin();
    const tag = unique("tag");
    const full = await call("/api/v1/parts", {
      token,
      body: {
        type: "cnc",
        name: `Full ${tag}`,
        part_id: unique("P"),
        material: "6061",
        material_thickness: "0.25in",
        subsystem: "Drive",
        notes: `notes ${tag}`,
        onshape_url: "https://cad.onshape.com/documents/a/w/b/e/c",
        misc_info: { finish: "anodised", holes: 2 },
        amount: 3,
      },
      schema: Part,
    });
    expect(full.status).toBe(201);
    await db().update(parts).set({ assigned: "Sam", claimedDate: "2026-05-04T07:08:09.123Z", file: "bracket.step" }).where(eq(parts.id, full.json.id));
    const bare = await call("/api/v1/parts", {
      token,
      body: { type: "hand", name: `Bare ${tag}`, part_id: unique("P"), material: "steel", subsystem: "Lift" },
      schema: Part,
    });
    expect(bare.status).toBe(201);

    const list = await call(`/api/v1/parts?search=${tag}&sort_by=name&sort_order=asc`, { token, schema: PartList });
    expect(list.json.total).toBe(2);
    for (const [i, id] of [bare.json.id, full.json.id].entries()) {
      const one = await call(`/api/v1/parts/${id}`, { token, schema: Part });
      expect(list.json.items[i]).toEqual(one.json);
    }
    const item = list.json.items[1];
    expect(item?.misc_info).toEqual({ finish: "anodised", holes: 2 });
    expect(item?.claimed_date).toBe("2026-05-04T07:08:09.123Z");
    expect(list.json.items[0]).toMatchObject({
      misc_info: null,
      notes: null,
      material_thickness: null,
      onshape_url: null,
      assigned: null,
      claimed_date: null,
      file: null,
    });

    const compat = await call(`/api/parts/?search=${tag}&sort_by=name&sort_order=asc`, { headers: { "x-api-key": key }, schema: CompatList });
    expect(compat.json).toMatchObject({ total: 2, limit: null, offset: 0 });
    for (const [i, id] of [bare.json.id, full.json.id].entries()) {
      const one = await call(`/api/parts/${id}`, { headers: { "x-api-key": key }, schema: CompatPart });
      expect(compat.json.parts[i]).toEqual(one.json);
    }
  });

  it("sorts text without case with the id as tiebreaker, both ways; filters by category and literal search; pages with the total", async () => {
    const { token, key } = await admin();
    const tag = unique("srt");
    const make = async (name: string) =>
      (await call("/api/v1/parts", { token, body: { type: "cnc", name: `${name} ${tag}`, part_id: unique("P"), material: "m", subsystem: "s" }, schema: Part }))
        .json.id;
    const bravo = await make("Bravo");
    const alpha = await make("alpha");
    const twin1 = await make("Charlie");
    const twin2 = await make("charlie");
    const ids = async (query: string) => (await call(`/api/v1/parts?search=${tag}&${query}`, { token, schema: PartList })).json.items.map((p) => p.id);
    expect(await ids("sort_by=name&sort_order=asc")).toEqual([alpha, bravo, twin1, twin2]);
    // Descending by name, the tie (charlie = Charlie without case) still breaks by id ascending.
    expect(await ids("sort_by=name&sort_order=desc")).toEqual([twin1, twin2, bravo, alpha]);
    expect(await ids("sort_by=created_at&sort_order=asc")).toEqual([bravo, alpha, twin1, twin2]);
    const page = await call(`/api/v1/parts?search=${tag}&sort_by=name&sort_order=asc&limit=2&offset=1`, { token, schema: PartList });
    expect(page.json).toMatchObject({ total: 4, limit: 2, offset: 1 });
    expect(page.json.items.map((p) => p.id)).toEqual([bravo, twin1]);
    // `%` and `_` are literal in a search.
    expect((await call(`/api/v1/parts?search=${tag.replace(/_/g, "%25")}`, { token, schema: PartList })).json.total).toBe(0);
    // Category: all four are in review; approve one (review → cnc).
    expect((await call(`/api/v1/parts/${alpha}/approve`, { method: "POST", token, body: {} })).status).toBe(200);
    const review = await call(`/api/v1/parts/categories/review?search=${tag}&sort_by=name&sort_order=asc`, { token, schema: PartList });
    expect(review.json.items.map((p) => p.id)).toEqual([bravo, twin1, twin2]);
    expect(review.json.total).toBe(3);
    const cnc = await call(`/api/parts/?category=cnc&search=${tag}`, { headers: { "x-api-key": key }, schema: CompatList });
    expect(cnc.json.parts.map((p) => p.id)).toEqual([alpha]);
    expect(cnc.json.total).toBe(1);
  });
});
