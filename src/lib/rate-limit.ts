/**
 * Two kinds of limits, on two stores:
 *
 * - **Throttles** (per client IP on anonymous routes, per API key, per user on expensive routes)
 *   use the Workers rate-limiting
 *   binding (`[[ratelimits]]` in wrangler.toml): no D1 write per request, counts kept per
 *   Cloudflare location and approximate. A binding's limit is fixed per namespace, so API keys
 *   are served by tiers (API_KEY_RATE_TIERS): a key's `rate_limit_per_minute` is snapped down
 *   to the nearest tier when the key is created (and again when it is used, for older rows),
 *   and the key's responses show the limit actually enforced.
 * - **Security counters** (failed logins, failed current-password checks) are exact D1 counters
 *   in `rate_limits`, counting failures, not attempts. Bucket keys are SHA-256 hex of what they
 *   count, so an anonymous caller can never make a row larger than a fixed size.
 */
import { and, eq, gt, lt, sql } from "drizzle-orm";
import { rateLimits } from "../db/schema";
import type { Deps } from "./deps";
import { sha256Hex } from "./encoding";
import { AppError } from "./errors";
import { actorOf, type Principal } from "./principal";

/** The 429 every limit here throws. */
export const rateLimited = (retryAfter: number, message = `Too many requests; retry in ${retryAfter} s`) =>
  new AppError("RATE_LIMITED", message, { retryAfter });

// ---------------------------------------------------------------------------------------------
// Exact failure counters (D1)

/** A bucket key of fixed size (64 hex characters), whatever it counts. */
export const bucketKey = (purpose: string, subject: string): Promise<string> => sha256Hex(`${purpose}\n${subject}`);

/** One failure slot taken in a window; hand `release` to a batch when the attempt succeeds. */
export interface FailureSlot {
  bucket: string;
  windowStart: number;
}

/**
 * Takes a failure slot before an attempt is checked: at most `limit` per fixed window of
 * `windowSeconds`. Throws a 429 (Retry-After = the window's end) when none is left. The caller
 * gives the slot back (`releaseFailureSlot`) when the attempt succeeds, so only failures count,
 * while concurrent attempts can never run more than `limit` checks between them.
 */
export async function takeFailureSlot(
  deps: Pick<Deps, "db" | "now">,
  bucket: string,
  limit: number,
  windowSeconds: number,
  message?: string,
): Promise<FailureSlot> {
  const nowSeconds = Math.floor(deps.now().getTime() / 1000);
  const windowStart = Math.floor(nowSeconds / windowSeconds) * windowSeconds;
  // The update only happens while the count is below the limit; when it is not, no row returns.
  const [row] = await deps.db
    .insert(rateLimits)
    .values({ bucket, windowStart, count: 1 })
    .onConflictDoUpdate({
      target: [rateLimits.bucket, rateLimits.windowStart],
      set: { count: sql`${rateLimits.count} + 1` },
      setWhere: lt(rateLimits.count, limit),
    })
    .returning({ count: rateLimits.count });
  if (!row) {
    const retryAfter = Math.max(1, windowStart + windowSeconds - nowSeconds);
    throw rateLimited(retryAfter, message);
  }
  return { bucket, windowStart };
}

/** The statement that gives a failure slot back (the attempt succeeded). */
export function releaseFailureSlot({ db }: Pick<Deps, "db">, slot: FailureSlot) {
  return db
    .update(rateLimits)
    .set({ count: sql`${rateLimits.count} - 1` })
    .where(and(eq(rateLimits.bucket, slot.bucket), eq(rateLimits.windowStart, slot.windowStart), gt(rateLimits.count, 0)));
}

// ---------------------------------------------------------------------------------------------
// Throttles (Workers rate-limiting binding)

/** The binding's window. Its counters are per location and approximate, so a retry waits a whole one. */
const BINDING_PERIOD_SECONDS = 60;

/**
 * The per-client throttle of an anonymous route: THROTTLE_ANON's limit (60 a minute; see
 * wrangler.toml) per `name` and client key (the client IP). Throws a 429 with Retry-After when
 * it is spent. The key is hashed, so a long header cannot make a long key.
 */
export async function throttle(deps: Pick<Deps, "env">, name: string, clientKey: string): Promise<void> {
  const key = `ip:${name.slice(0, 64)}:${clientKey.length <= 64 ? clientKey : await sha256Hex(clientKey)}`;
  const { success } = await deps.env.THROTTLE_ANON.limit({ key });
  if (!success) throw rateLimited(BINDING_PERIOD_SECONDS);
}

/** The per-minute limits an API key can have; each is one binding (API_KEY_LIMIT_<n>). */
export const API_KEY_RATE_TIERS = [60, 120, 300, 600, 1200, 6000] as const;
export type ApiKeyRateTier = (typeof API_KEY_RATE_TIERS)[number];

/** A requested per-minute limit snapped down to a tier (never below the lowest). */
export function apiKeyRateTier(perMinute: number): ApiKeyRateTier {
  let tier: ApiKeyRateTier = API_KEY_RATE_TIERS[0];
  for (const t of API_KEY_RATE_TIERS) if (t <= perMinute) tier = t;
  return tier;
}

function tierBinding(env: Env, tier: ApiKeyRateTier): RateLimit {
  switch (tier) {
    case 60:
      return env.API_KEY_LIMIT_60;
    case 120:
      return env.API_KEY_LIMIT_120;
    case 300:
      return env.API_KEY_LIMIT_300;
    case 600:
      return env.API_KEY_LIMIT_600;
    case 1200:
      return env.API_KEY_LIMIT_1200;
    case 6000:
      return env.API_KEY_LIMIT_6000;
  }
}

/** Counts one request of an API key against its tier; 429 with Retry-After when spent. */
export async function limitApiKey(deps: Pick<Deps, "env">, keyId: string, perMinute: number): Promise<void> {
  const tier = apiKeyRateTier(perMinute);
  const { success } = await tierBinding(deps.env, tier).limit({ key: `key:${keyId}` });
  if (!success) throw rateLimited(BINDING_PERIOD_SECONDS, `API key rate limit of ${tier} requests per minute exceeded`);
}

// ---------------------------------------------------------------------------------------------
// Per-user limits on expensive routes (a route's `userLimit`)

/**
 * The classes of expensive routes, each on its own binding (limits in wrangler.toml, per minute):
 * a class's budget is shared by every route declaring it, so 300 parallel exports by one viewer
 * cost 300 of one budget however they are spread over the export routes.
 */
export const USER_LIMITS = {
  /** CSV exports (full histories). */
  exports: "USER_LIMIT_EXPORTS",
  /** Report generation (PDF rendering in the documents worker). */
  reports: "USER_LIMIT_REPORTS",
  /** Label jobs and single labels (PDF rendering). */
  labels: "USER_LIMIT_LABELS",
  /** Sales data imports (parsing large CSV uploads). */
  imports: "USER_LIMIT_IMPORTS",
  /** Calls to Magento or Onshape with stored credentials (their rate limits are ours to keep). */
  upstream: "USER_LIMIT_UPSTREAM",
} as const satisfies Record<string, keyof Env>;

export type UserLimit = keyof typeof USER_LIMITS;

/**
 * Counts one call of an expensive route against its class's per-user budget: the acting user
 * (an API key counts for its creator, so more keys buy no more). 429 with Retry-After when spent.
 */
export async function limitUser(deps: Pick<Deps, "env">, limit: UserLimit, principal: Principal): Promise<void> {
  const binding: RateLimit = deps.env[USER_LIMITS[limit]];
  const { success } = await binding.limit({ key: `user:${limit}:${actorOf(principal).userId}` });
  if (!success) throw rateLimited(BINDING_PERIOD_SECONDS, `Too many ${limit} requests from your account; retry in ${BINDING_PERIOD_SECONDS} s`);
}
