import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { methodNotAllowed } from "hono/method-not-allowed";
import { ccbackendAuthRoutes } from "./compat/ccbackend/auth";
import { ccbackendEquipmentRootRoutes, ccbackendEquipmentRoutes } from "./compat/ccbackend/equipment";
import { ccbackendPhotoRoutes, ccbackendReportRoutes } from "./compat/ccbackend/reports";
import { ccbackendSurface } from "./compat/ccbackend/surface";
import { ms5ChecklistRoutes } from "./compat/ms5/checklists";
import { ms5EquipmentRoutes } from "./compat/ms5/equipment";
import { ms5AndonRoutes, ms5DashboardRoutes, ms5DowntimeRoutes, ms5OeeRoutes } from "./compat/ms5/floor";
import { ms5ProductionRoutes } from "./compat/ms5/production";
import { ms5QualityRoutes } from "./compat/ms5/quality";
import { ms5ReportRoutes } from "./compat/ms5/reports";
import { ms5SocketRoutes } from "./compat/ms5/socket";
import { partsAuthRoutes } from "./compat/parts/auth";
import { onshapeAuthRoutes } from "./compat/parts/onshape";
import { partsCompatRootRoutes, partsCompatRoutes } from "./compat/parts/parts";
import { onshapeSurface, partsSurface } from "./compat/parts/surface";
import { rm365Routes } from "./compat/rm365";
import { rm365Unslip } from "./compat/rm365/slips";
import { getConfig } from "./lib/config";
import { BOOKMARK_HEADER } from "./lib/deps";
import { AppError, toAppError } from "./lib/errors";
import { guard, platformMiddleware } from "./lib/guard";
import { type CorsPolicy, corsPolicy } from "./lib/headers";
import { describeError, log } from "./lib/logging";
import { platform } from "./lib/platform";
import { errorResponse, SurfaceMap, v1Surface } from "./lib/surface";
import { andonRoutes } from "./modules/andon/routes";
import { apiKeyRoutes } from "./modules/api-keys/routes";
import { attendanceRoutes } from "./modules/attendance/routes";
import { authRoutes } from "./modules/auth/routes";
import { importRoutes } from "./modules/bridge/routes";
import { importFileRoutes } from "./modules/bridge/upload-routes";
import { dashboardRoutes } from "./modules/dashboard/routes";
import { docsRoutes } from "./modules/docs/routes";
import { enrollmentRoutes } from "./modules/enrollment/routes";
import { equipmentRoutes } from "./modules/equipment/routes";
import { healthRoutes } from "./modules/health/routes";
import { inventoryRoutes } from "./modules/inventory/routes";
import { socketIoRoutes } from "./modules/inventory/socketio";
import { issueReportRoutes } from "./modules/issue-reports/routes";
import { labelRoutes } from "./modules/labels/routes";
import { magentoRoutes } from "./modules/magento/routes";
import { countRoutes, downtimeRoutes, oeeRoutes } from "./modules/oee/routes";
import { partRoutes } from "./modules/parts/routes";
import { jobRoutes, productionRoutes, wsRoutes } from "./modules/production/routes";
import { reportRoutes } from "./modules/reports/routes";
import { roleRoutes } from "./modules/roles/routes";
import { salesdataRoutes } from "./modules/salesdata/routes";
import { userRoutes } from "./modules/users/routes";
import type { AppEnv } from "./types";

export interface CreateAppOptions {
  /** Mounts extra routes before the catch-alls; tests use it to probe the guard. */
  extend?: (app: OpenAPIHono<AppEnv>) => void;
}

/**
 * Builds the API: middleware (lib/platform.ts: request id, surface, deps, CORS, and after the
 * route the app-wide headers and the log line; then the 405 check and the guard), every
 * module and compat surface, and the JSON error/404 handlers. Production and tests share it.
 */
export function createApp(options: CreateAppOptions = {}): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  // Which error format answers under which path: the seeds' surfaces where they are mounted.
  const surfaces = new SurfaceMap(v1Surface).add("/api/v1", v1Surface).add("/api", ccbackendSurface).add("/api/parts", partsSurface);
  surfaces.add("/equipment", ccbackendSurface).add("/uploads", ccbackendSurface).add("/static/uploads", ccbackendSurface);
  surfaces.add("/api/auth/onshape", onshapeSurface).add("/api/parts/auth/onshape", onshapeSurface);

  const onError = (err: Error, c: Context<AppEnv>) => {
    const appError = toAppError(err);
    if (appError.status >= 500) {
      log("error", "unhandled error", { requestId: c.get("requestId"), path: c.req.path, ...describeError(err) });
    }
    return errorResponse(c, appError);
  };
  // One CORS policy per configuration (CORS_ORIGINS), built on first use.
  const corsFor = new WeakMap<object, CorsPolicy>();
  const corsOf = (c: Context<AppEnv>) => {
    const config = getConfig(c.env);
    let policy = corsFor.get(config);
    if (!policy) {
      const origins = config.corsOrigins;
      // Credentialed requests (RM365's uploads send credentials: 'include') need a named origin:
      // a configured list names it; `*` reflects the caller's only in development.
      const reflect = origins === "*" && config.ENVIRONMENT === "development";
      policy = corsPolicy({
        origin: origins === "*" ? (reflect ? (origin) => origin || "*" : "*") : (origin) => (origins.includes(origin) ? origin : null),
        credentials: origins !== "*" || reflect,
        // X-Timestamp, X-Request-ID and X-Client-Version: MS5's tablet client sends them on every request.
        allowHeaders: [
          "Authorization",
          "Content-Type",
          "X-API-Key",
          "X-Device-Token",
          "Idempotency-Key",
          "If-Match",
          "X-Request-Id",
          "X-Timestamp",
          "X-Client-Version",
          BOOKMARK_HEADER,
        ],
        exposeHeaders: ["X-Request-Id", "ETag", "Retry-After", "Idempotent-Replayed", "X-Total-Count", BOOKMARK_HEADER],
        maxAge: 600,
      });
      corsFor.set(config, policy);
    }
    return policy;
  };
  // Request id, surface, deps, CORS, then (after the route) the app-wide headers and the log line: lib/platform.ts.
  app.use(platform({ surfaces, cors: corsOf, onError }));
  app.use(
    platformMiddleware(
      methodNotAllowed({
        app,
        onMethodNotAllowed: (c, methods) =>
          errorResponse(c, new AppError("METHOD_NOT_ALLOWED", `Method ${c.req.method} is not allowed here`, { headers: { Allow: methods.join(", ") } })),
      }),
    ),
  );
  app.use(guard());

  app.route("/health", healthRoutes);
  app.route("/api/v1/imports", importRoutes);
  app.route("/api/v1/imports", importFileRoutes);
  // RM365's own paths first: on a path its backend served, its shape answers (src/compat/rm365).
  app.route("/api/v1", rm365Routes);
  app.route("/api/v1/auth", authRoutes);
  // MS5's shapes take precedence on the paths its backend served: mounted first, they answer
  // the method+path pairs they declare; the canonical routes answer the rest (CONTRIBUTING).
  app.route("/api/v1/production", ms5ProductionRoutes);
  app.route("/api/v1/andon", ms5AndonRoutes);
  app.route("/api/v1/downtime", ms5DowntimeRoutes);
  app.route("/api/v1/oee", ms5OeeRoutes);
  app.route("/api/v1/dashboard", ms5DashboardRoutes);
  app.route("/api/v1/websocket", ms5SocketRoutes);
  app.route("/api/v1/checklists", ms5ChecklistRoutes);
  app.route("/api/v1/quality", ms5QualityRoutes);
  app.route("/api/v1/users", userRoutes);
  app.route("/api/v1/roles", roleRoutes);
  app.route("/api/v1/api-keys", apiKeyRoutes);
  app.route("/api/v1/equipment", equipmentRoutes);
  // After the canonical equipment routes: their static paths win over MS5's `/{code}`.
  app.route("/api/v1/equipment", ms5EquipmentRoutes);
  app.route("/api/v1/issue-reports", issueReportRoutes);
  app.route("/api/v1/production", productionRoutes);
  app.route("/api/v1/jobs", jobRoutes);
  app.route("/api/v1/andon", andonRoutes);
  app.route("/api/v1/production", countRoutes);
  app.route("/api/v1/oee", oeeRoutes);
  app.route("/api/v1/downtime", downtimeRoutes);
  app.route("/api/v1/dashboard", dashboardRoutes);
  app.route("/", wsRoutes);
  app.route("/api/v1/inventory", inventoryRoutes);
  app.route("/", socketIoRoutes);
  app.route("/api/v1/magento", magentoRoutes);
  app.route("/api/v1/labels", labelRoutes);
  app.route("/api/v1/salesdata", salesdataRoutes);
  app.route("/api/v1/attendance", attendanceRoutes);
  app.route("/api/v1/enrollment", enrollmentRoutes);
  app.route("/api/v1/reports", reportRoutes);
  // After the canonical report routes: their static `/production…` paths win over MS5's `/{id}`.
  app.route("/api/v1/reports", ms5ReportRoutes);
  app.route("/api", ccbackendAuthRoutes);
  app.route("/api", ccbackendEquipmentRoutes);
  app.route("/api", ccbackendReportRoutes);
  app.route("/", ccbackendEquipmentRootRoutes);
  app.route("/", ccbackendPhotoRoutes);
  app.route("/api/parts", partsAuthRoutes);
  app.route("/api/v1/parts", partRoutes);
  app.route("/api/parts/", partsCompatRootRoutes);
  app.route("/api/parts", partsCompatRoutes);
  app.route("/api/auth/onshape", onshapeAuthRoutes);
  app.route("/api/parts/auth/onshape", onshapeAuthRoutes);
  app.route("/", docsRoutes(app));
  options.extend?.(app);

  app.notFound((c) => errorResponse(c, new AppError("NOT_FOUND", "Route not found", { reason: "route_not_found" })));
  app.onError(onError);
  // RM365's client URL slips are rewritten to their canonical path before routing (the guard,
  // the surface and the route that answers all see the canonical request): src/compat/rm365/slips.ts.
  const dispatch = app.fetch;
  app.fetch = (request, ...rest) => dispatch(rm365Unslip(request), ...rest);
  return app;
}
