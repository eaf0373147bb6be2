/**
 * Wire shapes of parts: `/api/v1/parts` (snake_case) and the inputs services take. The compat
 * surface (src/compat/parts/shapes.ts) has its own camelCase shapes and maps onto these inputs.
 */
import { z } from "zod";
import { CONVERSION_STATES, PART_ACTIONS, PART_CATEGORIES, PART_STATUSES, PART_TYPES } from "../../db/schema/parts";
import { LongText, ShortText } from "../../lib/fields";
import { PageQuery, pageOf } from "../../lib/pagination";

export const PartType = z.enum(PART_TYPES);
export const PartCategory = z.enum(PART_CATEGORIES);
export const PartStatus = z.enum(PART_STATUSES);
export const PartAction = z.enum(PART_ACTIONS);

/** A person's name as the board shows it (assignee, reviewer, hand worker). */
export const WorkerName = z.string().trim().min(1, "Assigned user required").max(100);

const HandWorker = z.object({ name: z.string().max(100), timestamp: z.string().max(40) });
/** Seed 002's `miscInfo`: at most 50 keys of short scalars, plus the `handWorkers` list. */
export const MiscInfo = z
  .record(z.string().min(1).max(64), z.union([z.string().max(1000), z.number(), z.boolean(), z.null(), z.array(HandWorker).max(200)]))
  .refine((v) => Object.keys(v).length <= 50, { message: "miscInfo has at most 50 keys" });

export const PartIdParam = z.object({
  id: z
    .string()
    .regex(/^\d{1,15}$/, "Part id is a positive integer")
    .transform(Number)
    .openapi({ param: { name: "id", in: "path" }, example: "1" }),
});

/** The fields a part is created or edited with (service input, snake_case). */
export const PartFields = z.object({
  type: PartType,
  name: z.string().trim().min(1, "Name is required").max(200),
  part_id: z.string().trim().min(1, "Part ID is required").max(100),
  material: z.string().trim().min(1, "Material is required").max(200),
  material_thickness: z.string().trim().max(50).nullable().optional(),
  subsystem: z.string().trim().min(1, "Subsystem is required").max(100),
  notes: LongText.nullable().optional(),
  onshape_url: z
    .url({ protocol: /^https?$/ })
    .max(500)
    .nullable()
    .optional(),
  misc_info: MiscInfo.nullable().optional(),
  amount: z.number().int().min(1, "Amount must be greater than 0").max(1_000_000).optional(),
});
export type PartFields = z.infer<typeof PartFields>;

export const CreatePartBody = PartFields.strict().meta({ id: "CreatePart" });
export const UpdatePartBody = PartFields.partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: "No data provided" })
  .meta({ id: "UpdatePart" });
export type UpdatePartInput = z.infer<typeof UpdatePartBody>;

export const Part = z
  .object({
    id: z.number().int(),
    type: PartType,
    name: z.string(),
    part_id: z.string(),
    material: z.string(),
    material_thickness: z.string().nullable(),
    subsystem: z.string(),
    assigned: z.string().nullable(),
    status: PartStatus,
    category: PartCategory,
    notes: z.string().nullable(),
    file: z.string().nullable(),
    onshape_url: z.string().nullable(),
    claimed_date: z.string().nullable(),
    misc_info: z.record(z.string(), z.unknown()).nullable(),
    amount: z.number().int(),
    allowed_actions: z.array(PartAction).describe("Lifecycle actions legal in the part's current state"),
    version: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "Part" });
export type Part = z.infer<typeof Part>;

export const SORT_FIELDS = ["name", "status", "assigned", "created_at"] as const;

export const ListPartsQuery = PageQuery.extend({
  category: PartCategory.optional(),
  search: ShortText.optional(),
  sort_by: z.enum(SORT_FIELDS).default("created_at"),
  sort_order: z.enum(["asc", "desc"]).default("desc"),
});
/** What the list service takes (both surfaces). */
export interface ListPartsInput {
  category?: string | undefined;
  search?: string | undefined;
  sort_by: (typeof SORT_FIELDS)[number];
  sort_order: "asc" | "desc";
  limit: number;
  offset: number;
}
export const PartList = pageOf(Part).meta({ id: "PartList" });

export const CategoryParam = z.object({ category: PartCategory.openapi({ param: { name: "category", in: "path" } }) });

export const PartStats = z
  .object({
    by_category: z.object({ review: z.number().int(), cnc: z.number().int(), hand: z.number().int(), misc: z.number().int(), completed: z.number().int() }),
    by_status: z.object({ pending: z.number().int(), in_progress: z.number().int(), completed: z.number().int() }),
    assignment: z.object({ assigned: z.number().int(), unassigned: z.number().int() }),
    total: z.number().int(),
  })
  .meta({ id: "PartStats" });
export type PartStats = z.infer<typeof PartStats>;

export const Leaderboard = z.object({ leaderboard: z.array(z.object({ name: z.string(), score: z.number() })) }).meta({ id: "PartsLeaderboard" });

// Lifecycle bodies (all optional but assign's `assigned`).
export const ApproveBody = z.object({ reviewer: WorkerName.optional(), misc_info: MiscInfo.optional() }).strict();
export const AssignBody = z.object({ assigned: WorkerName }).strict();
export const CompleteBody = z.object({ misc_info: MiscInfo.optional() }).strict();
export const EmptyBody = z.object({}).strict();

/** What a transition takes: the action and its arguments (both surfaces). */
export type TransitionInput =
  | { action: "approve"; reviewer?: string | undefined; misc_info?: z.infer<typeof MiscInfo> | undefined }
  | { action: "assign"; assigned: string }
  | { action: "start" }
  | { action: "unclaim" }
  | { action: "complete"; misc_info?: z.infer<typeof MiscInfo> | undefined }
  | { action: "revert" };

export const Transition = z
  .object({
    id: z.string(),
    action: PartAction,
    from: z.object({ category: PartCategory, status: PartStatus }),
    to: z.object({ category: PartCategory, status: PartStatus }),
    assigned: z.string().nullable(),
    actor: z.string(),
    at: z.string(),
  })
  .meta({ id: "PartTransition" });
export const TransitionList = pageOf(Transition).meta({ id: "PartTransitionList" });

export const ConversionJob = z
  .object({
    part_id: z.number().int(),
    job_id: z.string(),
    state: z.enum(CONVERSION_STATES),
    attempts: z.number().int(),
    error: z.string().nullable(),
    meshes: z.number().int().nullable(),
    triangles: z.number().int().nullable(),
    glb_size: z.number().int().nullable(),
    queued_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
  })
  .meta({ id: "ConversionJob" });
export type ConversionJob = z.infer<typeof ConversionJob>;

export const Deleted = z.object({ message: z.string() });

export const UploadResponse = z
  .object({
    part: Part,
    filename: z.string(),
    kind: z.enum(["step", "pdf"]),
    conversion: ConversionJob.nullable().describe("The queued STEP → GLB job; null for a PDF"),
  })
  .meta({ id: "PartUpload" });

/** A part id and a view slot (0 … 7). */
export const PartViewParam = PartIdParam.extend({
  n: z
    .string()
    .regex(/^[0-7]$/, "View number is 0 to 7")
    .transform(Number)
    .openapi({ param: { name: "n", in: "path" }, example: "0" }),
});

export const PartView = z
  .object({
    n: z.number().int().min(0).max(7),
    url: z.string().describe("Where the image is served"),
    content_type: z.string(),
    size: z.number().int(),
    sha256: z.string().describe("Also the image's ETag"),
    updated_at: z.string(),
  })
  .meta({ id: "PartView" });
export const PartViewList = z.object({ items: z.array(PartView), total: z.number().int() }).meta({ id: "PartViewList" });

export const DrawingPending = z
  .object({ state: z.literal("pending"), retry_after: z.number().int().describe("Seconds to wait before asking again") })
  .meta({ id: "PartDrawingPending" });
