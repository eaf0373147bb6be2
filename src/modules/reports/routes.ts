import type { Context } from "hono";
import { z } from "zod";
import { fileHeaders } from "../../lib/download";
import { createRouter, defineRoute, json, principalOf } from "../../lib/route";
import type { AppEnv } from "../../types";
import { GenerateReport, ProductionReport, ReportIdParam, ReportList, ReportListQuery } from "./schemas";
import { deleteReport, generateReport, getReport, listReports, openReportPdf } from "./service";

const TAGS = ["reports"];
const Binary = z.string().meta({ format: "binary" });
/** Seconds a client polling a pending report should wait. */
const RETRY_AFTER = "5";

const generateSpec = (path: string, summary: string) =>
  defineRoute({
    method: "post",
    path,
    // A report shows its lines' output, OEE, downtime and andon calls: line:read covers every line.
    access: ["reports:generate", "line:read"],
    userLimit: "reports",
    summary,
    tags: TAGS,
    errors: {
      403: "Missing reports:generate or line:read",
      409: "Five reports of yours are already queued or rendering",
      503: "The documents queue refused the job",
    },
    request: { body: { content: { "application/json": { schema: GenerateReport } } } },
    responses: { 202: json(ProductionReport, "The queued report job; poll it or its pdf_url") },
  });

const pdfSpec = (path: string, summary: string) =>
  defineRoute({
    method: "get",
    path,
    access: ["reports:read", "line:read"],
    summary,
    tags: TAGS,
    errors: { 404: "No such report", 409: "The report failed; its error is in the details" },
    request: { params: ReportIdParam },
    responses: {
      200: { description: "The PDF", content: { "application/pdf": { schema: Binary } } },
      202: json(ProductionReport, "Not rendered yet (Retry-After says when to look again)"),
    },
  });

async function generate(c: Context<AppEnv>, input: GenerateReport) {
  const report = await generateReport(c.get("deps"), input, principalOf(c));
  c.header("Location", `/api/v1/reports/production/${report.id}`);
  return report;
}

async function pdf(c: Context<AppEnv>, id: string) {
  const result = await openReportPdf(c.get("deps"), id, principalOf(c));
  if ("pending" in result) {
    c.header("Retry-After", RETRY_AFTER);
    return { pending: result.pending };
  }
  const file = result.ready;
  return {
    response: c.body(file.body, 200, fileHeaders({ contentType: "application/pdf", size: file.size, filename: file.filename }, "attachment")),
  };
}

/** MS5's report routes under `/api/v1/reports`: the README's paths and the seed code's. */
export const reportRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/production",
      access: ["reports:read", "line:read"],
      summary: "List production reports, newest first",
      tags: TAGS,
      errors: { 403: "Missing reports:read or line:read" },
      request: { query: ReportListQuery },
      responses: { 200: json(ReportList, "A page of reports") },
    }),
    async (c) => c.json(await listReports(c.get("deps"), c.req.valid("query"), principalOf(c)), 200),
  )
  .openapi(generateSpec("/production/generate", "Generate a production PDF report (queued on the documents queue)"), async (c) =>
    c.json(await generate(c, c.req.valid("json")), 202),
  )
  .openapi(generateSpec("/production", "Generate a production PDF report (the seed code's path)"), async (c) =>
    c.json(await generate(c, c.req.valid("json")), 202),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/production/{id}",
      access: ["reports:read", "line:read"],
      summary: "A production report's state",
      tags: TAGS,
      errors: { 404: "No such report" },
      request: { params: ReportIdParam },
      responses: { 200: json(ProductionReport, "The report") },
    }),
    async (c) => c.json(await getReport(c.get("deps"), c.req.valid("param").id, principalOf(c)), 200),
  )
  .openapi(
    defineRoute({
      method: "delete",
      path: "/production/{id}",
      access: ["reports:generate", "line:read"],
      summary: "Delete a finished (ready or failed) report and its PDF: the requester's own, or any for an administrator",
      tags: TAGS,
      errors: { 403: "Not your report", 404: "No such report", 409: "Still queued or rendering" },
      request: { params: ReportIdParam },
      responses: { 200: json(z.object({ message: z.string() }).meta({ id: "ReportDeleted" }), "Deleted") },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await deleteReport(c.get("deps"), id, principalOf(c));
      return c.json({ message: `Report '${id}' deleted` }, 200);
    },
  )
  .openapi(pdfSpec("/production/{id}/pdf", "Download a production report's PDF; 202 with its state while pending"), async (c) => {
    const out = await pdf(c, c.req.valid("param").id);
    return "pending" in out ? c.json(out.pending, 202) : out.response;
  })
  .openapi(pdfSpec("/{id}/pdf", "Download a production report's PDF (the seed code's path)"), async (c) => {
    const out = await pdf(c, c.req.valid("param").id);
    return "pending" in out ? c.json(out.pending, 202) : out.response;
  });
