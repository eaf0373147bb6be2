import { describe, expect, it } from "vitest";
import { encodeSymbol, LabelDocument, symbologyProblem } from "../../src/modules/labels/render";
import { BUILTIN_TEMPLATES, resolveTemplate } from "../../src/modules/labels/templates";
import { decodeSymbol, rectangles, symbolsOf } from "./decode";

const MM = 72 / 25.4;
const QUIET_CODE128 = 10;

describe("label rendering", () => {
  it("draws each distinct value once: 14 labels of 3 values make 3 barcode XObjects", async () => {
    const doc = await LabelDocument.create(resolveTemplate("rm365"));
    for (let i = 0; i < 14; i++) doc.add({ value: `V-${i % 3}`, sku: `S${i}`, name: "Name", location: "A", line_date: null });
    expect(doc.symbols).toBe(3);
    const { pages, symbols } = await symbolsOf(await doc.save());
    expect(pages).toBe(2);
    expect(symbols).toHaveLength(14);
    expect(new Set(symbols.map((s) => s.rects)).size).toBe(3);
  });

  it("on the RM365 sheet every barcode sits inside its 69×27 mm label with its quiet zones, bars at least 0.19 mm", async () => {
    const template = resolveTemplate("rm365");
    const doc = await LabelDocument.create(template);
    for (let i = 0; i < 7; i++)
      doc.add({
        value: `SKU-LONGISH-${i}-ABCDEFG`,
        sku: "S",
        name: "A name long enough to need cutting down to the label width",
        location: "A",
        line_date: "2026-11-22",
      });
    const { symbols } = await symbolsOf(await doc.save());
    symbols.forEach((symbol, slot) => {
      const [module = 0, , , barHeight = 0, x = 0, y = 0] = symbol.matrix;
      const modules = Math.max(...symbol.rects.map(([rx, , w]) => rx + w));
      const left = template.margin_left_mm * MM;
      const bottom = (template.page_height_mm - template.margin_top_mm - (slot + 1) * template.label_height_mm) * MM;
      expect(x - QUIET_CODE128 * module).toBeGreaterThanOrEqual(left - 0.01);
      expect(x + (modules + QUIET_CODE128) * module).toBeLessThanOrEqual(left + template.label_width_mm * MM + 0.01);
      expect(y).toBeGreaterThanOrEqual(bottom);
      expect(y + barHeight).toBeLessThanOrEqual(bottom + template.label_height_mm * MM);
      expect(module / MM).toBeGreaterThanOrEqual(0.19);
      expect(barHeight / MM).toBeGreaterThanOrEqual(8);
    });
  });

  it.each([
    ["code128", "ABC-123/x"],
    ["ean13", "4006381333931"],
    ["qrcode", "Ünïcode SKU ✓"],
    ["datamatrix", "SKU-0001"],
  ] as const)("%s of %s decodes from the path data drawn", (symbology, value) => {
    const symbol = encodeSymbol(symbology, value);
    const rects =
      symbol.kind === "linear"
        ? symbol.bars.map(([x, w]) => [x, 0, w, 1] as [number, number, number, number])
        : symbol.dark.map(([x, y, w]) => [x, y, w, 1] as [number, number, number, number]);
    expect(decodeSymbol(rects, symbology).text).toBe(value);
    // A broken symbol does not decode: the test can fail.
    expect(() => decodeSymbol(rects.slice(0, Math.floor(rects.length / 2)), symbology)).toThrow();
  });

  it("knows what a symbology cannot encode", () => {
    expect(symbologyProblem("ean13", "123")).toMatch(/12 or 13 digits/);
    expect(symbologyProblem("ean13", "4006381333932")).toMatch(/check digit/);
    expect(symbologyProblem("ean13", "4006381333931")).toBeNull();
    expect(symbologyProblem("code128", "naïve")).toMatch(/ASCII/);
    expect(rectangles("1 0 2 1 re\n4 0 1 1 re\nf")).toEqual([
      [1, 0, 2, 1],
      [4, 0, 1, 1],
    ]);
  });

  it("every built-in template fits its page", () => {
    for (const t of BUILTIN_TEMPLATES) expect(() => resolveTemplate(t.id)).not.toThrow();
  });
});
