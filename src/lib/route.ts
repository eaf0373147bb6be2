/**
 * Route declarations: every route says who may call it, what it accepts and what it answers,
 * in one `defineRoute()` call, and is registered on a router from `createRouter()`:
 *
 *   createRouter().openapi(
 *     defineRoute({ method: "get", path: "/{id}", access: "users:read", tab: "usermanagement",
 *       summary: "…", tags: ["users"], request: { params: IdParams },
 *       responses: { 200: json(UserResponse, "The user") } }),
 *     async (c) => c.json(await getUser(c.get("deps"), c.req.valid("param").id), 200),
 *   );
 *
 * `defineRoute()` builds an @hono/zod-openapi route whose first middleware is `route(spec)`:
 * it throttles, authenticates, authorises and applies idempotency before any validator runs.
 * Validation failures become the one error shape (`createRouter()`'s hook), and each handler's
 * responses are typed against its declared schemas, so a handler that answers something else
 * does not compile. The app's deny-by-default guard (lib/guard.ts) refuses any request whose
 * first handler is not a `route()` declaration.
 */
import { createRoute, OpenAPIHono, type RouteConfig } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import type { ZodType } from "zod";
import type { AppEnv, Principal } from "../types";
import { beginAuthentication, sameAccess } from "./auth";
import { type FieldIssue, forbidden, unauthenticated, validationError } from "./errors";
import { setResponseHeader } from "./headers";
import { withIdempotency } from "./idempotency";
import { limitUser, throttle, type UserLimit } from "./rate-limit";
import { type AccessRule, accessLabel, isAllowed, missingAccess } from "./rbac";
import { authenticateUpgrade, isUpgradeRequest } from "./rooms";
import { type Surface, v1Surface } from "./surface";
import { MAX_UPLOADS_PER_SENDER } from "./uploads/memory";

export type { Access } from "./rbac";

/** What a route declares beyond its OpenAPI operation: access and platform behaviour. */
export interface RouteOptions extends AccessRule {
  /** With `apiKey: false`: the 403 an API key gets, saying what it lacks (default: a generic one). */
  apiKeyRefusal?: string | undefined;
  /** Throttle bucket for unauthenticated routes: per client IP, on the THROTTLE_ANON rate-limiting binding. */
  throttle?: string;
  /**
   * Per-user limit of an expensive route (CSV exports, reports, label jobs, imports, calls to
   * Magento or Onshape): counted per acting user (an API key counts for its creator) on the
   * class's rate-limiting binding (USER_LIMITS in lib/rate-limit.ts); 429 + Retry-After when spent.
   */
  userLimit?: UserLimit;
  /**
   * A GET that only reads (no re-queueing, no upstream call with stored credentials, no state
   * write, no slot held): it may run on the token's claim while the session check is in
   * flight, saving a D1 round trip; its answer is still only sent once the check confirms.
   * Every other route waits for the check before its handler runs. GET routes only.
   */
  pureRead?: boolean;
  /**
   * `false` on routes that mint credentials (login, refresh): replaying their stored response
   * would hand out tokens that re-use detection should have refused. Default true.
   */
  idempotent?: boolean;
  /** `upload` routes accept bodies up to MAX_UPLOAD_BYTES and are never buffered; others MAX_BODY_BYTES. */
  bodyLimit?: "json" | "upload";
  /** Responses carry credentials: `Cache-Control: no-store`. */
  noStore?: boolean;
  /** Errors this route answers beyond the surface's usual ones, for the docs: `{ 404: "No such user" }`. */
  errors?: Record<number, string>;
  /**
   * A WebSocket upgrade route (lib/rooms.ts): an upgrade request is authenticated by `?token=`
   * (browsers cannot set headers on a WebSocket) and a refusal is a 101 closed with 1008; any
   * other request is checked like every route, then answered 426 by `connectToRoom`.
   */
  upgrade?: boolean;
  /**
   * Only with `access: "public"`: the route authenticates in its own layer, with credentials the
   * guard cannot read (e.g. Engine.IO's handshake), and this says how and what it requires. The
   * access matrix and the OpenAPI document (`x-own-auth`) print it; the route's tests prove it.
   */
  ownAuth?: string;
}

/**
 * The names of `RouteOptions`, the one list `defineRoute()` splits a definition by (what is not
 * an option is the OpenAPI operation). A record keyed by every option, so adding an option to the
 * interface without listing it here (or listing a name that is not one) does not compile.
 */
const ROUTE_OPTIONS: { readonly [K in keyof Required<RouteOptions>]: true } = {
  access: true,
  tab: true,
  apiKey: true,
  apiKeyRefusal: true,
  throttle: true,
  userLimit: true,
  pureRead: true,
  idempotent: true,
  bodyLimit: true,
  noStore: true,
  errors: true,
  upgrade: true,
  ownAuth: true,
};
const isRouteOption = (key: string): key is keyof RouteOptions => Object.hasOwn(ROUTE_OPTIONS, key);

/** A definition's route options apart from its OpenAPI operation (method, path, request, responses, summary, tags…). */
function splitOptions<R extends RouteDefinition>(def: R): { options: RouteOptions; operation: Omit<R, keyof RouteOptions> } {
  const options: Record<string, unknown> = {};
  const operation: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(def)) (isRouteOption(key) ? options : operation)[key] = value;
  return { options: options as unknown as RouteOptions, operation: operation as Omit<R, keyof RouteOptions> };
}

/** The declaration `route()` enforces and the guard and access matrix read. */
export interface RouteSpec extends RouteOptions {
  summary: string;
  tags: string[];
  /** The surface whose error formats the route documents (default: `/api/v1`'s). */
  surface?: Surface;
  /** Where the route is declared (`src/modules/…/routes.ts`); only recorded by `npm run routes`. */
  source?: string;
}

type OperationFields = "middleware" | "security" | "summary" | "tags";
/** What `defineRoute()` takes: an OpenAPI route (method, path, request, responses) plus its access. */
export type RouteDefinition = Omit<RouteConfig, OperationFields> & RouteOptions & { summary: string; tags: string[] };

// Metadata hangs off the middleware functions themselves; Hono's `app.routes` lists them.
const routeSpecs = new WeakMap<object, RouteSpec>();

export const routeSpecOf = (handler: unknown): RouteSpec | undefined => (typeof handler === "function" ? routeSpecs.get(handler) : undefined);

/** A JSON response for a route's `responses`; keeps the schema's type, so handlers are checked against it. */
export const json = <S extends ZodType>(schema: S, description: string) => ({ description, content: { "application/json": { schema } } });

/** Enforces a route's declaration: throttle, authentication, authorisation, idempotency, no-store. */
export function route(spec: RouteSpec): MiddlewareHandler<AppEnv> {
  const handler: MiddlewareHandler<AppEnv> = async (c, next) => {
    const deps = c.get("deps");
    if (spec.throttle) await throttle(deps, spec.throttle, c.req.header("cf-connecting-ip") ?? "local");
    const limit = async (principal: Principal) => {
      if (spec.userLimit) await limitUser(deps, spec.userLimit, principal);
    };
    const run = async () => {
      // Upload bodies stream to R2: their request hash leaves the body unread.
      if (spec.idempotent === false) await next();
      else await withIdempotency(c, next, { hashBody: spec.bodyLimit !== "upload" });
      if (spec.noStore) setResponseHeader(c, "Cache-Control", "no-store");
    };
    if (spec.access === "public") return run();
    if (spec.upgrade && isUpgradeRequest(c)) return authenticateUpgrade(c, spec, next);

    const pure = spec.pureRead === true && c.req.method === "GET";
    const auth = await beginAuthentication(c, { beside: pure });
    if (pure && auth.claimed && isAllowed(auth.claimed, spec)) {
      // A pure read runs on what the token claims while the session check is in flight, so it
      // waits on one D1 round trip, not two. Its answer is only sent once the check confirms the
      // claim; a failed check, or rights that changed since the token was issued, answer 401.
      // Nothing else may run early: a handler with effects would act for a logged-out token.
      await limit(auth.claimed);
      c.set("principal", auth.claimed);
      const confirmed = auth.confirmed.then(
        (principal) => ({ principal }),
        (error: unknown) => ({ error }),
      );
      let failed: { error: unknown } | undefined;
      try {
        await run();
      } catch (error) {
        failed = { error };
      } finally {
        // The check joins the read's first D1 batch when there is one; otherwise it goes now.
        deps.flushD1();
      }
      // Even a handler's error waits for the check: a revoked token must not learn 403 from 404.
      const outcome = await confirmed;
      if ("error" in outcome || !sameAccess(outcome.principal, auth.claimed)) {
        // The refusal must not carry what the read already set (a total, an ETag): drop its response.
        c.res = undefined;
        c.set("discardHandlerHeaders", true);
        if ("error" in outcome) throw outcome.error;
        c.set("principal", outcome.principal);
        if (!isAllowed(outcome.principal, spec)) throw refusal(spec, outcome.principal);
        throw unauthenticated("Your access changed since this token was issued; refresh it", "revoked");
      }
      if (failed) throw failed.error;
      return;
    }
    deps.flushD1();
    const principal = await auth.confirmed;
    c.set("principal", principal);
    if (!isAllowed(principal, spec)) throw refusal(spec, principal);
    await limit(principal);
    return run();
  };
  routeSpecs.set(handler, spec);
  return handler;
}

/** The 403 for a principal a route does not allow: the missing permission, or the missing tab. */
function refusal(spec: RouteSpec, principal: Principal) {
  const missing = missingAccess(principal, spec);
  if (missing && "tab" in missing) return forbidden(`Your account does not have the '${missing.tab}' tab`);
  if (missing && "apiKey" in missing) return forbidden(spec.apiKeyRefusal ?? "This route is for signed-in users only; an API key may not call it");
  return forbidden(`Permission '${missing && "permission" in missing ? missing.permission : accessLabel(spec.access)}' is required`);
}

const SECURITY_ALL = [{ bearerAuth: [] }, { apiKeyHeader: [] }, { apiKeyQuery: [] }];

/**
 * Makes a `defineRoute()` for one surface: its routes document that surface's error shapes.
 * `/api/v1` uses `defineRoute`; a compat surface makes its own (`routeDefiner(ccbackendSurface)`).
 */
export function routeDefiner(surface: Surface) {
  return function defineRoute<R extends RouteDefinition>(def: R): R & { middleware: MiddlewareHandler<AppEnv> } {
    const { options, operation } = splitOptions(def);
    const { access, apiKey, throttle, userLimit, pureRead, upgrade, ownAuth, tab, errors: declaredErrors = {} } = options;
    if (pureRead && def.method !== "get") throw new Error(`${def.method.toUpperCase()} ${def.path}: only a GET can be a pure read`);
    if (ownAuth !== undefined && access !== "public") throw new Error(`${def.method.toUpperCase()} ${def.path}: ownAuth is for public routes only`);
    const spec: RouteSpec = { ...options, summary: def.summary, tags: def.tags, surface, source: declaredAt() };
    const request = operation.request;
    const validates = Boolean(request?.body || request?.query || request?.params || request?.headers || request?.cookies);
    const errors = surface.errorDocs({ authenticated: access !== "public", validates, throttled: throttle !== undefined || userLimit !== undefined });
    // Every multipart upload can be refused for a malformed or stalled body, for its sender's
    // uploads in progress, or for want of the isolate's upload memory (src/lib/uploads):
    // documented beside what the surface already says for that status.
    const uploadErrors: Record<number, string> =
      options.bodyLimit === "upload"
        ? {
            400: "Malformed multipart body, or the upload stalled (less than 64 KiB in 30 s of waiting) or took over 20 min",
            429: `You already have ${MAX_UPLOADS_PER_SENDER} uploads in progress (per user, an API key counting for its creator); see Retry-After`,
            503: "Too many uploads (or large uploads) are being received at once; see Retry-After",
          }
        : {};
    for (const [status, description] of Object.entries(uploadErrors)) {
      // What the surface documents for that status keeps its body schema (Part Management's 429
      // is `PartsRateLimited`); only its description grows.
      const usual = errors[Number(status)];
      errors[Number(status)] = usual ? { ...usual, description: `${usual.description}; or: ${description}` } : surface.errorDoc(Number(status), description);
    }
    // A route's own 400/503 adds to the upload refusals rather than hiding them.
    for (const [status, description] of Object.entries(declaredErrors)) {
      const upload = uploadErrors[Number(status)];
      errors[Number(status)] = surface.errorDoc(Number(status), upload ? `${description}; or: ${upload}` : description);
    }
    const config = {
      ...operation,
      // A declared body is required, so a request without one (or without its content type)
      // is refused rather than validated as empty.
      ...(request?.body ? { request: { ...request, body: { required: true, ...request.body } } } : {}),
      responses: { ...errors, ...operation.responses },
      security: access === "public" ? [] : apiKey === false ? [{ bearerAuth: [] }] : SECURITY_ALL,
      "x-permission": access,
      ...(upgrade ? { "x-upgrade": "websocket" } : {}),
      ...(ownAuth ? { "x-own-auth": ownAuth } : {}),
      ...(tab ? { "x-tab": tab } : {}),
      ...(userLimit ? { "x-user-limit": userLimit } : {}),
      ...(pureRead ? { "x-pure-read": true } : {}),
      middleware: [route(spec)],
    };
    return createRoute(config as unknown as RouteConfig) as unknown as R & { middleware: MiddlewareHandler<AppEnv> };
  };
}

/**
 * The file that declared a route, for `npm run routes` (scripts/routes.mjs), which sets
 * `globalThis.__FLOORLINE_ROUTE_SOURCES__` and runs the bundle with source maps. Nothing is
 * recorded otherwise: a stack trace is not free, and the Workers runtime has no source map.
 */
function declaredAt(): string | undefined {
  if (!(globalThis as { __FLOORLINE_ROUTE_SOURCES__?: boolean }).__FLOORLINE_ROUTE_SOURCES__) return undefined;
  const frames = new Error().stack?.split("\n") ?? [];
  for (const frame of frames) {
    const match = /\(?((?:\/|[A-Za-z]:)[^():]*?(src\/(?:modules|compat)\/[^():]+)):\d+:\d+\)?$/.exec(frame.trim());
    if (match?.[2]) return match[2];
  }
  return undefined;
}

/** Declares a route of the canonical `/api/v1` surface (and the platform's own routes). */
export const defineRoute = routeDefiner(v1Surface);

const issuePath = (target: string, path: readonly PropertyKey[]) => [target === "json" || target === "form" ? "body" : target, ...path.map(String)].join(".");

/** A router whose validation failures are the one error shape, naming every field path. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (result.success) return;
      const { target } = result;
      const issues: FieldIssue[] = result.error.issues.map((issue) => ({ path: issuePath(target, issue.path), message: issue.message, code: issue.code }));
      const what = target === "json" || target === "form" ? "request body" : target;
      throw validationError(`Invalid ${what}: ${issues[0]?.path} ${issues[0]?.message}`, issues);
    },
  });
}

/** The signed-in principal of a route that is not public. */
export function principalOf(c: Context<AppEnv>): Principal {
  const principal = c.get("principal");
  if (!principal) throw new Error("principalOf() called on a route without authentication");
  return principal;
}
