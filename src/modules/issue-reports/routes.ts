/** `/api/v1/issue-reports`: file with photos, list, read, process, delete. */
import { z } from "zod";
import { expectedVersion, setETag } from "../../lib/etag";
import { createRouter, defineRoute, json, principalOf } from "../../lib/route";
import { incomingUpload } from "../../lib/uploads";
import {
  CreateIssueReportFields,
  CreateIssueReportForm,
  DeletedReport,
  IssueReport,
  IssueReportList,
  IssueReportListQuery,
  ProcessIssueReport,
  ReportIdParams,
} from "./schemas";
import { deleteIssueReport, fileIssueReport, getIssueReport, listIssueReports, parseWith, processIssueReport } from "./service";

const TAGS = ["issue-reports"];
const IfMatchHeader = z.object({ "if-match": z.string().max(64).optional().describe('The report\'s version from its ETag, e.g. "2"') });
const FormFields = CreateIssueReportFields.extend({ images: z.unknown().optional() });

export const issueReportRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "post",
      path: "/",
      access: "issue_reports:create",
      bodyLimit: "upload",
      summary: "File a report with 0..20 photos (multipart; PNG, JPEG, GIF, WebP judged by bytes; 16 MB per request)",
      tags: TAGS,
      // Documented only: the body streams to R2 through receiveUpload, never through a validator.
      requestBody: { required: true, content: { "multipart/form-data": { schema: CreateIssueReportForm } } },
      errors: { 400: "Malformed multipart body", 404: "No such item", 413: "Over 16 MB or 20 photos: nothing stored", 415: "A file is not an accepted image" },
      responses: { 201: json(IssueReport, "The new report") },
    }),
    async (c) => {
      const report = await fileIssueReport(
        c.get("deps"),
        incomingUpload(c.req.raw, principalOf(c)),
        (fields) => {
          const { images: _files, ...input } = parseWith(FormFields, fields);
          return input;
        },
        principalOf(c),
      );
      setETag(c, report.version);
      return c.json(report, 201);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/",
      access: "issue_reports:read",
      pureRead: true,
      summary: "List reports, newest first (filters: status, equipment_code, issue_type, reporter, open)",
      tags: TAGS,
      request: { query: IssueReportListQuery },
      responses: { 200: json(IssueReportList, "A page of reports") },
    }),
    async (c) => c.json(await listIssueReports(c.get("deps"), c.req.valid("query")), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/{id}",
      access: "issue_reports:read",
      pureRead: true,
      summary: "One report",
      tags: TAGS,
      request: { params: ReportIdParams },
      errors: { 404: "No such report" },
      responses: { 200: json(IssueReport, "The report; ETag carries its version") },
    }),
    async (c) => {
      const report = await getIssueReport(c.get("deps"), c.req.valid("param").id);
      setETag(c, report.version);
      return c.json(report, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "patch",
      path: "/{id}",
      access: "issue_reports:process",
      summary: "Process a report: status (pending/processing/completed/ignored or 待處理/處理中/已完成/已處理/已忽略), notes",
      tags: TAGS,
      request: { params: ReportIdParams, headers: IfMatchHeader, body: { content: { "application/json": { schema: ProcessIssueReport } } } },
      errors: { 404: "No such report", 409: "Stale version: nothing changed; `details.current` is the report now" },
      responses: { 200: json(IssueReport, "The report as stored") },
    }),
    async (c) => {
      const report = await processIssueReport(
        c.get("deps"),
        c.req.valid("param").id,
        c.req.valid("json"),
        principalOf(c),
        expectedVersion(c.req.header("if-match")),
      );
      setETag(c, report.version);
      return c.json(report, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "delete",
      path: "/{id}",
      access: "issue_reports:delete",
      summary: "Delete a report and its photos",
      tags: TAGS,
      request: { params: ReportIdParams },
      errors: { 404: "No such report" },
      responses: { 200: json(DeletedReport, "Deleted, photos with it") },
    }),
    async (c) => c.json(await deleteIssueReport(c.get("deps"), c.req.valid("param").id), 200),
  );
