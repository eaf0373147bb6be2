/**
 * Verification of an import (issue 19): each table of the source against D1, row counts and a
 * checksum of the key columns (`target.checksum`) of every mapped row, computed from the legacy
 * rows (mapped again) and from the Floorline rows their legacy keys name. The import worker runs
 * it at the end of a run, while it still has the source open (an uploaded file is deleted once its
 * job ends), and stores it on the job; GET /imports/{id}/verify returns it.
 *
 * Scope: `all` (a full run, or a table without an update time or without a watermark yet) reads
 * every legacy row, then every Floorline row of the table through legacy_keys. `changed` (an
 * incremental run of a table read from its watermark, `since`): only the legacy rows the run read
 * (update time at or after `since`), and for each page the Floorline rows of the same legacy keys.
 *
 * Resumable: the work goes in steps (a legacy page, a D1 page), each announced to `before` with
 * its D1 cost and the state reached so far (`ImportVerifyState`); the runner's `before` hands the
 * job on when the step could pass its query budget, storing that state, and the next delivery
 * passes it back as `state`. No invocation verifies more than its budget allows, however large
 * the table.
 */
import { and, asc, eq, getTableColumns, getTableName, gt, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { type ImportVerificationTable, type ImportVerifyState, legacyKeys } from "../../db/schema";
import { canonical, mapPage } from "./runner";
import { type AnyTableSpec, type LegacySource, PAGE_ROWS, type SourceReader } from "./source";

/** Floorline rows read from D1 per verification query. */
export const VERIFY_D1_PAGE = 1000;

/** Sum of per-row hashes modulo 2^64, as 16 hex digits: the same set of rows in any order gives the same sum. */
class Checksum {
  private sum: bigint;
  constructor(hex = "0") {
    this.sum = BigInt(`0x${hex}`);
  }
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

export interface VerifyOptions {
  /** `changed` scope: the update time the run read the table from; null or absent: `all`. */
  since?: string | null;
  /** Where a previous delivery stopped inside this table. */
  state?: ImportVerifyState;
  /**
   * Called before each step with its D1 queries (at most) and the state before it: may throw to
   * stop (the runner's budget hand-off stores `state`), renews the run's hold.
   */
  before?: (cost: number, state: ImportVerifyState) => Promise<void>;
}

/** The D1 queries of one legacy page's step: the hold, the lookup batch of its references, the D1 read of a `changed` scope. */
export const sourceStepCost = (spec: AnyTableSpec, changed: boolean) => 1 + Object.keys(spec.refs).length + (changed ? 1 : 0);

/** Compares one table of the open source with D1. */
export async function verifyTable(
  db: Db,
  source: LegacySource,
  reader: SourceReader,
  spec: AnyTableSpec,
  now: Date,
  options: VerifyOptions = {},
): Promise<ImportVerificationTable> {
  const since = options.since ?? null;
  const changed = since !== null && spec.read.updatedAt !== undefined;
  const before = options.before ?? (async () => {});
  const start = options.state;
  let phase = start?.phase ?? "source";
  let after = start?.after ?? null;
  let sourceMapped = start?.sourceMapped ?? 0;
  let floorlineRows = start?.floorlineRows ?? 0;
  const sourceSum = new Checksum(start?.sourceSum);
  const floorlineSum = new Checksum(start?.floorlineSum);
  const state = (): ImportVerifyState => ({ phase, after, sourceMapped, sourceSum: sourceSum.hex(), floorlineRows, floorlineSum: floorlineSum.hex() });
  const columns = getTableColumns(spec.table);
  const selected = Object.fromEntries(spec.checksum.map((k) => [k, columns[k] as (typeof columns)[string]]));
  const ofTable = and(eq(legacyKeys.legacySource, source.name), eq(legacyKeys.legacyTable, spec.read.name));
  const addFloorline = async (rows: readonly Record<string, unknown>[]) => {
    for (const row of rows) {
      const { legacyId, ...values } = row as Record<string, unknown> & { legacyId: string };
      floorlineRows++;
      await floorlineSum.add(legacyId, pick(values, spec.checksum));
    }
  };
  while (phase === "source") {
    await before(sourceStepCost(spec, changed), state());
    const rows = await reader.page(spec.read, after, PAGE_ROWS, changed ? since : null);
    const ids: string[] = [];
    for (const { legacyId, result } of await mapPage(db, source, spec, rows, now)) {
      if (!("values" in result)) continue;
      sourceMapped++;
      ids.push(legacyId);
      await sourceSum.add(legacyId, pick(result.values, spec.checksum));
    }
    // `changed`: the Floorline rows of this page's legacy keys, read with it.
    if (changed && ids.length > 0)
      await addFloorline(
        await db
          .select({ legacyId: legacyKeys.legacyId, ...selected })
          .from(legacyKeys)
          .innerJoin(spec.table, eq(spec.table.id, legacyKeys.floorlineId))
          .where(and(ofTable, sql`${legacyKeys.legacyId} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`)),
      );
    if (rows.length < PAGE_ROWS) {
      phase = "floorline";
      after = null;
    } else after = String(rows[rows.length - 1]?.[spec.read.key]);
  }
  // `all`: every Floorline row of the table, in pages of its legacy keys.
  for (let done = changed; !done; ) {
    await before(2, state());
    const page = await db
      .select({ legacyId: legacyKeys.legacyId, ...selected })
      .from(legacyKeys)
      .innerJoin(spec.table, eq(spec.table.id, legacyKeys.floorlineId))
      .where(and(ofTable, gt(legacyKeys.legacyId, after ?? "")))
      .orderBy(asc(legacyKeys.legacyId))
      .limit(VERIFY_D1_PAGE);
    await addFloorline(page);
    done = page.length < VERIFY_D1_PAGE;
    after = (page[page.length - 1] as { legacyId: string } | undefined)?.legacyId ?? after;
  }
  const sourceRows = await reader.count(spec.read);
  const sourceChecksum = sourceSum.hex();
  const floorlineChecksum = floorlineSum.hex();
  return {
    table: spec.read.name,
    floorline_table: getTableName(spec.table),
    source_rows: sourceRows,
    source_mapped: sourceMapped,
    floorline_rows: floorlineRows,
    source_checksum: sourceChecksum,
    floorline_checksum: floorlineChecksum,
    match: sourceMapped === floorlineRows && sourceChecksum === floorlineChecksum,
    scope: changed ? "changed" : "all",
    since: changed ? since : null,
  };
}
