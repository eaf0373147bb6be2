/**
 * `/api/v1/salesdata` (RM365): per-region order lines, CSV upload, import history, aggregates.
 * Tabs (the region lists live in src/compat/rm365/salesdata.ts): a region's list belongs to its sub-tab (`salesdata.uk-sales`, …, `salesdata.de-sales`),
 * uploads to `salesdata.upload`, history to `salesdata.history`. The services add what a
 * declaration cannot say: an upload also needs its region's tab, and history and the summary
 * show only the regions whose tab the caller holds.
 */
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
import { getSalesImport, importSalesFile, listSalesImports, salesSummary } from "./service";

const TAGS = ["salesdata"];

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
    async (c) => c.json(await listSalesImports(c.var.deps, c.req.valid("query"), principalOf(c)), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/imports/{id}",
      access: "salesdata:read",
      pureRead: true,
      tab: "salesdata.history",
      summary: "One import: status, counts, row errors, and rows_done while it runs",
      tags: TAGS,
      request: { params: ImportIdParams },
      errors: { 404: "No such import, or one of a region whose tab the caller lacks" },
      responses: { 200: json(SalesImport, "The import") },
    }),
    async (c) => c.json(await getSalesImport(c.var.deps, c.req.valid("param").id, principalOf(c)), 200),
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
    async (c) => c.json(await salesSummary(c.var.deps, c.req.valid("query"), principalOf(c)), 200),
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
        "Import a region's sales CSV (multipart `file`; header row, then 14 columns by position). All or nothing unless `partial=true`; the same file or the same orders again never double",
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
      },
      responses: { 200: json(UploadResult, "Imported (or already imported: `duplicate_of`)") },
    }),
    async (c) => {
      const { region } = c.req.valid("param");
      const { partial } = c.req.valid("query");
      return c.json(await importSalesFile(c.var.deps, { upload: incomingUpload(c.req.raw), region, partial }, principalOf(c)), 200);
    },
  );

// The region lists (`GET /{region}`) are RM365's paths: src/compat/rm365/salesdata.ts answers them.
export const salesdataRoutes = router;
