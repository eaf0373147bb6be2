import { Hono } from "hono";
import { buildOpenApi } from "../../lib/openapi";
import { route } from "../../lib/route";
import type { AppEnv } from "../../types";

/** Swagger UI, served from the worker's static assets (copied from swagger-ui-dist). */
const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Floorline API reference</title>
  <link rel="stylesheet" href="/docs-assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs-assets/swagger-ui-bundle.js"></script>
  <script src="/docs-assets/init.js"></script>
</body>
</html>`;

/** `/openapi.json` and `/api/docs`. `app` is the whole application, whose routes are documented. */
export function docsRoutes(app: Hono<AppEnv>) {
  return new Hono<AppEnv>()
    .get(
      "/openapi.json",
      route({ access: "public", summary: "OpenAPI 3.1 document of every route", tags: ["docs"], responses: { 200: { description: "OpenAPI document", contentType: "application/json" } } }),
      (c) => c.json(buildOpenApi(app)),
    )
    .get(
      "/api/docs",
      route({ access: "public", summary: "Interactive API reference", tags: ["docs"], responses: { 200: { description: "HTML page", contentType: "text/html" } } }),
      (c) => {
        c.header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'");
        return c.html(DOCS_HTML);
      },
    );
}
