/**
 * Onshape (seed 002): a user's OAuth 2 connection and calls to Onshape's API on their behalf.
 *
 * - connect: a `state` bound to the user and to the browser that asked (HMAC under the server
 *   secret over user, the SHA-256 of a random browser nonce, nonce and expiry), short-lived
 *   (STATE_TTL_MS), single-use (its hash is stored and deleted when spent). The browser nonce goes
 *   to the browser only, as an HttpOnly cookie (FLOW_COOKIE) scoped to the callback paths.
 * - callback: the state is checked, together with the browser's cookie, so a sign-in link sent
 *   to someone else cannot attach their Onshape account to the sender's Floorline user; then the
 *   code is exchanged at ONSHAPE_OAUTH_URL, the tokens sealed
 *   with AES-256-GCM under a key derived from ONSHAPE_TOKEN_KEY and the user's id, so a row
 *   copied to another user does not decrypt.
 * - calls go only to ONSHAPE_BASE_URL; an access token about to expire is refreshed first (one
 *   refresh wins, by the row's version).
 */
import { and, eq, gt, lt } from "drizzle-orm";
import { z } from "zod";
import { onshapeConnections, onshapeOauthStates } from "../../db/schema";
import { envDoc, featureConfig } from "../../lib/config";
import type { Deps } from "../../lib/deps";
import { constantTimeEqual, fromBase64Url, randomToken, sha256Hex, toBase64Url, utf8 } from "../../lib/encoding";
import { AppError } from "../../lib/errors";
import { describeError, log } from "../../lib/logging";
import { actorOf } from "../../lib/principal";
import { derivedKey, seal, unseal } from "../../lib/seal";
import type { Principal } from "../../types";

/** How long a connect's `state` may be spent. */
export const STATE_TTL_MS = 10 * 60_000;
/** The cookie holding the browser nonce of a connect in progress (see the module comment). */
export const FLOW_COOKIE = "onshape_flow";
/** The callback paths, the only paths the browser sends FLOW_COOKIE to. */
export const FLOW_COOKIE_PATHS = ["/api/auth/onshape/callback", "/api/parts/auth/onshape/callback"] as const;
/** A token this close to its expiry is refreshed before use. */
const REFRESH_MARGIN_MS = 60_000;
/** The scopes seed 002 asked for. */
export const ONSHAPE_SCOPES = "OAuth2Read OAuth2ReadPII";
/** Longest answer read from Onshape's token endpoint or JSON API. */
const MAX_JSON_BYTES = 64 * 1024;

const HttpsUrl = z
  .url({ protocol: /^https$/ })
  .max(200)
  .transform((u) => u.replace(/\/+$/, ""));
const OnshapeSettings = z.object({
  ONSHAPE_BASE_URL: HttpsUrl.meta(
    envDoc("var", "Onshape's API (https); the only host drawings are fetched from, and the host a part's `onshapeUrl` must name", "`https://cad.onshape.com`"),
  ),
  ONSHAPE_OAUTH_URL: HttpsUrl.meta(envDoc("var", "Onshape's OAuth 2 server (`/oauth/authorize`, `/oauth/token`)", "`https://oauth.onshape.com`")),
  ONSHAPE_CLIENT_ID: z
    .string()
    .min(1)
    .max(200)
    .meta(envDoc("var", "the Onshape OAuth app's client id; Onshape routes answer 503 until it, the secret and the token key are set", "empty (Onshape off)")),
  ONSHAPE_CLIENT_SECRET: z
    .string()
    .min(1)
    .max(500)
    .meta(envDoc("secret", "the Onshape OAuth app's client secret", "empty")),
  ONSHAPE_TOKEN_KEY: z
    .string()
    .min(32)
    .max(500)
    .meta(
      envDoc(
        "secret",
        "≥ 32 characters; stored Onshape tokens are sealed with AES-256-GCM under a key derived from it and the user id",
        "dev value in `.dev.vars.example`",
      ),
    ),
  ONSHAPE_REDIRECT_URI: HttpsUrl.or(z.url({ protocol: /^http$/, hostname: /^(localhost|127\.0\.0\.1)$/ }))
    .optional()
    .meta(envDoc("var, optional", "the callback URL registered with the Onshape app (https, or http on localhost)", "`<origin>/api/auth/onshape/callback`")),
});
export type OnshapeConfig = z.infer<typeof OnshapeSettings>;

const NOT_CONFIGURED = "onshape_not_configured";

/** The Onshape settings, or 503 when any is missing or bad (Onshape is off until all are set): `deps.feature(onshapeConfig)`. */
export const onshapeConfig = featureConfig({
  feature: "Onshape",
  schema: OnshapeSettings,
  message: () => "Onshape is not configured on this server",
  reason: NOT_CONFIGURED,
  derive: (values): OnshapeConfig => values,
});

function isConfigured(deps: Pick<Deps, "feature">): boolean {
  try {
    deps.feature(onshapeConfig);
    return true;
  } catch (err) {
    if (err instanceof AppError && err.reason === NOT_CONFIGURED) return false;
    throw err;
  }
}

/** Whose Onshape connection a principal acts with: a user's own; an API key's creator's. */
export const onshapeUserOf = (actor: Principal): string => actorOf(actor).userId;

// --- state -----------------------------------------------------------------------------------

const stateKeys = new WeakMap<Uint8Array, Promise<CryptoKey>>();
function stateKey(secret: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  let key = stateKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    stateKeys.set(secret, key);
  }
  return key;
}
// Domain-separated from every other use of the server secret by the "onshape-state\n" prefix.
// `browserHash` is the SHA-256 of the browser nonce in FLOW_COOKIE: the state is only valid
// alongside that cookie.
const stateMessage = (userId: string, browserHash: string, body: string) => utf8(`onshape-state\n${userId}\n${browserHash}\n${body}`);

async function signState(secret: Uint8Array<ArrayBuffer>, userId: string, browserHash: string, expiresAt: number): Promise<string> {
  const body = `${randomToken(24)}.${expiresAt.toString(36)}`;
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await stateKey(secret), stateMessage(userId, browserHash, body)));
  return `${body}.${toBase64Url(mac)}`;
}

async function stateIsValid(secret: Uint8Array<ArrayBuffer>, userId: string, browserHash: string, state: string, now: number): Promise<boolean> {
  const parts = state.split(".");
  const [nonce, expires, macText] = parts;
  if (parts.length !== 3 || !nonce || !expires || !macText || !/^[0-9a-z]{1,12}$/.test(expires)) return false;
  if (Number.parseInt(expires, 36) <= now) return false;
  const mac = fromBase64Url(macText);
  if (mac?.length !== 32) return false;
  const expected = new Uint8Array(await crypto.subtle.sign("HMAC", await stateKey(secret), stateMessage(userId, browserHash, `${nonce}.${expires}`)));
  return constantTimeEqual(expected, mac);
}

const redirectUri = (config: OnshapeConfig, origin: string) => config.ONSHAPE_REDIRECT_URI ?? `${origin}/api/auth/onshape/callback`;

/**
 * Starts a connection for the calling user: a fresh single-use state (expired ones are swept in
 * the same batch), the Onshape URL to send the browser to, and the browser nonce the caller must
 * set as FLOW_COOKIE (never in the response body).
 */
export async function startOnshapeConnect(
  deps: Pick<Deps, "db" | "feature" | "config" | "now">,
  input: { origin: string },
  actor: Principal,
): Promise<{ connect: { authorization_url: string; state: string; expires_at: string }; browserNonce: string }> {
  const config = deps.feature(onshapeConfig);
  if (actor.kind !== "user") throw new AppError("AUTHORIZATION_ERROR", "Only a signed-in user can connect an Onshape account");
  const now = deps.now();
  const expiresAt = now.getTime() + STATE_TTL_MS;
  const browserNonce = randomToken(32);
  const state = await signState(deps.config.jwtKey, actor.userId, await sha256Hex(browserNonce), expiresAt);
  const expiresIso = new Date(expiresAt).toISOString();
  await deps.db.batch([
    deps.db.delete(onshapeOauthStates).where(lt(onshapeOauthStates.expiresAt, now.toISOString())),
    deps.db.insert(onshapeOauthStates).values({ stateHash: await sha256Hex(state), userId: actor.userId, expiresAt: expiresIso }),
  ]);
  const url = new URL(`${config.ONSHAPE_OAUTH_URL}/oauth/authorize`);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", config.ONSHAPE_CLIENT_ID);
  url.searchParams.set("redirect_uri", redirectUri(config, input.origin));
  url.searchParams.set("scope", ONSHAPE_SCOPES);
  url.searchParams.set("state", state);
  return { connect: { authorization_url: url.toString(), state, expires_at: expiresIso }, browserNonce };
}

const TokenAnswer = z.object({
  access_token: z.string().min(1).max(8192),
  refresh_token: z.string().min(1).max(8192).optional(),
  expires_in: z.coerce.number().int().min(1).max(31_536_000).default(3600),
  scope: z.string().max(500).optional(),
});
type TokenAnswer = z.infer<typeof TokenAnswer>;

const unavailable = (what: string, cause?: unknown) =>
  new AppError("SERVICE_UNAVAILABLE", `Onshape could not be reached (${what}); try again later`, { reason: "onshape_unavailable", cause });

/** Reads a bounded JSON answer. */
async function readJson(res: Response, what: string): Promise<unknown> {
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > MAX_JSON_BYTES) throw unavailable(`${what}: answer too large`);
  const text = await res.text();
  if (text.length > MAX_JSON_BYTES) throw unavailable(`${what}: answer too large`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw unavailable(`${what}: not JSON`, err);
  }
}

/** POSTs a grant to Onshape's token endpoint. `null` when Onshape refuses the grant (400/401). */
async function requestTokens(config: OnshapeConfig, grant: Record<string, string>): Promise<TokenAnswer | null> {
  let res: Response;
  try {
    res = await fetch(`${config.ONSHAPE_OAUTH_URL}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams({ ...grant, client_id: config.ONSHAPE_CLIENT_ID, client_secret: config.ONSHAPE_CLIENT_SECRET }),
      redirect: "manual",
    });
  } catch (err) {
    throw unavailable("token endpoint", err);
  }
  if (res.status === 400 || res.status === 401) {
    await res.body?.cancel();
    return null;
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw unavailable(`token endpoint answered ${res.status}`);
  }
  const parsed = TokenAnswer.safeParse(await readJson(res, "token endpoint"));
  if (!parsed.success) throw unavailable("token endpoint: unexpected answer");
  return parsed.data;
}

const tokenKey = (config: OnshapeConfig, userId: string) => derivedKey(`onshape-tokens\n${userId}`, utf8(config.ONSHAPE_TOKEN_KEY));

const badState = () =>
  new AppError("BAD_REQUEST", "The Onshape sign-in link is invalid, expired or already used, or was started in another browser; connect again", {
    reason: "onshape_bad_state",
  });
const otherBrowser = () =>
  new AppError("BAD_REQUEST", "Finish connecting Onshape in the browser that started it (its sign-in cookie is missing); connect again", {
    reason: "onshape_bad_state",
  });

/**
 * Onshape's redirect back: spends the state (once, before it expires), checks its signature
 * against the user it was issued to and the browser nonce from FLOW_COOKIE (`browserNonce`),
 * exchanges the code and stores the sealed tokens. Without the cookie, or with another flow's,
 * nothing is stored.
 */
export async function finishOnshapeConnect(
  deps: Pick<Deps, "db" | "feature" | "config" | "now">,
  input: { code?: string | undefined; state?: string | undefined; error?: string | undefined; origin: string; browserNonce?: string | undefined },
): Promise<{ status: "connected"; expires_at: string }> {
  const config = deps.feature(onshapeConfig);
  if (!input.state) throw badState();
  const now = deps.now();
  // Spent here, whatever happens next: a state is good for one attempt.
  const [spent] = await deps.db
    .delete(onshapeOauthStates)
    .where(and(eq(onshapeOauthStates.stateHash, await sha256Hex(input.state)), gt(onshapeOauthStates.expiresAt, now.toISOString())))
    .returning({ userId: onshapeOauthStates.userId });
  if (!spent) throw badState();
  if (!input.browserNonce) throw otherBrowser();
  if (!(await stateIsValid(deps.config.jwtKey, spent.userId, await sha256Hex(input.browserNonce), input.state, now.getTime()))) throw badState();
  if (input.error || !input.code) {
    throw new AppError("BAD_REQUEST", `Onshape did not grant access${input.error ? `: ${input.error}` : ""}`, { reason: "onshape_denied" });
  }
  const tokens = await requestTokens(config, { grant_type: "authorization_code", code: input.code, redirect_uri: redirectUri(config, input.origin) });
  if (!tokens) throw new AppError("BAD_REQUEST", "Onshape refused the sign-in code; connect again", { reason: "onshape_denied" });
  const expiresAt = new Date(now.getTime() + tokens.expires_in * 1000).toISOString();
  const key = await tokenKey(config, spent.userId);
  const sealed = {
    accessToken: await seal(key, tokens.access_token),
    refreshToken: tokens.refresh_token ? await seal(key, tokens.refresh_token) : null,
    expiresAt,
    scope: tokens.scope ?? null,
  };
  await deps.db
    .insert(onshapeConnections)
    .values({ userId: spent.userId, ...sealed })
    .onConflictDoUpdate({ target: onshapeConnections.userId, set: { ...sealed, version: 1 } });
  return { status: "connected", expires_at: expiresAt };
}

/** Whether the caller has an Onshape connection (never the tokens). */
export async function onshapeStatus(deps: Pick<Deps, "db" | "feature">, actor: Principal) {
  const configured = isConfigured(deps);
  const [row] = await deps.db
    .select({ expiresAt: onshapeConnections.expiresAt, scope: onshapeConnections.scope, updatedAt: onshapeConnections.updatedAt })
    .from(onshapeConnections)
    .where(eq(onshapeConnections.userId, onshapeUserOf(actor)));
  return { configured, connected: Boolean(row), expires_at: row?.expiresAt ?? null, scope: row?.scope ?? null, connected_at: row?.updatedAt ?? null };
}

/** Forgets the caller's Onshape tokens. */
export async function disconnectOnshape(deps: Pick<Deps, "db">, actor: Principal): Promise<{ status: "disconnected" }> {
  await deps.db.delete(onshapeConnections).where(eq(onshapeConnections.userId, onshapeUserOf(actor)));
  return { status: "disconnected" };
}

const notConnected = () => new AppError("CONFLICT", "Connect your Onshape account first (GET /api/auth/onshape/connect)", { reason: "onshape_not_connected" });

/**
 * A usable access token for `userId`: the stored one, or a refreshed one when it is about to
 * expire. A refresh Onshape refuses removes the connection (409: connect again); of two
 * concurrent refreshes the first write wins and the other uses it.
 */
export async function onshapeAccessToken(deps: Pick<Deps, "db" | "feature" | "now">, userId: string): Promise<string> {
  const config = deps.feature(onshapeConfig);
  const [row] = await deps.db.select().from(onshapeConnections).where(eq(onshapeConnections.userId, userId));
  if (!row) throw notConnected();
  const key = await tokenKey(config, userId);
  const now = deps.now().getTime();
  if (Date.parse(row.expiresAt) - REFRESH_MARGIN_MS > now) return unseal(key, row.accessToken);
  if (!row.refreshToken) throw notConnected();
  const tokens = await requestTokens(config, { grant_type: "refresh_token", refresh_token: await unseal(key, row.refreshToken) });
  const current = and(eq(onshapeConnections.userId, userId), eq(onshapeConnections.version, row.version));
  if (!tokens) {
    await deps.db.delete(onshapeConnections).where(current);
    throw new AppError("CONFLICT", "Your Onshape connection has expired; connect again", { reason: "onshape_not_connected" });
  }
  const [updated] = await deps.db
    .update(onshapeConnections)
    .set({
      accessToken: await seal(key, tokens.access_token),
      // Onshape may rotate the refresh token; keep the old one when it does not.
      ...(tokens.refresh_token ? { refreshToken: await seal(key, tokens.refresh_token) } : {}),
      expiresAt: new Date(now + tokens.expires_in * 1000).toISOString(),
      version: row.version + 1,
    })
    .where(current)
    .returning({ userId: onshapeConnections.userId });
  if (!updated) log("info", "onshape refresh lost a race; using the winner's token", { userId });
  return tokens.access_token;
}

/**
 * Calls Onshape's API as `userId`: `path` is appended to ONSHAPE_BASE_URL (never another host)
 * and redirects are never followed (a 3xx comes back as is, and callers treat it as an error).
 */
export async function onshapeFetch(deps: Pick<Deps, "db" | "feature" | "now">, userId: string, path: string, init: RequestInit = {}): Promise<Response> {
  const config = deps.feature(onshapeConfig);
  if (!path.startsWith("/api/")) throw new Error(`onshapeFetch(): path must start with /api/: ${path}`);
  const token = await onshapeAccessToken(deps, userId);
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${token}`);
  try {
    return await fetch(`${config.ONSHAPE_BASE_URL}${path}`, { ...init, headers, redirect: "manual" });
  } catch (err) {
    log("warn", "onshape request failed", { path, ...describeError(err) });
    throw unavailable(path.split("/").slice(0, 3).join("/"), err);
  }
}

/** Reads an Onshape JSON answer, bounded; a non-2xx is a 503 that names the status. */
export async function onshapeJson(res: Response, what: string): Promise<unknown> {
  if (!res.ok) {
    await res.body?.cancel();
    if (res.status === 401) throw new AppError("CONFLICT", "Onshape refused your connection; connect again", { reason: "onshape_not_connected" });
    if (res.status === 403 || res.status === 404) {
      throw new AppError("NOT_FOUND", "Onshape has no such drawing, or your account cannot read it", { reason: "onshape_no_drawing" });
    }
    throw unavailable(`${what} answered ${res.status}`);
  }
  return readJson(res, what);
}
