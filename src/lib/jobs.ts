/**
 * Leased jobs: the one mechanism that makes every queued job (label jobs, STEP conversions,
 * production reports, and the next kind) end `completed` or `failed` with a reason, whatever
 * crashes on the way.
 *
 * - A job row carries `attempts` and `heartbeat_at`. Its holder stamps the heartbeat when it
 *   queues the job, when a worker claims it, and as the worker makes progress.
 * - A job still queued or in progress whose heartbeat is older than the lease
 *   (`JOB_LEASE_SECONDS`) has lost its holder: the queue lost its message, or the isolate was
 *   killed mid-run. The reaper re-queues it (fresh heartbeat, message sent again) while it has
 *   attempts left, else marks it `failed` with the reason. The hourly cron reaps every kind
 *   (`reapExpired`); each read of a job reaps that job first (`reapIfExpired`), so a caller never
 *   waits an hour to see it.
 * - A message a consumer gives up on (its last delivery failed, so the queue dead-letters it)
 *   marks its job `failed` with the error (`deadLetterReason`, workers/shared.ts).
 * - A failed job counts against no cap (caps count queued and in-progress jobs only).
 *
 * A job kind supplies its queries (`JobKind`); the policy (when a lease has expired, re-queue or
 * fail, the reasons, the counting) is here, once.
 */
import type { Db } from "../db/client";
import { describeError, log } from "./logging";

/** What the reaper needs (a subset of Deps; the workers import this file and have no Deps). */
export interface ReapDeps {
  db: Db;
  /** `imports` only where the API worker runs (it consumes the import queue itself). */
  queues: { convert: Queue; documents: Queue; imports?: Queue };
  requestId: string;
  now: () => Date;
  config: { JOB_LEASE_SECONDS: number };
}

/** What every leased job row has. */
export interface LeasedRow {
  attempts: number;
  heartbeatAt: string | null;
}

/** The queries and message of one job kind; see the modules' `jobKind`s for examples. */
export interface JobKind<Row extends LeasedRow> {
  /** For logs and reasons, e.g. "label job". */
  name: string;
  /** Attempts (claims by a worker, or re-queues of a job never claimed) before it is failed. */
  maxAttempts: number;
  /** Queued: waiting for a worker (a re-queue of it counts as an attempt, as nobody claimed it). */
  isQueued(row: Row): boolean;
  /** Queued or in progress: holds a lease (and a place under its owner's cap). */
  isActive(row: Row): boolean;
  /** Active rows whose heartbeat is missing or older than `cutoff`, oldest first, at most `limit`. */
  expired(db: Db, cutoff: string, limit: number): Promise<Row[]>;
  /**
   * Puts `row` back in the queued state with `heartbeat_at = now`, `attempts`, and `reason` as
   * its note, only while it is unchanged since it was read (same state and heartbeat). Returns
   * the new row, or undefined when it changed meanwhile.
   */
  requeue(db: Db, row: Row, update: { now: string; attempts: number; reason: string }): Promise<Row | undefined>;
  /** Marks `row` failed with `reason`, only while it is unchanged since it was read. */
  fail(db: Db, row: Row, update: { now: string; reason: string }): Promise<Row | undefined>;
  /** Sends the job's queue message again. */
  send(deps: Pick<ReapDeps, "queues" | "requestId">, row: Row): Promise<void>;
}

/** The lease in milliseconds. */
export const leaseMs = (deps: Pick<ReapDeps, "config">): number => deps.config.JOB_LEASE_SECONDS * 1000;

/** Whether an active row's lease has run out at `now`. */
export function leaseExpired<Row extends LeasedRow>(kind: JobKind<Row>, row: Row, now: Date, lease: number): boolean {
  if (!kind.isActive(row)) return false;
  return row.heartbeatAt === null || Date.parse(row.heartbeatAt) <= now.getTime() - lease;
}

/** The reason recorded on a job whose worker gave no sign of life for the lease. */
export function expiryReason(kind: Pick<JobKind<LeasedRow>, "name">, lease: number, retrying: boolean, attempts: number, maxAttempts: number): string {
  const silent = `The ${kind.name} gave no sign of life for ${Math.round(lease / 1000)} s (its worker stopped or its message was lost)`;
  return retrying ? `${silent}; re-queued (attempt ${attempts + 1} of ${maxAttempts})` : `${silent}; gave up after ${attempts} of ${maxAttempts} attempts`;
}

/** The reason recorded on a job whose message a consumer dead-lettered. */
export function deadLetterReason(kind: Pick<JobKind<LeasedRow>, "name">, attempts: number, err: unknown): string {
  return `The ${kind.name} failed on its last delivery (${attempts}): ${describeError(err).error}`.slice(0, 500);
}

/**
 * Re-queues or fails `row` when its lease has expired; returns the row as it now is (unchanged
 * when its lease holds, or when another reaper got there first: then the row as read).
 */
export async function reapIfExpired<Row extends LeasedRow>(deps: ReapDeps, kind: JobKind<Row>, row: Row): Promise<Row> {
  const now = deps.now();
  const lease = leaseMs(deps);
  if (!leaseExpired(kind, row, now, lease)) return row;
  // A job never claimed was not counted by a worker: its re-queue is the attempt.
  const attempts = kind.isQueued(row) ? row.attempts + 1 : row.attempts;
  const retrying = attempts < kind.maxAttempts;
  const at = now.toISOString();
  if (!retrying) {
    const failed = await kind.fail(deps.db, row, { now: at, reason: expiryReason(kind, lease, false, row.attempts, kind.maxAttempts) });
    if (failed) log("warn", `${kind.name} failed: lease expired`, { attempts: row.attempts });
    return failed ?? row;
  }
  const requeued = await kind.requeue(deps.db, row, { now: at, attempts, reason: expiryReason(kind, lease, true, attempts, kind.maxAttempts) });
  if (!requeued) return row;
  try {
    await kind.send(deps, requeued);
    log("info", `${kind.name} re-queued: lease expired`, { attempts });
  } catch (err) {
    // Still queued with a fresh heartbeat: the next reap tries again (and counts it).
    log("error", `${kind.name} could not be re-queued`, describeError(err));
  }
  return requeued;
}

/** Reaps up to `limit` expired jobs of one kind (the hourly cron). */
export async function reapExpired<Row extends LeasedRow>(deps: ReapDeps, kind: JobKind<Row>, limit = 100): Promise<{ requeued: number; failed: number }> {
  const cutoff = new Date(deps.now().getTime() - leaseMs(deps)).toISOString();
  const rows = await kind.expired(deps.db, cutoff, limit);
  const counts = { requeued: 0, failed: 0 };
  for (const row of rows) {
    const after = await reapIfExpired(deps, kind, row);
    if (after === row) continue;
    if (kind.isActive(after)) counts.requeued++;
    else counts.failed++;
  }
  if (rows.length > 0) log("info", `${kind.name}s reaped`, counts);
  return counts;
}

/**
 * Marks a job failed because its message was dead-lettered (a consumer's last delivery threw):
 * `load` reads the row; only a job still queued or in progress changes.
 */
export async function failDeadLettered<Row extends LeasedRow>(
  deps: { db: Db; now: () => Date },
  kind: JobKind<Row>,
  load: (db: Db) => Promise<Row | undefined>,
  attempts: number,
  err: unknown,
): Promise<Row | undefined> {
  const row = await load(deps.db);
  if (!row || !kind.isActive(row)) return undefined;
  const failed = await kind.fail(deps.db, row, { now: deps.now().toISOString(), reason: deadLetterReason(kind, attempts, err) });
  if (failed) log("warn", `${kind.name} failed: message dead-lettered`, { attempts });
  return failed;
}
