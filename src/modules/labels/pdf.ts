/**
 * Label PDFs, written directly (no pdf-lib): speed is the point, and a sheet of labels needs
 * only a handful of PDF object kinds. Where the time went before (bench/README.md, "Labels"):
 * bwip-js's PostScript emulation encoding each Code 128 (~45%), then pdf-lib's object model
 * (a PDFDict per page, per font lookup, per encoded string) and its garbage.
 *
 * - Code 128 is encoded by ./code128.ts; EAN-13, QR and Data Matrix by bwip-js's `raw()` (the
 *   symbol as modules, no drawing).
 * - Each distinct value is encoded once into `x y w h re` rectangles in module units (a path
 *   cached per value); each label draws that path inside its page's content, `cm` scaling it to
 *   the label. Not a form XObject per value: every stream is compressed, and a compression costs
 *   ~0.4 ms (workerd under load, bench/README.md) whatever its size, so one stream a page it is.
 *   A value repeated on a page costs a few bytes once deflated.
 * - Text is the standard Helvetica / Helvetica-Bold (WinAnsi, not embedded), measured with the
 *   AFM widths in ./helvetica.ts and written as literal strings.
 * - Objects are written as text, each offset recorded for the cross-reference table. Page
 *   contents are FlateDecode streams, compressed by the runtime's `CompressionStream("deflate")`
 *   (zlib format, as PDF wants): each page's compression starts when the page is full and runs
 *   one after the other in the background (while a job awaits its D1 progress writes), its
 *   object appended when done; `save()` awaits the last. 10,000 RM365 labels: 9.8 MB plain.
 *
 * The same code renders the documents worker's jobs and its single labels (the API asks it
 * through the DOCUMENTS service binding); tests read the PDF back with pdf-lib (inflating the
 * contents) and decode every barcode with zxing (test/labels/decode.ts).
 */
import bwipjs from "bwip-js/generic";
import { code128Sbs } from "./code128";
import { HELVETICA, HELVETICA_BOLD } from "./helvetica";
import { type EncodedSymbol, type LabelData, type LabelTemplate, labelsPerPage, mm, num, QUIET, type Symbology } from "./render";

type RawLinear = { sbs: number[] };
type RawMatrix = { pixs: number[]; pixx: number; pixy: number };

/** Bar/space widths (bar first) as an encoded linear symbol. */
function linear(symbology: Symbology, sbs: readonly number[]): EncodedSymbol {
  const bars: [number, number][] = [];
  let x = 0;
  for (let i = 0; i < sbs.length; i++) {
    const width = sbs[i] ?? 0;
    if (i % 2 === 0) bars.push([x, width]);
    x += width;
  }
  return { kind: "linear", symbology, modules: x, bars };
}

/**
 * Encodes `value` into bars or module runs. Throws when the value cannot be encoded (check
 * `symbologyProblem` first).
 */
export function encodeSymbol(symbology: Symbology, value: string): EncodedSymbol {
  if (symbology === "code128") return linear(symbology, code128Sbs(value));
  // QR at error-correction level M: printed labels get scuffed.
  const [first] = bwipjs.raw(symbology, value, symbology === "qrcode" ? "eclevel=M" : "") as (RawLinear | RawMatrix)[];
  if (!first) throw new Error(`bwip-js encoded nothing for ${symbology}`);
  if ("sbs" in first) return linear(symbology, first.sbs);
  const { pixs, pixx, pixy } = first;
  const dark: [number, number, number][] = [];
  for (let row = 0; row < pixy; row++) {
    let start = -1;
    for (let col = 0; col <= pixx; col++) {
      const on = col < pixx && pixs[row * pixx + col] === 1;
      if (on && start < 0) start = col;
      else if (!on && start >= 0) {
        // PDF's y grows upwards; bwip-js's row 0 is the top.
        dark.push([start, pixy - 1 - row, col - start]);
        start = -1;
      }
    }
  }
  return { kind: "matrix", symbology, columns: pixx, rows: pixy, dark };
}

/**
 * The symbol as PDF path operators in module units: linear codes one unit high (scaled to the
 * bar height when drawn), 2-D codes one unit per module. Tests parse exactly this back.
 */
export function symbolPath(symbol: EncodedSymbol): string {
  let out = "";
  if (symbol.kind === "linear") for (const [x, w] of symbol.bars) out += `${x} 0 ${w} 1 re\n`;
  else for (const [x, y, w] of symbol.dark) out += `${x} ${y} ${w} 1 re\n`;
  return `${out}f`;
}

// WinAnsi (the standard fonts' encoding) covers printable ASCII and most of Latin-1; anything
// else is printed as `?` rather than failing the job.
const UNPRINTABLE = /[^\x20-\x7E\u00A0-\u00FF]/g;
const printable = (text: string) => text.replace(UNPRINTABLE, "?");

/** Width in points of printable `text` at `size`. */
function widthOf(widths: readonly number[], text: string, size: number): number {
  let units = 0;
  for (let i = 0; i < text.length; i++) units += widths[text.charCodeAt(i) - 32] ?? 0;
  return (units * size) / 1000;
}

/** Cuts `text` to fit `width` points at `size`, with an ellipsis when it was cut. */
function fitText(widths: readonly number[], text: string, size: number, width: number): string {
  if (widthOf(widths, text, size) <= width) return text;
  const budget = width - widthOf(widths, "...", size);
  let used = 0;
  let end = 0;
  while (end < text.length) {
    const next = used + ((widths[text.charCodeAt(end) - 32] ?? 0) * size) / 1000;
    if (next > budget) break;
    used = next;
    end++;
  }
  return `${text.slice(0, end)}...`;
}

/** A PDF literal string of Latin-1 `text`: `( ) \` escaped, bytes above 126 as octal escapes. */
function literal(text: string): string {
  let out = "(";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 40 || c === 41 || c === 92) out += `\\${text[i]}`;
    else if (c < 32 || c > 126) out += `\\${(c & 0xff).toString(8).padStart(3, "0")}`;
    else out += text[i];
  }
  return `${out})`;
}

/** A PDF text string (document information): Latin-1 as a literal, anything else UTF-16BE hex. */
function textString(text: string): string {
  if (/^[\x20-\x7E\u00A0-\u00FF]*$/.test(text)) return literal(text);
  let hex = "<FEFF";
  for (let i = 0; i < text.length; i++) hex += text.charCodeAt(i).toString(16).padStart(4, "0");
  return `${hex}>`;
}

/** The text lines a label prints, in template order (name first, bold). */
function lines(template: LabelTemplate, label: LabelData): { text: string; bold: boolean }[] {
  const out: { text: string; bold: boolean }[] = [];
  for (const field of template.fields) {
    switch (field) {
      case "name":
        out.push({ text: label.name, bold: true });
        break;
      case "sku":
        out.push({ text: `SKU ${label.sku}`, bold: false });
        break;
      case "barcode_text":
        out.push({ text: label.value, bold: false });
        break;
      case "location":
        out.push({ text: label.location, bold: false });
        break;
      case "line_date":
        if (label.line_date) out.push({ text: `Line date ${label.line_date}`, bold: false });
        break;
    }
  }
  return out;
}

const ASCII = new TextEncoder();

/** `data` deflated in zlib format (PDF's FlateDecode). */
async function deflate(data: Uint8Array): Promise<Uint8Array> {
  const stream = new CompressionStream("deflate");
  const writer = stream.writable.getWriter();
  // Not awaited: the writes resolve as the readable side is drained below.
  writer.write(data).catch(() => {});
  writer.close().catch(() => {});
  return new Uint8Array(await new Response(stream.readable).arrayBuffer());
}

// Fixed object numbers; pages and their contents follow from 6.
const CATALOG = 1;
const PAGES = 2;
const FONT_REGULAR = 3;
const FONT_BOLD = 4;
const INFO = 5;

/** A page being filled: its content. */
interface PageBuild {
  content: string;
}

/** An encoded value: the symbol and its path (module units, ending in `f`). */
interface SymbolEntry {
  symbol: EncodedSymbol;
  path: string;
}

/**
 * A PDF of labels being built: `add()` one label at a time (barcodes encoded once per distinct
 * value), then `save()`. Pages are laid out by the template, left to right, top to bottom.
 */
export class LabelDocument {
  readonly #template: LabelTemplate;
  readonly #title: string;
  readonly #symbols = new Map<string, SymbolEntry>();
  /** The bytes written so far (`#length` of `#bytes`), and each object's byte offset by number. */
  #bytes = new Uint8Array(64 * 1024);
  #length = 0;
  readonly #offsets: number[] = [];
  #nextObject = INFO + 1;
  readonly #pageObjects: number[] = [];
  #page: PageBuild | null = null;
  #slot = 0;
  #labels = 0;
  /** The page contents being compressed, one after the other; the first failure is kept for `save()`. */
  #compressing: Promise<void> = Promise.resolve();
  #compressError: unknown = null;

  private constructor(template: LabelTemplate, title: string) {
    this.#template = template;
    this.#title = title;
    // %PDF header and a comment of four bytes above 127 (marks the file binary); the rest is ASCII.
    this.#write("%PDF-1.7\n%");
    this.#bytes.set([0xe2, 0xe3, 0xcf, 0xd3, 0x0a], this.#length);
    this.#length += 5;
  }

  /** Starts an empty document for `template`. */
  static async create(template: LabelTemplate, title = "Labels"): Promise<LabelDocument> {
    return new LabelDocument(template, title);
  }

  get pages(): number {
    return this.#pageObjects.length + (this.#page ? 1 : 0);
  }

  get labels(): number {
    return this.#labels;
  }

  /** Distinct barcode values encoded so far. */
  get symbols(): number {
    return this.#symbols.size;
  }

  /** Makes room for `more` bytes. */
  #reserve(more: number): void {
    if (this.#length + more > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#length + more));
      grown.set(this.#bytes.subarray(0, this.#length));
      this.#bytes = grown;
    }
  }

  /** Appends ASCII `text` (every string this class writes is ASCII: see `literal`). */
  #write(text: string): void {
    this.#reserve(text.length);
    this.#length += ASCII.encodeInto(text, this.#bytes.subarray(this.#length)).written;
  }

  /** Writes object `number` with `body` (a dictionary, or a dictionary and its stream). */
  #object(number: number, body: string): void {
    this.#offsets[number] = this.#length;
    this.#write(`${number} 0 obj\n${body}\nendobj\n`);
  }

  /** Writes object `number` as a FlateDecode stream of already deflated `data`. */
  #deflatedStream(number: number, data: Uint8Array): void {
    this.#offsets[number] = this.#length;
    this.#write(`${number} 0 obj\n<</Filter /FlateDecode /Length ${data.length}>>\nstream\n`);
    this.#reserve(data.length);
    this.#bytes.set(data, this.#length);
    this.#length += data.length;
    this.#write("\nendstream\nendobj\n");
  }

  /** The symbol for `value`, encoded on first use. */
  #symbol(value: string): SymbolEntry {
    let entry = this.#symbols.get(value);
    if (!entry) {
      const symbol = encodeSymbol(this.#template.symbology, value);
      entry = { symbol, path: symbolPath(symbol) };
      this.#symbols.set(value, entry);
    }
    return entry;
  }

  /** Adds one label in the next free slot (a new page when the last one is full). */
  add(label: LabelData): void {
    const t = this.#template;
    if (!this.#page) this.#page = { content: "" };
    const page = this.#page;
    const col = this.#slot % t.columns;
    const row = Math.floor(this.#slot / t.columns);
    const x = mm(t.margin_left_mm + col * (t.label_width_mm + t.gap_x_mm));
    const top = mm(t.page_height_mm - t.margin_top_mm - row * (t.label_height_mm + t.gap_y_mm));
    this.#drawLabel(page, label, x, top - mm(t.label_height_mm));
    this.#labels++;
    this.#slot++;
    if (this.#slot === labelsPerPage(t)) this.#flush();
  }

  #drawLabel(page: PageBuild, label: LabelData, x: number, y: number): void {
    const t = this.#template;
    const width = mm(t.label_width_mm);
    const height = mm(t.label_height_mm);
    const pad = Math.min(mm(1.5), height / 10);
    const { symbol, path } = this.#symbol(label.value);
    const text = lines(t, label);
    const size = Math.max(4, Math.min(8, (height - 2 * pad) / 7));
    const lineHeight = size * 1.15;
    const [quietLeft, quietRight] = QUIET[symbol.symbology];

    let textX = x + pad;
    let textWidth = width - 2 * pad;
    let textTop = y + height - pad;
    let content = "";
    if (symbol.kind === "linear") {
      // Text on top, the barcode (with its quiet zones) across the label below it.
      const textHeight = text.length * lineHeight;
      const barHeight = Math.max(height - 2 * pad - textHeight - pad / 2, height * 0.35);
      const module = (width - 2 * pad) / (symbol.modules + quietLeft + quietRight);
      const bx = x + pad + quietLeft * module;
      content += `q ${num(module)} 0 0 ${num(barHeight)} ${num(bx)} ${num(y + pad)} cm\n${path}\nQ\n`;
    } else {
      // The square symbol on the left, the text to its right.
      const side = Math.min(height - 2 * pad, width / 2);
      const module = side / (Math.max(symbol.columns, symbol.rows) + quietLeft + quietRight);
      const bx = x + pad + quietLeft * module;
      const by = y + (height - symbol.rows * module) / 2;
      content += `q ${num(module)} 0 0 ${num(module)} ${num(bx)} ${num(by)} cm\n${path}\nQ\n`;
      textX = x + pad + side + pad;
      textWidth = width - side - 3 * pad;
      textTop = y + height - pad;
    }
    let baseline = textTop - size;
    const sizeText = num(size);
    for (const line of text) {
      const shown = fitText(line.bold ? HELVETICA_BOLD : HELVETICA, printable(line.text), size, textWidth);
      content += `BT /${line.bold ? "FB" : "FR"} ${sizeText} Tf ${num(textX)} ${num(baseline)} Td ${literal(shown)} Tj ET\n`;
      baseline -= lineHeight;
    }
    page.content += content;
  }

  /** Writes the page being filled (if any); its content follows once compressed. */
  #flush(): void {
    const page = this.#page;
    if (!page) return;
    const t = this.#template;
    const pageObject = this.#nextObject++;
    const contentObject = this.#nextObject++;
    this.#object(
      pageObject,
      `<</Type /Page /Parent ${PAGES} 0 R /MediaBox [0 0 ${num(mm(t.page_width_mm))} ${num(mm(t.page_height_mm))}] ` +
        `/Resources <</Font <</FR ${FONT_REGULAR} 0 R /FB ${FONT_BOLD} 0 R>>>> /Contents ${contentObject} 0 R>>`,
    );
    const content = ASCII.encode(page.content);
    this.#compressing = this.#compressing.then(async () => {
      if (this.#compressError) return;
      try {
        this.#deflatedStream(contentObject, await deflate(content));
      } catch (error) {
        this.#compressError = error;
      }
    });
    this.#pageObjects.push(pageObject);
    this.#page = null;
    this.#slot = 0;
  }

  /** Finishes the last page and serialises the PDF. */
  async save(): Promise<Uint8Array> {
    this.#flush();
    await this.#compressing;
    if (this.#compressError) throw this.#compressError;
    this.#object(CATALOG, `<</Type /Catalog /Pages ${PAGES} 0 R>>`);
    this.#object(PAGES, `<</Type /Pages /Kids [${this.#pageObjects.map((n) => `${n} 0 R`).join(" ")}] /Count ${this.#pageObjects.length}>>`);
    this.#object(FONT_REGULAR, "<</Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding>>");
    this.#object(FONT_BOLD, "<</Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding>>");
    this.#object(INFO, `<</Title ${textString(this.#title)} /Producer (Floorline)>>`);
    const xref = this.#length;
    const size = this.#nextObject;
    let table = `xref\n0 ${size}\n0000000000 65535 f \n`;
    for (let n = 1; n < size; n++) table += `${String(this.#offsets[n] ?? 0).padStart(10, "0")} 00000 n \n`;
    this.#write(`${table}trailer\n<</Size ${size} /Root ${CATALOG} 0 R /Info ${INFO} 0 R>>\nstartxref\n${xref}\n%%EOF\n`);
    return this.#bytes.slice(0, this.#length);
  }
}
