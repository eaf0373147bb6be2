/**
 * Reads of the registry that other modules share (issue reports look items up by code): the one
 * selection of an item joined with its current log row, and its mapper.
 */
import { and, eq, isNull, type SQL } from "drizzle-orm";
import { type EquipmentKind, equipment, equipmentLog } from "../../db/schema";
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

/** Items of one kind (a client surface's own), or of every kind when `kind` is undefined. */
export const ofKind = (kind: EquipmentKind | undefined): SQL | undefined => (kind === undefined ? undefined : eq(equipment.kind, kind));

/** The live item with this code (of `kind` when given), or undefined. */
export async function findEquipment(deps: Pick<Deps, "db">, code: string, kind?: EquipmentKind): Promise<EquipmentRow | undefined> {
  const [row] = await selectEquipment(deps, and(eq(equipment.code, code), ofKind(kind))).limit(1);
  return row;
}

/** The live item with this code (of `kind` when given: another kind's item is unknown there); 404 otherwise. */
export async function requireEquipment(deps: Pick<Deps, "db">, code: string, kind?: EquipmentKind): Promise<EquipmentRow> {
  const row = await findEquipment(deps, code, kind);
  if (!row) throw equipmentNotFound(code);
  return row;
}
