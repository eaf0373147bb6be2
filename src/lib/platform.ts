/**
 * The app-wide work around every request, as ONE middleware (issue 20): the request id, the
 * error surface, the request's deps (its D1 session), CORS (a preflight is answered here), then
 * the route (405 check, guard, the route's own handlers); once the answer exists, in this order:
 * CORS and secure headers, Server-Timing and the D1 bookmark, the log line, the request id.
 *
 * These were six middlewares. Each Hono layer costs a dispatch, an async frame and a promise per
 * request, and they were ~5 % of a small authenticated read's CPU (bench/README.md); the steps
 * themselves are plain functions in their modules (lib/headers.ts, lib/deps.ts,
 * lib/request-log.ts, lib/surface.ts).
 *
 * An error thrown by a step before the route (a misconfigured worker: 503) is answered by
 * `onError`, as Hono's compose would, and the steps that had started still finish the answer.
 * The route's own errors are answered inside it (Hono's compose, `app.onError`).
 */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../types";
import { answerRequestDeps, type RequestDeps, startRequestDeps } from "./deps";
import { platformMiddleware } from "./guard";
import { type CorsPolicy, isWebSocketUpgrade, REQUEST_ID_HEADER, requestIdOf, setResponseHeader, setSecureHeaders } from "./headers";
import { logRequest } from "./request-log";
import type { SurfaceMap } from "./surface";

export interface PlatformOptions {
  /** Which error format answers under which path. */
  surfaces: SurfaceMap;
  /** The CORS policy of the request's configuration. */
  cors: (c: Context<AppEnv>) => CorsPolicy;
  /** The answer to an error thrown before the route (the app's `onError`). */
  onError: (err: Error, c: Context<AppEnv>) => Response | Promise<Response>;
  /** A new request id (when the client sent none, or one not plain enough to echo). */
  generateId?: () => string;
}

export function platform(options: PlatformOptions): MiddlewareHandler<AppEnv> {
  const generateId = options.generateId ?? (() => crypto.randomUUID());
  return platformMiddleware(async (c, next) => {
    const requestId = requestIdOf(c, generateId);
    c.set("requestId", requestId);
    c.set("surface", options.surfaces.of(c.req.path));
    const started = Date.now();
    // A WebSocket upgrade's 101 carries none of the response headers but its id.
    const upgrade = isWebSocketUpgrade(c);
    let request: RequestDeps | undefined;
    let cors: CorsPolicy | undefined;
    let allowed: string | null = null;
    try {
      request = startRequestDeps(c);
      if (upgrade) await next();
      else {
        cors = options.cors(c);
        if (c.req.method === "OPTIONS") c.res = await cors.preflight(c);
        else {
          allowed = cors.allowed(c);
          await next();
        }
      }
    } catch (err) {
      if (!(err instanceof Error)) throw err;
      c.error = err;
      c.res = await options.onError(err, c);
    }
    try {
      if (!upgrade) {
        if (cors && c.req.method !== "OPTIONS") cors.answer(c, allowed);
        setSecureHeaders(c);
      }
      if (request) answerRequestDeps(c, request);
    } finally {
      // Whatever happened above, the answer keeps its id and its log line.
      logRequest(c, started);
      if (c.res.status !== 101) setResponseHeader(c, REQUEST_ID_HEADER, requestId);
    }
  });
}
