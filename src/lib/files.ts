/**
 * The file outbox: every R2 object this API or its workers write or delete goes through the
 * `pending_file_deletions` table, so no crash leaves a file that no row references, and no
 * deleted row leaves its file behind.
 *
 * - Writing: `holdFiles()` records a key as pending (`heartbeat_at` = now) before its first byte
 *   goes to R2; a long write renews it (`holdFiles()` again). The batch that writes the row
 *   referencing the file also runs `releaseFiles()`, which removes the pending record. A writer
 *   that dies leaves its record behind; once its heartbeat is older than the lease
 *   (`JOB_LEASE_SECONDS`) the sweep deletes the object.
 * - Deleting: `queueFileDeletions()` records keys as due (`heartbeat_at` null) in the same batch
 *   that drops the rows referencing them; then `purgeFiles()` deletes them from R2 and removes the
 *   records. A deletion R2 refused stays due and the sweep retries it.
 * - `sweepFiles()` (hourly cron) deletes what is due: deletions, and pending files whose writer
 *   stopped renewing them.
 */
import { and, asc, eq, exists, inArray, isNotNull, isNull, lte, or, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "../db/client";
import { pendingFileDeletions } from "../db/schema";
import { sqlNow } from "../db/schema/columns";
import { describeError, log } from "./logging";

/** Keys per D1 statement: D1 binds at most 100 parameters. */
const KEYS_PER_STATEMENT = 45;
/** Most keys `holdFiles`/`queueFileDeletions`/`releaseFiles` take (one statement each, in a caller's batch). */
export const MAX_KEYS_PER_STATEMENT = KEYS_PER_STATEMENT;

function chunks<T>(items: readonly T[], size = KEYS_PER_STATEMENT): T[][] {
  const out: T[][] = [];
  for (let at = 0; at < items.length; at += size) out.push(items.slice(at, at + size));
  return out;
}

function checkCount(keys: readonly string[]): void {
  if (keys.length === 0 || keys.length > KEYS_PER_STATEMENT) throw new Error(`file outbox: 1 to ${KEYS_PER_STATEMENT} keys per statement, got ${keys.length}`);
}

/**
 * Records `keys` as being written (run it, and await it, before the first byte goes to R2).
 * Again on a key already held: renews its heartbeat. A key already due for deletion stays due.
 */
export function holdFiles(db: Db, keys: readonly string[], now: Date) {
  checkCount(keys);
  const at = now.toISOString();
  return db
    .insert(pendingFileDeletions)
    .values(keys.map((key) => ({ key, heartbeatAt: at })))
    .onConflictDoUpdate({ target: pendingFileDeletions.key, set: { heartbeatAt: at }, setWhere: isNotNull(pendingFileDeletions.heartbeatAt) });
}

/**
 * The statement that ends the pending state of `keys`: put it in the batch that writes the row
 * referencing them. `when` (e.g. an EXISTS on that row) releases them only if the row is there.
 */
export function releaseFiles(db: Db, keys: readonly string[], when?: SQL) {
  checkCount(keys);
  return db.delete(pendingFileDeletions).where(and(inArray(pendingFileDeletions.key, [...keys]), isNotNull(pendingFileDeletions.heartbeatAt), when));
}

/**
 * For `releaseFiles(…, when)`: only a key some row of `column`'s table holds in `column`, so a file
 * whose row was not written (a lost race, a deleted parent) stays pending and is swept.
 */
export function referencedIn(db: Db, column: SQLiteColumn): SQL {
  return exists(
    db
      .select({ one: sql`1` })
      .from(column.table as SQLiteTable)
      .where(eq(column, pendingFileDeletions.key)),
  );
}

/** The statement that records `keys` as due for deletion: put it in the batch that drops their rows. */
export function queueFileDeletions(db: Db, keys: readonly string[]) {
  checkCount(keys);
  return db
    .insert(pendingFileDeletions)
    .values(keys.map((key) => ({ key, heartbeatAt: null })))
    .onConflictDoUpdate({ target: pendingFileDeletions.key, set: { heartbeatAt: null } });
}

/**
 * The statement that records as due for deletion the keys held in `column` by the rows `where`
 * selects: put it in the batch that deletes those rows, before the delete.
 */
export function queueFileDeletionsOf(db: Db, column: SQLiteColumn, where: SQL | undefined) {
  return db
    .insert(pendingFileDeletions)
    .select(
      db
        .select({
          key: sql<string>`${column}`.as("key"),
          requestedAt: sql<string>`${sqlNow}`.as("requested_at"),
          attempts: sql<number>`0`.as("attempts"),
          heartbeatAt: sql<null>`null`.as("heartbeat_at"),
        })
        .from(column.table as SQLiteTable)
        .where(and(isNotNull(column), where)),
    )
    .onConflictDoUpdate({ target: pendingFileDeletions.key, set: { heartbeatAt: null } });
}

/**
 * Deletes R2 objects whose deletion is recorded (queueFileDeletions), then their records; on
 * failure they stay recorded for the sweep. Returns whether R2 confirmed.
 */
export async function purgeFiles({ db, files }: { db: Db; files: R2Bucket }, keys: readonly string[]): Promise<boolean> {
  const unique = [...new Set(keys)];
  if (unique.length === 0) return true;
  try {
    for (const part of chunks(unique)) {
      await files.delete(part);
      await db.delete(pendingFileDeletions).where(and(inArray(pendingFileDeletions.key, part), isNull(pendingFileDeletions.heartbeatAt)));
    }
    return true;
  } catch (err) {
    log("warn", "file deletion deferred to the sweep", { keys: unique.slice(0, 20), ...describeError(err) });
    for (const part of chunks(unique)) {
      await db
        .update(pendingFileDeletions)
        .set({ attempts: sql`${pendingFileDeletions.attempts} + 1` })
        .where(inArray(pendingFileDeletions.key, part))
        .catch(() => undefined);
    }
    return false;
  }
}

/**
 * Deletes files no row references any more (a replaced file, a discarded upload): records the
 * deletion, then purges. A crash in between leaves it due for the sweep.
 */
export async function deleteFiles(deps: { db: Db; files: R2Bucket }, keys: readonly string[]): Promise<boolean> {
  const unique = [...new Set(keys)];
  if (unique.length === 0) return true;
  for (const part of chunks(unique)) await queueFileDeletions(deps.db, part);
  return purgeFiles(deps, unique);
}

/** What the sweep needs (a subset of Deps; the workers import this file and have no Deps). */
interface SweepDeps {
  db: Db;
  files: R2Bucket;
  now: () => Date;
  config: { JOB_LEASE_SECONDS: number };
}

/**
 * Deletes what is due (for the hourly cron): recorded deletions, and files whose writer stopped
 * renewing them for the lease. Up to `limit` keys, oldest first; returns how many were deleted.
 */
export async function sweepFiles(deps: SweepDeps, rounds = 20): Promise<number> {
  let total = 0;
  for (let round = 0; round < rounds; round++) {
    const { deleted, more } = await sweepRound(deps);
    total += deleted;
    if (!more) break;
  }
  return total;
}

async function sweepRound(deps: SweepDeps): Promise<{ deleted: number; more: boolean }> {
  const limit = KEYS_PER_STATEMENT;
  const cutoff = new Date(deps.now().getTime() - deps.config.JOB_LEASE_SECONDS * 1000).toISOString();
  const rows = await deps.db
    .select({ key: pendingFileDeletions.key, heartbeatAt: pendingFileDeletions.heartbeatAt })
    .from(pendingFileDeletions)
    .where(or(isNull(pendingFileDeletions.heartbeatAt), lte(pendingFileDeletions.heartbeatAt, cutoff)))
    .orderBy(asc(pendingFileDeletions.requestedAt))
    .limit(limit);
  if (rows.length === 0) return { deleted: 0, more: false };
  // An abandoned write becomes a due deletion first (only if its writer has not renewed it since).
  const abandoned = rows.filter((r) => r.heartbeatAt !== null).map((r) => r.key);
  if (abandoned.length > 0) {
    await deps.db
      .update(pendingFileDeletions)
      .set({ heartbeatAt: null })
      .where(and(inArray(pendingFileDeletions.key, abandoned), lte(pendingFileDeletions.heartbeatAt, cutoff)));
    log("warn", "abandoned uploads swept", { count: abandoned.length, keys: abandoned.slice(0, 20) });
  }
  const due = await deps.db
    .select({ key: pendingFileDeletions.key })
    .from(pendingFileDeletions)
    .where(
      and(
        inArray(
          pendingFileDeletions.key,
          rows.map((r) => r.key),
        ),
        isNull(pendingFileDeletions.heartbeatAt),
      ),
    );
  const keys = due.map((r) => r.key);
  const purged = await purgeFiles(deps, keys);
  return { deleted: purged ? keys.length : 0, more: purged && rows.length === limit };
}

/** Whether `key` is still being written (not yet referenced by a committed row). */
export async function isPending(db: Db, key: string): Promise<boolean> {
  const [row] = await db.select({ key: pendingFileDeletions.key }).from(pendingFileDeletions).where(eq(pendingFileDeletions.key, key)).limit(1);
  return row !== undefined;
}
