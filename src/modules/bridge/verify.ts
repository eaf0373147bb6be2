/**
 * Verification of an import (issue 19): each table of the source against D1, row counts and a
 * checksum of the key columns (`target.checksum`) of every mapped row, computed from the legacy
 * rows (mapped again) and from the Floorline rows their legacy keys name. The import worker runs
 * it at the end of a run, while it still has the source open (an uploaded file is deleted once its
 * job ends), and stores it on the job; GET /imports/{id}/verify returns it.
 */
import { and, asc, eq, getTableColumns, getTableName, gt } from "drizzle-orm";
import type { Db } from "../../db/client";
import { type ImportVerificationTable, legacyKeys } from "../../db/schema";
import { canonical, mapPage } from "./runner";
import { type AnyTableSpec, type LegacySource, PAGE_ROWS, type SourceReader } from "./source";

/** Sum of per-row hashes modulo 2^64, as 16 hex digits: the same set of rows in any order gives the same sum. */
class Checksum {
  private sum = 0n;
  async add(legacyId: string, values: unknown): Promise<void> {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${legacyId}\u001f${canonical(values)}`)));
    let n = 0n;
    for (let i = 0; i < 8; i++) n = (n << 8n) | BigInt(digest[i] as number);
    this.sum = (this.sum + n) & 0xffffffffffffffffn;
  }
  hex(): string {
    return this.sum.toString(16).padStart(16, "0");
  }
}

const pick = (values: Record<string, unknown>, keys: readonly string[]) => Object.fromEntries(keys.map((k) => [k, values[k] ?? null]));

/** Compares one table of the open source with D1. */
export async function verifyTable(
  db: Db,
  source: LegacySource,
  reader: SourceReader,
  spec: AnyTableSpec,
  now: Date,
  hold: () => Promise<void> = async () => {},
): Promise<ImportVerificationTable> {
  const sourceSum = new Checksum();
  let mappedRows = 0;
  let after: string | null = null;
  for (;;) {
    await hold();
    const rows = await reader.page(spec.read, after, PAGE_ROWS, null);
    if (rows.length === 0) break;
    for (const { legacyId, result } of await mapPage(db, source, spec, rows, now)) {
      if (!("values" in result)) continue;
      mappedRows++;
      await sourceSum.add(legacyId, pick(result.values, spec.checksum));
    }
    after = String(rows[rows.length - 1]?.[spec.read.key]);
    if (rows.length < PAGE_ROWS) break;
  }
  const d1 = await floorlineChecksum(db, source.name, spec);
  const sourceRows = await reader.count(spec.read);
  const sourceChecksum = sourceSum.hex();
  return {
    table: spec.read.name,
    floorline_table: getTableName(spec.table),
    source_rows: sourceRows,
    source_mapped: mappedRows,
    floorline_rows: d1.rows,
    source_checksum: sourceChecksum,
    floorline_checksum: d1.checksum,
    match: mappedRows === d1.rows && sourceChecksum === d1.checksum,
  };
}

async function floorlineChecksum(db: Db, source: string, spec: AnyTableSpec): Promise<{ rows: number; checksum: string }> {
  const columns = getTableColumns(spec.table);
  const selected = Object.fromEntries(spec.checksum.map((k) => [k, columns[k] as (typeof columns)[string]]));
  const sum = new Checksum();
  let rows = 0;
  let after = "";
  for (;;) {
    const page = await db
      .select({ legacyId: legacyKeys.legacyId, ...selected })
      .from(legacyKeys)
      .innerJoin(spec.table, eq(spec.table.id, legacyKeys.floorlineId))
      .where(and(eq(legacyKeys.legacySource, source), eq(legacyKeys.legacyTable, spec.read.name), gt(legacyKeys.legacyId, after)))
      .orderBy(asc(legacyKeys.legacyId))
      .limit(1000);
    for (const row of page) {
      const { legacyId, ...values } = row as Record<string, unknown> & { legacyId: string };
      rows++;
      await sum.add(legacyId, pick(values, spec.checksum));
    }
    if (page.length < 1000) break;
    after = (page[page.length - 1] as { legacyId: string }).legacyId;
  }
  return { rows, checksum: sum.hex() };
}
