/**
 * Identity flows shared by every surface: login, refresh-token rotation with re-use detection,
 * logout, password change and single-use reset tokens. Routes (v1 and CCbackend's) only reshape.
 */
import { and, eq, isNull } from "drizzle-orm";
import { passwordResetTokens, refreshTokens, sessions } from "../../db/schema";
import { signAccessToken } from "../../lib/auth";
import type { Config } from "../../lib/config";
import type { Deps } from "../../lib/deps";
import { hmacToken, randomToken, sha256Hex } from "../../lib/encoding";
import { enforceRateLimit } from "../../lib/rate-limit";
import { AppError } from "../../lib/errors";
import { log } from "../../lib/logging";
import { DUMMY_HASH, hashPassword, needsRehash, verifyPassword } from "../../lib/passwords";
import type { UserPrincipal } from "../../types";
import { findUserById, findUserByUsername, type UserWithRole } from "../users/repo";

/** What the identity flows need of a request's dependencies. */
export type AuthDeps = Pick<Deps, "db" | "d1" | "config">;

export interface IssuedTokens {
  access_token: string;
  refresh_token: string;
  token_type: "bearer";
  expires_in: number;
}

const invalidCredentials = () => new AppError("AUTHENTICATION_ERROR", "Invalid credentials", { reason: "invalid_credentials" });
const invalidRefresh = (message = "Invalid refresh token") => new AppError("AUTHENTICATION_ERROR", message);

const addMs = (date: Date, ms: number) => new Date(date.getTime() + ms).toISOString();

/** How long a session lives past its latest login or refresh. */
const sessionTtlMs = (config: Config, rememberMe: boolean) =>
  rememberMe ? config.REFRESH_TOKEN_TTL_DAYS * 86_400_000 : config.SESSION_TTL_HOURS * 3_600_000;

async function accessTokenFor(config: Config, user: UserWithRole["user"], sessionId: string) {
  return signAccessToken(config, { sub: user.id, sid: sessionId, username: user.username, role: user.role });
}

/**
 * Checks a username and password. Unknown usernames still cost one hash verification, so
 * timing does not reveal which names exist. Legacy hashes are re-hashed to the native format.
 */
export async function checkCredentials(deps: AuthDeps, username: string, password: string): Promise<{ found: UserWithRole; rehash: string | null }> {
  const found = await findUserByUsername(deps, username);
  const ok = await verifyPassword(password, found?.user.passwordHash ?? DUMMY_HASH);
  if (!found || !ok) throw invalidCredentials();
  if (!found.user.isActive) throw new AppError("AUTHENTICATION_ERROR", "Account is disabled", { reason: "invalid_credentials" });
  return { found, rehash: needsRehash(found.user.passwordHash) ? await hashPassword(password) : null };
}

/** Logs in: a new session (refresh-token family), its first refresh token, and an access token. */
export async function login(
  deps: AuthDeps,
  input: { username: string; password: string; rememberMe?: boolean | undefined; userAgent?: string | undefined },
): Promise<{ tokens: IssuedTokens; user: UserWithRole }> {
  // Per account, whatever the address: slows guessing spread over many clients.
  await enforceRateLimit(deps, `login_user:${input.username.toLowerCase()}`, deps.config.LOGIN_RATE_LIMIT_PER_USERNAME);
  const { found, rehash } = await checkCredentials(deps, input.username, input.password);
  return startSession(deps, found, { rehash, rememberMe: input.rememberMe ?? false, userAgent: input.userAgent });
}

/**
 * Writes a session for credentials just verified. The session is only written if the password
 * has not been changed since it was read (password_changed_at), so a reset during a slow
 * legacy verification cannot be outlived by a session made with the old password. The re-hash
 * is applied only if the stored hash is still the one verified, so it never undoes a reset, and
 * two first logins of an imported user at once both succeed.
 */
export async function startSession(
  deps: AuthDeps,
  found: UserWithRole,
  opts: { rehash: string | null; rememberMe: boolean; userAgent?: string | undefined },
): Promise<{ tokens: IssuedTokens; user: UserWithRole }> {
  const now = new Date();
  const nowIso = now.toISOString();
  const sessionId = crypto.randomUUID();
  const refresh = randomToken();
  const expiresAt = addMs(now, sessionTtlMs(deps.config, opts.rememberMe));
  const { d1 } = deps;
  const results = await d1.batch([
    d1
      .prepare(
        `INSERT INTO sessions (id, user_id, created_at, expires_at, remember_me, user_agent)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM users WHERE id = ?2 AND password_changed_at IS ?7 AND is_active = 1)`,
      )
      .bind(sessionId, found.user.id, nowIso, expiresAt, opts.rememberMe ? 1 : 0, opts.userAgent?.slice(0, 256) ?? null, found.user.passwordChangedAt),
    d1
      .prepare("INSERT INTO refresh_tokens (id, session_id, token_hash, created_at, expires_at) SELECT ?1, ?2, ?3, ?4, ?5 WHERE changes() = 1")
      .bind(crypto.randomUUID(), sessionId, await sha256Hex(refresh), nowIso, expiresAt),
    d1
      .prepare(
        `UPDATE users SET last_login = ?1,
           password_hash = CASE WHEN password_hash = ?4 THEN coalesce(?2, password_hash) ELSE password_hash END
         WHERE id = ?3 AND changes() = 1`,
      )
      .bind(nowIso, opts.rehash, found.user.id, found.user.passwordHash),
  ]);
  if (results[0]?.meta.changes !== 1) throw new AppError("AUTHENTICATION_ERROR", "Credentials changed while signing in; sign in again");
  if (opts.rehash) log("info", "password re-hashed to native format", { userId: found.user.id });
  const access = await accessTokenFor(deps.config, found.user, sessionId);
  return {
    tokens: { access_token: access.token, refresh_token: refresh, token_type: "bearer", expires_in: access.expiresIn },
    user: { ...found, user: { ...found.user, lastLogin: nowIso } },
  };
}

/** Revokes a whole session (refresh-token family); every access token of it stops working. */
export async function revokeSession(deps: AuthDeps, sessionId: string, reason: string): Promise<void> {
  await deps.db
    .update(sessions)
    .set({ revokedAt: new Date().toISOString(), revokedReason: reason })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
}

/**
 * How long a rotated refresh token still yields its successor: a tablet whose refresh
 * response was lost on flaky Wi-Fi retries with the old token and must not be logged out.
 */
export const REFRESH_REUSE_GRACE_MS = 30_000;

/**
 * A token's successor is derived from it under the server secret, so a retry (or the loser of
 * a concurrent refresh) recomputes exactly the successor the first call issued.
 */
const successorOf = (config: Config, token: string) => hmacToken(config.jwtKey, `refresh-successor\n${token}`);

async function selectRefreshRow(deps: AuthDeps, hash: string) {
  const [row] = await deps.db
    .select({ id: refreshTokens.id, usedAt: refreshTokens.usedAt, expiresAt: refreshTokens.expiresAt, session: sessions })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .where(eq(refreshTokens.tokenHash, hash))
    .limit(1);
  return row;
}

/**
 * Rotates a refresh token. Each token works once; presenting a rotated token again within
 * REFRESH_REUSE_GRACE_MS, while its successor is unused, returns that successor again (a
 * retry). Later, or once the successor was used, it means the token leaked: the whole family
 * is revoked. "Mark used" and "insert successor" run in one batch, the insert conditioned on the
 * update having changed a row. A session slides by its TTL on each refresh but never past
 * SESSION_MAX_DAYS from its login.
 */
export async function refresh(deps: AuthDeps, token: string): Promise<IssuedTokens> {
  const row = await selectRefreshRow(deps, await sha256Hex(token));
  if (!row) throw invalidRefresh();
  if (row.session.revokedAt !== null) throw invalidRefresh("Session has been revoked");
  const now = new Date();
  const nowIso = now.toISOString();
  const found = await findUserById(deps, row.session.userId);
  if (!found || !found.user.isActive) throw invalidRefresh("Account is disabled");
  const next = await successorOf(deps.config, token);
  const nextHash = await sha256Hex(next);

  if (row.usedAt === null && (row.expiresAt <= nowIso || row.session.expiresAt <= nowIso)) throw invalidRefresh("Refresh token has expired");
  const rotated = row.usedAt === null && (await rotate(deps, row, nextHash, now));
  if (!rotated) {
    // Already rotated (earlier, or just now by a concurrent call): a retry within the grace
    // gets the same successor, as long as nobody has used that successor yet.
    const again = await selectRefreshRow(deps, nextHash);
    const usedAt = row.usedAt ?? nowIso;
    const withinGrace = now.getTime() - Date.parse(usedAt) <= REFRESH_REUSE_GRACE_MS;
    if (!withinGrace || !again || again.usedAt !== null || again.session.revokedAt !== null) {
      await revokeSession(deps, row.session.id, "refresh_token_reuse");
      log("warn", "refresh token re-use; session revoked", { sessionId: row.session.id, userId: row.session.userId });
      throw invalidRefresh("Refresh token was already used; the session has been revoked");
    }
  }
  const access = await accessTokenFor(deps.config, found.user, row.session.id);
  return { access_token: access.token, refresh_token: next, token_type: "bearer", expires_in: access.expiresIn };
}

/** The rotation batch; false when another call rotated the token first. */
async function rotate(deps: AuthDeps, row: NonNullable<Awaited<ReturnType<typeof selectRefreshRow>>>, nextHash: string, now: Date): Promise<boolean> {
  const nowIso = now.toISOString();
  const maxEnd = Date.parse(row.session.createdAt) + deps.config.SESSION_MAX_DAYS * 86_400_000;
  const expiresAt = new Date(Math.min(now.getTime() + sessionTtlMs(deps.config, row.session.rememberMe), maxEnd)).toISOString();
  const { d1 } = deps;
  const results = await d1.batch([
    d1.prepare("UPDATE refresh_tokens SET used_at = ?1 WHERE id = ?2 AND used_at IS NULL").bind(nowIso, row.id),
    d1
      .prepare("INSERT INTO refresh_tokens (id, session_id, token_hash, created_at, expires_at) SELECT ?1, ?2, ?3, ?4, ?5 WHERE changes() = 1")
      .bind(crypto.randomUUID(), row.session.id, nextHash, nowIso, expiresAt),
    d1.prepare("UPDATE sessions SET expires_at = ?1 WHERE id = ?2 AND changes() = 1").bind(expiresAt, row.session.id),
  ]);
  return results[0]?.meta.changes === 1;
}

/**
 * Sets a new password and ends the user's sessions (all, or all but `keepSessionId`) in one
 * batch, so a password never changes without the old sessions going too. With `onlyIf`, that
 * statement runs first and the password changes only if it changed a row (e.g. spending a
 * reset token); returns whether the password was set.
 */
export async function setPassword(
  deps: AuthDeps,
  userId: string,
  newPassword: string,
  opts: { keepSessionId?: string; reason?: string; onlyIf?: D1PreparedStatement } = {},
): Promise<boolean> {
  const now = new Date().toISOString();
  const { d1 } = deps;
  // In a batch, changes() is the row count of the previous statement: each write runs only if
  // the one before it did.
  const chained = opts.onlyIf ? " AND changes() = 1" : "";
  const results = await d1.batch([
    ...(opts.onlyIf ? [opts.onlyIf] : []),
    d1
      .prepare(`UPDATE users SET password_hash = ?1, password_changed_at = ?2, updated_at = ?2, version = version + 1 WHERE id = ?3${chained}`)
      .bind(await hashPassword(newPassword), now, userId),
    d1
      .prepare(`UPDATE sessions SET revoked_at = ?1, revoked_reason = ?2 WHERE user_id = ?3 AND revoked_at IS NULL AND id IS NOT ?4${chained}`)
      .bind(now, opts.reason ?? "password_changed", userId, opts.keepSessionId ?? null),
  ]);
  return !opts.onlyIf || results[0]?.meta.changes === 1;
}

/** MS5's change-password: the current password must match; other sessions end. */
export async function changePassword(deps: AuthDeps, principal: UserPrincipal, current: string, next: string): Promise<void> {
  const found = await findUserById(deps, principal.userId);
  if (!found || !(await verifyPassword(current, found.user.passwordHash))) {
    throw new AppError("VALIDATION_ERROR", "Current password is incorrect", {
      details: [{ path: "body.current_password", message: "Current password is incorrect" }],
    });
  }
  await setPassword(deps, principal.userId, next, { keepSessionId: principal.sessionId });
}

export interface IssuedResetToken {
  username: string;
  token: string;
  expiresAt: string;
}

/** Issues a single-use password-reset token; earlier unused tokens of the user stop working. */
export async function issueResetToken(deps: AuthDeps, found: UserWithRole): Promise<IssuedResetToken> {
  const token = randomToken();
  const now = new Date();
  const expiresAt = addMs(now, deps.config.PASSWORD_RESET_TTL_MINUTES * 60_000);
  await deps.db.batch([
    deps.db
      .update(passwordResetTokens)
      .set({ usedAt: now.toISOString() })
      .where(and(eq(passwordResetTokens.userId, found.user.id), isNull(passwordResetTokens.usedAt))),
    deps.db.insert(passwordResetTokens).values({ id: crypto.randomUUID(), userId: found.user.id, tokenHash: await sha256Hex(token), expiresAt }),
  ]);
  return { username: found.user.username, token, expiresAt };
}

/**
 * Spends a reset token: the token is marked used, the password set and every session ended,
 * in one batch whose later writes only happen if the token was still unused.
 */
export async function resetPasswordWithToken(deps: AuthDeps, username: string, token: string, newPassword: string): Promise<void> {
  const found = await findUserByUsername(deps, username);
  if (!found) throw new AppError("NOT_FOUND", `User '${username}' not found`, { reason: "user_not_found" });
  const [row] = await deps.db
    .select()
    .from(passwordResetTokens)
    .where(and(eq(passwordResetTokens.tokenHash, await sha256Hex(token)), eq(passwordResetTokens.userId, found.user.id)))
    .limit(1);
  const nowIso = new Date().toISOString();
  const invalid = () =>
    new AppError("VALIDATION_ERROR", "Reset token is invalid, expired or already used", {
      details: [{ path: "body.reset_token", message: "invalid, expired or already used" }],
      reason: "reset_token_invalid",
    });
  if (!row || row.usedAt !== null || row.expiresAt <= nowIso) throw invalid();
  const spend = deps.d1.prepare("UPDATE password_reset_tokens SET used_at = ?1 WHERE id = ?2 AND used_at IS NULL").bind(nowIso, row.id);
  if (!(await setPassword(deps, found.user.id, newPassword, { reason: "password_reset", onlyIf: spend }))) throw invalid();
}

/**
 * Hands a reset token to its owner. Factory staff rarely have mailboxes, so delivery is a
 * webhook (PASSWORD_RESET_WEBHOOK_URL: mail, chat, or a supervisor's queue). With
 * DEV_RETURN_RESET_TOKEN=true outside staging/production (local .dev.vars only) the token is
 * also returned in the response so the flow can be tried end to end.
 */
export async function deliverResetToken({ config }: Pick<Deps, "config">, issued: IssuedResetToken): Promise<{ delivered: boolean; devToken?: string }> {
  let delivered = false;
  if (config.PASSWORD_RESET_WEBHOOK_URL) {
    const res = await fetch(config.PASSWORD_RESET_WEBHOOK_URL, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: issued.username, reset_token: issued.token, expires_at: issued.expiresAt }),
    }).catch((err: unknown) => {
      log("error", "password reset webhook failed", { error: String(err) });
      return null;
    });
    delivered = res?.ok ?? false;
  }
  const exposable = config.DEV_RETURN_RESET_TOKEN && config.ENVIRONMENT !== "staging" && config.ENVIRONMENT !== "production";
  return exposable ? { delivered, devToken: issued.token } : { delivered };
}
