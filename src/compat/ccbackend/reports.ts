/**
 * CCbackend's issue-report surface (seed 000): `POST /api/report/upload` (multipart `ccm_id`,
 * `issue_type`, `issue_description`, repeated `images`), `GET /api/reports`,
 * `PUT/DELETE /api/report/<id>`, and the photos at `/uploads/<file>` (and `/static/uploads/<file>`,
 * the path the seed stored in `IMAGE_PATH`). Same services as `/api/v1/issue-reports`.
 *
 * Deliberate differences from the seed: photos are judged by their bytes (PNG, JPEG, GIF, WebP;
 * a `.jpg` name over other bytes is 415, where the seed skipped it silently) and stored in R2
 * under random names; the item must exist (404 未找到該器材); statuses are the README's
 * 待處理/處理中/已完成, the client's 已處理/已忽略, or pending/processing/completed/ignored, and
 * any other word is 400; processing needs `issue_reports:process` (maintenance, engineers,
 * managers) and deleting `issue_reports:delete` (admins). Report times are UTC.
 */
import { z } from "zod";
import { Code, LongText, ShortText } from "../../lib/fields";
import { createRouter, json, principalOf, routeDefiner } from "../../lib/route";
import { incomingUpload } from "../../lib/uploads";
import type { IssueReport } from "../../modules/issue-reports/schemas";
import { STATUS_WORDS } from "../../modules/issue-reports/schemas";
import { deleteIssueReport, fileIssueReport, listAllIssueReports, openPhoto, parseWith, processIssueReport } from "../../modules/issue-reports/service";
import { ccbackendSurface } from "./surface";

const defineRoute = routeDefiner(ccbackendSurface);
const TAGS = ["ccbackend"];
const Ok = z.object({ success: z.literal(true), message: z.string() });

/** The seed's report times: `YYYY-MM-DD HH:MM:SS` (UTC here). */
/**
 * The seed formatted REPORT_TIME and PROCESS_TIME with `strftime('%Y-%m-%d %H:%M:%S')` from its
 * database's local wall-clock time, which its client parses as the browser's local time; the
 * equipment times (UPDATE_TIME, CC_STARTTIME) went through Flask's encoder as RFC 1123 "GMT"
 * strings. So that both name the same instant in the site's browsers, this text is the wall-clock
 * time in CCBACKEND_TIME_ZONE (IANA; default UTC), and the GMT strings stay true UTC.
 */
export function reportTime(iso: string | null, timeZone = "UTC"): string | null {
  if (iso === null) return null;
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

const REQUIRED = "CCM ID 和問題類型為必填項";
const UploadFields = z.object({
  ccm_id: z.string({ error: REQUIRED }).trim().min(1, REQUIRED).pipe(Code),
  issue_type: z.string({ error: REQUIRED }).trim().min(1, REQUIRED).pipe(ShortText.max(50)),
  issue_description: LongText.optional(),
});

const CcReport = z
  .object({
    ID: z.number().int(),
    CCM_ID_FK: z.string(),
    REPORTER: z.string(),
    REPORT_TIME: z.string().nullable(),
    ISSUE_TYPE: z.string(),
    ISSUE_INFO: z.string().nullable(),
    IMAGE_PATH: z.string().nullable().describe('JSON array of photo paths, e.g. ["/static/uploads/<file>"]; null without photos'),
    STATUS: z.string(),
    PROCESSER: z.string().nullable(),
    PROCESS_TIME: z.string().nullable(),
    PROCESS_NOTES: z.string().nullable(),
  })
  .meta({ id: "CcbackendReport" });

/** The seed stored photo paths as `/static/uploads/<file>`, which Flask served; so is it served here. */
const seedPath = (url: string) => `/static${url}`;

const toCcReport = (r: IssueReport, timeZone: string): z.infer<typeof CcReport> => ({
  ID: r.id,
  CCM_ID_FK: r.equipment_code,
  REPORTER: r.reporter,
  REPORT_TIME: reportTime(r.reported_at, timeZone),
  ISSUE_TYPE: r.issue_type,
  ISSUE_INFO: r.description,
  IMAGE_PATH: r.images.length === 0 ? null : JSON.stringify(r.images.map((i) => seedPath(i.url))),
  STATUS: r.status_label,
  PROCESSER: r.processor,
  PROCESS_TIME: reportTime(r.processed_at, timeZone),
  PROCESS_NOTES: r.process_notes,
});

const STATUS_REQUIRED = "處理狀態為必填項";
const ProcessBody = z.object({
  status: z
    .string({ error: STATUS_REQUIRED })
    .trim()
    .min(1, STATUS_REQUIRED)
    .refine((word) => Object.hasOwn(STATUS_WORDS, word), { message: "處理狀態必須是 待處理、處理中、已完成、已處理 或 已忽略" }),
  process_notes: z.preprocess((v) => (v === "" ? null : v), LongText.nullable().optional()),
});
const ReportParams = z.object({ report_id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) });

/** `/api/report…` and `/api/reports`, mounted under `/api`. */
export const ccbackendReportRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "post",
      path: "/report/upload",
      access: "issue_reports:create",
      bodyLimit: "upload",
      summary: "CCbackend: file a report with photos (multipart ccm_id, issue_type, issue_description, images…)",
      tags: TAGS,
      requestBody: {
        required: true,
        content: {
          "multipart/form-data": {
            schema: {
              type: "object",
              required: ["ccm_id", "issue_type"],
              properties: {
                ccm_id: { type: "string", maxLength: 64 },
                issue_type: { type: "string", maxLength: 50, example: "髒污/破損" },
                issue_description: { type: "string", maxLength: 2000 },
                images: { type: "array", items: { type: "string", format: "binary" }, description: "0..20 photos (PNG, JPEG, GIF, WebP), 16 MB in all" },
              },
            },
          },
        },
      },
      errors: { 400: "CCM ID 和問題類型為必填項", 404: "未找到該器材", 413: "Over 16 MB: nothing stored", 415: "A file is not a PNG, JPEG, GIF or WebP image" },
      responses: { 201: json(Ok, "回報上傳成功") },
    }),
    async (c) => {
      await fileIssueReport(
        c.get("deps"),
        incomingUpload(c.req.raw, principalOf(c)),
        (fields) => {
          const f = parseWith(UploadFields, fields);
          return { equipment_code: f.ccm_id, issue_type: f.issue_type, description: f.issue_description };
        },
        principalOf(c),
      );
      return c.json({ success: true as const, message: "回報上傳成功" }, 201);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/reports",
      access: "issue_reports:read",
      pureRead: true,
      summary: "CCbackend: every report, newest first",
      tags: TAGS,
      responses: { 200: json(z.object({ success: z.literal(true), reports: z.array(CcReport) }), "The reports") },
    }),
    async (c) =>
      c.json(
        { success: true as const, reports: (await listAllIssueReports(c.get("deps"))).map((r) => toCcReport(r, c.get("deps").config.CCBACKEND_TIME_ZONE)) },
        200,
      ),
  )
  .openapi(
    defineRoute({
      method: "put",
      path: "/report/{report_id}",
      access: "issue_reports:process",
      summary: "CCbackend: process a report (status, process_notes; the caller becomes PROCESSER)",
      tags: TAGS,
      request: { params: ReportParams, body: { content: { "application/json": { schema: ProcessBody } } } },
      errors: { 404: "未找到該回報或沒有資料更新" },
      responses: { 200: json(Ok, "回報資料更新成功") },
    }),
    async (c) => {
      await processIssueReport(c.get("deps"), c.req.valid("param").report_id, c.req.valid("json"), principalOf(c));
      return c.json({ success: true as const, message: "回報資料更新成功" }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "delete",
      path: "/report/{report_id}",
      access: "issue_reports:delete",
      summary: "CCbackend: delete a report and its photos (admins)",
      tags: TAGS,
      request: { params: ReportParams },
      errors: { 404: "未找到該回報或沒有資料刪除" },
      responses: { 200: json(Ok, "回報已成功刪除") },
    }),
    async (c) => {
      await deleteIssueReport(c.get("deps"), c.req.valid("param").report_id);
      return c.json({ success: true as const, message: "回報已成功刪除" }, 200);
    },
  );

const PhotoParams = z.object({ filename: z.string().max(64) });
const photoRoute = (path: string) =>
  defineRoute({
    method: "get",
    path,
    access: "public",
    summary: `CCbackend: a report photo (no auth, as in the seed; names are random and unlisted)`,
    tags: TAGS,
    request: { params: PhotoParams },
    errors: { 404: "圖片檔案不存在" },
    responses: {
      200: {
        description: "The image, cacheable for a year (its name never changes content)",
        content: { "image/*": { schema: z.string().meta({ format: "binary" }) } },
      },
      304: { description: "Not modified (If-None-Match)" },
    },
  });

/** `/uploads/<file>` and `/static/uploads/<file>`: photos streamed from R2 with an ETag. */
export const ccbackendPhotoRoutes = createRouter()
  .openapi(photoRoute("/uploads/{filename}"), (c) => servePhoto(c.get("deps"), c.req.valid("param").filename, c.req.header("if-none-match")))
  .openapi(photoRoute("/static/uploads/{filename}"), (c) => servePhoto(c.get("deps"), c.req.valid("param").filename, c.req.header("if-none-match")));

/** Streams a photo: immutable under its random name, so cacheable for a year; 304 on a matching ETag. */
async function servePhoto(deps: Parameters<typeof openPhoto>[0], filename: string, ifNoneMatch: string | undefined): Promise<Response> {
  const object = await openPhoto(deps, filename, ifNoneMatch);
  const headers = new Headers({
    ETag: object.httpEtag,
    "Cache-Control": "public, max-age=31536000, immutable",
    "Content-Type": object.httpMetadata?.contentType ?? "application/octet-stream",
    "Content-Disposition": "inline",
  });
  if (!("body" in object)) return new Response(null, { status: 304, headers });
  headers.set("Content-Length", String(object.size));
  return new Response(object.body, { status: 200, headers });
}
