/**
 * `/api/v1/salesdata` (RM365): per-region order lines, CSV upload, import history, aggregates.
 * Tabs (the region lists live in src/compat/rm365/salesdata.ts): a region's list belongs to its sub-tab (`salesdata.uk-sales`, …, `salesdata.de-sales`),
 * uploads to `salesdata.upload`, history to `salesdata.history`. The services add what a
 * declaration cannot say: an upload also needs its region's tab, and history and the summary
 * show only the regions whose tab the caller holds.
 */
import { z } from "zod";
import { createRouter, defineRoute, json, principalOf } from "../../lib/route";
import { incomingUpload } from "../../lib/uploads";
import {
  ImportIdParams,
  ImportList,
  ImportListQuery,
  RegionParams,
  SalesImport,
  Summary,
  SummaryQuery,
  UploadForm,
  UploadQuery,
  UploadResult,
} from "./schemas";
import { getSalesImport, importSalesFile, listSalesImports, salesSummary, watchSalesImport } from "./service";

const TAGS = ["salesdata"];
const RUNNING_STATUSES = new Set<string>(["queued", "validating", "importing"]);

const router = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/imports",
      access: "salesdata:read",
      pureRead: true,
      tab: "salesdata.history",
      summary: "Import history, newest first (filters: region, status); only the regions whose tab the caller holds",
      tags: TAGS,
      request: { query: ImportListQuery },
      errors: { 403: "Not allowed: missing permission or tab, or `region` names a region whose tab the caller lacks" },
      responses: { 200: json(ImportList, "A page of imports") },
    }),
    async (c) => c.json(await listSalesImports(c.get("deps"), c.req.valid("query"), principalOf(c)), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/imports/{id}",
      access: "salesdata:read",
      // Not a pure read: a queue job whose lease ran out is re-queued or failed first.
      tab: "salesdata.history",
      summary: "One import: status, counts, row errors, and rows_done while it runs (a queued upload's progress)",
      tags: TAGS,
      request: { params: ImportIdParams },
      errors: { 404: "No such import, or one of a region whose tab the caller lacks" },
      responses: { 200: json(SalesImport, "The import") },
    }),
    async (c) => c.json(await getSalesImport(c.get("deps"), c.req.valid("param").id, principalOf(c)), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/imports/{id}/events",
      access: "salesdata:read",
      tab: "salesdata.history",
      // Each stream polls D1 for up to 5 minutes: opened at most 10 a minute per user (review finding).
      userLimit: "imports",
      summary:
        "An import's progress as Server-Sent Events: `progress` (the SalesImport) while it is queued, validating or importing, then `completed`, or `failed` (status rejected, failed or duplicate); at most 5 minutes a stream",
      tags: TAGS,
      request: { params: ImportIdParams },
      errors: { 404: "No such import, or one of a region whose tab the caller lacks" },
      responses: { 200: { description: "text/event-stream of SalesImport", content: { "text/event-stream": { schema: z.string() } } } },
    }),
    async (c) => {
      const events = watchSalesImport(c.get("deps"), c.req.valid("param").id, principalOf(c));
      const first = await events.next(); // 404 before the stream starts
      const encoder = new TextEncoder();
      const frame = (job: SalesImport) => {
        const name = job.status === "completed" ? "completed" : RUNNING_STATUSES.has(job.status) ? "progress" : "failed";
        return encoder.encode(`event: ${name}\ndata: ${JSON.stringify(job)}\n\n`);
      };
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          if (!first.done) controller.enqueue(frame(first.value));
        },
        async pull(controller) {
          const next = await events.next();
          if (next.done) controller.close();
          else controller.enqueue(frame(next.value));
        },
        async cancel() {
          await events.return(undefined);
        },
      });
      return c.body(body, 200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no" });
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/summary",
      access: "salesdata:read",
      pureRead: true,
      tab: "salesdata",
      summary: "Aggregates per SKU, country or month (per currency): orders, lines, quantity, revenue; only regions whose tab the caller holds",
      tags: TAGS,
      request: { query: SummaryQuery },
      responses: { 200: json(Summary, "The groups") },
    }),
    async (c) => c.json(await salesSummary(c.get("deps"), c.req.valid("query"), principalOf(c)), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/{region}/upload",
      access: "salesdata:import",
      userLimit: "imports",
      tab: "salesdata.upload",
      bodyLimit: "upload",
      summary:
        "Import a region's sales CSV (multipart `file`; header row, then 14 columns by position). All or nothing unless `partial=true`; the same file or the same orders again never double. A file over 4 MiB (or `background=true`) is imported by a queue job: 202 with the import, followed by GET /imports/{id} or /imports/{id}/events",
      tags: TAGS,
      request: { params: RegionParams, query: UploadQuery },
      // Documented only: the body streams to R2 through receiveUpload, never through a validator.
      requestBody: { required: true, content: { "multipart/form-data": { schema: UploadForm } } },
      errors: {
        400: "Malformed multipart body",
        403: "Not allowed: missing permission or tab, or the region's tab (e.g. `salesdata.fr-sales`): nothing stored",
        413: "File over MAX_UPLOAD_BYTES: nothing stored",
        415: "Not UTF-8 text",
        422: "Bad rows (each named in `details`, the first 100 and how many more) or not CSV: nothing imported",
        503: "A large file's job could not be queued: nothing imported",
      },
      responses: {
        200: json(UploadResult, "Imported within the request (or already imported: `duplicate_of`)"),
        202: json(SalesImport, "Queued as a job: follow GET /imports/{id} or /imports/{id}/events; bad rows end it `rejected` with the first 100 in `errors`"),
      },
    }),
    async (c) => {
      const { region } = c.req.valid("param");
      const { partial, background } = c.req.valid("query");
      const outcome = await importSalesFile(c.get("deps"), { upload: incomingUpload(c.req.raw, principalOf(c)), region, partial, background }, principalOf(c));
      return outcome.queued ? c.json(outcome.job, 202) : c.json(outcome.result, 200);
    },
  );

// The region lists (`GET /{region}`) are RM365's paths: src/compat/rm365/salesdata.ts answers them.
export const salesdataRoutes = router;
