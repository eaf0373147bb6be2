/**
 * A part's files under `/api/parts/{id}` (seeds 001/002): the STEP/PDF upload, download, the
 * converted model, view thumbnails and the Onshape drawing.
 */
import type { z } from "zod";
import { createRouter, json, principalOf, routeDefiner } from "../../lib/route";
import { incomingUpload } from "../../lib/uploads";
import { getPartDrawing } from "../../modules/parts/drawing";
import { getConversion, openModel, openPartFile, uploadPartFile } from "../../modules/parts/files";
import { Binary, DrawingResponses, serveDrawing, serveModel, serveView, streamFile } from "../../modules/parts/http";
import { ConversionJob, PartIdParam, PartViewParam } from "../../modules/parts/schemas";
import { listPartViews, openPartView, uploadPartViews } from "../../modules/parts/views";
import { CompatViews, CompatViewsUploaded, compatViews, FileResponse, Image, NOT_FOUND, TAGS, UploadAnswer } from "./shapes";
import { partsSurface } from "./surface";

const defineRoute = routeDefiner(partsSurface);

export const partFileRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "post",
      path: "/{id}/upload",
      access: "parts:write",
      bodyLimit: "upload",
      summary: "Upload a STEP (.step/.stp, queued for conversion) or PDF; multipart field `file`",
      tags: TAGS,
      request: { params: PartIdParam },
      errors: { ...NOT_FOUND, 413: "Too large", 415: "Neither STEP nor PDF (judged by content)" },
      responses: { 201: json(UploadAnswer, "Stored") },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const result = await uploadPartFile(c.get("deps"), { id, upload: incomingUpload(c.req.raw, principalOf(c)) }, principalOf(c));
      const answer: z.infer<typeof UploadAnswer> = { message: "File uploaded successfully", filename: result.filename, file_path: `/api/parts/${id}/file` };
      if (result.job) {
        const failed = result.job.state === "failed";
        answer.conversion = {
          success: !failed,
          error: result.job.error,
          gltf_path: failed ? null : `/api/parts/${id}/model`,
          state: result.job.state,
          job_id: result.job.job_id,
        };
      }
      return c.json(answer, 201);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/{id}/download",
      access: "parts:read",
      summary: "Download the file (attachment, original name)",
      tags: TAGS,
      request: { params: PartIdParam },
      errors: { 404: "No file associated with this part" },
      responses: FileResponse,
    }),
    async (c) => streamFile(c, await openPartFile(c.get("deps"), c.req.valid("param").id), "attachment"),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/{id}/file",
      access: "parts:read",
      summary: "The file, inline",
      tags: TAGS,
      request: { params: PartIdParam },
      errors: { 404: "No file associated with this part" },
      responses: FileResponse,
    }),
    async (c) => streamFile(c, await openPartFile(c.get("deps"), c.req.valid("param").id), "inline"),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/{id}/model",
      access: "parts:read",
      summary: "The GLB (model/gltf-binary) when converted; 202 with the job while queued or converting",
      tags: TAGS,
      request: { params: PartIdParam },
      errors: {
        404: "No file associated with this part",
        422: "The file can never convert (not a STEP model, or no solid geometry): `error` names why",
        500: "Model conversion failed",
      },
      responses: { 200: { description: "The GLB", content: { "model/gltf-binary": { schema: Binary } } }, 202: json(ConversionJob, "Not converted yet") },
    }),
    async (c) => serveModel(c, await openModel(c.get("deps"), c.req.valid("param").id)),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/{id}/conversion",
      access: "parts:read",
      summary: "The conversion job (Floorline addition)",
      tags: TAGS,
      request: { params: PartIdParam },
      errors: { 404: "No STEP file" },
      responses: { 200: json(ConversionJob, "The job") },
    }),
    async (c) => c.json(await getConversion(c.get("deps"), c.req.valid("param").id), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/{id}/views",
      access: "parts:write",
      bodyLimit: "upload",
      summary: "Upload view thumbnails: multipart view_0 … view_7 (PNG, JPEG or WebP by content, ≤ 2 MiB each)",
      tags: TAGS,
      request: { params: PartIdParam },
      errors: { ...NOT_FOUND, 413: "Too large or too many", 415: "Not an image", 422: "A file outside view_0 … view_7" },
      responses: { 201: json(CompatViewsUploaded, "Stored; every view of the part") },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const views = await uploadPartViews(c.get("deps"), { id, upload: incomingUpload(c.req.raw, principalOf(c)) }, principalOf(c));
      return c.json({ success: true as const, message: "Views uploaded successfully", ...compatViews(id, views) }, 201);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/{id}/views",
      access: "parts:read",
      summary: "The part's views manifest as the clients read it: {views:{files:{n:{…}},updated_at}} or {views:null}",
      tags: TAGS,
      request: { params: PartIdParam },
      errors: NOT_FOUND,
      responses: { 200: json(CompatViews, "Views") },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      return c.json(compatViews(id, await listPartViews(c.get("deps"), id)), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/{id}/views/{n}",
      access: "parts:read",
      summary: "One view image (ETag; If-None-Match → 304)",
      tags: TAGS,
      request: { params: PartViewParam },
      errors: { 404: "View not found" },
      responses: Image,
    }),
    async (c) => {
      const { id, n } = c.req.valid("param");
      return serveView(c, await openPartView(c.get("deps"), { id, n, ifNoneMatch: c.req.header("if-none-match") }));
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/{id}/drawing",
      access: "parts:read",
      userLimit: "upstream",
      summary: "The part's drawing PDF from Onshape (its onshapeUrl), fetched once and cached; 202 while Onshape exports it",
      tags: TAGS,
      request: { params: PartIdParam },
      errors: { ...NOT_FOUND, 409: "Onshape account not connected", 503: "Onshape is not configured or unreachable" },
      responses: DrawingResponses,
    }),
    async (c) => serveDrawing(c, await getPartDrawing(c.get("deps"), c.req.valid("param").id, principalOf(c))),
  );
