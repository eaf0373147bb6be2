/**
 * Part Management / Aerie's `/api/parts/…` (seeds 001/002): the seed's camelCase part, its list
 * envelope `{parts,total,limit,offset}`, camelCase or snake_case writes, and its workflow routes,
 * all on the same services as `/api/v1/parts`.
 */
import { z } from "zod";
import { LongText } from "../../lib/fields";
import { createRouter, json, principalOf, routeDefiner } from "../../lib/route";
import { getPartDrawing } from "../../modules/parts/drawing";
import { getConversion, openModel, openPartFile, uploadPartFile } from "../../modules/parts/files";
import { DrawingResponses, serveDrawing, serveView, streamFile } from "../../modules/parts/routes";
import { ConversionJob, MiscInfo, type Part, PartCategory, PartIdParam, PartType, PartViewParam, SORT_FIELDS, WorkerName } from "../../modules/parts/schemas";
import { createPart, deletePart, getPart, leaderboard, listParts, partStats, transitionPart, updatePart } from "../../modules/parts/service";
import { listPartViews, openPartView, type PartViewInfo, uploadPartViews } from "../../modules/parts/views";
import { ASSIGNED_REQUIRED, NO_DATA, partsSurface } from "./surface";

const defineRoute = routeDefiner(partsSurface);
const TAGS = ["parts (Part Management compat)"];

/** The seed's part (`Part.to_dict()` in Aerie, plus `materialThickness`). */
export const CompatPart = z
  .object({
    id: z.number().int(),
    type: PartType,
    material: z.string(),
    materialThickness: z.string().nullable(),
    name: z.string(),
    partId: z.string(),
    subsystem: z.string(),
    assigned: z.string().nullable(),
    status: z.string(),
    miscInfo: z.record(z.string(), z.unknown()).nullable(),
    notes: z.string().nullable(),
    file: z.string().nullable(),
    onshapeUrl: z.string().nullable(),
    claimedDate: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    category: PartCategory,
    amount: z.number().int(),
  })
  .meta({ id: "CompatPart" });
type CompatPart = z.infer<typeof CompatPart>;

/** The v1 part in the seed's names. */
export const toCompatPart = (p: Part): CompatPart => ({
  id: p.id,
  type: p.type,
  material: p.material,
  materialThickness: p.material_thickness,
  name: p.name,
  partId: p.part_id,
  subsystem: p.subsystem,
  assigned: p.assigned,
  status: p.status,
  miscInfo: p.misc_info,
  notes: p.notes,
  file: p.file,
  onshapeUrl: p.onshape_url,
  claimedDate: p.claimed_date,
  createdAt: p.created_at,
  updatedAt: p.updated_at,
  category: p.category,
  amount: p.amount,
});

// Writes accept the seed's camelCase or snake_case; snake_case names are copied onto camelCase.
const SNAKE_TO_CAMEL: Record<string, string> = {
  part_id: "partId",
  material_thickness: "materialThickness",
  onshape_url: "onshapeUrl",
  misc_info: "miscInfo",
};
/** Seed 002 accepted its API key in the body; it is read by authentication, not stored. */
const IGNORED = new Set(["api_key"]);
/** What an empty body becomes, so the seed's "No data provided" can be told apart. */
const NO_DATA_MARK = Symbol("no data");

function camelize(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (IGNORED.has(k)) continue;
    const camel = SNAKE_TO_CAMEL[k];
    if (camel) {
      if (!(camel in value)) out[camel] = v;
    } else out[k] = v;
  }
  return Object.keys(out).length === 0 ? NO_DATA_MARK : out;
}
/** Routes whose body is optional: an empty one is `{}`. */
const camelizeOptional = (value: unknown) => {
  const out = camelize(value);
  return out === NO_DATA_MARK ? {} : out;
};
const someData = z.unknown().refine((v) => v !== NO_DATA_MARK, { message: NO_DATA });

const Amount = z
  .union([z.number(), z.string().trim().max(15)])
  .transform((v, ctx) => {
    if (v === "") return 1;
    const n = typeof v === "number" ? v : Number(v);
    if (!Number.isInteger(n)) {
      ctx.addIssue({ code: "custom", message: "Amount must be a number" });
      return z.NEVER;
    }
    return n;
  })
  .pipe(z.number().int().min(1, "Amount must be greater than 0").max(1_000_000));

const text = (max: number, required: string) => z.string().trim().min(1, required).max(max);
const CompatFields = z.object({
  type: PartType.default("hand"),
  name: text(200, "Name is required"),
  partId: z.union([z.string(), z.number()]).transform(String).pipe(text(100, "Part ID is required")),
  material: text(200, "Material is required"),
  materialThickness: z
    .union([z.string().trim().max(50), z.number().transform(String)])
    .nullable()
    .optional(),
  subsystem: text(100, "Subsystem is required"),
  notes: LongText.nullable().optional(),
  onshapeUrl: z
    .union([z.url({ protocol: /^https?$/ }).max(500), z.literal("").transform(() => null)])
    .nullable()
    .optional(),
  miscInfo: MiscInfo.nullable().optional(),
  amount: Amount.optional(),
});

/** Seed create: the lifecycle fields (`status`, `category`, `assigned`, …) are not taken here. */
const CompatCreate = z.preprocess(camelize, someData.pipe(CompatFields.loose())).meta({ id: "CompatCreatePart" });
const CompatUpdate = z.preprocess(camelize, someData.pipe(CompatFields.partial().loose())).meta({ id: "CompatUpdatePart" });

type Fields = Partial<z.infer<typeof CompatFields>>;
const toInput = (f: Fields) => ({
  type: f.type,
  name: f.name,
  part_id: f.partId,
  material: f.material,
  material_thickness: f.materialThickness,
  subsystem: f.subsystem,
  notes: f.notes,
  onshape_url: f.onshapeUrl,
  misc_info: f.miscInfo,
  amount: f.amount,
});

const CompatList = z
  .object({ parts: z.array(CompatPart), total: z.number().int(), limit: z.number().int().nullable(), offset: z.number().int() })
  .meta({ id: "CompatPartList" });
/** Without `limit` the seed returned every part; here at most this many (its `total` says if more). */
const UNPAGED_MAX = 1000;
const ListQuery = z.object({
  category: z.string().max(20).optional(),
  search: z.string().max(200).optional(),
  sort_by: z.string().max(40).optional(),
  sort_order: z.string().max(10).optional(),
  limit: z.coerce.number().int().min(1).max(UNPAGED_MAX).optional(),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
  api_key: z.string().max(512).optional(),
});
type ListQuery = z.infer<typeof ListQuery>;

async function list(deps: Parameters<typeof listParts>[0], q: ListQuery, category?: string) {
  const sortBy = SORT_FIELDS.find((f) => f === q.sort_by) ?? "created_at";
  const page = await listParts(deps, {
    category: category ?? (q.category || undefined),
    search: q.search || undefined,
    sort_by: sortBy,
    // The seed sorted ascending for anything but `desc`, and descending by default.
    sort_order: q.sort_order === undefined || q.sort_order === "desc" ? "desc" : "asc",
    limit: q.limit ?? UNPAGED_MAX,
    offset: q.offset,
  });
  return { parts: page.items.map(toCompatPart), total: page.total, limit: q.limit ?? null, offset: q.offset };
}

const ApproveBody = z.preprocess(camelizeOptional, z.object({ reviewer: WorkerName.optional(), miscInfo: MiscInfo.optional() }).loose());
const AssignBody = z.preprocess(camelizeOptional, z.object({ assigned: z.string({ error: ASSIGNED_REQUIRED }).pipe(WorkerName) }).loose());
const CompleteBody = z.preprocess(camelizeOptional, z.object({ miscInfo: MiscInfo.optional() }).loose());
const Optional = z.preprocess(camelizeOptional, z.object({}).loose());

const Message = z.object({ message: z.string() });
const Binary = z.string().meta({ format: "binary" });
const FileResponse = { 200: { description: "The file", content: { "application/octet-stream": { schema: Binary } } } };
/** The seed's upload answer; `conversion` (STEP only) says the job is queued. */
const UploadAnswer = z
  .object({
    message: z.string(),
    filename: z.string(),
    file_path: z.string(),
    conversion: z
      .object({ success: z.boolean(), error: z.string().nullable(), gltf_path: z.string().nullable(), state: z.string(), job_id: z.string() })
      .optional(),
  })
  .meta({ id: "CompatPartUpload" });
/** A view as the seed's client lists it (camelCase, `index` and `url`). */
const CompatView = z.object({ index: z.number().int(), url: z.string(), contentType: z.string(), size: z.number().int(), updatedAt: z.string() });
const CompatViews = z.object({ views: z.array(CompatView), count: z.number().int() }).meta({ id: "CompatPartViews" });
const CompatViewsUploaded = CompatViews.extend({ message: z.string() }).meta({ id: "CompatPartViewsUploaded" });
const compatViews = (id: number, views: PartViewInfo[]) => ({
  views: views.map((v) => ({ index: v.n, url: `/api/parts/${id}/views/${v.n}`, contentType: v.content_type, size: v.size, updatedAt: v.updated_at })),
  count: views.length,
});
const Image = { 200: { description: "The image", content: { "image/png": { schema: Binary } } }, 304: { description: "Not modified" } };
const CategoryParam = z.object({
  category: z
    .string()
    .max(20)
    .openapi({ param: { name: "category", in: "path" } }),
});
const ListOnly = ListQuery.omit({ category: true });
const PartResponse = { 200: json(CompatPart, "The part") };
const NOT_FOUND = { 404: "Part not found" };

/**
 * The seed's collection routes live at `/api/parts/` (with the slash, as Flask served them):
 * mount this router at `/api/parts/`.
 */
export const partsCompatRootRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/",
      access: "parts:read",
      pureRead: true,
      summary: "List parts (seed shape)",
      tags: TAGS,
      request: { query: ListQuery },
      responses: { 200: json(CompatList, "Parts") },
    }),
    async (c) => c.json(await list(c.var.deps, c.req.valid("query")), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/",
      access: "parts:write",
      summary: "Create a part (camelCase or snake_case)",
      tags: TAGS,
      request: { body: { content: { "application/json": { schema: CompatCreate } } } },
      responses: { 201: json(CompatPart, "The new part") },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const input = { ...toInput(body), type: body.type, name: body.name, part_id: body.partId, material: body.material, subsystem: body.subsystem };
      return c.json(toCompatPart(await createPart(c.var.deps, input, principalOf(c))), 201);
    },
  );

/** Everything else under `/api/parts` (mount at `/api/parts`). */
export const partsCompatRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/stats",
      access: "parts:read",
      pureRead: true,
      summary: "Statistics (seed shape)",
      tags: TAGS,
      responses: { 200: json(z.record(z.string(), z.unknown()), "Stats") },
    }),
    async (c) => c.json(await partStats(c.var.deps), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/leaderboard",
      access: "parts:read",
      pureRead: true,
      summary: "Aerie's leaderboard",
      tags: TAGS,
      responses: { 200: json(z.object({ leaderboard: z.array(z.object({ name: z.string(), score: z.number() })) }), "Leaderboard") },
    }),
    async (c) => c.json(await leaderboard(c.var.deps), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/categories/{category}",
      access: "parts:read",
      pureRead: true,
      summary: "Parts of one category (seed shape)",
      tags: TAGS,
      request: { params: CategoryParam, query: ListOnly },
      responses: { 200: json(CompatList, "Parts") },
    }),
    async (c) => c.json(await list(c.var.deps, c.req.valid("query"), c.req.valid("param").category), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/{id}",
      access: "parts:read",
      pureRead: true,
      summary: "One part",
      tags: TAGS,
      request: { params: PartIdParam },
      errors: NOT_FOUND,
      responses: PartResponse,
    }),
    async (c) => c.json(toCompatPart(await getPart(c.var.deps, c.req.valid("param").id)), 200),
  )
  .openapi(
    defineRoute({
      method: "put",
      path: "/{id}",
      access: "parts:write",
      summary: "Edit a part's fields (status, category and assignment change only through the workflow routes)",
      tags: TAGS,
      request: { params: PartIdParam, body: { content: { "application/json": { schema: CompatUpdate } } } },
      errors: NOT_FOUND,
      responses: PartResponse,
    }),
    async (c) => {
      const patch = toInput(c.req.valid("json"));
      return c.json(toCompatPart(await updatePart(c.var.deps, { id: c.req.valid("param").id, patch }, principalOf(c))), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "delete",
      path: "/{id}",
      access: "parts:delete",
      summary: "Delete a part",
      tags: TAGS,
      request: { params: PartIdParam },
      errors: NOT_FOUND,
      responses: { 200: json(Message, "Deleted") },
    }),
    async (c) => c.json(await deletePart(c.var.deps, { id: c.req.valid("param").id }, principalOf(c)), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/{id}/approve",
      access: "parts:review",
      summary: "Approve (Reviewed; to the type's category); body {reviewer?, miscInfo?}",
      tags: TAGS,
      request: { params: PartIdParam, body: { content: { "application/json": { schema: ApproveBody } } } },
      errors: { ...NOT_FOUND, 409: "Not in review" },
      responses: PartResponse,
    }),
    async (c) => {
      const { reviewer, miscInfo } = c.req.valid("json");
      const transition = { action: "approve" as const, reviewer, misc_info: miscInfo };
      return c.json(toCompatPart(await transitionPart(c.var.deps, { id: c.req.valid("param").id, transition }, principalOf(c))), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/{id}/assign",
      access: "parts:write",
      summary: "Assign {assigned}: In Progress, claimedDate now",
      tags: TAGS,
      request: { params: PartIdParam, body: { content: { "application/json": { schema: AssignBody } } } },
      errors: { ...NOT_FOUND, 409: "Not in a fabrication category" },
      responses: PartResponse,
    }),
    async (c) => {
      const { assigned } = c.req.valid("json");
      return c.json(
        toCompatPart(await transitionPart(c.var.deps, { id: c.req.valid("param").id, transition: { action: "assign", assigned } }, principalOf(c))),
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/{id}/unclaim",
      access: "parts:write",
      summary: "Unclaim: clears the assignee",
      tags: TAGS,
      request: { params: PartIdParam, body: { required: false, content: { "application/json": { schema: Optional } } } },
      errors: { ...NOT_FOUND, 409: "Not assigned" },
      responses: PartResponse,
    }),
    async (c) =>
      c.json(toCompatPart(await transitionPart(c.var.deps, { id: c.req.valid("param").id, transition: { action: "unclaim" } }, principalOf(c))), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/{id}/complete",
      access: "parts:write",
      summary: "Complete (body {miscInfo?})",
      tags: TAGS,
      request: { params: PartIdParam, body: { content: { "application/json": { schema: CompleteBody } } } },
      errors: { ...NOT_FOUND, 409: "Not in a fabrication category" },
      responses: PartResponse,
    }),
    async (c) => {
      const transition = { action: "complete" as const, misc_info: c.req.valid("json").miscInfo };
      return c.json(toCompatPart(await transitionPart(c.var.deps, { id: c.req.valid("param").id, transition }, principalOf(c))), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/{id}/revert",
      access: "parts:write",
      summary: "Revert a completed part",
      tags: TAGS,
      request: { params: PartIdParam, body: { required: false, content: { "application/json": { schema: Optional } } } },
      errors: { ...NOT_FOUND, 400: "Part is not completed" },
      responses: PartResponse,
    }),
    async (c) => c.json(toCompatPart(await transitionPart(c.var.deps, { id: c.req.valid("param").id, transition: { action: "revert" } }, principalOf(c))), 200),
  )
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
      const result = await uploadPartFile(c.var.deps, { id, request: c.req.raw }, principalOf(c));
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
    async (c) => streamFile(c, await openPartFile(c.var.deps, c.req.valid("param").id), "attachment"),
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
    async (c) => streamFile(c, await openPartFile(c.var.deps, c.req.valid("param").id), "inline"),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/{id}/model",
      access: "parts:read",
      summary: "The GLB (model/gltf-binary) when converted; 202 with the job while queued or converting",
      tags: TAGS,
      request: { params: PartIdParam },
      errors: { 404: "No file associated with this part", 500: "Model conversion failed" },
      responses: { 200: { description: "The GLB", content: { "model/gltf-binary": { schema: Binary } } }, 202: json(ConversionJob, "Not converted yet") },
    }),
    async (c) => {
      const model = await openModel(c.var.deps, c.req.valid("param").id);
      if ("pending" in model) return c.json(model.pending, 202);
      return streamFile(c, model.ready, "inline");
    },
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
    async (c) => c.json(await getConversion(c.var.deps, c.req.valid("param").id), 200),
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
      const views = await uploadPartViews(c.var.deps, { id, request: c.req.raw }, principalOf(c));
      return c.json({ message: "Views uploaded successfully", ...compatViews(id, views) }, 201);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/{id}/views",
      access: "parts:read",
      summary: "The part's view thumbnails",
      tags: TAGS,
      request: { params: PartIdParam },
      errors: NOT_FOUND,
      responses: { 200: json(CompatViews, "Views") },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      return c.json(compatViews(id, await listPartViews(c.var.deps, id)), 200);
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
      return serveView(c, await openPartView(c.var.deps, { id, n, ifNoneMatch: c.req.header("if-none-match") }));
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
    async (c) => serveDrawing(c, await getPartDrawing(c.var.deps, c.req.valid("param").id, principalOf(c))),
  );
