/**
 * Configuration: every environment variable the API worker reads is declared once here or in its
 * feature's `featureConfig()`, as zod with its documentation (`.meta(envDoc(…))`), and validated
 * once. The README's environment table is generated from these declarations (`npm run docs:env`).
 *
 * - The core settings (`ConfigSchema`) are needed by every request: `deps.config`, parsed once per
 *   `env`; a bad one makes the whole API answer 503.
 * - A feature's settings (attendance, Magento, Onshape, parts) are needed only by its routes:
 *   `deps.feature(magentoConfig)` parses them the first time a request asks (once per request, so
 *   a test may change a variable between requests) and a bad one is a 503 of that feature alone.
 *   Modules never read `deps.env`.
 */
import { z } from "zod";
import { utf8 } from "./encoding";
import { AppError, type ErrorReason } from "./errors";

/** How a variable is documented in the README's environment table. */
export interface EnvDoc {
  /** `var` (wrangler.toml [vars]), `secret` (.dev.vars / wrangler secret put), with qualifiers. */
  kind: string;
  /** What the default column says, when the schema's own default does not say enough. */
  shown?: string;
  /** What the variable means. */
  meaning: string;
}

/** Documentation for one variable, for `.meta()`: `z.string().meta(envDoc("var", "what it means"))`. */
export const envDoc = (kind: string, meaning: string, shown?: string): { env: EnvDoc } => ({ env: { kind, meaning, ...(shown ? { shown } : {}) } });

const intFrom = (fallback: number, min = 1) => z.coerce.number().int().min(min).default(fallback);

/**
 * The core settings every request needs. `[vars]` in wrangler.toml set the plain ones; secrets
 * come from `.dev.vars` locally and `wrangler secret put` when deployed. Parsed once per `env`.
 */
export const ConfigSchema = z.object({
  /** Defaults to the strictest: a deploy that forgets to say gets production behaviour. */
  ENVIRONMENT: z
    .enum(["development", "test", "staging", "production"])
    .default("production")
    .meta(
      envDoc(
        "var",
        "`development`, `test`, `staging`, `production`",
        "`development` in wrangler.toml's top level (local), `staging` / `production` in their sections; `production` if unset",
      ),
    ),
  CORS_ORIGINS: z.string().default("*").meta(envDoc("var", "comma-separated allowed origins, or `*`")),
  ACCESS_TOKEN_TTL_MINUTES: intFrom(60).meta(envDoc("var", "access-token lifetime")),
  REFRESH_TOKEN_TTL_DAYS: intFrom(14).meta(envDoc("var", "session lifetime after each refresh, with `remember_me: true`")),
  SESSION_TTL_HOURS: intFrom(12).meta(envDoc("var", "session lifetime after each refresh, without `remember_me` (one shift)")),
  SESSION_MAX_DAYS: intFrom(30).meta(envDoc("var", "no session outlives this many days from its login, however often it is refreshed")),
  MAX_BODY_BYTES: intFrom(1024 * 1024).meta(envDoc("var", "largest JSON/form body accepted outside upload routes")),
  MAX_UPLOAD_BYTES: intFrom(50 * 1024 * 1024).meta(envDoc("var", "largest file upload (photos, STEP, CSV)")),
  API_KEY_DEFAULT_RATE_LIMIT: intFrom(120).meta(
    envDoc("var", "requests/minute for API keys created without a limit (snapped down to a tier: 60, 120, 300, 600, 1200, 6000)"),
  ),
  SELF_REGISTRATION_ROLE: z.string().min(1).default("operator").meta(envDoc("var", "role of accounts signed up through CCbackend's `/api/register`")),
  CCBACKEND_SELF_REGISTER_ROLE: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .meta(
      envDoc(
        "var",
        "role of accounts created through CCbackend's `/api/register`; `maintenance` gives the seed's behaviour (any signed-in user processes reports)",
        "unset: `SELF_REGISTRATION_ROLE` (`operator`: files and reads reports, does not process them)",
      ),
    ),
  CCBACKEND_TIME_ZONE: z
    .string()
    .max(64)
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat("en", { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, "not an IANA time zone")
    .default("UTC")
    .meta(
      envDoc(
        "var",
        "the site's IANA time zone for CCbackend's plain-text times (`REPORT_TIME`, `PROCESS_TIME`), which its client reads as browser-local, e.g. `Asia/Taipei`",
      ),
    ),
  RM365_SOCKET_LOCATION: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .default("main")
    .meta(envDoc("var", "the location whose inventory room RM365's Socket.IO client joins (it names no location; `?location=` picks another)")),
  SELF_REGISTRATION: z
    .enum(["open", "approval", "off"])
    .default("approval")
    .meta(
      envDoc(
        "var",
        "CCbackend's `/api/register`: `open` (active at once), `approval` (account inactive until an admin sets `is_active`), `off` (403)",
        "`open` locally, `approval` in staging/production and if unset",
      ),
    ),
  LOGIN_RATE_LIMIT_PER_USERNAME: intFrom(10).meta(
    envDoc(
      "var",
      "failed logins per 15 minutes on one username from devices it never signed in on, then 429 until the window ends (a trusted device's failures count separately)",
    ),
  ),
  PASSWORD_RESET_TTL_MINUTES: intFrom(30).meta(envDoc("var", "reset-token lifetime")),
  JOB_LEASE_SECONDS: intFrom(900).meta(
    envDoc(
      "var",
      "lease of a job or a file being written (src/lib/jobs.ts, src/lib/files.ts): one queued or in progress with no sign of life for this long is re-queued or failed, and a pending file deleted; longer than any job's longest silent stretch (a conversion may run 5 minutes)",
    ),
  ),
  CLOCK_DEBOUNCE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(3600)
    .default(60)
    .meta(
      envDoc(
        "var",
        "a second card or fingerprint tap by the same employee within this many seconds (a double tap, a reader's retry) answers the first tap's event with `duplicate: true` and writes nothing; 0 turns it off; a manager's manual clock is never debounced",
      ),
    ),
  REQUEST_LOG: z
    .enum(["all", "sampled"])
    .optional()
    .meta(
      envDoc(
        "var",
        "the per-request log line (src/lib/request-log.ts): `all`, or `sampled`: every non-2xx and every request slower than `REQUEST_LOG_SLOW_MS`, and `REQUEST_LOG_SAMPLE_RATE` of the rest",
        "`all` when `ENVIRONMENT` is `development` or `test`, else `sampled`",
      ),
    ),
  REQUEST_LOG_SLOW_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(600_000)
    .default(1000)
    .meta(envDoc("var", "with `REQUEST_LOG=sampled`: a 2xx that took longer than this (ms, in the worker) is always logged")),
  REQUEST_LOG_SAMPLE_RATE: z.coerce
    .number()
    .min(0)
    .max(1)
    .default(0.01)
    .meta(
      envDoc(
        "var",
        "with `REQUEST_LOG=sampled`: the share of the other (fast 2xx) requests logged, each line carrying `sample` (so counts scale by 1/rate); 0 logs none of them",
      ),
    ),
  JWT_SECRET: z
    .string()
    .min(32, "JWT_SECRET must be at least 32 characters")
    .meta(envDoc("secret", "HS256 key for access tokens, ≥ 32 characters", "dev value in `.dev.vars.example`")),
  PASSWORD_RESET_WEBHOOK_URL: z
    .url()
    .optional()
    .or(z.literal("").transform(() => undefined))
    .meta(envDoc("secret, optional", "receives `{username, reset_token, expires_at}` from forgot_password")),
  DEV_RETURN_RESET_TOKEN: z
    .enum(["true", "false", ""])
    .default("false")
    .transform((v) => v === "true")
    .meta(
      envDoc(
        "`.dev.vars` only",
        "forgot_password also returns the reset token, so the flow can be tried without a webhook; ignored in staging/production",
        "`true` locally",
      ),
    ),
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

/** Where the API runs, as a feature's `derive` sees it (`ENVIRONMENT`, production if unset or bad). */
export interface FeatureContext {
  environment: z.infer<typeof ConfigSchema>["ENVIRONMENT"];
}

/** One feature's settings: its variables (`schema`, documented with `envDoc`) and what the code reads (`T`). */
export interface FeatureConfig<T> {
  /** Names the feature in the README table and in the 503 message. */
  readonly feature: string;
  readonly schema: z.ZodObject;
  /** Validates the variables of `env`: the settings, or the 503 naming each bad variable. */
  read(env: object): T;
}

export interface FeatureConfigOptions<S extends z.ZodObject, T> {
  feature: string;
  schema: S;
  /** The 503's message, given the bad variables' names (default: `<feature> is misconfigured: …`). */
  message?: (names: string[]) => string;
  /** The 503's `reason`, for surfaces that answer it in their own words. */
  reason?: ErrorReason;
  /** Turns the parsed variables into what the code reads; may throw a 503 of its own. */
  derive: (values: z.infer<S>, context: FeatureContext) => T;
}

const Environment = ConfigSchema.shape.ENVIRONMENT.catch("production");

/**
 * Declares a feature's settings once: its variables (zod, each with `.meta(envDoc(…))`), how
 * they become typed settings, and its 503. An empty string counts as unset, so a `[vars]` entry
 * left `""` takes the default. Read them with `deps.feature(config)`.
 */
export function featureConfig<S extends z.ZodObject, T>(options: FeatureConfigOptions<S, T>): FeatureConfig<T> {
  const { feature, schema, reason, derive } = options;
  const message = options.message ?? ((names: string[]) => `${feature} is misconfigured: ${names.join(", ")}`);
  return {
    feature,
    schema,
    read(env) {
      const raw: Record<string, unknown> = {};
      for (const key of Object.keys(schema.shape)) {
        const value = (env as Record<string, unknown>)[key];
        if (value !== "" && value !== undefined) raw[key] = value;
      }
      const parsed = schema.safeParse(raw);
      if (!parsed.success) {
        const names = [...new Set(parsed.error.issues.map((i) => i.path.join(".")))];
        throw new AppError("SERVICE_UNAVAILABLE", message(names), reason ? { reason } : {});
      }
      return derive(parsed.data, { environment: Environment.parse((env as Record<string, unknown>).ENVIRONMENT) });
    },
  };
}

/** `deps.feature`: reads each feature's settings at most once per `env` view (one request, one test deps). */
export function featureReader(env: object): <T>(config: FeatureConfig<T>) => T {
  const seen = new Map<FeatureConfig<unknown>, unknown>();
  return <T>(config: FeatureConfig<T>): T => {
    if (seen.has(config)) return seen.get(config) as T;
    const settings = config.read(env);
    seen.set(config, settings);
    return settings;
  };
}
