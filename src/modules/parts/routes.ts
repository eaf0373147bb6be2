import type { Context } from "hono";
import { z } from "zod";
import { expectedVersion, setETag } from "../../lib/etag";
import { PageQuery } from "../../lib/pagination";
import { createRouter, defineRoute, json, principalOf } from "../../lib/route";
import { incomingUpload } from "../../lib/uploads";
import type { AppEnv } from "../../types";
import { getPartDrawing } from "./drawing";
import { getConversion, openModel, openPartFile, uploadPartFile } from "./files";
import { Binary, DrawingResponses, serveDrawing, serveModel, serveView, streamFile } from "./http";
import {
  ApproveBody,
  AssignBody,
  CategoryParam,
  CompleteBody,
  ConversionJob,
  CreatePartBody,
  Deleted,
  Leaderboard,
  ListPartsQuery,
  Part,
  PartIdParam,
  PartList,
  PartStats,
  PartViewList,
  PartViewParam,
  type TransitionInput,
  TransitionList,
  UpdatePartBody,
  UploadResponse,
} from "./schemas";
import { createPart, deletePart, getPart, leaderboard, listParts, partHistory, partStats, transitionPart, updatePart } from "./service";
import { listPartViews, openPartView, type PartViewInfo, uploadPartViews } from "./views";

const TAGS = ["parts"];
const DownloadQuery = z.object({ download: z.enum(["true", "false"]).optional() });

const v1Views = (id: number, views: PartViewInfo[]) => ({
  items: views.map((v) => ({ ...v, url: `/api/v1/parts/${id}/views/${v.n}` })),
  total: views.length,
});
const ImageResponse = {
  200: {
    description: "The image (ETag: its SHA-256)",
    content: { "image/png": { schema: Binary }, "image/jpeg": { schema: Binary }, "image/webp": { schema: Binary } },
  },
  304: { description: "Not modified (If-None-Match matched)" },
};
const ifMatch = (c: Context<AppEnv>) => expectedVersion(c.req.header("if-match"));
/** Runs one lifecycle action on a part (If-Match honoured) and sets the part's ETag. */
async function applyTransition(c: Context<AppEnv>, id: number, transition: TransitionInput) {
  const part = await transitionPart(c.get("deps"), { id, transition, expectedVersion: ifMatch(c) }, principalOf(c));
  setETag(c, part.version);
  return part;
}
const CONFLICT = { 409: "Illegal transition (details: current category, status, allowed_actions) or stale If-Match" };

const SUMMARIES = {
  start: "Start a part: In Progress in its fabrication category, the assignee kept",
  unclaim: "Unclaim a part (clears the assignee)",
  revert: "Revert a completed part to its fabrication category",
} as const;
const transition = <A extends keyof typeof SUMMARIES>(action: A) =>
  defineRoute({
    method: "post",
    path: `/{id}/${action}`,
    access: "parts:write",
    summary: SUMMARIES[action],
    tags: TAGS,
    request: { params: PartIdParam },
    errors: { 404: "No such part", ...CONFLICT },
    responses: { 200: json(Part, "The part after the transition") },
  });

export const partRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/",
      access: "parts:read",
      pureRead: true,
      summary: "List parts: category, search, sort, pagination",
      tags: TAGS,
      request: { query: ListPartsQuery },
      responses: { 200: json(PartList, "A page of parts") },
    }),
    async (c) => c.json(await listParts(c.get("deps"), c.req.valid("query")), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/stats",
      access: "parts:read",
      pureRead: true,
      summary: "Counts by category, status and assignment",
      tags: TAGS,
      responses: { 200: json(PartStats, "Statistics") },
    }),
    async (c) => c.json(await partStats(c.get("deps")), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/leaderboard",
      access: "parts:read",
      pureRead: true,
      summary: "Scores from completed parts (assignee +1, −1 if completed incorrectly; earlier hand workers +0.5)",
      tags: TAGS,
      responses: { 200: json(Leaderboard, "The leaderboard, highest first") },
    }),
    async (c) => c.json(await leaderboard(c.get("deps")), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/categories/{category}",
      access: "parts:read",
      pureRead: true,
      summary: "List the parts of one category",
      tags: TAGS,
      request: { params: CategoryParam, query: ListPartsQuery.omit({ category: true }) },
      responses: { 200: json(PartList, "A page of parts") },
    }),
    async (c) => c.json(await listParts(c.get("deps"), { ...c.req.valid("query"), category: c.req.valid("param").category }), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/",
      access: "parts:write",
      summary: "Create a part (in review, Pending)",
      tags: TAGS,
      request: { body: { content: { "application/json": { schema: CreatePartBody } } } },
      responses: { 201: json(Part, "The new part") },
    }),
    async (c) => {
      const part = await createPart(c.get("deps"), c.req.valid("json"), principalOf(c));
      setETag(c, part.version);
      return c.json(part, 201);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/{id}",
      access: "parts:read",
      pureRead: true,
      summary: "One part (ETag: its version)",
      tags: TAGS,
      request: { params: PartIdParam },
      errors: { 404: "No such part" },
      responses: { 200: json(Part, "The part") },
    }),
    async (c) => {
      const part = await getPart(c.get("deps"), c.req.valid("param").id);
      setETag(c, part.version);
      return c.json(part, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "patch",
      path: "/{id}",
      access: "parts:write",
      summary: "Edit a part's fields (If-Match: its version); the lifecycle state changes only through its actions",
      tags: TAGS,
      request: { params: PartIdParam, body: { content: { "application/json": { schema: UpdatePartBody } } } },
      errors: { 404: "No such part", 409: "Stale If-Match" },
      responses: { 200: json(Part, "The part") },
    }),
    async (c) => {
      const part = await updatePart(c.get("deps"), { id: c.req.valid("param").id, patch: c.req.valid("json"), expectedVersion: ifMatch(c) }, principalOf(c));
      setETag(c, part.version);
      return c.json(part, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "delete",
      path: "/{id}",
      access: "parts:delete",
      summary: "Delete a part, its history, its files and its model (If-Match optional)",
      tags: TAGS,
      request: { params: PartIdParam },
      errors: { 404: "No such part", 409: "Stale If-Match" },
      responses: { 200: json(Deleted, "Deleted") },
    }),
    async (c) => c.json(await deletePart(c.get("deps"), { id: c.req.valid("param").id, expectedVersion: ifMatch(c) }, principalOf(c)), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/{id}/history",
      access: "parts:read",
      pureRead: true,
      summary: "The part's lifecycle transitions (who, when, from → to), oldest first",
      tags: TAGS,
      request: { params: PartIdParam, query: PageQuery },
      errors: { 404: "No such part" },
      responses: { 200: json(TransitionList, "A page of transitions") },
    }),
    async (c) => c.json(await partHistory(c.get("deps"), { id: c.req.valid("param").id, ...c.req.valid("query") }), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/{id}/approve",
      access: "parts:review",
      summary: "Approve a part in review: Reviewed, moved to its type's category",
      tags: TAGS,
      request: { params: PartIdParam, body: { content: { "application/json": { schema: ApproveBody } } } },
      errors: { 404: "No such part", ...CONFLICT },
      responses: { 200: json(Part, "The part after the transition") },
    }),
    async (c) => c.json(await applyTransition(c, c.req.valid("param").id, { action: "approve", ...c.req.valid("json") }), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/{id}/assign",
      access: "parts:write",
      summary: "Assign a part: In Progress, claimed now (hand parts record the hand worker)",
      tags: TAGS,
      request: { params: PartIdParam, body: { content: { "application/json": { schema: AssignBody } } } },
      errors: { 404: "No such part", ...CONFLICT },
      responses: { 200: json(Part, "The part after the transition") },
    }),
    async (c) => c.json(await applyTransition(c, c.req.valid("param").id, { action: "assign", ...c.req.valid("json") }), 200),
  )
  .openapi(transition("start"), async (c) => c.json(await applyTransition(c, c.req.valid("param").id, { action: "start" }), 200))
  .openapi(transition("unclaim"), async (c) => c.json(await applyTransition(c, c.req.valid("param").id, { action: "unclaim" }), 200))
  .openapi(
    defineRoute({
      method: "post",
      path: "/{id}/complete",
      access: "parts:write",
      summary: "Complete a part: Completed, category completed",
      tags: TAGS,
      request: { params: PartIdParam, body: { content: { "application/json": { schema: CompleteBody } } } },
      errors: { 404: "No such part", ...CONFLICT },
      responses: { 200: json(Part, "The part after the transition") },
    }),
    async (c) => c.json(await applyTransition(c, c.req.valid("param").id, { action: "complete", ...c.req.valid("json") }), 200),
  )
  .openapi(transition("revert"), async (c) => c.json(await applyTransition(c, c.req.valid("param").id, { action: "revert" }), 200))
  .openapi(
    defineRoute({
      method: "post",
      path: "/{id}/file",
      access: "parts:write",
      bodyLimit: "upload",
      summary: "Upload the part's file (multipart field `file`): STEP (queued for GLB conversion) or PDF, judged by content",
      tags: TAGS,
      request: { params: PartIdParam },
      errors: { 400: "No file", 404: "No such part", 413: "Too large (STEP over the conversion cap)", 415: "Neither STEP nor PDF" },
      responses: { 201: json(UploadResponse, "Stored; a STEP's conversion is queued") },
    }),
    async (c) => {
      const result = await uploadPartFile(c.get("deps"), { id: c.req.valid("param").id, upload: incomingUpload(c.req.raw, principalOf(c)) }, principalOf(c));
      return c.json({ part: result.part, filename: result.filename, kind: result.kind, conversion: result.job }, 201);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/{id}/file",
      access: "parts:read",
      summary: "The part's file (inline; `?download=true` for an attachment with its original name)",
      tags: TAGS,
      request: { params: PartIdParam, query: DownloadQuery },
      errors: { 404: "No such part or no file" },
      responses: { 200: { description: "The file", content: { "application/octet-stream": { schema: Binary } } } },
    }),
    async (c) => {
      const file = await openPartFile(c.get("deps"), c.req.valid("param").id);
      return streamFile(c, file, c.req.valid("query").download === "true" ? "attachment" : "inline");
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/{id}/model",
      access: "parts:read",
      summary: "The 3D model (binary glTF) when converted; 202 with the job while queued or converting",
      tags: TAGS,
      request: { params: PartIdParam },
      errors: { 404: "No such part or no STEP file", 409: "The conversion failed (details: the job)" },
      responses: {
        200: { description: "The GLB", content: { "model/gltf-binary": { schema: Binary } } },
        202: json(ConversionJob, "Not converted yet: the job"),
      },
    }),
    async (c) => serveModel(c, await openModel(c.get("deps"), c.req.valid("param").id)),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/{id}/conversion",
      access: "parts:read",
      summary: "The part's STEP → GLB conversion job: state, attempts, error, timings",
      tags: TAGS,
      request: { params: PartIdParam },
      errors: { 404: "No such part or no STEP file" },
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
      summary: "Upload view thumbnails (multipart fields view_0 … view_7; PNG, JPEG or WebP by content, ≤ 2 MiB each); replaces those slots",
      tags: TAGS,
      request: { params: PartIdParam },
      errors: {
        400: "No view, or a field twice",
        404: "No such part",
        413: "Too large or too many",
        415: "Not an image",
        422: "A file outside view_0 … view_7",
      },
      responses: { 201: json(PartViewList, "Every view of the part") },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      return c.json(v1Views(id, await uploadPartViews(c.get("deps"), { id, upload: incomingUpload(c.req.raw, principalOf(c)) }, principalOf(c))), 201);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/{id}/views",
      access: "parts:read",
      summary: "The part's view thumbnails, by slot",
      tags: TAGS,
      request: { params: PartIdParam },
      errors: { 404: "No such part" },
      responses: { 200: json(PartViewList, "Every view of the part") },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      return c.json(v1Views(id, await listPartViews(c.get("deps"), id)), 200);
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
      errors: { 404: "No such part or view" },
      responses: ImageResponse,
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
      summary: "The part's drawing PDF from Onshape (its onshape_url), fetched once with your Onshape connection and cached",
      tags: TAGS,
      request: { params: PartIdParam },
      errors: {
        404: "No such part, no onshape_url, or no such drawing in Onshape",
        409: "Your Onshape account is not connected",
        422: "onshape_url is not a drawing on the configured Onshape",
        503: "Onshape is not configured or unreachable",
      },
      responses: DrawingResponses,
    }),
    async (c) => serveDrawing(c, await getPartDrawing(c.get("deps"), c.req.valid("param").id, principalOf(c))),
  );
