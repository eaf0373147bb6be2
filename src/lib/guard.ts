import type { Hono, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { matchedRoutes } from "hono/route";
import type { AppEnv } from "../types";
import { getConfig } from "./config";
import { AppError } from "./errors";
import { type RouteSpec, routeSpecOf } from "./route";

// The app-wide middleware createApp() installs (request id, log, headers, CORS, 405, guard).
const platform = new WeakSet<object>();

/** Marks middleware as app-wide, so the guard looks past it for the route's own handlers. */
export function platformMiddleware<T extends MiddlewareHandler<AppEnv>>(mw: T): T {
  platform.add(mw);
  return mw;
}

export type RouteDeclaration = { kind: "none" } | { kind: "declared"; spec: RouteSpec } | { kind: "undeclared" };

/**
 * What the first handler that is not app-wide middleware will be: a `route()` declaration, or
 * anything else (an undeclared handler, a validator placed before `route()`, an `.all()` or
 * `.use()` handler). Only the first one counts, because it runs first.
 */
export function firstDeclaration(routes: ReturnType<typeof matchedRoutes>): RouteDeclaration {
  for (const r of routes) {
    if (platform.has(r.handler)) continue;
    const spec = routeSpecOf(r.handler);
    return spec ? { kind: "declared", spec } : { kind: "undeclared" };
  }
  return { kind: "none" };
}

/** Every route of an app (method and path) with the declaration the guard sees first. */
export function routeTable(app: Hono<AppEnv>): { method: string; path: string; declaration: RouteDeclaration }[] {
  const groups = new Map<string, { method: string; path: string; handlers: typeof app.routes }>();
  for (const r of app.routes) {
    if (r.method === "ALL") continue;
    const key = `${r.method} ${r.path}`;
    const group = groups.get(key) ?? { method: r.method, path: r.path, handlers: [] };
    group.handlers.push(r);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ method, path, handlers }) => ({ method, path, declaration: firstDeclaration(handlers) }));
}

/**
 * Deny by default, then limit the body. Unless the first handler a request would reach is a
 * `route()` declaration, the request is refused before any of it runs; requests that match
 * nothing fall through to the JSON 404/405.
 */
export const guard = (): MiddlewareHandler<AppEnv> =>
  platformMiddleware(async (c, next) => {
    const first = firstDeclaration(matchedRoutes(c));
    if (first.kind === "none") return next();
    if (first.kind === "undeclared") throw new AppError("AUTHORIZATION_ERROR", "This route declares no permission, so it is denied");
    const config = getConfig(c.env);
    if (first.spec.bodyLimit === "upload") {
      // Hono's bodyLimit buffers a body that has no Content-Length; uploads stream instead, and
      // lib/uploads.ts counts their bytes as they arrive. A declared length is checked up front.
      const declared = c.req.header("content-length");
      if (declared !== undefined && Number(declared) > config.MAX_UPLOAD_BYTES) {
        throw new AppError("PAYLOAD_TOO_LARGE", `Request body exceeds ${config.MAX_UPLOAD_BYTES} bytes`);
      }
      return next();
    }
    const maxSize = config.MAX_BODY_BYTES;
    return bodyLimit({
      maxSize,
      onError: () => {
        throw new AppError("PAYLOAD_TOO_LARGE", `Request body exceeds ${maxSize} bytes`);
      },
    })(c, next);
  });
