import type { Context } from "hono";
import { z } from "zod";
import { fileHeaders } from "../../lib/download";
import { createRouter, defineRoute, json, principalOf } from "../../lib/route";
import type { AppEnv } from "../../types";
import { ItemParams, JobParams, LabelJob, SingleLabelQuery, TemplateList } from "./schemas";
import { deleteJob, getJob, type JobWatch, listTemplates, openJobFile, singleLabel, watchJob } from "./service";

const TAGS = ["labels"];
/**
 * Any labels tab opens the job views (the generator follows the job it started); which jobs is
 * the service's rule: your own, or any with the history tab.
 */
const TAB = "labels";
const GENERATOR = "labels.generator";
const HISTORY = "labels.history";
/** Labels show inventory items: printing one, or reading a job's files, needs item access too. */
const ITEMS_TAB = "inventory";
const Message = z.object({ message: z.string() });
const Binary = z.string().meta({ format: "binary" });

/** A file response: its type, length and a download name. */
function download(c: Context<AppEnv>, file: { body: ReadableStream | Uint8Array; size: number; contentType: string; filename: string }, inline: boolean) {
  return c.body(file.body as ReadableStream, 200, fileHeaders(file, inline ? "inline" : "attachment"));
}

/** `/api/v1/labels`: RM365's label jobs, templates and single labels. */
export const labelRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/templates",
      access: "labels:read",
      tab: TAB,
      pureRead: true,
      summary: "The built-in label templates (size, grid, symbology, fields); rm365 is the default",
      tags: TAGS,
      responses: { 200: json(TemplateList, "Templates") },
    }),
    (c) => c.json(listTemplates(), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/job/{id}",
      access: "labels:read",
      tab: TAB,
      summary: "One job with its progress (done of total): your own, or any with the labels.history tab",
      tags: TAGS,
      request: { params: JobParams },
      errors: { 404: "No such job, or not yours and no labels.history tab" },
      responses: { 200: json(LabelJob, "The job") },
    }),
    async (c) => c.json(await getJob(c.get("deps"), c.req.valid("param").id, principalOf(c)), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/job/{id}/events",
      access: "labels:read",
      tab: TAB,
      summary: "A job's progress pushed as Server-Sent Events (`progress` while it runs, then `completed`, `failed` or `deleted`)",
      tags: TAGS,
      request: { params: JobParams },
      errors: { 404: "No such job, or not yours and no labels.history tab", 429: "Five of your streams are already open" },
      responses: {
        200: { description: "text/event-stream of {job_id, status, done, total, pages, error}", content: { "text/event-stream": { schema: z.string() } } },
      },
    }),
    async (c) => {
      const watch = await watchJob(c.get("deps"), c.req.valid("param").id, principalOf(c));
      return c.body(sseStream(watch), 200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no" });
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/job/{id}/pdf",
      access: ["labels:read", "inventory:read"],
      tab: [TAB, ITEMS_TAB],
      summary: "The job's PDF (RM365 sheet: 7 labels of 69×27 mm per 103×200 mm page by default); needs inventory:read too",
      tags: TAGS,
      request: { params: JobParams },
      errors: {
        403: "No inventory:read or inventory tab",
        404: "No such job, or not yours and no labels.history tab",
        409: "Not completed yet (details: status, done, total)",
      },
      responses: { 200: { description: "The PDF", content: { "application/pdf": { schema: Binary } } } },
    }),
    async (c) => download(c, await openJobFile(c.get("deps"), c.req.valid("param").id, "pdf", principalOf(c)), true),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/job/{id}/csv",
      access: ["labels:read", "inventory:read"],
      tab: [TAB, ITEMS_TAB],
      summary: "The job's labels as CSV (position, page, slot, item_id, sku, name, value, symbology, location, line_date); needs inventory:read too",
      tags: TAGS,
      request: { params: JobParams },
      errors: { 403: "No inventory:read or inventory tab", 404: "No such job, or not yours and no labels.history tab", 409: "Not completed yet" },
      responses: { 200: { description: "CSV", content: { "text/csv": { schema: z.string() } } } },
    }),
    async (c) => download(c, await openJobFile(c.get("deps"), c.req.valid("param").id, "csv", principalOf(c)), false),
  )
  .openapi(
    defineRoute({
      method: "delete",
      path: "/job/{id}",
      access: "labels:generate",
      tab: HISTORY,
      summary: "Delete a job and its files (your own; any for an administrator); a running job stops",
      tags: TAGS,
      request: { params: JobParams },
      errors: { 403: "Not your job", 404: "No such job" },
      responses: { 200: json(Message, "Deleted") },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await deleteJob(c.get("deps"), id, principalOf(c));
      return c.json({ message: `Label job '${id}' deleted` }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/items/{item}/pdf",
      access: ["labels:generate", "inventory:read"],
      tab: [GENERATOR, ITEMS_TAB],
      userLimit: "labels",
      summary:
        "One item's label as a PDF, rendered now by the documents worker (?template=, ?line_date=, ?copies= up to 100); the item by id or SKU; needs inventory:read too",
      tags: TAGS,
      request: { params: ItemParams, query: SingleLabelQuery },
      errors: {
        403: "No inventory:read or inventory tab",
        404: "No such item",
        422: "Unknown template, or a value its symbology cannot encode",
        502: "The documents worker could not render the label (nothing written)",
        503: "The documents worker is not bound or did not answer (nothing written)",
      },
      responses: {
        200: { description: "The PDF, drawn by the documents worker (DOCUMENTS service binding)", content: { "application/pdf": { schema: Binary } } },
      },
    }),
    async (c) => {
      const { pdf, filename } = await singleLabel(c.get("deps"), c.req.valid("param").item, c.req.valid("query"), principalOf(c));
      return download(c, { body: pdf, size: pdf.byteLength, contentType: "application/pdf", filename }, true);
    },
  );

/**
 * A job's progress as Server-Sent Events. The stream's `cancel()` (the client went away) closes
 * the watch, which gives its slot back at once and stops polling D1.
 */
function sseStream(watch: JobWatch): ReadableStream<Uint8Array> {
  const events = watch[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await events.next();
      if (next.done) {
        controller.close();
        return;
      }
      const event = next.value;
      const name = event.status === "queued" || event.status === "processing" ? "progress" : event.status;
      controller.enqueue(encoder.encode(`event: ${name}\ndata: ${JSON.stringify(event)}\n\n`));
    },
    async cancel() {
      await watch.close();
    },
  });
}
