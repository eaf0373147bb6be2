/**
 * Wire shapes of the canonical equipment API (`/api/v1/equipment`): snake_case, as MS5's and
 * RM365's clients read. CCbackend's own shapes live in src/compat/ccbackend/equipment.ts and
 * map onto the inputs defined here.
 */
import { z } from "zod";
import { EQUIPMENT_KINDS, MAINTENANCE_PRIORITIES, MAINTENANCE_TYPES } from "../../db/schema";
import { LongText, ShortText } from "../../lib/fields";
import { PageQuery, pageOf } from "../../lib/pagination";

/**
 * An equipment code (CCbackend's `CCM_ID`, MS5's `BP01.PACK.BAG1`): 1–64 characters, no `/`,
 * `\`, control characters or leading/trailing blanks, so it is always one path segment.
 */
export const EquipmentCode = z
  .string()
  .trim()
  .min(1, "Equipment code is required")
  .max(64, "Equipment code is at most 64 characters")
  .regex(/^[^/\\\p{Cc}\p{Cf}]+$/u, "Equipment code may not contain / \\ or control characters");

/** A status or sub-status word (清洗, 在廠, 頭部修補, running, …): free text, bounded. */
export const StatusText = ShortText.max(50);

/**
 * A time the client gives: ISO 8601 (`2026-02-12T10:00:00Z`), CCbackend's
 * `2026-02-12 10:00:00`, or the HTTP date its list returns (`Thu, 12 Feb 2026 10:00:00 GMT`).
 * Times without a zone are UTC. Becomes ISO 8601 UTC text.
 */
export const ClientTime = z
  .string()
  .trim()
  .max(40)
  .transform((text, ctx) => {
    const iso = parseClientTime(text);
    if (iso === undefined) {
      ctx.addIssue({ code: "custom", message: "Expected a time like 2026-02-12 10:00:00 or 2026-02-12T10:00:00Z" });
      return z.NEVER;
    }
    return iso;
  });

const LOCAL_LIKE = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const HTTP_DATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** ISO 8601 UTC for a client's time text, or undefined when it is not one of the accepted forms. */
export function parseClientTime(text: string): string | undefined {
  const m = LOCAL_LIKE.exec(text);
  if (m) {
    const [, y, mo, d, h = "00", mi = "00", s = "00", frac = "", zone = "Z"] = m;
    const ms = frac.padEnd(3, "0").slice(0, 3);
    const offset = zone === "Z" ? "Z" : zone.includes(":") ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
    const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}${offset}`);
    // Rejects impossible dates (2026-02-30) that Date would roll over.
    if (Number.isNaN(date.getTime()) || (offset === "Z" && date.toISOString().slice(0, 10) !== `${y}-${mo}-${d}`)) return undefined;
    return date.toISOString();
  }
  if (HTTP_DATE.test(text)) {
    const date = new Date(text);
    return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
  }
  return undefined;
}

/** One item of the registry, with its current status (its latest log row). */
export const Equipment = z
  .object({
    id: z.string(),
    code: z.string(),
    name: z.string().nullable(),
    production_line: z.string().nullable(),
    size: z.string().nullable(),
    box_id: z.string().nullable(),
    user_name: z.string().nullable(),
    start_time: z.string().nullable(),
    status: z.string().nullable(),
    sub_status: z.string().nullable(),
    /** The comment of the latest change. */
    comment: z.string().nullable(),
    /** Who made the latest change, and when. */
    updated_by: z.string(),
    updated_at: z.string(),
    created_by: z.string(),
    created_at: z.string(),
    /** CCbackend's `UPD_CNT`: the number of changes so far; send it back (or If-Match) to update. */
    version: z.number().int(),
  })
  .meta({ id: "Equipment" });
export type Equipment = z.infer<typeof Equipment>;

/** The master fields a create or update may set. */
const MasterFields = {
  name: ShortText.max(200).nullable().optional(),
  production_line: ShortText.max(64).nullable().optional(),
  size: ShortText.max(50).nullable().optional(),
  box_id: ShortText.max(64).nullable().optional(),
  user_name: ShortText.max(100).nullable().optional(),
  start_time: ClientTime.nullable().optional(),
};

export const CreateEquipment = z
  .object({
    code: EquipmentCode,
    /** Whose item: CCbackend's registry or MS5's machine. Default: `ms5` with a production line, else `ccbackend`. */
    kind: z.enum(EQUIPMENT_KINDS).optional(),
    ...MasterFields,
    status: StatusText.nullable().optional(),
    sub_status: StatusText.nullable().optional(),
    comment: LongText.nullable().optional(),
  })
  .strict()
  .meta({ id: "CreateEquipment" });
export type CreateEquipment = z.infer<typeof CreateEquipment>;

/**
 * A change: any master field, a new status and sub-status, and a comment for the log. Omitted
 * fields keep their value; `version` (or If-Match) makes it conditional on no one else having
 * changed the item since.
 */
export const UpdateEquipment = z
  .object({
    ...MasterFields,
    status: StatusText.nullable().optional(),
    sub_status: StatusText.nullable().optional(),
    comment: LongText.nullable().optional(),
    version: z.number().int().min(1).optional(),
  })
  .strict()
  .refine((body) => Object.entries(body).some(([key, value]) => key !== "version" && value !== undefined), {
    message: "Give at least one field to change (or a comment)",
  })
  .meta({ id: "UpdateEquipment" });
export type UpdateEquipment = z.infer<typeof UpdateEquipment>;

export const MAX_BATCH_ITEMS = 200;

/** One item of a batch status change (CCbackend's `PUT /api/equipment/batch`). */
export const BatchItem = z
  .object({
    code: EquipmentCode,
    status: StatusText.nullable().optional(),
    /** Defaults to `status` (CCbackend's rule). */
    sub_status: StatusText.nullable().optional(),
    comment: LongText.nullable().optional(),
    version: z.number().int().min(1).optional(),
  })
  .strict();
export type BatchItem = z.infer<typeof BatchItem>;

export const BatchUpdate = z
  .object({ items: z.array(BatchItem).min(1, "items must not be empty").max(MAX_BATCH_ITEMS) })
  .strict()
  .meta({ id: "EquipmentBatchUpdate" });

export const BatchResult = z.object({ updated: z.array(Equipment) }).meta({ id: "EquipmentBatchResult" });

/** Why a batch item was refused (the batch then changes nothing). */
export const BatchProblem = z.object({
  index: z.number().int(),
  code: z.string(),
  problem: z.enum(["not_found", "stale", "duplicate", "no_change"]),
  message: z.string(),
  current_version: z.number().int().optional(),
});
export type BatchProblem = z.infer<typeof BatchProblem>;

export const EquipmentListQuery = PageQuery.extend({
  status: StatusText.optional(),
  sub_status: StatusText.optional(),
  production_line: ShortText.max(64).optional(),
  /** Matches code or name (substring, case-insensitive for ASCII). */
  q: ShortText.max(64).optional(),
});
export type EquipmentListQuery = z.infer<typeof EquipmentListQuery>;

export const EquipmentList = pageOf(Equipment).meta({ id: "EquipmentList" });

export const CodeParams = z.object({ code: EquipmentCode });

/** One change in an item's history (CCbackend's `CC_LOG` row). */
export const LogEntry = z
  .object({
    id: z.number().int(),
    equipment_code: z.string(),
    version: z.number().int(),
    action: z.enum(["create", "update", "status", "delete"]),
    input_date: z.string(),
    status: z.string().nullable(),
    sub_status: z.string().nullable(),
    previous_status: z.string().nullable(),
    previous_sub_status: z.string().nullable(),
    changes: z.record(z.string(), z.object({ from: z.string().nullable(), to: z.string().nullable() })),
    comment: z.string().nullable(),
    updated_by: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "EquipmentLogEntry" });
export type LogEntry = z.infer<typeof LogEntry>;

export const LogList = pageOf(LogEntry).meta({ id: "EquipmentLog" });

export const StatusCounts = z
  .object({ counts: z.record(z.string(), z.number().int()), total: z.number().int() })
  .meta({ id: "EquipmentStatusCounts", description: "Live items by current status" });

export const Deleted = z.object({ code: z.string(), deleted_at: z.string(), version: z.number().int() });

/** MS5's view: the item with its open faults (issue reports pending or in progress). */
export const EquipmentStatus = Equipment.extend({ open_faults: z.number().int() }).meta({ id: "EquipmentStatus" });
export type EquipmentStatus = z.infer<typeof EquipmentStatus>;
export const EquipmentStatusList = pageOf(EquipmentStatus).meta({ id: "EquipmentStatusList" });

export const Maintenance = z
  .object({
    id: z.string(),
    equipment_code: z.string(),
    maintenance_type: z.enum(MAINTENANCE_TYPES),
    priority: z.enum(MAINTENANCE_PRIORITIES),
    scheduled_at: z.string(),
    estimated_duration_minutes: z.number().int().nullable(),
    description: z.string().nullable(),
    status: z.string(),
    created_by: z.string(),
    created_at: z.string(),
  })
  .meta({ id: "EquipmentMaintenance" });
export type Maintenance = z.infer<typeof Maintenance>;

export const ScheduleMaintenance = z
  .object({
    maintenance_type: z.enum(MAINTENANCE_TYPES),
    priority: z.enum(MAINTENANCE_PRIORITIES).default("medium"),
    scheduled_at: ClientTime,
    estimated_duration_minutes: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60)
      .optional(),
    description: LongText.optional(),
  })
  .strict()
  .meta({ id: "ScheduleMaintenance" });
export type ScheduleMaintenance = z.infer<typeof ScheduleMaintenance>;

/** MS5's equipment detail: status, open faults and the maintenance still to come. */
export const EquipmentDetail = EquipmentStatus.extend({ upcoming_maintenance: z.array(Maintenance) }).meta({ id: "EquipmentDetail" });
