/**
 * Route declarations: every route says who may call it and how it is documented, in one
 * middleware placed first on the route:
 *
 *   router.get("/", route({ access: "users:read", tab: "usermanagement", summary: "…", tags: ["users"],
 *     responses: { 200: UserList } }), validate("query", ListQuery), handler)
 *
 * `route()` authenticates and authorises; `validate()` wraps @hono/zod-validator so failures
 * are the one error shape with field paths. Both register metadata that `lib/openapi.ts` reads
 * to build the OpenAPI document, and that the app's deny-by-default guard checks: a route
 * without a `route()` declaration answers 403.
 */
import { zValidator } from "@hono/zod-validator";
import type { Context, MiddlewareHandler, ValidationTargets } from "hono";
import type { ZodType } from "zod";
import type { AppEnv, Principal } from "../types";
import { authenticate } from "./auth";
import { enforceRateLimit } from "./rate-limit";
import { forbidden, type FieldIssue, validationError } from "./errors";
import { withIdempotency } from "./idempotency";
import { type Access, hasPermission, isAllowed } from "./rbac";

export type { Access } from "./rbac";


export interface ResponseSpec {
  description?: string;
  schema?: ZodType;
  /** Defaults to application/json when a schema is given. */
  contentType?: string;
}

export interface RouteSpec {
  access: Access;
  /** RM365 tab the route belongs to; users must hold it (API keys are scoped by permission only). */
  tab?: string;
  summary: string;
  description?: string;
  tags: string[];
  responses?: Record<number, ResponseSpec | ZodType>;
  /** Whether an API key may call this route (default true). */
  apiKey?: boolean;
  deprecated?: boolean;
  /**
   * Throttle bucket for unauthenticated routes: AUTH_RATE_LIMIT_PER_MINUTE requests per client
   * IP per bucket.
   */
  throttle?: string;
  /**
   * `false` on routes that mint credentials (login, refresh): replaying their stored response
   * would hand out tokens that re-use detection should have refused. Default true.
   */
  idempotent?: boolean;
  /** `upload` routes accept bodies up to MAX_UPLOAD_BYTES; others MAX_BODY_BYTES. */
  bodyLimit?: "json" | "upload";
}

export interface ValidationMeta {
  target: keyof ValidationTargets;
  schema: ZodType;
}

// Metadata hangs off the middleware functions themselves; Hono's `app.routes` lists them.
const routeSpecs = new WeakMap<object, RouteSpec>();
const validations = new WeakMap<object, ValidationMeta>();

export const routeSpecOf = (handler: unknown): RouteSpec | undefined =>
  typeof handler === "function" ? routeSpecs.get(handler) : undefined;
export const validationOf = (handler: unknown): ValidationMeta | undefined =>
  typeof handler === "function" ? validations.get(handler) : undefined;


/** Declares a route's access and documentation; enforces the access. */
export function route(spec: RouteSpec): MiddlewareHandler<AppEnv> {
  const handler: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (spec.throttle) {
      const ip = c.req.header("cf-connecting-ip") ?? "local";
      await enforceRateLimit(c.var.deps, `throttle:${spec.throttle}:${ip}`, c.var.deps.config.AUTH_RATE_LIMIT_PER_MINUTE);
    }
    if (spec.access !== "public") {
      const principal = await authenticate(c);
      if (!isAllowed(principal, spec)) {
        throw forbidden(
          spec.tab && spec.access !== "authenticated" && hasPermission(principal.permissions, spec.access)
            ? `Your account does not have the '${spec.tab}' tab`
            : `Permission '${spec.access}' is required`,
        );
      }
    }
    return spec.idempotent === false ? next() : withIdempotency(c, next);
  };
  routeSpecs.set(handler, spec);
  return handler;
}

/** The signed-in principal of a route that is not public. */
export function principalOf(c: Context<AppEnv>): Principal {
  const principal = c.get("principal");
  if (!principal) throw new Error("principalOf() called on a route without authentication");
  return principal;
}

const issuePath = (target: string, path: readonly PropertyKey[]) =>
  [target === "json" || target === "form" ? "body" : target, ...path.map(String)].join(".");

/** Validates one part of the request with a zod schema; failures name every field path. */
export function validate<Target extends keyof ValidationTargets, Schema extends ZodType>(target: Target, schema: Schema) {
  const middleware = zValidator(target, schema, (result) => {
    if (!result.success) {
      const issues: FieldIssue[] = result.error.issues.map((issue) => ({
        path: issuePath(target, issue.path),
        message: issue.message,
        code: issue.code,
      }));
      throw validationError(`Invalid ${target === "json" || target === "form" ? "request body" : target}: ${issues[0]?.path} ${issues[0]?.message}`, issues);
    }
  });
  validations.set(middleware, { target, schema });
  return middleware;
}
