/**
 * Part Management / Aerie's wire shapes (seeds 001/002): the seed's camelCase part, its list
 * envelope `{parts,total,limit,offset}`, camelCase or snake_case writes, and the bodies and
 * answers of the workflow and file routes.
 */
import { z } from "zod";
import { LongText } from "../../lib/fields";
import { json } from "../../lib/route";
import { Binary } from "../../modules/parts/http";
import { MiscInfo, type Part, PartCategory, PartStatus, PartType, SORT_FIELDS, WorkerName } from "../../modules/parts/schemas";
import { listParts } from "../../modules/parts/service";
import type { PartViewInfo } from "../../modules/parts/views";
import { ASSIGNED_REQUIRED, NO_DATA } from "./surface";

export const TAGS = ["parts (Part Management compat)"];

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
export type CompatPart = z.infer<typeof CompatPart>;

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
export const SNAKE_TO_CAMEL: Record<string, string> = {
  part_id: "partId",
  material_thickness: "materialThickness",
  onshape_url: "onshapeUrl",
  misc_info: "miscInfo",
};
/** Seed 002 accepted its API key in the body; it is read by authentication, not stored. */
export const IGNORED = new Set(["api_key"]);
/** What an empty body becomes, so the seed's "No data provided" can be told apart. */
export const NO_DATA_MARK = Symbol("no data");

export function camelize(value: unknown): unknown {
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
export const camelizeOptional = (value: unknown) => {
  const out = camelize(value);
  return out === NO_DATA_MARK ? {} : out;
};
export const someData = z.unknown().refine((v) => v !== NO_DATA_MARK, { message: NO_DATA });

export const Amount = z
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

export const text = (max: number, required: string) => z.string().trim().min(1, required).max(max);
export const CompatFields = z.object({
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
export const CompatCreate = z
  .preprocess(camelize, someData.pipe(CompatFields.extend({ partId: CompatFields.shape.partId.optional() }).loose()))
  .meta({ id: "CompatCreatePart" });
/** Aerie (main) no longer sends `partId`: its backend takes the first 8 characters of a UUID. */
export const generatedPartId = () => crypto.randomUUID().slice(0, 8);
/**
 * Seed edit: only the fields it carries change (no defaults: a PUT of `{notes}` leaves `type`).
 * `status` moves the part through the state machine (an empty one, as the edit form sends for a
 * status it has no option for, is no change).
 */
const CompatEditFields = CompatFields.extend({ type: PartType })
  .partial()
  .extend({ status: z.union([PartStatus, z.literal("").transform(() => undefined)]).optional() });
export const CompatUpdate = z.preprocess(camelize, someData.pipe(CompatEditFields.loose())).meta({ id: "CompatUpdatePart" });

export type Fields = Partial<z.infer<typeof CompatFields>>;
export const toInput = (f: Fields) => ({
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

export const CompatList = z
  .object({ parts: z.array(CompatPart), total: z.number().int(), limit: z.number().int().nullable(), offset: z.number().int() })
  .meta({ id: "CompatPartList" });
/** Without `limit` the seed returned every part; here at most this many (its `total` says if more). */
export const UNPAGED_MAX = 1000;
export const ListQuery = z.object({
  category: z.string().max(20).optional(),
  search: z.string().max(200).optional(),
  sort_by: z.string().max(40).optional(),
  sort_order: z.string().max(10).optional(),
  limit: z.coerce.number().int().min(1).max(UNPAGED_MAX).optional(),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
  api_key: z.string().max(512).optional(),
});
export type ListQuery = z.infer<typeof ListQuery>;

export async function list(deps: Parameters<typeof listParts>[0], q: ListQuery, category?: string) {
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

export const ApproveBody = z.preprocess(camelizeOptional, z.object({ reviewer: WorkerName.optional(), miscInfo: MiscInfo.optional() }).loose());
export const AssignBody = z.preprocess(camelizeOptional, z.object({ assigned: z.string({ error: ASSIGNED_REQUIRED }).pipe(WorkerName) }).loose());
export const CompleteBody = z.preprocess(camelizeOptional, z.object({ miscInfo: MiscInfo.optional() }).loose());
export const Optional = z.preprocess(camelizeOptional, z.object({}).loose());

export const Message = z.object({ message: z.string() });
export const FileResponse = { 200: { description: "The file", content: { "application/octet-stream": { schema: Binary } } } };
/** The seed's upload answer; `conversion` (STEP only) says the job is queued. */
export const UploadAnswer = z
  .object({
    message: z.string(),
    filename: z.string(),
    file_path: z.string(),
    conversion: z
      .object({ success: z.boolean(), error: z.string().nullable(), gltf_path: z.string().nullable(), state: z.string(), job_id: z.string() })
      .optional(),
  })
  .meta({ id: "CompatPartUpload" });
/**
 * The views manifest as the clients read it (Aerie's `misc_info.views`): `{files:{"<n>":{…}},
 * updated_at}`, or `null` when the part has none. The clients render and upload the eight views
 * only when `views.files` is missing, so an empty manifest must be `null`, not `{files:{}}`.
 */
const CompatViewFile = z.object({
  filename: z.string(),
  timestamp: z.string(),
  url: z.string(),
  contentType: z.string(),
  size: z.number().int(),
});
const CompatManifest = z.object({ files: z.record(z.string(), CompatViewFile), updated_at: z.string() }).nullable();
export const CompatViews = z
  .object({ views: CompatManifest, count: z.number().int() })
  .meta({ id: "CompatPartViews", description: "`views` is null when the part has no views (the clients then render them)" });
export const CompatViewsUploaded = CompatViews.extend({ success: z.literal(true), message: z.string() }).meta({ id: "CompatPartViewsUploaded" });
const EXTENSION: Record<string, string> = { "image/png": "png", "image/jpeg": "jpg", "image/webp": "webp" };
export const compatViews = (id: number, views: PartViewInfo[]) => {
  if (views.length === 0) return { views: null, count: 0 };
  const files = Object.fromEntries(
    views.map((v) => [
      String(v.n),
      {
        filename: `view_${v.n}.${EXTENSION[v.content_type] ?? "png"}`,
        timestamp: v.updated_at,
        url: `/api/parts/${id}/views/${v.n}`,
        contentType: v.content_type,
        size: v.size,
      },
    ]),
  );
  const updatedAt = views.map((v) => v.updated_at).reduce((a, b) => (a > b ? a : b));
  return { views: { files, updated_at: updatedAt }, count: views.length };
};
export const Image = { 200: { description: "The image", content: { "image/png": { schema: Binary } } }, 304: { description: "Not modified" } };
export const CategoryParam = z.object({
  category: z
    .string()
    .max(20)
    .openapi({ param: { name: "category", in: "path" } }),
});
export const ListOnly = ListQuery.omit({ category: true });
export const PartResponse = { 200: json(CompatPart, "The part") };
export const NOT_FOUND = { 404: "Part not found" };
