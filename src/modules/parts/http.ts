/**
 * How a part's files are answered over HTTP, by both surfaces that serve them (`/api/v1/parts`
 * in routes.ts, Part Management's `/api/parts` in src/compat/parts): the streams, their headers
 * and the 202/304 answers. The services decide what to serve; these only shape the response.
 */
import type { Context } from "hono";
import { z } from "zod";
import { fileHeaders } from "../../lib/download";
import { json } from "../../lib/route";
import type { AppEnv } from "../../types";
import type { DrawingResult } from "./drawing";
import type { StoredFile } from "./files";
import { type ConversionJob, DrawingPending } from "./schemas";
import type { ViewImage } from "./views";

/** A binary body in the OpenAPI document. */
export const Binary = z.string().meta({ format: "binary" });

/** Streams a stored file with its type, length and disposition. */
export function streamFile(c: Context<AppEnv>, file: StoredFile, disposition: "inline" | "attachment") {
  return c.body(file.body, 200, fileHeaders(file, disposition));
}

/** The converted model (GLB, inline), or 202 with its job while it is queued or converting. */
export function serveModel(c: Context<AppEnv>, model: { ready: StoredFile } | { pending: ConversionJob }) {
  if ("pending" in model) return c.json(model.pending, 202);
  return streamFile(c, model.ready, "inline");
}

/**
 * Serves a view image with its ETag (its SHA-256), or 304 when the client already holds it.
 * Views are replaced under the same URL, so caches must revalidate (`no-cache`).
 */
export function serveView(c: Context<AppEnv>, view: { notModified: string } | { image: ViewImage }) {
  const headers = { "Cache-Control": "private, no-cache", "X-Content-Type-Options": "nosniff" };
  if ("notModified" in view) return c.body(null, 304, { ...headers, ETag: view.notModified });
  const { image } = view;
  return c.body(image.body, 200, { ...headers, ETag: image.etag, "Content-Type": image.contentType, "Content-Length": String(image.size) });
}

/** The drawing PDF (inline, cached by the client until revalidated), or 202 while Onshape exports it. */
export function serveDrawing(c: Context<AppEnv>, drawing: DrawingResult) {
  if ("pending" in drawing) {
    c.header("Retry-After", String(drawing.pending.retry_after));
    return c.json(drawing.pending, 202);
  }
  const { ready } = drawing;
  return c.body(ready.body, 200, fileHeaders({ contentType: "application/pdf", size: ready.size, filename: ready.filename }, "inline"));
}

/** The drawing route's answers (both surfaces). */
export const DrawingResponses = {
  200: { description: "The drawing PDF", content: { "application/pdf": { schema: Binary } } },
  202: json(DrawingPending, "Onshape is exporting the drawing; ask again after Retry-After seconds"),
};
