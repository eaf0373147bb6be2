import { z } from "zod";
import { utf8 } from "./encoding";
import { AppError } from "./errors";

const intFrom = (fallback: number, min = 1) => z.coerce.number().int().min(min).default(fallback);

/**
 * Every environment variable and secret the API worker reads, with its default. `[vars]` in
 * wrangler.toml set the plain ones; secrets come from `.dev.vars` locally and
 * `wrangler secret put` when deployed. Parsed once per `env` object.
 */
export const ConfigSchema = z.object({
  /** Defaults to the strictest: a deploy that forgets to say gets production behaviour. */
  ENVIRONMENT: z.enum(["development", "test", "staging", "production"]).default("production"),
  /** Comma-separated allowed origins, or `*`. */
  CORS_ORIGINS: z.string().default("*"),
  ACCESS_TOKEN_TTL_MINUTES: intFrom(60),
  /** Lifetime of a session started with `remember_me: true`. */
  REFRESH_TOKEN_TTL_DAYS: intFrom(14),
  /** Lifetime of a session started without `remember_me` (one shift). */
  SESSION_TTL_HOURS: intFrom(12),
  /** No session outlives this many days from its login, however often it is refreshed. */
  SESSION_MAX_DAYS: intFrom(30),
  /** Largest JSON/form body accepted outside upload routes. */
  MAX_BODY_BYTES: intFrom(1024 * 1024),
  /** Largest file upload (photos, STEP, CSV). */
  MAX_UPLOAD_BYTES: intFrom(50 * 1024 * 1024),
  /** Rate limit given to API keys created without one (snapped down to a tier: 60, 120, 300, 600, 1200, 6000). */
  API_KEY_DEFAULT_RATE_LIMIT: intFrom(120),
  /** Role given to users who sign up through CCbackend's `/api/register`. */
  SELF_REGISTRATION_ROLE: z.string().min(1).default("operator"),
  /** The location whose inventory room RM365's Socket.IO client joins (it names no location). */
  RM365_SOCKET_LOCATION: z.string().trim().min(1).max(64).default("main"),
  /**
   * CCbackend's anonymous sign-up: `open` (active at once; local dev), `approval` (created
   * inactive until an admin sets is_active), `off` (403).
   */
  SELF_REGISTRATION: z.enum(["open", "approval", "off"]).default("approval"),
  /**
   * Failed logins per 15 minutes on one username from devices it has not signed in on before
   * (a device token's own failures count separately; see `login()`).
   */
  LOGIN_RATE_LIMIT_PER_USERNAME: intFrom(10),
  PASSWORD_RESET_TTL_MINUTES: intFrom(30),
  /** Secret: HS256 key for access tokens; at least 32 characters. */
  JWT_SECRET: z.string().min(32, "JWT_SECRET must be at least 32 characters"),
  /** Secret, optional: URL that receives `{username, reset_token, expires_at}` from forgot_password. */
  PASSWORD_RESET_WEBHOOK_URL: z
    .url()
    .optional()
    .or(z.literal("").transform(() => undefined)),
  /**
   * Local development only (set in .dev.vars): forgot_password also returns the reset token, so
   * the flow can be tried without a webhook. Ignored in staging and production.
   */
  DEV_RETURN_RESET_TOKEN: z
    .enum(["true", "false", ""])
    .default("false")
    .transform((v) => v === "true"),
});

export type Config = z.infer<typeof ConfigSchema> & { jwtKey: Uint8Array<ArrayBuffer>; corsOrigins: string[] | "*" };

const cache = new WeakMap<object, Config>();

/** The parsed configuration; a missing or bad secret is a 503 that names the variable. */
export function getConfig(env: object): Config {
  const hit = cache.get(env);
  if (hit) return hit;
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const names = parsed.error.issues.map((i) => i.path.join("."));
    throw new AppError("SERVICE_UNAVAILABLE", `Server is misconfigured: ${names.join(", ")}`, {
      details: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    });
  }
  const origins = parsed.data.CORS_ORIGINS.trim();
  const config: Config = {
    ...parsed.data,
    jwtKey: utf8(parsed.data.JWT_SECRET),
    corsOrigins:
      origins === "*"
        ? "*"
        : origins
            .split(",")
            .map((o) => o.trim())
            .filter(Boolean),
  };
  cache.set(env, config);
  return config;
}
