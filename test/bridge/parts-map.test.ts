/** Part Management / Aerie rows → Floorline parts: the mapper directly, on the fixture's rows. */
import { describe, expect, it } from "vitest";
import { mapPart, mapPartFile } from "../../src/modules/bridge/parts/source";
import type { MapContext } from "../../src/modules/bridge/source";
import { BadValue } from "../../src/modules/bridge/values";
import { defect, partRows } from "../fixtures/legacy/parts-db";

const ctx = (known: Record<string, string> = {}): MapContext => ({ ref: (_t, id) => known[String(id)], now: new Date() });
const outcome = (row: Parameters<typeof mapPart>[0]) => {
  try {
    return mapPart(row);
  } catch (err) {
    if (err instanceof BadValue) return { error: err.message };
    throw err;
  }
};

describe("Part Management / Aerie part mapper", () => {
  it("maps every fixture row except the defective ones, and reports each of those with its reason", () => {
    const rows = partRows({ rows: 3000 });
    const errors = new Map<number, string>();
    for (const row of rows) {
      const result = outcome(row as unknown as Record<string, unknown>);
      if ("error" in result) errors.set(row.id, result.error);
    }
    const expected = rows.filter((r) => defect(r.id) !== null).map((r) => r.id);
    expect([...errors.keys()]).toEqual(expected);
    for (const [id, reason] of errors)
      expect(reason).toMatch({ type: /^type /, name: /^name: missing/, status: /^status "Scrapped"/ }[defect(id) as string] as RegExp);
  });

  it("keeps the seed's values: times as UTC, miscInfo without views, 001's Approved as Reviewed, empty part_id from uuid", () => {
    const [row] = partRows({ rows: 50, variant: "aerie" }).filter((r) => r.id === 50);
    if (!row) throw new Error("fixture row 50");
    const mapped = mapPart({ ...row, part_id: "" } as unknown as Record<string, unknown>);
    if (!("values" in mapped)) throw new Error(JSON.stringify(mapped));
    expect(mapped.values.createdAt).toBe(`${row.created_at?.slice(0, 10)}T${row.created_at?.slice(11, 23)}Z`);
    expect(mapped.values.partId).toBe(row.uuid?.slice(0, 8));
    expect(JSON.parse(row.misc_info ?? "{}")).toHaveProperty("views");
    expect(mapped.values.miscInfo ?? {}).not.toHaveProperty("views");
    const pms = partRows({ rows: 40, variant: "pms" }).find((r) => r.status === "Approved");
    if (!pms) throw new Error("no Approved row");
    expect(mapPart({ ...pms, part_id: "" } as unknown as Record<string, unknown>)).toMatchObject({ values: { status: "Reviewed", partId: String(pms.id) } });
  });

  it("refuses values Floorline would refuse from a client", () => {
    const [row] = partRows({ rows: 1 });
    const base = row as unknown as Record<string, unknown>;
    expect(outcome({ ...base, onshape_url: "javascript:alert(1)" })).toEqual({ error: "onshape_url is not an http(s) URL" });
    expect(outcome({ ...base, misc_info: '{"views":{},"nested":{"a":1}}' })).toEqual({ error: expect.stringMatching(/^misc_info: nested/) });
    expect(outcome({ ...base, misc_info: "[1,2]" })).toEqual({ error: "misc_info is not a JSON object" });
    expect(outcome({ ...base, category: "archive" })).toEqual({ error: expect.stringMatching(/^category/) });
    expect(outcome({ ...base, name: "x".repeat(201) })).toEqual({ error: "name: longer than 200 characters" });
    expect(mapPart({ ...base, amount: 0 })).toMatchObject({ values: { amount: 1 } });
  });

  it("maps a part's file only when its part was imported and the file was found", () => {
    const file = {
      part_id: 4,
      file: "io1-cm-214.stp",
      key: "parts/files/legacy/4-ab.step",
      kind: "step",
      content_type: "model/step",
      size: 41720,
      sha256: "ab",
      problem: null,
    };
    expect(mapPartFile(file, ctx({ "4": "17" }))).toEqual({
      values: {
        legacyKey: "4",
        partId: "17",
        file: "io1-cm-214.stp",
        fileKey: file.key,
        fileKind: "step",
        fileContentType: "model/step",
        fileSize: 41720,
        sha256: "ab",
      },
    });
    expect(mapPartFile(file, ctx())).toEqual({ error: expect.stringMatching(/part 4 was not imported/) });
    expect(mapPartFile({ ...file, key: null, kind: null, problem: 'file "missing.step" is not in the archive at uploads/7/' }, ctx({ "4": "17" }))).toEqual({
      error: expect.stringMatching(/not in the archive/),
    });
  });
});
