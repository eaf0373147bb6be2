/**
 * Label rendering: pdf-lib pages, barcodes from bwip-js as PDF vector paths.
 *
 * Speed is the point (RM365's reportlab job took minutes for 100 labels):
 * - each distinct barcode value is encoded once with bwip-js's `raw()` (the symbol as modules:
 *   bar/space widths for linear codes, a module bitmap for 2-D ones) and written once as a form
 *   XObject whose content is `x y w h re` rectangles in module units; every label showing that
 *   value draws the same XObject (`cm` scales it to the label), so nothing is parsed per label;
 * - page content streams are written as text by hand (text with the standard Helvetica, the
 *   barcode by `Do`), not through pdf-lib's per-operator objects.
 *
 * The same code renders the synchronous single label in the API and the batch jobs in the
 * documents worker (workers/documents/labels.ts); tests decode what it draws.
 */
import bwipjs from "bwip-js/generic";
import { PDFDocument, type PDFFont, PDFName, type PDFRef, StandardFonts } from "pdf-lib";

/** Symbologies a template may use. */
export const SYMBOLOGIES = ["code128", "ean13", "qrcode", "datamatrix"] as const;
export type Symbology = (typeof SYMBOLOGIES)[number];

/** Text fields a template may print beside or above the barcode, in this order of choice. */
export const LABEL_FIELDS = ["name", "sku", "barcode_text", "location", "line_date"] as const;
export type LabelField = (typeof LABEL_FIELDS)[number];

/** A sheet layout: page, label grid, margins (millimetres), symbology and printed fields. */
export interface LabelTemplate {
  id: string;
  name: string;
  page_width_mm: number;
  page_height_mm: number;
  label_width_mm: number;
  label_height_mm: number;
  columns: number;
  rows: number;
  margin_left_mm: number;
  margin_top_mm: number;
  gap_x_mm: number;
  gap_y_mm: number;
  symbology: Symbology;
  fields: LabelField[];
}

/** What one label shows. `value` is what its barcode encodes (the item's barcode, else its SKU). */
export interface LabelData {
  value: string;
  sku: string;
  name: string;
  location: string;
  line_date: string | null;
}

/** A symbol as bwip-js encoded it, in modules. */
export type EncodedSymbol =
  | { kind: "linear"; symbology: Symbology; modules: number; bars: [x: number, width: number][] }
  | { kind: "matrix"; symbology: Symbology; columns: number; rows: number; dark: [x: number, y: number, width: number][] };

/** Quiet zones in modules (left, right) each symbology needs to scan. */
const QUIET: Record<Symbology, [number, number]> = { code128: [10, 10], ean13: [11, 7], qrcode: [4, 4], datamatrix: [2, 2] };

/** Why a value cannot be encoded in a symbology, or null when it can. */
export function symbologyProblem(symbology: Symbology, value: string): string | null {
  switch (symbology) {
    case "ean13":
      if (!/^\d{12,13}$/.test(value)) return "EAN-13 needs 12 or 13 digits";
      if (value.length === 13 && ean13CheckDigit(value.slice(0, 12)) !== value[12]) return "EAN-13 check digit is wrong";
      return null;
    case "code128":
      return /^[\x20-\x7E]+$/.test(value) ? null : "Code 128 takes printable ASCII only";
    default:
      return value.length > 0 ? null : "Empty value";
  }
}

/** The EAN-13 check digit of 12 digits. */
export function ean13CheckDigit(digits12: string): string {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(digits12[i]) * (i % 2 === 0 ? 1 : 3);
  return String((10 - (sum % 10)) % 10);
}

type RawLinear = { sbs: number[] };
type RawMatrix = { pixs: number[]; pixx: number; pixy: number };

/**
 * Encodes `value` with bwip-js (`raw()`: the symbol's modules, no drawing) into bars or module
 * runs. Throws when the value cannot be encoded (check {@link symbologyProblem} first).
 */
export function encodeSymbol(symbology: Symbology, value: string): EncodedSymbol {
  // QR at error-correction level M: printed labels get scuffed.
  const [first] = bwipjs.raw(symbology, value, symbology === "qrcode" ? "eclevel=M" : "") as (RawLinear | RawMatrix)[];
  if (!first) throw new Error(`bwip-js encoded nothing for ${symbology}`);
  if ("sbs" in first) {
    const bars: [number, number][] = [];
    let x = 0;
    first.sbs.forEach((width, i) => {
      if (i % 2 === 0) bars.push([x, width]);
      x += width;
    });
    return { kind: "linear", symbology, modules: x, bars };
  }
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
  const parts: string[] = [];
  if (symbol.kind === "linear") for (const [x, w] of symbol.bars) parts.push(`${x} 0 ${w} 1 re`);
  else for (const [x, y, w] of symbol.dark) parts.push(`${x} ${y} ${w} 1 re`);
  parts.push("f");
  return parts.join("\n");
}

const PT_PER_MM = 72 / 25.4;
const mm = (value: number) => value * PT_PER_MM;
const num = (value: number) => (Math.round(value * 100) / 100).toString();

/** Labels per page of a template. */
export const labelsPerPage = (t: Pick<LabelTemplate, "columns" | "rows">) => t.columns * t.rows;

/** Why a template's labels do not fit its page, or null when they do. */
export function templateProblem(t: LabelTemplate): string | null {
  const width = t.margin_left_mm + t.columns * t.label_width_mm + (t.columns - 1) * t.gap_x_mm;
  const height = t.margin_top_mm + t.rows * t.label_height_mm + (t.rows - 1) * t.gap_y_mm;
  if (width > t.page_width_mm + 0.01) return `The labels need ${num(width)} mm across; the page is ${t.page_width_mm} mm`;
  if (height > t.page_height_mm + 0.01) return `The labels need ${num(height)} mm down; the page is ${t.page_height_mm} mm`;
  return null;
}

// WinAnsi (the standard fonts' encoding) covers printable ASCII and most of Latin-1; anything
// else is printed as `?` rather than failing the job.
const UNPRINTABLE = /[^\x20-\x7E\u00A0-\u00FF]/g;
const printable = (text: string) => text.replace(UNPRINTABLE, "?");

/** A page being filled: its content operators and the barcode XObjects it draws. */
interface PageBuild {
  content: string[];
  xobjects: Map<string, PDFRef>;
}

interface Fonts {
  regular: PDFFont;
  bold: PDFFont;
}

/** Cuts `text` to fit `width` points at `size`, with an ellipsis when it was cut. */
function fitText(font: PDFFont, text: string, size: number, width: number): string {
  if (font.widthOfTextAtSize(text, size) <= width) return text;
  let low = 0;
  let high = text.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (font.widthOfTextAtSize(`${text.slice(0, mid)}...`, size) <= width) low = mid;
    else high = mid - 1;
  }
  return `${text.slice(0, low)}...`;
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

/**
 * A PDF of labels being built: `add()` one label at a time (barcodes encoded once per distinct
 * value), then `save()`. Pages are laid out by the template, left to right, top to bottom.
 */
export class LabelDocument {
  readonly #doc: PDFDocument;
  readonly #fonts: Fonts;
  readonly #template: LabelTemplate;
  readonly #symbols = new Map<string, { name: string; ref: PDFRef; symbol: EncodedSymbol }>();
  #page: PageBuild | null = null;
  #slot = 0;
  #pages = 0;
  #labels = 0;

  private constructor(doc: PDFDocument, fonts: Fonts, template: LabelTemplate) {
    this.#doc = doc;
    this.#fonts = fonts;
    this.#template = template;
  }

  /** Starts an empty document for `template`. */
  static async create(template: LabelTemplate, title = "Labels"): Promise<LabelDocument> {
    const doc = await PDFDocument.create({ updateMetadata: false });
    doc.setTitle(title);
    doc.setProducer("Floorline");
    const fonts = { regular: doc.embedStandardFont(StandardFonts.Helvetica), bold: doc.embedStandardFont(StandardFonts.HelveticaBold) };
    return new LabelDocument(doc, fonts, template);
  }

  get pages(): number {
    return this.#pages + (this.#page ? 1 : 0);
  }

  get labels(): number {
    return this.#labels;
  }

  /** Distinct barcode values encoded so far. */
  get symbols(): number {
    return this.#symbols.size;
  }

  /** The XObject for `value`, encoded and registered on first use. */
  #symbol(value: string): { name: string; ref: PDFRef; symbol: EncodedSymbol } {
    let entry = this.#symbols.get(value);
    if (!entry) {
      const symbol = encodeSymbol(this.#template.symbology, value);
      const bbox = symbol.kind === "linear" ? [0, 0, symbol.modules, 1] : [0, 0, symbol.columns, symbol.rows];
      const ref = this.#doc.context.register(this.#doc.context.stream(symbolPath(symbol), { Type: "XObject", Subtype: "Form", BBox: bbox }));
      entry = { name: `B${this.#symbols.size}`, ref, symbol };
      this.#symbols.set(value, entry);
    }
    return entry;
  }

  /** Adds one label in the next free slot (a new page when the last one is full). */
  add(label: LabelData): void {
    const t = this.#template;
    if (!this.#page) this.#page = { content: [], xobjects: new Map() };
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
    const { name, ref, symbol } = this.#symbol(label.value);
    page.xobjects.set(name, ref);
    const text = lines(t, label);
    const size = Math.max(4, Math.min(8, (height - 2 * pad) / 7));
    const lineHeight = size * 1.15;
    const [quietLeft, quietRight] = QUIET[symbol.symbology];

    let textX = x + pad;
    let textWidth = width - 2 * pad;
    let textTop = y + height - pad;
    if (symbol.kind === "linear") {
      // Text on top, the barcode (with its quiet zones) across the label below it.
      const textHeight = text.length * lineHeight;
      const barHeight = Math.max(height - 2 * pad - textHeight - pad / 2, height * 0.35);
      const module = (width - 2 * pad) / (symbol.modules + quietLeft + quietRight);
      const bx = x + pad + quietLeft * module;
      page.content.push(`q ${num(module)} 0 0 ${num(barHeight)} ${num(bx)} ${num(y + pad)} cm /${name} Do Q`);
    } else {
      // The square symbol on the left, the text to its right.
      const side = Math.min(height - 2 * pad, width / 2);
      const module = side / (Math.max(symbol.columns, symbol.rows) + quietLeft + quietRight);
      const bx = x + pad + quietLeft * module;
      const by = y + (height - symbol.rows * module) / 2;
      page.content.push(`q ${num(module)} 0 0 ${num(module)} ${num(bx)} ${num(by)} cm /${name} Do Q`);
      textX = x + pad + side + pad;
      textWidth = width - side - 3 * pad;
      textTop = y + height - pad;
    }
    let baseline = textTop - size;
    for (const line of text) {
      const font = line.bold ? this.#fonts.bold : this.#fonts.regular;
      const shown = fitText(font, printable(line.text), size, textWidth);
      page.content.push(`BT /${line.bold ? "FB" : "FR"} ${num(size)} Tf ${num(textX)} ${num(baseline)} Td ${font.encodeText(shown).toString()} Tj ET`);
      baseline -= lineHeight;
    }
  }

  /** Writes the page being filled (if any) into the document. */
  #flush(): void {
    const page = this.#page;
    if (!page) return;
    const t = this.#template;
    const pdfPage = this.#doc.addPage([mm(t.page_width_mm), mm(t.page_height_mm)]);
    const context = this.#doc.context;
    pdfPage.node.set(PDFName.of("Contents"), context.register(context.stream(page.content.join("\n"))));
    pdfPage.node.setFontDictionary(PDFName.of("FR"), this.#fonts.regular.ref);
    pdfPage.node.setFontDictionary(PDFName.of("FB"), this.#fonts.bold.ref);
    for (const [name, ref] of page.xobjects) pdfPage.node.setXObject(PDFName.of(name), ref);
    this.#page = null;
    this.#slot = 0;
    this.#pages++;
  }

  /** Finishes the last page and serialises the PDF. */
  async save(): Promise<Uint8Array> {
    this.#flush();
    return this.#doc.save({ useObjectStreams: false, updateFieldAppearances: false });
  }
}
