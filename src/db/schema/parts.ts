import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { createdAt, heartbeatAt, id, timestamp, timestamps, version } from "./columns";
import { users } from "./identity";

/** Part types (seeds 001/002): how a part is fabricated. */
export const PART_TYPES = ["cnc", "hand", "misc"] as const;
export type PartType = (typeof PART_TYPES)[number];

/** Workflow categories: the board's columns. */
export const PART_CATEGORIES = ["review", "cnc", "hand", "misc", "completed"] as const;
export type PartCategory = (typeof PART_CATEGORIES)[number];

/** Statuses the seeds write (Aerie's `Reviewed`; 001 said `Approved`). */
export const PART_STATUSES = ["Pending", "Reviewed", "In Progress", "Already Started", "Completed"] as const;
export type PartStatus = (typeof PART_STATUSES)[number];

/** A hand worker recorded in `miscInfo.handWorkers` when a hand part is assigned. */
export interface HandWorker {
  name: string;
  timestamp: string;
}

/** Seed 002's free-form `miscInfo`: short scalar values, plus the hand workers list. */
export type MiscInfo = Record<string, string | number | boolean | null | HandWorker[]>;

/**
 * Parts (seeds 001/002). The id stays an integer, as the seeds' clients use it in URLs and
 * compare it as a number. `status`/`category` change only through the lifecycle (service).
 */
export const parts = sqliteTable(
  "parts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    type: text("type", { enum: PART_TYPES }).notNull(),
    name: text("name").notNull(),
    partId: text("part_id").notNull(),
    material: text("material").notNull(),
    materialThickness: text("material_thickness"),
    subsystem: text("subsystem").notNull(),
    assigned: text("assigned"),
    status: text("status", { enum: PART_STATUSES }).notNull().default("Pending"),
    category: text("category", { enum: PART_CATEGORIES }).notNull().default("review"),
    notes: text("notes"),
    onshapeUrl: text("onshape_url"),
    claimedDate: timestamp("claimed_date"),
    miscInfo: text("misc_info", { mode: "json" }).$type<MiscInfo | null>(),
    amount: integer("amount").notNull().default(1),
    /** The uploaded file's original (sanitised) name, as the seeds' `file`. */
    file: text("file"),
    /** Where the uploaded file is in R2, its kind (`step` | `pdf`), type and size. */
    fileKey: text("file_key"),
    fileKind: text("file_kind", { enum: ["step", "pdf"] }),
    fileContentType: text("file_content_type"),
    fileSize: integer("file_size"),
    ...timestamps(),
    version: version(),
  },
  (t) => [index("parts_category_idx").on(t.category), index("parts_created_idx").on(t.createdAt)],
);

/** Lifecycle actions. */
export const PART_ACTIONS = ["approve", "assign", "start", "unclaim", "complete", "revert"] as const;
export type PartAction = (typeof PART_ACTIONS)[number];

/** Every lifecycle transition: who, when, from → to. Readable as a part's history. */
export const partTransitions = sqliteTable(
  "part_transitions",
  {
    id: id(),
    partId: integer("part_id")
      .notNull()
      .references(() => parts.id, { onDelete: "cascade" }),
    action: text("action", { enum: PART_ACTIONS }).notNull(),
    fromCategory: text("from_category", { enum: PART_CATEGORIES }).notNull(),
    fromStatus: text("from_status", { enum: PART_STATUSES }).notNull(),
    toCategory: text("to_category", { enum: PART_CATEGORIES }).notNull(),
    toStatus: text("to_status", { enum: PART_STATUSES }).notNull(),
    /** The assignee after the transition (assign/unclaim). */
    assigned: text("assigned"),
    /** Who: a username, or `api_key:<name>`. */
    actor: text("actor").notNull(),
    at: createdAt(),
  },
  (t) => [index("part_transitions_part_idx").on(t.partId, t.at)],
);

/** Conversion job states. */
export const CONVERSION_STATES = ["queued", "converting", "ready", "failed"] as const;
export type ConversionState = (typeof CONVERSION_STATES)[number];

/**
 * The STEP → GLB job of a part's current file (one per part: a re-upload replaces it). The
 * worker only acts on a message whose `jobId` is still the part's job. Leased (src/lib/jobs.ts): a
 * job queued or converting past its lease is re-queued or failed.
 */
export const conversionJobs = sqliteTable(
  "conversion_jobs",
  {
    partId: integer("part_id")
      .primaryKey()
      .references(() => parts.id, { onDelete: "cascade" }),
    jobId: text("job_id").notNull(),
    state: text("state", { enum: CONVERSION_STATES }).notNull().default("queued"),
    stepKey: text("step_key").notNull(),
    glbKey: text("glb_key"),
    glbSize: integer("glb_size"),
    meshes: integer("meshes"),
    triangles: integer("triangles"),
    attempts: integer("attempts").notNull().default(0),
    heartbeatAt: heartbeatAt(),
    error: text("error"),
    /** Failed for good on its first attempt: the file is not a STEP model or has no solid geometry (`error` says which). */
    unconvertible: integer("unconvertible", { mode: "boolean" }).notNull().default(false),
    queuedAt: createdAt(),
    startedAt: timestamp("started_at"),
    finishedAt: timestamp("finished_at"),
  },
  (t) => [index("conversion_jobs_lease_idx").on(t.state, t.heartbeatAt)],
);

/** How many view thumbnails a part keeps (seed: multipart `view_0` … `view_7`). */
export const MAX_PART_VIEWS = 8;

/** A part's view thumbnails (images in R2), one row per slot `n` (0 … MAX_PART_VIEWS − 1). */
export const partViews = sqliteTable(
  "part_views",
  {
    partId: integer("part_id")
      .notNull()
      .references(() => parts.id, { onDelete: "cascade" }),
    n: integer("n").notNull(),
    key: text("key").notNull(),
    contentType: text("content_type").notNull(),
    size: integer("size").notNull(),
    sha256: text("sha256").notNull(),
    ...timestamps(),
  },
  (t) => [primaryKey({ columns: [t.partId, t.n] })],
);

/**
 * A drawing fetch from Onshape: `ready` once cached in R2, `failed` when Onshape could not export
 * it. (`pending` is no longer written: exports in progress are per user, in part_drawing_exports.)
 */
export const DRAWING_STATES = ["pending", "ready", "failed"] as const;
export type DrawingState = (typeof DRAWING_STATES)[number];

/**
 * The part's drawing PDF, fetched once from Onshape and cached in R2. Keyed by the part; the
 * Onshape ids say which drawing it is, so a changed `onshapeUrl` fetches afresh.
 */
export const partDrawings = sqliteTable("part_drawings", {
  partId: integer("part_id")
    .primaryKey()
    .references(() => parts.id, { onDelete: "cascade" }),
  documentId: text("document_id").notNull(),
  workspaceId: text("workspace_id").notNull(),
  elementId: text("element_id").notNull(),
  state: text("state", { enum: DRAWING_STATES }).notNull(),
  /** Onshape's translation id while pending (rows written before part_drawing_exports). */
  translationId: text("translation_id"),
  /**
   * The Floorline user whose Onshape connection fetched the cached PDF; others are served it only
   * when their own connection can read the document.
   */
  onshapeUserId: text("onshape_user_id").references(() => users.id, { onDelete: "set null" }),
  key: text("key"),
  size: integer("size"),
  error: text("error"),
  ...timestamps(),
});

/**
 * Drawing exports in progress, one per part and user: a translation belongs to the Onshape
 * connection that started it, so only its starter resumes it; another user starts their own.
 * Removed when the export is done or failed.
 */
export const partDrawingExports = sqliteTable(
  "part_drawing_exports",
  {
    partId: integer("part_id")
      .notNull()
      .references(() => parts.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    documentId: text("document_id").notNull(),
    workspaceId: text("workspace_id").notNull(),
    elementId: text("element_id").notNull(),
    translationId: text("translation_id").notNull(),
    ...timestamps(),
  },
  (t) => [primaryKey({ columns: [t.partId, t.userId] })],
);
