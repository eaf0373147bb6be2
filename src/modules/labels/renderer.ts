/**
 * The single-label renderer: what the API sends the documents worker for one synchronous label
 * (`GET /labels/items/{item}/pdf`) and what it gets back. The API keeps the route's access checks,
 * validation and item lookup; the documents worker (workers/documents/index.ts `LabelRenderer`, an
 * RPC entrypoint behind the API's `DOCUMENTS` service binding and nothing else) only draws, so
 * bwip-js (EAN-13, QR, Data Matrix) and the PDF writer stay out of the API bundle.
 *
 * The worker checks every request against {@link RenderLabelRequest} again: bounded, so even a
 * caller that skipped the API's checks could not make it render more than one page set of
 * {@link MAX_SINGLE_COPIES} labels. Nothing here imports pdf.ts.
 */
import { z } from "zod";
import { LABEL_FIELDS, type LabelData, type LabelTemplate, SYMBOLOGIES, templateProblem } from "./render";

/** Most copies of one label rendered on request (`?copies=`). */
export const MAX_SINGLE_COPIES = 100;
/** Largest PDF the API accepts back: 100 labels of the largest template are a few hundred KB. */
export const MAX_SINGLE_PDF_BYTES = 4 * 1024 * 1024;

const Mm = (min: number, max: number) => z.number().min(min).max(max);
/** Printed text; an item's own fields are shorter (SKU, barcode, location 64; name 200). */
const Text = z.string().max(1000);

/** A resolved template, with the bounds of an inline template spec (schemas.ts `TemplateSpec`). */
const RenderTemplate = z
  .object({
    id: z.string().min(1).max(64),
    name: z.string().max(100),
    page_width_mm: Mm(10, 500),
    page_height_mm: Mm(10, 1000),
    label_width_mm: Mm(10, 300),
    label_height_mm: Mm(5, 300),
    columns: z.number().int().min(1).max(20),
    rows: z.number().int().min(1).max(50),
    margin_left_mm: Mm(0, 200),
    margin_top_mm: Mm(0, 200),
    gap_x_mm: Mm(0, 50),
    gap_y_mm: Mm(0, 50),
    symbology: z.enum(SYMBOLOGIES),
    fields: z.array(z.enum(LABEL_FIELDS)).max(LABEL_FIELDS.length),
  })
  .strict()
  .refine((t) => templateProblem(t) === null, "The labels do not fit the page");

const RenderLabel = z
  .object({
    value: z.string().min(1).max(256),
    sku: Text,
    name: Text,
    location: Text,
    line_date: z.iso.date().nullable(),
  })
  .strict();

/** One label, `copies` times, on `template`; `title` is the PDF's document title. */
export const RenderLabelRequest = z
  .object({
    title: z.string().max(300),
    template: RenderTemplate,
    label: RenderLabel,
    copies: z.number().int().min(1).max(MAX_SINGLE_COPIES),
  })
  .strict();
export interface RenderLabelRequest {
  title: string;
  template: LabelTemplate;
  label: LabelData;
  copies: number;
}

/**
 * The documents worker's answer: the PDF, or why it could not render (`invalid`: the request
 * broke the contract; `failed`: the renderer threw). An answer rather than a thrown error, so the
 * API can tell a refusal from an unreachable worker.
 */
export type RenderLabelResult = { ok: true; pdf: Uint8Array } | { ok: false; error: "invalid" | "failed"; message: string };

/** What the `DOCUMENTS` binding's `LabelRenderer` entrypoint answers over RPC. */
export interface LabelRendererRpc {
  renderLabel(request: RenderLabelRequest): Promise<RenderLabelResult>;
}
