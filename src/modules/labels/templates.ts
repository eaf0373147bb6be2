/**
 * Label templates. `rm365` is RM365's sheet and the default: 7 labels of 69×27 mm in one column
 * on a 103×200 mm page, Code 128 of the item's barcode (or SKU). The others cover the other
 * symbologies and common stock; a job may also bring its own layout (TemplateSpec).
 */
import { AppError } from "../../lib/errors";
import { type LabelTemplate, templateProblem } from "./render";
import type { TemplateSpec } from "./schemas";

export const DEFAULT_TEMPLATE = "rm365";

export const BUILTIN_TEMPLATES: readonly LabelTemplate[] = [
  {
    id: "rm365",
    name: "RM365 sheet: 7 labels of 69×27 mm on 103×200 mm, Code 128",
    page_width_mm: 103,
    page_height_mm: 200,
    label_width_mm: 69,
    label_height_mm: 27,
    columns: 1,
    rows: 7,
    margin_left_mm: 17,
    margin_top_mm: 5.5,
    gap_x_mm: 0,
    gap_y_mm: 0,
    symbology: "code128",
    fields: ["name", "sku", "line_date"],
  },
  {
    id: "a4-3x8",
    name: "A4 sheet: 24 labels of 70×37 mm, Code 128",
    page_width_mm: 210,
    page_height_mm: 297,
    label_width_mm: 70,
    label_height_mm: 37,
    columns: 3,
    rows: 8,
    margin_left_mm: 0,
    margin_top_mm: 0.5,
    gap_x_mm: 0,
    gap_y_mm: 0,
    symbology: "code128",
    fields: ["name", "sku", "barcode_text", "location"],
  },
  {
    id: "ean13-50x30",
    name: "Roll label 50×30 mm, EAN-13 (items whose barcode is an EAN-13)",
    page_width_mm: 50,
    page_height_mm: 30,
    label_width_mm: 50,
    label_height_mm: 30,
    columns: 1,
    rows: 1,
    margin_left_mm: 0,
    margin_top_mm: 0,
    gap_x_mm: 0,
    gap_y_mm: 0,
    symbology: "ean13",
    fields: ["name", "barcode_text"],
  },
  {
    id: "qr-50x25",
    name: "Roll label 50×25 mm, QR code",
    page_width_mm: 50,
    page_height_mm: 25,
    label_width_mm: 50,
    label_height_mm: 25,
    columns: 1,
    rows: 1,
    margin_left_mm: 0,
    margin_top_mm: 0,
    gap_x_mm: 0,
    gap_y_mm: 0,
    symbology: "qrcode",
    fields: ["name", "sku", "location"],
  },
  {
    id: "datamatrix-40x20",
    name: "Roll label 40×20 mm, Data Matrix",
    page_width_mm: 40,
    page_height_mm: 20,
    label_width_mm: 40,
    label_height_mm: 20,
    columns: 1,
    rows: 1,
    margin_left_mm: 0,
    margin_top_mm: 0,
    gap_x_mm: 0,
    gap_y_mm: 0,
    symbology: "datamatrix",
    fields: ["sku", "name"],
  },
];

/**
 * The template a request names (a built-in id, a spec, or nothing: the RM365 sheet). 422 for an
 * unknown id or a layout whose labels do not fit the page.
 */
export function resolveTemplate(input: string | TemplateSpec | undefined, path = "body.template"): LabelTemplate {
  if (input === undefined || typeof input === "string") {
    const id = input ?? DEFAULT_TEMPLATE;
    const found = BUILTIN_TEMPLATES.find((t) => t.id === id);
    if (!found) {
      throw new AppError("VALIDATION_ERROR", `Unknown label template '${id}'`, {
        details: [{ path, message: `one of ${BUILTIN_TEMPLATES.map((t) => t.id).join(", ")}, or a template object` }],
      });
    }
    return found;
  }
  const template: LabelTemplate = { id: "custom", ...input, fields: [...input.fields] };
  const problem = templateProblem(template);
  if (problem) throw new AppError("VALIDATION_ERROR", problem, { details: [{ path, message: problem }] });
  return template;
}
