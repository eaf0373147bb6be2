import bwipjs from "bwip-js/generic";
import { PDFDocument, PDFName, PDFRawStream } from "pdf-lib";
import { describe, expect, it } from "vitest";
import { code128Sbs } from "../../src/modules/labels/code128";
import { encodeSymbol, LabelDocument } from "../../src/modules/labels/pdf";
import { symbologyProblem } from "../../src/modules/labels/render";
import { BUILTIN_TEMPLATES, resolveTemplate } from "../../src/modules/labels/templates";
import { decodeSymbol, rectangles, streamText, symbolsOf } from "./decode";

const MM = 72 / 25.4;
const QUIET_CODE128 = 10;

describe("label rendering", () => {
  it("encodes each distinct value once: 14 labels of 3 values draw 3 different symbols", async () => {
    const doc = await LabelDocument.create(resolveTemplate("rm365"));
    for (let i = 0; i < 14; i++) doc.add({ value: `V-${i % 3}`, sku: `S${i}`, name: "Name", location: "A", line_date: null });
    expect(doc.symbols).toBe(3);
    const { pages, symbols } = await symbolsOf(await doc.save());
    expect(pages).toBe(2);
    expect(symbols).toHaveLength(14);
    expect(new Set(symbols.map((s) => s.rects)).size).toBe(3);
  });

  it("compresses every page's content with FlateDecode (zlib), and nothing else is a stream", async () => {
    const doc = await LabelDocument.create(resolveTemplate("rm365"));
    for (let i = 0; i < 70; i++) doc.add({ value: `SKU-${i}`, sku: `S${i}`, name: "Hex bolt M6 zinc plated", location: "A", line_date: "2026-11-22" });
    const bytes = await doc.save();
    const pdf = await PDFDocument.load(bytes, { updateMetadata: false });
    expect(pdf.getPageCount()).toBe(10);
    let plain = 0;
    let packed = 0;
    for (const page of pdf.getPages()) {
      const contents = page.node.lookup(PDFName.of("Contents"));
      if (!(contents instanceof PDFRawStream)) throw new Error("expected a raw content stream");
      expect(contents.dict.get(PDFName.of("Filter"))).toBe(PDFName.of("FlateDecode"));
      // zlib header (CMF 0x78), not raw deflate.
      expect(contents.getContents()[0]).toBe(0x78);
      packed += contents.getContents().length;
      plain += streamText(contents).length;
    }
    expect(packed).toBeLessThan(plain / 2);
    const text = new TextDecoder("latin1").decode(bytes);
    expect(text.match(/\bstream\r?\n/g)).toHaveLength(10);
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

  // Our own Code 128 encoder (bwip-js's took most of a label's time): every printable character,
  // digit runs of every length at the start, middle and end (code set C switches), each read by
  // zxing (which checks the mod-103 symbol) and never longer than bwip-js's symbol.
  const printableAscii = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join("");
  const code128Values = [
    printableAscii.slice(0, 40),
    printableAscii.slice(40),
    ...Array.from({ length: 9 }, (_, n) => "1234567890".slice(0, n + 1)),
    ...Array.from({ length: 8 }, (_, n) => `AB${"9876543210".slice(0, n + 1)}`),
    ...Array.from({ length: 8 }, (_, n) => `${"0123456789".slice(0, n + 1)}X`),
    ...Array.from({ length: 8 }, (_, n) => `x${"0123456789".slice(0, n + 1)}-y`),
    "BENCH-000123",
    "5060000000012",
    " (a) \\b ",
  ];
  it.each(code128Values)("Code 128 of %j decodes and is no longer than bwip-js's", (value) => {
    const symbol = encodeSymbol("code128", value);
    if (symbol.kind !== "linear") throw new Error("expected a linear symbol");
    const rects = symbol.bars.map(([x, w]) => [x, 0, w, 1] as [number, number, number, number]);
    expect(decodeSymbol(rects, "code128").text).toBe(value);
    const [theirs] = bwipjs.raw("code128", value, "") as { sbs: number[] }[];
    const modules = (sbs: number[]) => sbs.reduce((a, b) => a + b, 0);
    expect(modules(code128Sbs(value))).toBeLessThanOrEqual(modules(theirs?.sbs ?? []));
  });

  it("writes label text as WinAnsi literal strings: brackets and backslashes escaped, Latin-1 kept, the rest as ?, long names cut", async () => {
    const doc = await LabelDocument.create(resolveTemplate("rm365"), "Labels (test) ✓");
    doc.add({ value: "V", sku: "a(b)c\\d", name: "Crème brûlée 中", location: "A", line_date: null });
    doc.add({ value: "W", sku: "S", name: "W".repeat(200), location: "A", line_date: null });
    const pdf = await PDFDocument.load(await doc.save(), { updateMetadata: false });
    expect(pdf.getTitle()).toBe("Labels (test) ✓");
    const contents = pdf.getPages()[0]?.node.lookup(PDFName.of("Contents"));
    if (!(contents instanceof PDFRawStream)) throw new Error("expected a raw content stream");
    const content = streamText(contents);
    expect(content).toContain("(SKU a\\(b\\)c\\\\d) Tj");
    expect(content).toContain("(Cr\\350me br\\373l\\351e ?) Tj");
    const cut = /\((W+)\.\.\.\) Tj/.exec(content)?.[1] ?? "";
    // 69 mm less padding at 7.3 pt Helvetica-Bold (W = 944/1000 em): about 26 W's, never all 200.
    expect(cut.length).toBeGreaterThan(20);
    expect(cut.length).toBeLessThan(30);
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
