import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../types";
import { log } from "./logging";
import { principalKey } from "./principal";

/** One log line per request: id, method, path, status, duration and who called. */
export const requestLog = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  const started = Date.now();
  await next();
  const principal = c.get("principal");
  const status = c.res.status;
  log(status >= 500 ? "error" : status >= 400 ? "warn" : "info", "request", {
    requestId: c.get("requestId"),
    method: c.req.method,
    path: c.req.path,
    status,
    durationMs: Date.now() - started,
    principal: principal ? principalKey(principal) : null,
  });
};
