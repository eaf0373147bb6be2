/**
 * Reads of the registry that other modules share (issue reports look items up by code): the one
 * selection of an item joined with its current log row, and its mapper.
 */
import { and, eq, isNull, type SQL } from "drizzle-orm";
import { equipment, equipmentLog } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError } from "../../lib/errors";
import type { Equipment } from "./schemas";

/**
 * An item's columns with its current status: the log row whose version is the item's own
 * (unique per item, so an index lookup). Column names are distinct, so it can be a subquery.
 */
export const equipmentColumns = {
  id: equipment.id,
  code: equipment.code,
  name: equipment.name,
  productionLine: equipment.productionLine,
  size: equipment.size,
  boxId: equipment.boxId,
  userName: equipment.userName,
  startTime: equipment.startTime,
  createdBy: equipment.createdBy,
  createdAt: equipment.createdAt,
  version: equipment.version,
  status: equipmentLog.status,
  subStatus: equipmentLog.subStatus,
  comment: equipmentLog.comment,
  updatedBy: equipmentLog.updatedBy,
  updatedAt: equipmentLog.updatedAt,
};

/** The current log row of each item. */
export const currentLogJoin = and(eq(equipmentLog.equipmentId, equipment.id), eq(equipmentLog.version, equipment.version));

/** A row of `equipmentColumns`. */
export interface EquipmentRow {
  id: string;
  code: string;
  name: string | null;
  productionLine: string | null;
  size: string | null;
  boxId: string | null;
  userName: string | null;
  startTime: string | null;
  createdBy: string;
  createdAt: string;
  version: number;
  status: string | null;
  subStatus: string | null;
  comment: string | null;
  updatedBy: string;
  updatedAt: string;
}

/** Live items (not deleted) matching `where`, with their current status. */
export function selectEquipment({ db }: Pick<Deps, "db">, where?: SQL) {
  return db
    .select(equipmentColumns)
    .from(equipment)
    .innerJoin(equipmentLog, currentLogJoin)
    .where(and(isNull(equipment.deletedAt), where));
}

/** The one place an item becomes a response. */
export const toEquipment = (row: EquipmentRow): Equipment => ({
  id: row.id,
  code: row.code,
  name: row.name,
  production_line: row.productionLine,
  size: row.size,
  box_id: row.boxId,
  user_name: row.userName,
  start_time: row.startTime,
  status: row.status,
  sub_status: row.subStatus,
  comment: row.comment,
  updated_by: row.updatedBy,
  updated_at: row.updatedAt,
  created_by: row.createdBy,
  created_at: row.createdAt,
  version: row.version,
});

/** 404 for an unknown (or deleted) code; CCbackend answers 未找到該器材. */
export const equipmentNotFound = (code: string) => new AppError("NOT_FOUND", `Equipment '${code}' not found`, { reason: "equipment_not_found" });

/** The live item with this code, or undefined. */
export async function findEquipment(deps: Pick<Deps, "db">, code: string): Promise<EquipmentRow | undefined> {
  const [row] = await selectEquipment(deps, eq(equipment.code, code)).limit(1);
  return row;
}

/** The live item with this code; 404 otherwise. */
export async function requireEquipment(deps: Pick<Deps, "db">, code: string): Promise<EquipmentRow> {
  const row = await findEquipment(deps, code);
  if (!row) throw equipmentNotFound(code);
  return row;
}
