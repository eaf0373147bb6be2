import { getTableColumns, inArray, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { equipmentLog, fulfillmentItems, roles } from "../../src/db/schema";
import { CSV_PAGE_ROWS, csvStream } from "../../src/lib/csv";
import { contentDisposition, csvHeaders, fileHeaders } from "../../src/lib/download";
import { chunk, D1_MAX_PARAMS, IDS_PER_STATEMENT, likeContains, rowsPerInsert } from "../../src/lib/sql";
import { testDeps, unique } from "../helpers";

/** The name a client reads from `filename*` (RFC 5987), and the ASCII fallback. */
function parseDisposition(value: string) {
  const ext = /filename\*=UTF-8''([^;\s]*)/.exec(value)?.[1];
  const ascii = /filename="([^"]*)"/.exec(value)?.[1];
  return { ext: ext === undefined ? undefined : decodeURIComponent(ext), ascii, rawExt: ext };
}

describe("file responses", () => {
  it("a quote, a newline and non-ASCII in a filename neither break the header nor change the name", () => {
    for (const name of ['a"b.pdf', "line\r\nSet-Cookie: x=1.pdf", "标签-Größe.pdf", "it's (1)*.pdf", "back\\slash.csv", "half\uD800.pdf"]) {
      const value = contentDisposition("attachment", name);
      expect(() => new Headers({ "Content-Disposition": value })).not.toThrow();
      expect(value).not.toMatch(/[\r\n]/);
      const { ext, ascii, rawExt } = parseDisposition(value);
      expect(ascii).toMatch(/^[\x20-\x7e]*$/);
      expect(ascii).not.toMatch(/["\\]/);
      // Only RFC 5987 attr-chars and %XX in the extended value.
      expect(rawExt).toMatch(/^([A-Za-z0-9!#$&+\-.^_`|~]|%[0-9A-F]{2})*$/);
      expect(ext).toBe(name.replace("\uD800", "\uFFFD"));
    }
    expect(contentDisposition("inline", "plain.pdf")).toBe(`inline; filename="plain.pdf"; filename*=UTF-8''plain.pdf`);
  });

  it("file and CSV headers carry type, length, disposition, nosniff and no-cache", () => {
    expect(fileHeaders({ contentType: "application/pdf", filename: "x.pdf", size: 3 }, "inline")).toEqual({
      "Content-Type": "application/pdf",
      "Content-Length": "3",
      "Content-Disposition": `inline; filename="x.pdf"; filename*=UTF-8''x.pdf`,
      "X-Content-Type-Options": "nosniff",
      "Cache-Control": "private, no-cache",
    });
    expect(csvHeaders("a.csv")).toMatchObject({ "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": expect.stringMatching(/^attachment; /) });
  });
});

describe("D1 parameter chunking", () => {
  it("splits lists and keeps multi-row inserts under 100 parameters", () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 3)).toEqual([]);
    expect(() => chunk([1], 0)).toThrow(RangeError);
    for (const table of [equipmentLog, fulfillmentItems]) {
      expect(rowsPerInsert(table) * Object.keys(getTableColumns(table)).length).toBeLessThanOrEqual(D1_MAX_PARAMS);
    }
  });

  it("a list longer than D1's bound reads in one batch of chunked statements", async () => {
    const deps = testDeps();
    const names = Array.from({ length: 250 }, () => unique("chunked"));
    const reads = chunk(names, IDS_PER_STATEMENT).map((group) => deps.db.select({ name: roles.name }).from(roles).where(inArray(roles.name, group)));
    const [first, ...rest] = reads;
    if (!first) throw new Error("no statements");
    expect((await deps.db.batch([first, ...rest])).flat()).toEqual([]);
  });
});

describe("LIKE search", () => {
  it("takes %, _ and \\ literally and matches any of the columns", async () => {
    const deps = testDeps();
    const hit = async (text: string, search: string) =>
      (await deps.db.all<{ hit: number }>(sql`select ${likeContains([sql`${text}`, sql`'zzz'`], search)} as hit`))[0]?.hit;
    expect(await hit("50% off", "50%")).toBe(1);
    expect(await hit("500 off", "50%")).toBe(0);
    expect(await hit("a_b", "a_b")).toBe(1);
    expect(await hit("axb", "a_b")).toBe(0);
    expect(await hit("c:\\dir", "\\d")).toBe(1);
    expect(await hit("c:dir", "\\d")).toBe(0);
    expect(await hit("Bolt M8", "bolt")).toBe(1);
    expect(await hit("nothing", "zz")).toBe(1);
  });
});

describe("csvStream", () => {
  it("writes the header, then pages by key until a short page", async () => {
    const rows = Array.from({ length: CSV_PAGE_ROWS * 2 + 3 }, (_, i) => ({ id: i + 1, name: i === 0 ? "=cmd" : `n${i + 1}` }));
    const asked: (number | undefined)[] = [];
    const stream = csvStream(
      ["id", "name"],
      async (after: number | undefined) => {
        asked.push(after);
        return rows.filter((r) => r.id > (after ?? 0)).slice(0, CSV_PAGE_ROWS);
      },
      (r) => r.id,
      (r) => [r.id, r.name],
    );
    const text = await new Response(stream).text();
    const lines = text.split("\r\n");
    expect(lines[0]).toBe("id,name");
    expect(lines[1]).toBe("1,'=cmd");
    expect(lines.at(-2)).toBe(`${rows.length},n${rows.length}`);
    expect(lines).toHaveLength(rows.length + 2);
    expect(asked).toEqual([undefined, CSV_PAGE_ROWS, CSV_PAGE_ROWS * 2]);
  });
});
