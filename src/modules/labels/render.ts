/**
 * Label templates and values: what a template may say (symbologies, printed fields, layout),
 * whether its labels fit the page and whether a value can be encoded. Nothing here draws, so the
 * API can check a job without pdf-lib or bwip-js; drawing is ./pdf.ts (the documents worker).
 */
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
export const QUIET: Record<Symbology, [number, number]> = { code128: [10, 10], ean13: [11, 7], qrcode: [4, 4], datamatrix: [2, 2] };

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

const PT_PER_MM = 72 / 25.4;
/** Millimetres in PDF points. */
export const mm = (value: number) => value * PT_PER_MM;
/** A number as PDF content writes it: at most two decimals. */
export const num = (value: number) => (Math.round(value * 100) / 100).toString();

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
