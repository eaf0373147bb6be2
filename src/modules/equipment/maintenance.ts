/**
 * MS5's maintenance-schedules screen over `equipment_maintenance` (the records `POST
 * /{code}/maintenance` schedules): every item's schedules, soonest first, in the tablet's words
 * beside the canonical ones.
 */
import { and, asc, eq, isNull, type SQL } from "drizzle-orm";
import { z } from "zod";
import { equipment, equipmentMaintenance, MAINTENANCE_PRIORITIES } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { type Page, type PageParams, paginate } from "../../lib/pagination";
import { Maintenance } from "./schemas";

export { MAINTENANCE_PRIORITIES };
export const SCHEDULE_STATUSES = ["scheduled", "completed", "cancelled"] as const;

/** A schedule as the tablet reads it: the canonical record plus its camelCase names. */
export const MaintenanceSchedule = Maintenance.extend({
  /** The item's code (the client names it `equipmentId`). */
  equipmentId: z.string(),
  equipmentName: z.string().nullable(),
  type: z.string(),
  scheduledDate: z.string(),
  estimatedDuration: z.number().int().nullable(),
}).meta({ id: "Ms5MaintenanceSchedule" });
export type MaintenanceSchedule = z.infer<typeof MaintenanceSchedule>;

type Row = typeof equipmentMaintenance.$inferSelect & { code: string; name: string | null };
const toSchedule = (row: Row): MaintenanceSchedule => ({
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
  equipmentId: row.code,
  equipmentName: row.name,
  type: row.maintenanceType,
  scheduledDate: row.scheduledAt,
  estimatedDuration: row.estimatedDurationMinutes,
});

/** Schedules of live items, soonest first, filtered by item, status or priority. */
export async function listMaintenanceSchedules(
  deps: Pick<Deps, "db">,
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
  const select = deps.db
    .select({ m: equipmentMaintenance, code: equipment.code, name: equipment.name })
    .from(equipmentMaintenance)
    .innerJoin(equipment, eq(equipment.id, equipmentMaintenance.equipmentId))
    .where(where)
    .$dynamic();
  const page = await paginate(deps.db, select, query, { orderBy: [asc(equipmentMaintenance.scheduledAt)], tiebreaker: equipmentMaintenance.id });
  return { ...page, items: page.items.map((r) => toSchedule({ ...r.m, code: r.code, name: r.name })) };
}
