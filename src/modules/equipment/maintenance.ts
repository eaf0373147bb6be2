/**
 * MS5's maintenance-schedules screen over `equipment_maintenance` (the records `POST
 * /{code}/maintenance` schedules): every item's schedules, soonest first, in the tablet's words
 * beside the canonical ones; create, change (PUT) and complete one.
 *
 * A schedule is open while `scheduled` or `in_progress`; `completed` (only through complete, which
 * records who, when, the actual minutes and notes) and `cancelled` are final. Every write is one
 * conditional UPDATE on (id, open status[, version]) that moves `version`, so two technicians
 * cannot both complete the same schedule and a stale If-Match changes nothing.
 */
import { and, asc, eq, inArray, isNull, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { equipment, equipmentMaintenance, MAINTENANCE_PRIORITIES, MAINTENANCE_STATUSES, MAINTENANCE_TYPES } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError } from "../../lib/errors";
import { Code, LongText, ShortText } from "../../lib/fields";
import { type Page, type PageParams, paginate } from "../../lib/pagination";
import { actorOf } from "../../lib/principal";
import type { Principal } from "../../types";
import { requireEquipment } from "./repo";
import { ClientTime, Maintenance } from "./schemas";

export { MAINTENANCE_PRIORITIES, MAINTENANCE_TYPES };
export const SCHEDULE_STATUSES = MAINTENANCE_STATUSES;
const OPEN = ["scheduled", "in_progress"] as const;
/** A week, in minutes: the longest estimate or actual duration a schedule takes. */
const MAX_MINUTES = 7 * 24 * 60;
const Minutes = z.number().int().min(0).max(MAX_MINUTES);

/** A schedule as the tablet reads it: the canonical record plus its camelCase names. */
export const MaintenanceSchedule = Maintenance.extend({
  assigned_to: z.string().nullable(),
  notes: z.string().nullable(),
  completed_at: z.string().nullable(),
  completed_by: z.string().nullable(),
  actual_duration_minutes: z.number().int().nullable(),
  updated_at: z.string().nullable(),
  version: z.number().int(),
  /** Still open and its time has passed (MS5's `overdue`, derived: `status` stays as stored). */
  overdue: z.boolean(),
  /** The item's code (the client names it `equipmentId`, its slice `equipmentCode`). */
  equipmentId: z.string(),
  equipmentCode: z.string(),
  equipmentName: z.string().nullable(),
  type: z.string(),
  maintenanceType: z.string(),
  scheduledDate: z.string(),
  estimatedDuration: z.number().int().nullable(),
  completedDate: z.string().nullable(),
  actualDuration: z.number().int().nullable(),
  assignedTo: z.string().nullable(),
}).meta({ id: "Ms5MaintenanceSchedule" });
export type MaintenanceSchedule = z.infer<typeof MaintenanceSchedule>;

/**
 * The tablet's create body (`Partial<MaintenanceSchedule>`, camelCase) or the canonical
 * snake_case one: the item, the kind and the time are required under either name.
 */
export const CreateSchedule = z
  .object({
    equipmentId: Code.optional(),
    equipmentCode: Code.optional(),
    equipment_code: Code.optional(),
    maintenanceType: z.enum(MAINTENANCE_TYPES).optional(),
    type: z.enum(MAINTENANCE_TYPES).optional(),
    maintenance_type: z.enum(MAINTENANCE_TYPES).optional(),
    priority: z.enum(MAINTENANCE_PRIORITIES).default("medium"),
    scheduledDate: ClientTime.optional(),
    scheduled_at: ClientTime.optional(),
    estimatedDuration: Minutes.min(1).optional(),
    estimated_duration_minutes: Minutes.min(1).optional(),
    description: LongText.optional(),
    assignedTo: ShortText.optional(),
    assigned_to: ShortText.optional(),
    notes: LongText.optional(),
  })
  .transform((b, ctx) => {
    const code = b.equipment_code ?? b.equipmentCode ?? b.equipmentId;
    const kind = b.maintenance_type ?? b.maintenanceType ?? b.type;
    const at = b.scheduled_at ?? b.scheduledDate;
    if (code === undefined) ctx.addIssue({ code: "custom", path: ["equipmentId"], message: "The item's code is required (equipmentId)" });
    if (kind === undefined) ctx.addIssue({ code: "custom", path: ["maintenanceType"], message: "The maintenance type is required" });
    if (at === undefined) ctx.addIssue({ code: "custom", path: ["scheduledDate"], message: "The scheduled date is required" });
    if (code === undefined || kind === undefined || at === undefined) return z.NEVER;
    return {
      equipment_code: code,
      maintenance_type: kind,
      priority: b.priority,
      scheduled_at: at,
      estimated_duration_minutes: b.estimated_duration_minutes ?? b.estimatedDuration ?? null,
      description: b.description ?? null,
      assigned_to: b.assigned_to ?? b.assignedTo ?? null,
      notes: b.notes ?? null,
    };
  });
export type CreateSchedule = z.output<typeof CreateSchedule>;

/** PUT: the fields to change, in either casing; `status` only between open states or to `cancelled`. */
export const UpdateSchedule = z
  .object({
    maintenanceType: z.enum(MAINTENANCE_TYPES).optional(),
    type: z.enum(MAINTENANCE_TYPES).optional(),
    maintenance_type: z.enum(MAINTENANCE_TYPES).optional(),
    priority: z.enum(MAINTENANCE_PRIORITIES).optional(),
    scheduledDate: ClientTime.optional(),
    scheduled_at: ClientTime.optional(),
    estimatedDuration: Minutes.min(1).nullable().optional(),
    estimated_duration_minutes: Minutes.min(1).nullable().optional(),
    description: LongText.nullable().optional(),
    assignedTo: ShortText.nullable().optional(),
    assigned_to: ShortText.nullable().optional(),
    notes: LongText.nullable().optional(),
    status: z.enum(["scheduled", "in_progress", "cancelled"]).optional(),
  })
  .transform((b) => ({
    maintenance_type: b.maintenance_type ?? b.maintenanceType ?? b.type,
    priority: b.priority,
    scheduled_at: b.scheduled_at ?? b.scheduledDate,
    estimated_duration_minutes: b.estimated_duration_minutes !== undefined ? b.estimated_duration_minutes : b.estimatedDuration,
    description: b.description,
    assigned_to: b.assigned_to !== undefined ? b.assigned_to : b.assignedTo,
    notes: b.notes,
    status: b.status,
  }));
export type UpdateSchedule = z.output<typeof UpdateSchedule>;

/** Complete: the client's `{actual_duration, notes}` (minutes), or `actualDuration`. */
export const CompleteSchedule = z
  .object({ actual_duration: Minutes.optional(), actualDuration: Minutes.optional(), notes: LongText.optional() })
  .transform((b) => ({ actual_duration_minutes: b.actual_duration ?? b.actualDuration ?? null, notes: b.notes ?? null }));
export type CompleteSchedule = z.output<typeof CompleteSchedule>;

type Row = typeof equipmentMaintenance.$inferSelect & { code: string; name: string | null };
const toSchedule = (row: Row, now: Date): MaintenanceSchedule => ({
  id: row.id,
  equipment_code: row.code,
  maintenance_type: row.maintenanceType,
  priority: row.priority,
  scheduled_at: row.scheduledAt,
  estimated_duration_minutes: row.estimatedDurationMinutes,
  description: row.description,
  status: row.status,
  created_by: row.createdBy,
  created_at: row.createdAt,
  assigned_to: row.assignedTo,
  notes: row.notes,
  completed_at: row.completedAt,
  completed_by: row.completedBy,
  actual_duration_minutes: row.actualDurationMinutes,
  updated_at: row.updatedAt,
  version: row.version,
  overdue: (row.status === "scheduled" || row.status === "in_progress") && Date.parse(row.scheduledAt) < now.getTime(),
  equipmentId: row.code,
  equipmentCode: row.code,
  equipmentName: row.name,
  type: row.maintenanceType,
  maintenanceType: row.maintenanceType,
  scheduledDate: row.scheduledAt,
  estimatedDuration: row.estimatedDurationMinutes,
  completedDate: row.completedAt,
  actualDuration: row.actualDurationMinutes,
  assignedTo: row.assignedTo,
});

const selectSchedules = (deps: Pick<Deps, "db">) =>
  deps.db
    .select({ m: equipmentMaintenance, code: equipment.code, name: equipment.name })
    .from(equipmentMaintenance)
    .innerJoin(equipment, eq(equipment.id, equipmentMaintenance.equipmentId));

/** Schedules of live items, soonest first, filtered by item, status or priority. */
export async function listMaintenanceSchedules(
  deps: Pick<Deps, "db" | "now">,
  query: PageParams & {
    equipment_code?: string | undefined;
    status?: (typeof SCHEDULE_STATUSES)[number] | undefined;
    priority?: (typeof MAINTENANCE_PRIORITIES)[number] | undefined;
  },
): Promise<Page<MaintenanceSchedule>> {
  const where: SQL | undefined = and(
    isNull(equipment.deletedAt),
    query.equipment_code === undefined ? undefined : eq(equipment.code, query.equipment_code),
    query.status === undefined ? undefined : eq(equipmentMaintenance.status, query.status),
    query.priority === undefined ? undefined : eq(equipmentMaintenance.priority, query.priority),
  );
  const select = selectSchedules(deps).where(where).$dynamic();
  const page = await paginate(deps.db, select, query, { orderBy: [asc(equipmentMaintenance.scheduledAt)], tiebreaker: equipmentMaintenance.id });
  const now = deps.now();
  return { ...page, items: page.items.map((r) => toSchedule({ ...r.m, code: r.code, name: r.name }, now)) };
}

const scheduleNotFound = () => new AppError("NOT_FOUND", "Maintenance schedule not found", { reason: "maintenance_not_found" });

/** One schedule of a live item. */
export async function getMaintenanceSchedule(deps: Pick<Deps, "db" | "now">, id: string): Promise<MaintenanceSchedule> {
  const [r] = await selectSchedules(deps)
    .where(and(eq(equipmentMaintenance.id, id), isNull(equipment.deletedAt)))
    .limit(1);
  if (!r) throw scheduleNotFound();
  return toSchedule({ ...r.m, code: r.code, name: r.name }, deps.now());
}

/** Schedules maintenance on a live item (the tablet's create). */
export async function createMaintenanceSchedule(deps: Pick<Deps, "db" | "now">, input: CreateSchedule, actor: Principal): Promise<MaintenanceSchedule> {
  const item = await requireEquipment(deps, input.equipment_code);
  const now = deps.now().toISOString();
  const [row] = await deps.db
    .insert(equipmentMaintenance)
    .values({
      id: crypto.randomUUID(),
      equipmentId: item.id,
      maintenanceType: input.maintenance_type,
      priority: input.priority,
      scheduledAt: input.scheduled_at,
      estimatedDurationMinutes: input.estimated_duration_minutes,
      description: input.description,
      assignedTo: input.assigned_to,
      notes: input.notes,
      createdBy: actorOf(actor).name,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  if (!row) throw new Error("maintenance insert returned nothing");
  return toSchedule({ ...row, code: item.code, name: item.name }, deps.now());
}

/** Why a conditional write changed nothing: gone, closed, or a stale version. */
async function refusal(deps: Pick<Deps, "db" | "now">, id: string, expected: number | undefined): Promise<AppError> {
  const current = await getMaintenanceSchedule(deps, id); // throws 404 when gone
  if (!(OPEN as readonly string[]).includes(current.status))
    return new AppError("CONFLICT", `This maintenance is ${current.status}; nothing was changed`, { reason: "maintenance_closed", details: { current } });
  return new AppError("CONFLICT", `Stale version: expected ${expected}, the schedule is at ${current.version}; nothing was changed`, {
    reason: "stale_version",
    details: { current },
  });
}

/** Whether the row's item is live (a retired item's schedules are not changed). */
const liveItem = sql`exists (select 1 from ${equipment} where ${equipment.id} = ${equipmentMaintenance.equipmentId} and ${equipment.deletedAt} is null)`;

/** PUT: changes an open schedule (If-Match optional). */
export async function updateMaintenanceSchedule(
  deps: Pick<Deps, "db" | "now">,
  id: string,
  input: UpdateSchedule,
  expected: number | undefined,
): Promise<MaintenanceSchedule> {
  const [row] = await deps.db
    .update(equipmentMaintenance)
    .set({
      maintenanceType: input.maintenance_type,
      priority: input.priority,
      scheduledAt: input.scheduled_at,
      estimatedDurationMinutes: input.estimated_duration_minutes,
      description: input.description,
      assignedTo: input.assigned_to,
      notes: input.notes,
      status: input.status,
      updatedAt: deps.now().toISOString(),
      version: sql`${equipmentMaintenance.version} + 1`,
    })
    .where(
      and(
        eq(equipmentMaintenance.id, id),
        inArray(equipmentMaintenance.status, [...OPEN]),
        expected === undefined ? undefined : eq(equipmentMaintenance.version, expected),
        liveItem,
      ),
    )
    .returning({ id: equipmentMaintenance.id });
  if (!row) throw await refusal(deps, id, expected);
  return getMaintenanceSchedule(deps, id);
}

/** Completes an open schedule once: who, when, the actual minutes and notes. */
export async function completeMaintenanceSchedule(
  deps: Pick<Deps, "db" | "now">,
  id: string,
  input: CompleteSchedule,
  actor: Principal,
  expected: number | undefined,
): Promise<MaintenanceSchedule> {
  const now = deps.now().toISOString();
  const [row] = await deps.db
    .update(equipmentMaintenance)
    .set({
      status: "completed",
      completedAt: now,
      completedBy: actorOf(actor).name,
      actualDurationMinutes: input.actual_duration_minutes,
      notes: input.notes ?? sql`${equipmentMaintenance.notes}`,
      updatedAt: now,
      version: sql`${equipmentMaintenance.version} + 1`,
    })
    .where(
      and(
        eq(equipmentMaintenance.id, id),
        inArray(equipmentMaintenance.status, [...OPEN]),
        expected === undefined ? undefined : eq(equipmentMaintenance.version, expected),
        liveItem,
      ),
    )
    .returning({ id: equipmentMaintenance.id });
  if (!row) throw await refusal(deps, id, expected);
  return getMaintenanceSchedule(deps, id);
}
