/**
 * Aerie's statistics panel (`GET /api/parts/stats/detailed`) and its "wipe everything" (`POST
 * /api/parts/wipe`). Both are computed or done in SQL, so their cost does not grow with a loop
 * over parts in the Worker.
 */
import { eq, sql } from "drizzle-orm";
import { apiKeys, conversionJobs, partDrawings, parts, partTransitions, partViews } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { sha256Hex } from "../../lib/encoding";
import { AppError } from "../../lib/errors";
import { purgeFiles, queueFileDeletionsOf } from "../../lib/files";
import type { Principal } from "../../types";
import { checkCredentials } from "../auth/service";

const BUCKETS = ["< 1 hour", "1-4 hours", "4-8 hours", "8-24 hours", "> 24 hours"] as const;

/**
 * Aerie's detailed statistics, counted in units (a part of amount 3 counts 3): totals, in
 * progress, completion time (claimed → `miscInfo.completed_at`, else the last update) as an
 * average in hours and in buckets, by type, by category, and the top five completers.
 */
export async function detailedStats({ db }: Pick<Deps, "db">) {
  const units = (condition: ReturnType<typeof sql>) => sql<number>`coalesce(sum(case when ${condition} then ${parts.amount} else 0 end), 0)`.mapWith(Number);
  const hours = sql`(julianday(coalesce(json_extract(${parts.miscInfo}, '$.completed_at'), ${parts.updatedAt})) - julianday(${parts.claimedDate})) * 24`;
  const timed = sql`${parts.category} = 'completed' and ${parts.claimedDate} is not null and ${hours} is not null`;
  const [totals] = await db
    .select({
      total: units(sql`1 = 1`),
      completed: units(sql`${parts.category} = 'completed'`),
      inProgress: units(sql`${parts.status} = 'In Progress'`),
      timedUnits: units(timed),
      hoursSum: sql<number | null>`sum(case when ${timed} then ${hours} * ${parts.amount} end)`,
      b0: units(sql`${timed} and ${hours} < 1`),
      b1: units(sql`${timed} and ${hours} >= 1 and ${hours} < 4`),
      b2: units(sql`${timed} and ${hours} >= 4 and ${hours} < 8`),
      b3: units(sql`${timed} and ${hours} >= 8 and ${hours} < 24`),
      b4: units(sql`${timed} and ${hours} >= 24`),
      cnc: units(sql`${parts.type} = 'cnc'`),
      hand: units(sql`${parts.type} = 'hand'`),
      misc: units(sql`${parts.type} = 'misc'`),
      cReview: units(sql`${parts.category} = 'review'`),
      cCnc: units(sql`${parts.category} = 'cnc'`),
      cHand: units(sql`${parts.category} = 'hand'`),
      cMisc: units(sql`${parts.category} = 'misc'`),
    })
    .from(parts);
  const t = totals ?? {
    total: 0,
    completed: 0,
    inProgress: 0,
    timedUnits: 0,
    hoursSum: null,
    b0: 0,
    b1: 0,
    b2: 0,
    b3: 0,
    b4: 0,
    cnc: 0,
    hand: 0,
    misc: 0,
    cReview: 0,
    cCnc: 0,
    cHand: 0,
    cMisc: 0,
  };
  const contributors = await db
    .select({ name: sql<string>`${parts.assigned}`, count: sql<number>`sum(${parts.amount})`.mapWith(Number) })
    .from(parts)
    .where(sql`${parts.category} = 'completed' and ${parts.assigned} is not null`)
    .groupBy(parts.assigned)
    .orderBy(sql`2 desc`, parts.assigned)
    .limit(5);
  const buckets = [t.b0, t.b1, t.b2, t.b3, t.b4];
  return {
    total_parts: t.total,
    completed_parts: t.completed,
    in_progress_parts: t.inProgress,
    average_completion_time: t.timedUnits > 0 && t.hoursSum !== null ? Number(t.hoursSum) / t.timedUnits : null,
    completion_time_distribution: Object.fromEntries(BUCKETS.map((b, i) => [b, buckets[i] ?? 0])),
    by_type: { cnc: t.cnc, hand: t.hand, misc: t.misc },
    by_category: { review: t.cReview, cnc: t.cCnc, hand: t.cHand, misc: t.cMisc, completed: t.completed },
    top_contributors: contributors,
  };
}

/**
 * Whether `password` re-proves the caller's own credential, as Aerie asked for its system key
 * again: an API key caller types that key, a signed-in user their password.
 */
async function confirms(deps: Pick<Deps, "db" | "d1" | "config">, actor: Principal, password: string): Promise<boolean> {
  if (actor.kind === "api_key") {
    const [row] = await deps.db
      .select({ id: apiKeys.id })
      .from(apiKeys)
      .where(eq(apiKeys.keyHash, await sha256Hex(password)))
      .limit(1);
    return row?.id === actor.keyId;
  }
  try {
    const { found } = await checkCredentials(deps, actor.username, password);
    return found.user.id === actor.userId;
  } catch {
    return false;
  }
}

/**
 * Deletes every part with its history, jobs, views and drawings in one batch. Every stored object
 * (uploads, GLBs, STEP copies, views, drawings) is first queued in the pending-file-deletions
 * outbox in the same batch, then removed after the response; what R2 does not confirm is left to
 * the hourly sweep. A wrong confirmation is a 403 and deletes nothing.
 */
export async function wipeParts(deps: Pick<Deps, "db" | "d1" | "config" | "files" | "waitUntil">, password: string, actor: Principal) {
  if (!(await confirms(deps, actor, password))) throw new AppError("AUTHORIZATION_ERROR", "Incorrect password", { reason: "wipe_not_confirmed" });
  const { db } = deps;
  const results = await db.batch([
    queueFileDeletionsOf(db, parts.fileKey, undefined),
    queueFileDeletionsOf(db, conversionJobs.stepKey, undefined),
    queueFileDeletionsOf(db, conversionJobs.glbKey, undefined),
    queueFileDeletionsOf(db, partViews.key, undefined),
    queueFileDeletionsOf(db, partDrawings.key, undefined),
    db.delete(partTransitions),
    db.delete(conversionJobs).returning({ glbKey: conversionJobs.glbKey, stepKey: conversionJobs.stepKey }),
    db.delete(partViews).returning({ key: partViews.key }),
    db.delete(partDrawings).returning({ key: partDrawings.key }),
    db.delete(parts).returning({ fileKey: parts.fileKey }),
  ]);
  const [, , , , , , jobs, views, drawings, deleted] = results;
  const keys = [...deleted.map((p) => p.fileKey), ...jobs.flatMap((j) => [j.glbKey, j.stepKey]), ...views.map((v) => v.key), ...drawings.map((d) => d.key)];
  // What R2 does not confirm stays in the outbox for the hourly sweep.
  deps.waitUntil(
    purgeFiles(
      deps,
      keys.filter((k): k is string => typeof k === "string"),
    ),
  );
  return { message: "All parts and files wiped successfully", count: deleted.length };
}
