import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { matchedRoutes } from "hono/route";
import type { AppEnv } from "../types";
import { getConfig } from "./config";
import { AppError } from "./errors";
import { type RouteSpec, routeSpecOf } from "./route";

/** The declaration of the route this request will reach, if any route of its method matched. */
export function declaredRoute(routes: ReturnType<typeof matchedRoutes>): { matched: boolean; spec: RouteSpec | undefined } {
  let matched = false;
  for (const r of routes) {
    if (r.method === "ALL") continue;
    matched = true;
    const spec = routeSpecOf(r.handler);
    if (spec) return { matched, spec };
  }
  return { matched, spec: undefined };
}

/**
 * Deny by default, then limit the body. A request whose route carries no `route()` declaration
 * is refused before any handler runs; unmatched requests fall through to the JSON 404/405.
 */
export const guard = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  const { matched, spec } = declaredRoute(matchedRoutes(c));
  if (!matched) return next();
  if (!spec) throw new AppError("AUTHORIZATION_ERROR", "This route declares no permission, so it is denied");
  const config = getConfig(c.env);
  const maxSize = spec.bodyLimit === "upload" ? config.MAX_UPLOAD_BYTES : config.MAX_BODY_BYTES;
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new AppError("PAYLOAD_TOO_LARGE", `Request body exceeds ${maxSize} bytes`);
    },
  })(c, next);
};
