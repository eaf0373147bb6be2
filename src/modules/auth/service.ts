/**
 * Identity flows shared by every surface: login, refresh-token rotation with re-use detection,
 * logout, password change and single-use reset tokens. Routes (v1 and CCbackend's) only reshape.
 */
import { and, eq, gt, isNull, ne, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { passwordResetTokens, refreshTokens, sessions, users } from "../../db/schema";
import { issueDeviceToken, signAccessToken, verifyDeviceToken } from "../../lib/auth";
import type { Config } from "../../lib/config";
import type { Deps } from "../../lib/deps";
import { hmacToken, randomToken, sha256Hex } from "../../lib/encoding";
import { AppError } from "../../lib/errors";
import { LOOKUP_USERNAME_MAX, usernameKey } from "../../lib/fields";
import { log } from "../../lib/logging";
import { DUMMY_HASH, hashPassword, needsRehash, verifyPassword } from "../../lib/passwords";
import { bucketKey, rateLimited, releaseFailureSlot, takeFailureSlot } from "../../lib/rate-limit";
import { effectiveTabs, rolePermissions } from "../../lib/rbac";
import { afterOneChange, insertWhere } from "../../lib/sql";
import type { UserPrincipal } from "../../types";
import { findUserById, findUserByUsername, type UserWithRole } from "../users/repo";
import { closeSockets } from "../users/sockets";

/** What the identity flows need of a request's dependencies. */
export type AuthDeps = Pick<Deps, "db" | "d1" | "config">;
/** Auth writes that end sessions also close their sockets (users/sockets.ts). */
export type SessionDeps = AuthDeps & Pick<Deps, "rooms" | "requestId">;
/** Flows that count failures also need the clock. */
export type CountingAuthDeps = AuthDeps & Pick<Deps, "now">;

/** Failed logins are counted in windows of this length (LOGIN_RATE_LIMIT_PER_USERNAME per window). */
export const LOGIN_LOCKOUT_WINDOW_SECONDS = 15 * 60;
/** Wrong current passwords allowed on change-password per window, per user. */
export const CHANGE_PASSWORD_FAILURES = 5;
export const CHANGE_PASSWORD_WINDOW_SECONDS = 15 * 60;
/** Outstanding reset tokens kept per user, and the most issued per PASSWORD_RESET_TTL_MINUTES. */
export const RESET_TOKENS_PER_USER = 3;

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
const sessionTtlMs = (config: Config, rememberMe: boolean) => (rememberMe ? config.REFRESH_TOKEN_TTL_DAYS * 86_400_000 : config.SESSION_TTL_HOURS * 3_600_000);

/** An access token for a user: its claims include the effective tabs, so reads can start before the session check ends. */
async function accessTokenFor(config: Config, { user, roleTabs, rolePermissions: stored }: UserWithRole, sessionId: string) {
  const tabs = effectiveTabs(rolePermissions(user.role, stored), user.allowedTabs, roleTabs);
  return signAccessToken(config, { sub: user.id, sid: sessionId, username: user.username, role: user.role, tabs: [...tabs] });
}

/**
 * Checks a password against a user already looked up (or against a dummy hash when there is
 * none, so timing does not reveal which names exist). Unknown users, wrong passwords and
 * disabled accounts all fail alike, so a disabled account's right password is not revealed.
 */
async function verifyCredentials(found: UserWithRole | undefined, password: string): Promise<{ found: UserWithRole; rehash: string | null }> {
  const ok = await verifyPassword(password, found?.user.passwordHash ?? DUMMY_HASH);
  if (!found || !ok || !found.user.isActive) throw invalidCredentials();
  return { found, rehash: needsRehash(found.user.passwordHash) ? await hashPassword(password) : null };
}

/** Checks a username and password (no failure counting; `login` adds that). Legacy hashes are re-hashed. */
export async function checkCredentials(deps: AuthDeps, username: string, password: string): Promise<{ found: UserWithRole; rehash: string | null }> {
  return verifyCredentials(await findUserByUsername(deps, username), password);
}

export interface LoginInput {
  username: string;
  password: string;
  rememberMe?: boolean | undefined;
  userAgent?: string | undefined;
  /** The device token the client sent back (`X-Device-Token` or the device cookie), if any. */
  deviceToken?: string | undefined;
}

/**
 * Logs in: a new session (refresh-token family), its first refresh token, an access token, and
 * a fresh device token for the client to keep.
 *
 * Lockout, after OWASP's device cookies, so that guessing stays slow without letting a stranger
 * lock the owner out:
 * - Each successful login issues a device token (`issueDeviceToken` in lib/auth.ts: stateless
 *   `nonce.HMAC(secret, "device\n" + userId + "\n" + nonce)`, honoured for 180 days). Browsers
 *   keep it in an HttpOnly Secure SameSite=Strict cookie; tablets get it as `device_token` in v1's
 *   body and send it back as `X-Device-Token`.
 * - A login that presents a valid device token for this user counts its failures against that
 *   device token only. Any other login counts them against the username (its NFKC + case-folded
 *   key, so `Admin` and `admin` share one count).
 * - LOGIN_RATE_LIMIT_PER_USERNAME failures in a LOGIN_LOCKOUT_WINDOW_SECONDS window close the
 *   bucket until the window ends (429 with Retry-After), right password or not. Strangers are
 *   locked out; the owner's trusted devices keep their own count and still log in.
 * - Only failures count: each attempt takes a slot before the password is checked (so
 *   concurrent guesses never exceed the limit) and a success gives it back in its session batch.
 * - Counters are exact D1 rows in `rate_limits` whose key is a SHA-256 of the bucket, so no
 *   request can store more than a fixed number of bytes.
 */
export async function login(deps: CountingAuthDeps, input: LoginInput): Promise<{ tokens: IssuedTokens; user: UserWithRole; deviceToken: string }> {
  const now = deps.now();
  const found = await findUserByUsername(deps, input.username);
  const trusted = found !== undefined && (await verifyDeviceToken(deps.config, found.user.id, input.deviceToken, now));
  const bucket =
    trusted && input.deviceToken
      ? await bucketKey("login:device", input.deviceToken)
      : await bucketKey("login:username", usernameKey(input.username.slice(0, LOOKUP_USERNAME_MAX + 1)));
  const slot = await takeFailureSlot(
    deps,
    bucket,
    deps.config.LOGIN_RATE_LIMIT_PER_USERNAME,
    LOGIN_LOCKOUT_WINDOW_SECONDS,
    "Too many failed logins; try again later",
  );
  const { found: user, rehash } = await verifyCredentials(found, input.password);
  const session = await startSession(deps, user, {
    rehash,
    rememberMe: input.rememberMe ?? false,
    userAgent: input.userAgent,
    also: [releaseFailureSlot(deps, slot)],
  });
  return { ...session, deviceToken: await issueDeviceToken(deps.config, user.user.id, now) };
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
  opts: { rehash: string | null; rememberMe: boolean; userAgent?: string | undefined; also?: BatchItem<"sqlite">[] },
): Promise<{ tokens: IssuedTokens; user: UserWithRole }> {
  const now = new Date();
  const nowIso = now.toISOString();
  const sessionId = crypto.randomUUID();
  const refresh = randomToken();
  const expiresAt = addMs(now, sessionTtlMs(deps.config, opts.rememberMe));
  const { db } = deps;
  const userId = found.user.id;
  const stillAsVerified = sql`exists (select 1 from ${users} where ${users.id} = ${userId} and ${users.passwordChangedAt} is ${found.user.passwordChangedAt} and ${users.isActive} = 1)`;
  const results = await db.batch([
    insertWhere(
      deps,
      sessions,
      { id: sessionId, userId, createdAt: nowIso, expiresAt, rememberMe: opts.rememberMe, userAgent: opts.userAgent?.slice(0, 256) ?? null },
      stillAsVerified,
    ),
    insertWhere(deps, refreshTokens, { id: crypto.randomUUID(), sessionId, tokenHash: await sha256Hex(refresh), createdAt: nowIso, expiresAt }, afterOneChange),
    db
      .update(users)
      .set({
        lastLogin: nowIso,
        // Only over the hash that was verified: never undoes a reset that happened meanwhile.
        passwordHash: sql`case when ${users.passwordHash} = ${found.user.passwordHash} then coalesce(${opts.rehash}, ${users.passwordHash}) else ${users.passwordHash} end`,
      })
      .where(and(eq(users.id, userId), afterOneChange)),
    ...(opts.also ?? []),
  ]);
  if (results[0]?.meta.changes !== 1) throw new AppError("AUTHENTICATION_ERROR", "Credentials changed while signing in; sign in again");
  if (opts.rehash) log("info", "password re-hashed to native format", { userId: found.user.id });
  const access = await accessTokenFor(deps.config, found, sessionId);
  return {
    tokens: { access_token: access.token, refresh_token: refresh, token_type: "bearer", expires_in: access.expiresIn },
    user: { ...found, user: { ...found.user, lastLogin: nowIso } },
  };
}

/**
 * Revokes a whole session (refresh-token family); every access token of it stops working, and
 * the sockets opened with them close (1008).
 */
export async function revokeSession(deps: SessionDeps, sessionId: string, reason: string): Promise<void> {
  await deps.db
    .update(sessions)
    .set({ revokedAt: new Date().toISOString(), revokedReason: reason })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
  await closeSockets(deps, { sessionId }, reason === "logout" ? "Signed out" : "Session revoked");
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
export async function refresh(deps: SessionDeps, token: string): Promise<IssuedTokens> {
  const row = await selectRefreshRow(deps, await sha256Hex(token));
  if (!row) throw invalidRefresh();
  if (row.session.revokedAt !== null) throw invalidRefresh("Session has been revoked");
  const now = new Date();
  const nowIso = now.toISOString();
  const found = await findUserById(deps, row.session.userId);
  if (!found?.user.isActive) throw invalidRefresh("Account is disabled");
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
  const access = await accessTokenFor(deps.config, found, row.session.id);
  return { access_token: access.token, refresh_token: next, token_type: "bearer", expires_in: access.expiresIn };
}

/** The rotation batch; false when another call rotated the token first. */
async function rotate(deps: AuthDeps, row: NonNullable<Awaited<ReturnType<typeof selectRefreshRow>>>, nextHash: string, now: Date): Promise<boolean> {
  const nowIso = now.toISOString();
  const maxEnd = Date.parse(row.session.createdAt) + deps.config.SESSION_MAX_DAYS * 86_400_000;
  const expiresAt = new Date(Math.min(now.getTime() + sessionTtlMs(deps.config, row.session.rememberMe), maxEnd)).toISOString();
  const { db } = deps;
  const results = await db.batch([
    db
      .update(refreshTokens)
      .set({ usedAt: nowIso })
      .where(and(eq(refreshTokens.id, row.id), isNull(refreshTokens.usedAt))),
    insertWhere(deps, refreshTokens, { id: crypto.randomUUID(), sessionId: row.session.id, tokenHash: nextHash, createdAt: nowIso, expiresAt }, afterOneChange),
    db
      .update(sessions)
      .set({ expiresAt })
      .where(and(eq(sessions.id, row.session.id), afterOneChange)),
  ]);
  return results[0]?.meta.changes === 1;
}

/**
 * Sets a new password and ends the user's sessions (all, or all but `keepSessionId`) in one
 * batch, so a password never changes without the old sessions going too; outstanding reset
 * tokens are spent with it. With `onlyIf`, that statement runs first and the password changes
 * only if it changed a row (e.g. spending a reset token); returns whether the password was set.
 * `also` statements run at the end of the same batch, whatever happened.
 */
export async function setPassword(
  deps: SessionDeps,
  userId: string,
  newPassword: string,
  opts: { keepSessionId?: string; reason?: string; onlyIf?: BatchItem<"sqlite">; also?: BatchItem<"sqlite">[] } = {},
): Promise<boolean> {
  const now = new Date().toISOString();
  const { db } = deps;
  // With `onlyIf`, each write runs only if the one before it changed a row.
  const chained = opts.onlyIf ? afterOneChange : undefined;
  const passwordHash = await hashPassword(newPassword);
  const writes = [
    db
      .update(users)
      .set({ passwordHash, passwordChangedAt: now, updatedAt: now, version: sql`${users.version} + 1` })
      .where(and(eq(users.id, userId), chained)),
    db
      .update(sessions)
      .set({ revokedAt: now, revokedReason: opts.reason ?? "password_changed" })
      .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), opts.keepSessionId ? ne(sessions.id, opts.keepSessionId) : undefined, chained)),
    // Only if this batch changed the password (its timestamp is this batch's).
    db
      .update(passwordResetTokens)
      .set({ usedAt: now })
      .where(
        and(
          eq(passwordResetTokens.userId, userId),
          isNull(passwordResetTokens.usedAt),
          sql`exists (select 1 from ${users} where ${users.id} = ${userId} and ${users.passwordChangedAt} = ${now})`,
        ),
      ),
    ...(opts.also ?? []),
  ] as const;
  const results = opts.onlyIf ? await db.batch([opts.onlyIf, ...writes]) : await db.batch(writes);
  const changed = !opts.onlyIf || (results[0] as D1Result).meta.changes === 1;
  // The sessions just ended; their sockets go too (the session that changed its own password stays).
  if (changed) await closeSockets(deps, { userId, exceptSession: opts.keepSessionId }, "Password changed");
  return changed;
}

/**
 * MS5's change-password: the current password must match; other sessions end. Wrong current
 * passwords are counted per user: CHANGE_PASSWORD_FAILURES in CHANGE_PASSWORD_WINDOW_SECONDS
 * and further attempts are 429 until the window ends (a stolen access token cannot be used to
 * guess the password that would make it a lasting account).
 */
export async function changePassword(deps: CountingAuthDeps & SessionDeps, principal: UserPrincipal, current: string, next: string): Promise<void> {
  const slot = await takeFailureSlot(
    deps,
    await bucketKey("change-password", principal.userId),
    CHANGE_PASSWORD_FAILURES,
    CHANGE_PASSWORD_WINDOW_SECONDS,
    "Too many wrong current passwords; try again later",
  );
  const found = await findUserById(deps, principal.userId);
  if (!found || !(await verifyPassword(current, found.user.passwordHash))) {
    throw new AppError("VALIDATION_ERROR", "Current password is incorrect", {
      details: [{ path: "body.current_password", message: "Current password is incorrect" }],
    });
  }
  await setPassword(deps, principal.userId, next, { keepSessionId: principal.sessionId, also: [releaseFailureSlot(deps, slot)] });
}

export interface IssuedResetToken {
  username: string;
  token: string;
  expiresAt: string;
}

/**
 * Issues a single-use password-reset token. Earlier tokens stay valid, so nobody can keep a user
 * from resetting by asking for new ones: at most RESET_TOKENS_PER_USER are issued per user in
 * any PASSWORD_RESET_TTL_MINUTES (a 429 beyond, with Retry-After), which is also a token's
 * lifetime, so no more than that can be outstanding; should more ever be (older rows cleaned
 * up), the oldest are dropped. The count is of the tokens table itself, in the same statement
 * as the insert: an exact sliding window that concurrent requests cannot overrun.
 */
export async function issueResetToken(deps: AuthDeps, found: UserWithRole): Promise<IssuedResetToken> {
  const token = randomToken();
  const now = new Date();
  const nowIso = now.toISOString();
  const ttlMs = deps.config.PASSWORD_RESET_TTL_MINUTES * 60_000;
  const windowStart = new Date(now.getTime() - ttlMs).toISOString();
  const expiresAt = addMs(now, ttlMs);
  const { db } = deps;
  const userId = found.user.id;
  const t = passwordResetTokens;
  const [inserted] = await db.batch([
    insertWhere(
      deps,
      t,
      { id: crypto.randomUUID(), userId, tokenHash: await sha256Hex(token), createdAt: nowIso, expiresAt },
      sql`(select count(*) from ${t} where ${t.userId} = ${userId} and ${t.createdAt} > ${windowStart}) < ${RESET_TOKENS_PER_USER}`,
    ),
    // Keep the newest RESET_TOKENS_PER_USER outstanding; should more ever be, the oldest go.
    db
      .update(t)
      .set({ usedAt: nowIso })
      .where(
        and(
          eq(t.userId, userId),
          isNull(t.usedAt),
          sql`${t.id} not in (select ${t.id} from ${t} where ${t.userId} = ${userId} and ${t.usedAt} is null and ${t.expiresAt} > ${nowIso}
            order by ${t.createdAt} desc, rowid desc limit ${RESET_TOKENS_PER_USER})`,
        ),
      ),
  ]);
  if (inserted.meta.changes !== 1) {
    const [oldest] = await db
      .select({ at: sql<string | null>`min(${t.createdAt})` })
      .from(t)
      .where(and(eq(t.userId, userId), gt(t.createdAt, windowStart)));
    const freeAt = (oldest?.at ? Date.parse(oldest.at) : now.getTime()) + ttlMs;
    throw rateLimited(Math.max(1, Math.ceil((freeAt - now.getTime()) / 1000)), "Too many password reset requests for this account; try again later");
  }
  return { username: found.user.username, token, expiresAt };
}

/**
 * Spends a reset token: the token is marked used, the password set and every session ended,
 * in one batch whose later writes only happen if the token was still unused.
 */
export async function resetPasswordWithToken(deps: SessionDeps, username: string, token: string, newPassword: string): Promise<void> {
  const invalid = () =>
    new AppError("VALIDATION_ERROR", "Reset token is invalid, expired or already used", {
      details: [{ path: "body.reset_token", message: "invalid, expired or already used" }],
      reason: "reset_token_invalid",
    });
  // An unknown, a disabled and a known user with a bad token get the same answer: the reset form
  // must not tell anyone which usernames exist (issue 14, hole 9).
  const found = await findUserByUsername(deps, username);
  if (!found || !found.user.isActive) throw invalid();
  const [row] = await deps.db
    .select()
    .from(passwordResetTokens)
    .where(and(eq(passwordResetTokens.tokenHash, await sha256Hex(token)), eq(passwordResetTokens.userId, found.user.id)))
    .limit(1);
  const nowIso = new Date().toISOString();
  if (!row || row.usedAt !== null || row.expiresAt <= nowIso) throw invalid();
  const spend = deps.db
    .update(passwordResetTokens)
    .set({ usedAt: nowIso })
    .where(and(eq(passwordResetTokens.id, row.id), isNull(passwordResetTokens.usedAt)));
  if (!(await setPassword(deps, found.user.id, newPassword, { reason: "password_reset", onlyIf: spend }))) throw invalid();
}

/**
 * The self-service reset request (CCbackend's forgot_password): a token for an active user,
 * delivered to its owner. Unknown and inactive users are 404 (`user_not_found`): the seed's
 * client relies on that answer.
 */
export async function requestPasswordReset(deps: AuthDeps, username: string): Promise<IssuedResetToken & { delivered: boolean; devToken?: string }> {
  const found = await findUserByUsername(deps, username);
  if (!found?.user.isActive) throw new AppError("NOT_FOUND", "User not found", { reason: "user_not_found" });
  const issued = await issueResetToken(deps, found);
  return { ...issued, ...(await deliverResetToken(deps, issued)) };
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
