/**
 * Targets whose Floorline table has an integer id (parts, equipment_log, issue_reports: their
 * seeds' clients use the integer in URLs), within the bridge contract (./source.ts), which
 * hands `write` a text id: for a new row, `write` inserts the row and, in the same batch, the
 * legacy key naming the id D1 just assigned (`last_insert_rowid()`); the runner's own key upsert
 * that follows finds the key there and only sets its hash and job, so the key keeps the integer.
 * For an existing row, `id` is that integer as text.
 */
import { type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../../db/client";
import { legacyKeys } from "../../db/schema";
import type { LegacySourceName } from "./source";

/** The legacy key of the row, carried in the mapped values so `write` can record it. */
export interface KeyedValues {
  legacyKey: string;
}

/** Records a legacy key naming `floorlineId` (its hash and job are set by the runner's upsert that follows). */
export function keyOf(db: Db, source: LegacySourceName, legacyTable: string, floorlineTable: string, legacyId: string, floorlineId: SQL): BatchItem<"sqlite"> {
  return db.insert(legacyKeys).values({ legacySource: source, legacyTable, legacyId, floorlineTable, floorlineId, rowHash: "", jobId: "" });
}

/** Records the legacy key of the row the previous statement inserted. */
export function keyOfInserted(db: Db, source: LegacySourceName, legacyTable: string, floorlineTable: string, legacyId: string): BatchItem<"sqlite"> {
  return keyOf(db, source, legacyTable, floorlineTable, legacyId, sql`cast(last_insert_rowid() as text)`);
}

/** The integer id of an existing row (its legacy key's `floorline_id`). */
export function intId(id: string): number {
  const n = Number(id);
  if (!Number.isSafeInteger(n)) throw new Error(`legacy key names a non-integer id ${id.slice(0, 40)}`);
  return n;
}
