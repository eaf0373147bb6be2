/**
 * Authentication: access tokens (HS256 JWTs via jose) and API keys, resolved to a Principal.
 * Every request re-reads the user, role and session in one query, so deactivating a user,
 * changing a role or logging out takes effect at once rather than when the token expires.
 */
import { and, eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { apiKeys, roles, sessions, users } from "../db/schema";
import type { ApiKeyPrincipal, AppEnv, Principal, UserPrincipal } from "../types";
import type { Config } from "./config";
import type { Deps } from "./deps";
import { constantTimeEqual, fromBase64Url, randomToken, sha256Hex, toBase64Url, utf8 } from "./encoding";
import { AppError, unauthenticated } from "./errors";
import { limitApiKey } from "./rate-limit";
import { effectiveTabs, intersectPermissions, isBuiltinRole, permissionSet, rolePermissions } from "./rbac";

export const JWT_ISSUER = "floorline";
export const JWT_AUDIENCE = "floorline-api";
/**
 * The audience of a socket token (`GET /api/v1/websocket/token`): accepted only by a WebSocket
 * upgrade's `?token=`, never as an API bearer token (its audience is not JWT_AUDIENCE).
 */
export const SOCKET_AUDIENCE = "floorline-socket";
/** A socket token's lifetime: long enough to open the socket, too short to be worth stealing. */
export const SOCKET_TOKEN_TTL_SECONDS = 60;
const ALGORITHM = "HS256";

export interface AccessClaims {
  sub: string;
  sid: string;
  username: string;
  role: string;
  /** The user's effective tabs when the token was issued (absent from older tokens). */
  tabs?: string[] | undefined;
}

/** Most tabs a token carries; RM365 has fewer than 40. */
const MAX_TOKEN_TABS = 64;

// Importing the HMAC key is the costliest step of a verification; do it once per configuration.
const hmacKeys = new WeakMap<Config, Promise<CryptoKey>>();
function hmacKey(config: Config): Promise<CryptoKey> {
  let key = hmacKeys.get(config);
  if (!key) {
    key = crypto.subtle.importKey("raw", config.jwtKey, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    hmacKeys.set(config, key);
  }
  return key;
}

/** Signs an access token; returns it with its lifetime in seconds. */
export async function signAccessToken(config: Config, claims: AccessClaims, now = new Date()): Promise<{ token: string; expiresIn: number }> {
  const expiresIn = config.ACCESS_TOKEN_TTL_MINUTES * 60;
  const iat = Math.floor(now.getTime() / 1000);
  const token = await new SignJWT({ sid: claims.sid, username: claims.username, role: claims.role, ...(claims.tabs ? { tabs: claims.tabs } : {}) })
    .setProtectedHeader({ alg: ALGORITHM, typ: "JWT" })
    .setSubject(claims.sub)
    .setIssuer(JWT_ISSUER)
    .setAudience(JWT_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + expiresIn)
    .setJti(crypto.randomUUID())
    .sign(await hmacKey(config));
  return { token, expiresIn };
}

/**
 * Tokens this isolate verified recently, per configuration (its key) and audience: the claims
 * and `exp`. A tablet sends the same token with every request, and the HMAC check, the
 * base64url decoding and jose's claim checks were the largest single share of an authenticated
 * read's CPU (bench/README.md, sixth round). Only tokens that passed every check are kept; the
 * one check that depends on the time (`exp`) is made again on every use, exactly as jose makes
 * it. This is not the session check: that still runs on every request, so a logout or a
 * demotion is refused on the next request as before. At most MAX_VERIFIED_TOKENS entries per
 * configuration, the oldest dropped first.
 */
const verifiedTokens = new WeakMap<Config, Map<string, { claims: AccessClaims; exp: number }>>();
export const MAX_VERIFIED_TOKENS = 1_000;

/** How many verified tokens the isolate holds for a configuration (tests, diagnostics). */
export const verifiedTokensHeld = (config: Config): number => verifiedTokens.get(config)?.size ?? 0;

/** A verified token's cache key: its audiences, then the token (whose three parts hold no space). */
const verifiedKey = (token: string, audience: string | string[]) => `${typeof audience === "string" ? audience : audience.join(",")} ${token}`;

/** Claims a caller may change without touching the cache's own copy. */
const copyClaims = (claims: AccessClaims): AccessClaims => ({ ...claims, tabs: claims.tabs ? [...claims.tabs] : undefined });

/**
 * Verifies an access token: HS256 only (so `alg: none` and algorithm confusion fail), our
 * issuer and audience, an `exp` that has not passed. Failures are 401s that say why. A token
 * verified before (`verifiedTokens`) has only its `exp` checked again.
 */
export async function verifyAccessToken(config: Config, token: string, audience: string | string[] = JWT_AUDIENCE): Promise<AccessClaims> {
  let cache = verifiedTokens.get(config);
  if (!cache) {
    cache = new Map();
    verifiedTokens.set(config, cache);
  }
  const key = verifiedKey(token, audience);
  const known = cache.get(key);
  if (known) {
    // jose's rule: expired once `exp` <= now, in whole seconds.
    if (known.exp > Math.floor(Date.now() / 1000)) return copyClaims(known.claims);
    cache.delete(key);
    throw unauthenticated("Token has expired", "expired");
  }
  if (token.split(".").length !== 3) throw unauthenticated("Malformed token", "malformed");
  try {
    // `exp` is required: jose only checks it when present, and a token without one never expires.
    const { payload } = await jwtVerify(token, await hmacKey(config), {
      algorithms: [ALGORITHM],
      issuer: JWT_ISSUER,
      audience,
      requiredClaims: ["exp", "sub"],
    });
    const { sub, sid, username, role, tabs } = payload as Partial<Record<keyof AccessClaims, unknown>>;
    if (typeof sub !== "string" || typeof sid !== "string" || typeof username !== "string" || typeof role !== "string") {
      throw unauthenticated("Token is missing required claims", "invalid");
    }
    const tabList = Array.isArray(tabs) && tabs.length <= MAX_TOKEN_TABS && tabs.every((t) => typeof t === "string") ? (tabs as string[]) : undefined;
    const claims: AccessClaims = { sub, sid, username, role, tabs: tabList };
    if (typeof payload.exp === "number") {
      if (cache.size >= MAX_VERIFIED_TOKENS) {
        const oldest = cache.keys().next();
        if (!oldest.done) cache.delete(oldest.value);
      }
      cache.set(key, { claims: copyClaims(claims), exp: payload.exp });
    }
    return claims;
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (err instanceof joseErrors.JWTExpired) throw unauthenticated("Token has expired", "expired");
    if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) throw unauthenticated("Malformed token", "malformed");
    throw unauthenticated("Invalid token", "invalid");
  }
}

/** The user row as the session check read it (with the role's tabs and permissions). */
export interface SessionUser {
  user: typeof users.$inferSelect;
  roleTabs: string[];
  rolePermissions: string[];
}

/**
 * The session check, built once per D1 binding (drizzle's query building cost more than the rest
 * of the check): the user with its role, joined with the session the token names, by id. It runs
 * on the binding itself, never on a request's D1 session, so a client's bookmark cannot route it
 * to a replica that has not seen a logout or a demotion yet.
 */
const sessionChecks = new WeakMap<D1Database, ReturnType<typeof prepareSessionCheck>>();
function prepareSessionCheck(d1: D1Database) {
  return drizzle(d1)
    .select({
      user: users,
      roleTabs: roles.allowedTabs,
      rolePermissions: roles.permissions,
      revokedAt: sessions.revokedAt,
      expiresAt: sessions.expiresAt,
    })
    .from(users)
    .innerJoin(roles, eq(roles.name, users.role))
    .innerJoin(sessions, and(eq(sessions.id, sql.placeholder("sid")), eq(sessions.userId, users.id)))
    .where(eq(users.id, sql.placeholder("sub")))
    .limit(1)
    .prepare();
}

// What each confirmed principal's session check read, for routes that answer with it (`/auth/me`).
const sessionUsers = new WeakMap<UserPrincipal, SessionUser>();

/** The user row the session check read for this principal, when it was confirmed in this request. */
export const sessionUserOf = (principal: UserPrincipal): SessionUser | undefined => sessionUsers.get(principal);

/** Loads the user behind a verified token; the session must be live and the user active. */
export async function loadUserPrincipal({ primary, trackD1, now }: Pick<Deps, "primary" | "trackD1" | "now">, claims: AccessClaims): Promise<UserPrincipal> {
  const nowIso = now().toISOString();
  let check = sessionChecks.get(primary);
  if (!check) {
    check = prepareSessionCheck(primary);
    sessionChecks.set(primary, check);
  }
  const prepared = check;
  const row = await trackD1(() => prepared.get({ sid: claims.sid, sub: claims.sub }));
  if (!row?.user.isActive || row.revokedAt !== null || row.expiresAt <= nowIso) {
    throw unauthenticated("Session is no longer valid", "revoked");
  }
  const permissions = rolePermissions(row.user.role, row.rolePermissions);
  const principal: UserPrincipal = {
    kind: "user",
    userId: claims.sub,
    username: row.user.username,
    role: row.user.role,
    permissions,
    tabs: effectiveTabs(permissions, row.user.allowedTabs, row.roleTabs),
    sessionId: claims.sid,
  };
  sessionUsers.set(principal, { user: row.user, roleTabs: row.roleTabs, rolePermissions: row.rolePermissions });
  return principal;
}

/** The API key check, built once per D1 binding and run on it (never a replica), like the session check. */
const apiKeyChecks = new WeakMap<D1Database, ReturnType<typeof prepareApiKeyCheck>>();
function prepareApiKeyCheck(d1: D1Database) {
  return drizzle(d1)
    .select({
      id: apiKeys.id,
      name: apiKeys.name,
      scope: apiKeys.permissions,
      rateLimitPerMinute: apiKeys.rateLimitPerMinute,
      revokedAt: apiKeys.revokedAt,
      lastUsedAt: apiKeys.lastUsedAt,
      creatorId: users.id,
      creatorActive: users.isActive,
      creatorTabs: users.allowedTabs,
      roleName: roles.name,
      rolePermissions: roles.permissions,
      roleTabs: roles.allowedTabs,
    })
    .from(apiKeys)
    .leftJoin(users, eq(users.id, apiKeys.createdBy))
    .leftJoin(roles, eq(roles.name, users.role))
    .where(eq(apiKeys.keyHash, sql.placeholder("keyHash")))
    .limit(1)
    .prepare();
}

/**
 * The session check as plain SQL with one name per column, for `deps.primaryRead`: a D1 batch
 * answers rows as objects, so the columns must not share a name (drizzle's `users.allowed_tabs`
 * and `roles.allowed_tabs` would).
 */
const SESSION_CHECK_SQL =
  "SELECT u.username AS username, u.role AS role, u.is_active AS is_active, u.allowed_tabs AS user_tabs, " +
  "r.permissions AS role_permissions, r.allowed_tabs AS role_tabs, s.revoked_at AS revoked_at, s.expires_at AS expires_at " +
  "FROM users u JOIN roles r ON r.name = u.role JOIN sessions s ON s.id = ?1 AND s.user_id = u.id WHERE u.id = ?2 LIMIT 1";

const jsonList = (value: unknown): string[] | null => {
  if (typeof value !== "string") return null;
  const parsed: unknown = JSON.parse(value);
  return Array.isArray(parsed) && parsed.every((v) => typeof v === "string") ? parsed : null;
};

/**
 * The session check of a pure read (lib/route.ts), the same check as `loadUserPrincipal` (same
 * refusals), sent through `deps.primaryRead`: on the primary, at the head of the read's own D1
 * batch when it can join one (one round trip for both). The caller must `deps.flushD1()` before
 * waiting on it.
 */
export async function confirmUserPrincipal(deps: Pick<Deps, "primaryRead" | "now">, claims: AccessClaims): Promise<UserPrincipal> {
  const nowIso = deps.now().toISOString();
  const { results } = await deps.primaryRead(SESSION_CHECK_SQL, [claims.sid, claims.sub]);
  const row = results[0];
  const roleTabs = jsonList(row?.role_tabs);
  if (row?.is_active !== 1 || row.revoked_at !== null || typeof row.expires_at !== "string" || row.expires_at <= nowIso || roleTabs === null) {
    throw unauthenticated("Session is no longer valid", "revoked");
  }
  const role = String(row.role);
  // A built-in role's permissions are in code (rolePermissions ignores the stored list): not parsed.
  const permissions = rolePermissions(role, isBuiltinRole(role) ? null : jsonList(row.role_permissions));
  return {
    kind: "user",
    userId: claims.sub,
    username: String(row.username),
    role,
    permissions,
    tabs: effectiveTabs(permissions, jsonList(row.user_tabs), roleTabs),
    sessionId: claims.sid,
  };
}

/**
 * Resolves an API key to what it may do now: its scope within its creator's current
 * permissions, with the creator's current tabs. The key, its creator and the creator's role come
 * from one query; a revoked key, or one whose creator is inactive or gone, is a 401. The call
 * counts against the key's rate-limit tier (the rate-limiting binding, not D1).
 */
export async function loadApiKeyPrincipal(deps: Pick<Deps, "db" | "primary" | "trackD1" | "now" | "waitUntil" | "env">, key: string): Promise<ApiKeyPrincipal> {
  const { db, primary } = deps;
  const keyHash = await sha256Hex(key);
  let check = apiKeyChecks.get(primary);
  if (!check) {
    check = prepareApiKeyCheck(primary);
    apiKeyChecks.set(primary, check);
  }
  const prepared = check;
  const row = await deps.trackD1(() => prepared.get({ keyHash }));
  if (!row || row.revokedAt !== null) throw unauthenticated("Invalid API key", "api_key_invalid");
  if (row.creatorId === null || row.creatorActive !== true || row.roleName === null || row.roleTabs === null) {
    throw unauthenticated("API key is no longer valid: its creator is inactive or gone", "api_key_invalid");
  }
  await limitApiKey(deps, row.id, row.rateLimitPerMinute);
  const lastUsed = row.lastUsedAt ? Date.parse(row.lastUsedAt) : 0;
  if (deps.now().getTime() - lastUsed > 60_000) {
    const touch = db.update(apiKeys).set({ lastUsedAt: sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))` }).where(eq(apiKeys.id, row.id));
    deps.waitUntil(touch);
  }
  const creatorPermissions = rolePermissions(row.roleName, row.rolePermissions);
  return {
    kind: "api_key",
    keyId: row.id,
    name: row.name,
    permissions: intersectPermissions(permissionSet(row.scope), creatorPermissions),
    tabs: effectiveTabs(creatorPermissions, row.creatorTabs, row.roleTabs),
    createdBy: row.creatorId,
  };
}

/** Resolves an access token (from a header, or a WebSocket's `?token=`) to a live principal. */
export async function authenticateToken(deps: Pick<Deps, "primary" | "trackD1" | "now" | "config">, token: string): Promise<UserPrincipal> {
  return loadUserPrincipal(deps, await verifyAccessToken(deps.config, token));
}

/** A WebSocket's `?token=`: an access token or a socket token, resolved to the user's rights now. */
export async function authenticateSocketToken(deps: Pick<Deps, "primary" | "trackD1" | "now" | "config">, token: string): Promise<UserPrincipal> {
  return loadUserPrincipal(deps, await verifyAccessToken(deps.config, token, [JWT_AUDIENCE, SOCKET_AUDIENCE]));
}

/**
 * Mints a socket token for a user's live session: the same subject, session, role and tabs as
 * the caller's, SOCKET_TOKEN_TTL_SECONDS long, audience SOCKET_AUDIENCE. It grants nothing by
 * itself: the upgrade reloads the user's current rights and session, as for an access token.
 */
export async function signSocketToken(config: Config, user: UserPrincipal, now = new Date()): Promise<{ token: string; expiresIn: number }> {
  const iat = Math.floor(now.getTime() / 1000);
  const token = await new SignJWT({ sid: user.sessionId, username: user.username, role: user.role, tabs: user.tabs.slice(0, MAX_TOKEN_TABS) })
    .setProtectedHeader({ alg: ALGORITHM, typ: "JWT" })
    .setSubject(user.userId)
    .setIssuer(JWT_ISSUER)
    .setAudience(SOCKET_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + SOCKET_TOKEN_TTL_SECONDS)
    .setJti(crypto.randomUUID())
    .sign(await hmacKey(config));
  return { token, expiresIn: SOCKET_TOKEN_TTL_SECONDS };
}

/** The API key a request carries: `X-API-Key`, or seed 002's `?api_key=`. */
export const apiKeyOf = (c: Context<AppEnv>): string | undefined => c.req.header("x-api-key") ?? c.req.query("api_key") ?? undefined;

/** Longest API key looked for in a body (the header and query carry the same keys). */
const MAX_BODY_API_KEY = 512;

/**
 * Seed 002's third way to present an API key: `{"api_key": "…"}` in a JSON body, on the surfaces
 * that accept it (`Surface.bodyApiKey`: `/api/parts` only). The body is read only when it is JSON
 * and declares a Content-Length within MAX_BODY_BYTES, so an anonymous caller cannot make the
 * server buffer more than any JSON route takes (upload routes have no buffered-body limit). The
 * bytes stay in Hono's body cache: validators and the idempotency hash read the same body.
 * Handlers never see the key as a field (the compat schemas drop `api_key`).
 */
export async function bodyApiKeyOf(c: Context<AppEnv>): Promise<string | undefined> {
  if (!c.get("surface")?.bodyApiKey || c.req.method === "GET" || c.req.method === "HEAD") return undefined;
  const mediaType = (c.req.header("content-type") ?? "").split(";", 1)[0]?.trim().toLowerCase();
  const length = c.req.header("content-length")?.trim();
  if (mediaType !== "application/json" || !length || !/^\d{1,16}$/.test(length)) return undefined;
  if (Number(length) === 0 || Number(length) > c.get("deps").config.MAX_BODY_BYTES) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(await c.req.arrayBuffer()));
  } catch (err) {
    // Malformed JSON is the validator's to refuse; anything else (a body over its limit) is not ours to hide.
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) return undefined;
  const key = (body as Record<string, unknown>).api_key;
  return typeof key === "string" && key.length > 0 && key.length <= MAX_BODY_API_KEY ? key : undefined;
}

/**
 * What an access token says about its holder, before the database confirms it: available when
 * the role's permissions are in code (built-in roles) and the token carries the tabs. A read can
 * run on it beside the session check (see `beginAuthentication`).
 */
export function claimedPrincipal(claims: AccessClaims): UserPrincipal | undefined {
  if (!claims.tabs || !isBuiltinRole(claims.role)) return undefined;
  return {
    kind: "user",
    userId: claims.sub,
    username: claims.username,
    role: claims.role,
    permissions: rolePermissions(claims.role, null),
    tabs: claims.tabs,
    sessionId: claims.sid,
  };
}

/** Whether two principals grant the same: same user, role, permissions and tabs. */
export function sameAccess(a: Principal, b: Principal): boolean {
  if (a.kind !== "user" || b.kind !== "user") return false;
  const sameSet = (x: Iterable<string>, y: Iterable<string>) => {
    // The same object (a built-in role's shared set), or the same list in the same order (tabs
    // from the token and from the row are built by one function): equal without building sets.
    if (x === y) return true;
    if (Array.isArray(x) && Array.isArray(y) && x.length === y.length && x.every((v, i) => v === y[i])) return true;
    const xs = new Set(x);
    const ys = new Set(y);
    return xs.size === ys.size && [...xs].every((v) => ys.has(v));
  };
  return (
    a.userId === b.userId &&
    a.username === b.username &&
    a.role === b.role &&
    a.sessionId === b.sessionId &&
    sameSet(a.permissions, b.permissions) &&
    sameSet(a.tabs, b.tabs)
  );
}

export interface PendingAuthentication {
  /** From the token alone, when it can say (built-in role, tabs claimed); not yet confirmed. */
  claimed: UserPrincipal | undefined;
  /** The principal as the database has it now: session live, user active, current rights. */
  confirmed: Promise<Principal>;
}

/**
 * Starts authenticating a request: checks the credential's form and (for tokens) signature
 * without I/O, then starts the database check and returns without waiting for it. Callers that
 * may act before it completes (reads) must await `confirmed` before answering.
 */
export async function beginAuthentication(c: Context<AppEnv>, options: { beside?: boolean } = {}): Promise<PendingAuthentication> {
  const deps = c.get("deps");
  const header = c.req.header("authorization");
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) throw unauthenticated("Authorization header must be 'Bearer <token>'", "malformed");
    const claims = await verifyAccessToken(deps.config, match[1]);
    const claimed = claimedPrincipal(claims);
    // Beside a pure read, the check may join the read's first D1 batch (`confirmUserPrincipal`).
    const confirmed = options.beside && claimed ? confirmUserPrincipal(deps, claims) : loadUserPrincipal(deps, claims);
    return { claimed, confirmed };
  }
  const key = apiKeyOf(c) ?? (await bodyApiKeyOf(c));
  if (key === undefined) throw unauthenticated("Authentication required", "missing");
  return { claimed: undefined, confirmed: loadApiKeyPrincipal(deps, key) };
}

/**
 * Who is calling: a bearer access token, or else an API key. Throws a 401 that says what was
 * wrong (missing, expired, malformed, invalid, revoked). Memoised on the context.
 */
export async function authenticate(c: Context<AppEnv>): Promise<Principal> {
  const known = c.get("principal");
  if (known) return known;
  const principal = await (await beginAuthentication(c)).confirmed;
  c.set("principal", principal);
  return principal;
}

// ---------------------------------------------------------------------------------------------
// Device tokens (login lockout; see `login` in modules/auth/service.ts)

/** The cookie a browser keeps its device token in. `__Host-`: Secure, Path=/, no Domain. */
export const DEVICE_COOKIE = "__Host-floorline_device";
/** Header a tablet (not a browser) sends its device token back in. */
export const DEVICE_HEADER = "x-device-token";
/** How long a device token is honoured after it was issued (each login issues a fresh one). */
export const DEVICE_TOKEN_TTL_SECONDS = 180 * 86_400;
const DEVICE_TOKEN_MAX = 256;

/** The device-token MAC key: the JWT key, kept apart by the message's "device\n" prefix. */
const deviceKey = hmacKey;

// Domain-separated from every other use of the key by the "device\n" prefix.
const deviceMessage = (userId: string, nonce: string) => utf8(`device\n${userId}\n${nonce}`);

/**
 * A device token for a user who just logged in: `nonce.mac`, stateless. The nonce is
 * `<issued-at, base36 seconds>.<16 random bytes>`; the mac is HMAC-SHA256 under the server
 * secret of `"device\n" + userId + "\n" + nonce`, so it names one user and cannot be forged or
 * moved to another account. Nothing is stored.
 */
export async function issueDeviceToken(config: Config, userId: string, now: Date): Promise<string> {
  const nonce = `${Math.floor(now.getTime() / 1000).toString(36)}.${randomToken(16)}`;
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await deviceKey(config), deviceMessage(userId, nonce)));
  return `${nonce}.${toBase64Url(mac)}`;
}

/** Whether `token` is a device token this server issued to `userId` within DEVICE_TOKEN_TTL_SECONDS. */
export async function verifyDeviceToken(config: Config, userId: string, token: string | undefined, now: Date): Promise<boolean> {
  if (!token || token.length > DEVICE_TOKEN_MAX) return false;
  const cut = token.lastIndexOf(".");
  if (cut < 0) return false;
  const nonce = token.slice(0, cut);
  const [issued, random, extra] = nonce.split(".");
  const mac = fromBase64Url(token.slice(cut + 1));
  if (!issued || !random || extra !== undefined || !/^[0-9a-z]{1,10}$/.test(issued) || !mac || mac.length !== 32) return false;
  const age = now.getTime() / 1000 - Number.parseInt(issued, 36);
  if (age < -300 || age > DEVICE_TOKEN_TTL_SECONDS) return false;
  const expected = new Uint8Array(await crypto.subtle.sign("HMAC", await deviceKey(config), deviceMessage(userId, nonce)));
  return constantTimeEqual(expected, mac);
}

/** The device token a login request carries: `X-Device-Token` (tablets), else the cookie (browsers). */
export function deviceTokenOf(c: Context<AppEnv>): string | undefined {
  const token = c.req.header(DEVICE_HEADER) ?? getCookie(c, DEVICE_COOKIE);
  return token && token.length <= DEVICE_TOKEN_MAX ? token : undefined;
}

/** Hands a device token to a browser: HttpOnly, Secure, SameSite=Strict, for DEVICE_TOKEN_TTL_SECONDS. */
export function setDeviceCookie(c: Context<AppEnv>, token: string): void {
  setCookie(c, DEVICE_COOKIE, token, { httpOnly: true, secure: true, sameSite: "Strict", path: "/", maxAge: DEVICE_TOKEN_TTL_SECONDS });
}
