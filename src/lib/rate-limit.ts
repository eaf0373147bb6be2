import { sql } from "drizzle-orm";
import type { Deps } from "./deps";
import { rateLimits } from "../db/schema";
import { AppError } from "./errors";

export interface RateLimitResult {
  allowed: boolean;
  count: number;
  limit: number;
  /** Seconds until the current window ends. */
  retryAfter: number;
}

/**
 * Counts one hit in a fixed window and says whether it is within `limit`. One upsert with
 * RETURNING, so concurrent requests cannot both take the last slot.
 */
export async function hitRateLimit({ db }: Pick<Deps, "db">, bucket: string, limit: number, windowSeconds = 60, nowMs = Date.now()): Promise<RateLimitResult> {
  const windowStart = Math.floor(nowMs / 1000 / windowSeconds) * windowSeconds;
  const [row] = await db
    .insert(rateLimits)
    .values({ bucket, windowStart, count: 1 })
    .onConflictDoUpdate({ target: [rateLimits.bucket, rateLimits.windowStart], set: { count: sql`${rateLimits.count} + 1` } })
    .returning({ count: rateLimits.count });
  const count = row?.count ?? 1;
  const retryAfter = Math.max(1, windowStart + windowSeconds - Math.floor(nowMs / 1000));
  return { allowed: count <= limit, count, limit, retryAfter };
}

/** Like `hitRateLimit`, but throws a 429 AppError when the limit is passed. */
export async function enforceRateLimit(deps: Pick<Deps, "db">, bucket: string, limit: number, windowSeconds = 60): Promise<void> {
  const result = await hitRateLimit(deps, bucket, limit, windowSeconds);
  if (!result.allowed) {
    throw new AppError("RATE_LIMITED", `Too many requests; retry in ${result.retryAfter} s`, { retryAfter: result.retryAfter });
  }
}
