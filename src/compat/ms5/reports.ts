/**
 * MS5's reports screens (`/reports`, `/reports/templates`, `/reports/generate`,
 * `/reports/{id}/download`) on Floorline's production reports and report templates. Its
 * backend answered these with placeholders; its client reads arrays and a report's
 * `status`/`fileUrl`. Mounted AFTER the canonical `/api/v1/reports` routes, so their static
 * paths (`/production…`) win over this router's `/{id}`.
 */
import { z } from "zod";
import { AppError } from "../../lib/errors";
import { expectedVersion } from "../../lib/etag";
import { createRouter, defineRoute, json, principalOf } from "../../lib/route";
import { type ProductionReport, REPORT_TEMPLATE_TYPES, ReportIdParam, ProductionReport as ReportSchema } from "../../modules/reports/schemas";
import { deleteReport, getReport, listReports } from "../../modules/reports/service";
import {
  CreateScheduled,
  CreateTemplate,
  createScheduled,
  createTemplate,
  deleteScheduled,
  deleteTemplate,
  GenerateFromTemplate,
  generateFromTemplate,
  getScheduled,
  getTemplate,
  listScheduled,
  listTemplates,
  ReportTemplate,
  ScheduledReport,
  UpdateScheduled,
  UpdateTemplate,
  updateScheduled,
  updateTemplate,
} from "../../modules/reports/templates";
import { bare, jsonBody, Ms5Paging, pageParams, QueryBool, TAGS } from "./shared";

const MS5_STATUS = { queued: "pending", rendering: "generating", ready: "completed", failed: "failed" } as const;

/** A production report with the fields MS5's reports screen reads beside the canonical ones. */
export const Ms5Report = ReportSchema.extend({
  name: z.string(),
  status: z.enum(["pending", "generating", "completed", "failed"]),
  report_type: z.literal("production"),
  line_id: z.string().nullable(),
  report_date: z.string(),
  filename: z.string(),
  file_url: z.string(),
  fileUrl: z.string(),
  file_size: z.number().int().nullable(),
  generated_by: z.string(),
  generated_at: z.string().nullable(),
}).meta({ id: "Ms5Report" });

export const toMs5Report = (r: ProductionReport): z.infer<typeof Ms5Report> => ({
  ...r,
  name: r.title,
  status: MS5_STATUS[r.state],
  report_type: "production",
  line_id: r.line_ids[0] ?? null,
  report_date: r.start_date,
  filename: `production-report-${r.start_date}-${r.end_date}-${r.id.slice(0, 8)}.pdf`,
  file_url: r.pdf_url,
  fileUrl: r.pdf_url,
  file_size: r.pdf_bytes,
  generated_by: r.requested_by,
  generated_at: r.finished_at,
});

const ReportsQuery = Ms5Paging.extend({ status: z.enum(["pending", "generating", "completed", "failed"]).optional() });
const STATE_OF = { pending: "queued", generating: "rendering", completed: "ready", failed: "failed" } as const;
const TemplatesQuery = z.object({ is_active: QueryBool.optional(), type: z.enum(REPORT_TEMPLATE_TYPES).optional(), category: z.string().max(64).optional() });
const Deleted = z.object({ message: z.string(), id: z.string() });

/** Mounted at `/api/v1/reports`, after the canonical report routes. */
export const ms5ReportRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/templates",
      access: "reports:read",
      summary: "MS5: report templates by name, a bare array",
      tags: TAGS,
      request: { query: TemplatesQuery },
      responses: { 200: json(z.array(ReportTemplate), "The templates") },
    }),
    async (c) => {
      const templates = await listTemplates(c.get("deps"), c.req.valid("query"));
      return c.json(bare(c, { items: templates, total: templates.length, limit: templates.length, offset: 0 }), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/templates",
      access: "reports:generate",
      summary: "MS5: create a report template",
      tags: TAGS,
      request: jsonBody(CreateTemplate),
      errors: { 409: "A template of that name exists" },
      responses: { 201: json(ReportTemplate, "The template") },
    }),
    async (c) => c.json(await createTemplate(c.get("deps"), c.req.valid("json"), principalOf(c)), 201),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/templates/{id}",
      access: "reports:read",
      summary: "MS5: one report template",
      tags: TAGS,
      request: { params: ReportIdParam },
      errors: { 404: "No such template" },
      responses: { 200: json(ReportTemplate, "The template") },
    }),
    async (c) => c.json(await getTemplate(c.get("deps"), c.req.valid("param").id), 200),
  )
  .openapi(
    defineRoute({
      method: "put",
      path: "/templates/{id}",
      access: "reports:generate",
      summary: "MS5: change a report template (If-Match optional)",
      tags: TAGS,
      request: { params: ReportIdParam, ...jsonBody(UpdateTemplate) },
      errors: { 404: "No such template", 409: "Name taken, or a stale If-Match" },
      responses: { 200: json(ReportTemplate, "The template") },
    }),
    async (c) =>
      c.json(await updateTemplate(c.get("deps"), c.req.valid("param").id, c.req.valid("json"), principalOf(c), expectedVersion(c.req.header("if-match"))), 200),
  )
  .openapi(
    defineRoute({
      method: "delete",
      path: "/templates/{id}",
      access: "reports:generate",
      summary: "MS5: delete a report template (reports made from it stay)",
      tags: TAGS,
      request: { params: ReportIdParam },
      errors: { 404: "No such template" },
      responses: { 200: json(Deleted, "Deleted") },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await deleteTemplate(c.get("deps"), id, principalOf(c));
      return c.json({ message: "Report template deleted successfully", id }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/scheduled",
      access: "reports:read",
      summary: "MS5: scheduled reports by name, a bare array",
      tags: TAGS,
      request: { query: z.object({ is_active: QueryBool.optional() }) },
      responses: { 200: json(z.array(ScheduledReport), "The scheduled reports") },
    }),
    async (c) => {
      const items = await listScheduled(c.get("deps"), c.req.valid("query"));
      return c.json(bare(c, { items, total: items.length, limit: items.length, offset: 0 }), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/scheduled",
      access: "reports:generate",
      summary: "MS5: schedule a template (stored; running schedules needs a cron trigger, not built yet)",
      tags: TAGS,
      request: jsonBody(CreateScheduled),
      responses: { 201: json(ScheduledReport, "The scheduled report") },
    }),
    async (c) => c.json(await createScheduled(c.get("deps"), c.req.valid("json"), principalOf(c)), 201),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/scheduled/{id}",
      access: "reports:read",
      summary: "MS5: one scheduled report",
      tags: TAGS,
      request: { params: ReportIdParam },
      errors: { 404: "No such scheduled report" },
      responses: { 200: json(ScheduledReport, "The scheduled report") },
    }),
    async (c) => c.json(await getScheduled(c.get("deps"), c.req.valid("param").id), 200),
  )
  .openapi(
    defineRoute({
      method: "put",
      path: "/scheduled/{id}",
      access: "reports:generate",
      summary: "MS5: change a scheduled report (If-Match optional)",
      tags: TAGS,
      request: { params: ReportIdParam, ...jsonBody(UpdateScheduled) },
      errors: { 404: "No such scheduled report", 409: "Stale If-Match" },
      responses: { 200: json(ScheduledReport, "The scheduled report") },
    }),
    async (c) =>
      c.json(
        await updateScheduled(c.get("deps"), c.req.valid("param").id, c.req.valid("json"), principalOf(c), expectedVersion(c.req.header("if-match"))),
        200,
      ),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/scheduled/{id}/toggle",
      access: "reports:generate",
      summary: "MS5: switch a scheduled report on or off",
      tags: TAGS,
      request: { params: ReportIdParam },
      errors: { 404: "No such scheduled report" },
      responses: { 200: json(ScheduledReport, "The scheduled report") },
    }),
    async (c) => c.json(await updateScheduled(c.get("deps"), c.req.valid("param").id, { toggle: true }, principalOf(c)), 200),
  )
  .openapi(
    defineRoute({
      method: "delete",
      path: "/scheduled/{id}",
      access: "reports:generate",
      summary: "MS5: delete a scheduled report",
      tags: TAGS,
      request: { params: ReportIdParam },
      errors: { 404: "No such scheduled report" },
      responses: { 200: json(Deleted, "Deleted") },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await deleteScheduled(c.get("deps"), id, principalOf(c));
      return c.json({ message: "Scheduled report deleted successfully", id }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/generate",
      access: ["reports:generate", "line:read"],
      userLimit: "reports",
      summary: "MS5: generate a production report from a template and parameter values (202; poll the report)",
      tags: TAGS,
      request: jsonBody(GenerateFromTemplate),
      errors: { 409: "Five reports of yours are queued or rendering", 503: "The documents queue refused the job" },
      responses: { 202: json(Ms5Report, "The queued report") },
    }),
    async (c) => {
      const report = await generateFromTemplate(c.get("deps"), c.req.valid("json"), principalOf(c));
      c.header("Location", `/api/v1/reports/${report.id}`);
      return c.json(toMs5Report(report), 202);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/",
      access: ["reports:read", "line:read"],
      summary: "MS5: production reports, newest first, a bare array (X-Total-Count)",
      tags: TAGS,
      request: { query: ReportsQuery },
      responses: { 200: json(z.array(Ms5Report), "The reports") },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const page = await listReports(c.get("deps"), { ...pageParams(q), state: q.status ? STATE_OF[q.status] : undefined }, principalOf(c));
      return c.json(bare(c, { ...page, items: page.items.map(toMs5Report) }), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/{id}",
      access: ["reports:read", "line:read"],
      summary: "MS5: one production report",
      tags: TAGS,
      request: { params: ReportIdParam },
      errors: { 404: "No such report" },
      responses: { 200: json(Ms5Report, "The report") },
    }),
    async (c) => c.json(toMs5Report(await getReport(c.get("deps"), c.req.valid("param").id, principalOf(c))), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/{id}/download",
      access: ["reports:read", "line:read"],
      summary: "MS5: where to download a report's PDF (`fileUrl`); 202 with Retry-After while it renders, 409 if it failed",
      tags: TAGS,
      request: { params: ReportIdParam },
      errors: { 404: "No such report", 409: "The report failed" },
      responses: { 200: json(Ms5Report, "Ready: fetch fileUrl"), 202: json(Ms5Report, "Not rendered yet") },
    }),
    async (c) => {
      const report = toMs5Report(await getReport(c.get("deps"), c.req.valid("param").id, principalOf(c)));
      if (report.state === "failed") {
        throw new AppError("CONFLICT", `The report failed: ${report.error ?? "unknown error"}`, { reason: "report_failed", details: report });
      }
      if (report.state !== "ready") {
        c.header("Retry-After", "5");
        return c.json(report, 202);
      }
      return c.json(report, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "delete",
      path: "/{id}",
      access: ["reports:generate", "line:read"],
      summary: "MS5: delete a finished report and its PDF (409 while queued or rendering)",
      tags: TAGS,
      request: { params: ReportIdParam },
      errors: { 404: "No such report", 409: "Still queued or rendering" },
      responses: { 200: json(Deleted, "Deleted") },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await deleteReport(c.get("deps"), id, principalOf(c));
      return c.json({ message: "Report deleted successfully", id }, 200);
    },
  );
