import { and, isNotNull, lt, or } from "drizzle-orm";
import { idempotencyKeys, passwordResetTokens, rateLimits, refreshTokens, sessions } from "../../db/schema";
import type { Deps } from "../../lib/deps";

/**
 * Deletes what has expired: rate-limit windows older than a day, idempotency records past their
 * TTL, sessions (with their refresh tokens, by cascade) expired or revoked over 30 days ago, and
 * refresh tokens a day past their expiry, and spent or expired reset tokens. Run hourly by the cron trigger; one atomic batch.
 */
export async function cleanupExpired({ db, now: clock }: Pick<Deps, "db" | "now">): Promise<void> {
  const now = clock();
  const nowIso = now.toISOString();
  const dayAgo = new Date(now.getTime() - 86_400_000).toISOString();
  const monthAgo = new Date(now.getTime() - 30 * 86_400_000).toISOString();
  await db.batch([
    db.delete(rateLimits).where(lt(rateLimits.windowStart, Math.floor(now.getTime() / 1000) - 86_400)),
    db.delete(idempotencyKeys).where(lt(idempotencyKeys.expiresAt, nowIso)),
    db.delete(sessions).where(or(lt(sessions.expiresAt, monthAgo), and(isNotNull(sessions.revokedAt), lt(sessions.revokedAt, monthAgo)))),
    // A refresh token past its own expiry can no longer be used, so it is no longer needed to detect re-use.
    db.delete(refreshTokens).where(lt(refreshTokens.expiresAt, dayAgo)),
    db.delete(passwordResetTokens).where(or(lt(passwordResetTokens.expiresAt, nowIso), isNotNull(passwordResetTokens.usedAt))),
  ]);
}
