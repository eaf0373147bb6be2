import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { buildOpenApi } from "../../lib/openapi";
import { createRouter, defineRoute } from "../../lib/route";
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

const TAGS = ["docs"];

/** `/openapi.json` and `/api/docs`. `app` is the whole application, whose routes are documented. */
export function docsRoutes(app: OpenAPIHono<AppEnv>) {
  return createRouter()
    .openapi(
      defineRoute({
        method: "get",
        path: "/openapi.json",
        access: "public",
        summary: "OpenAPI 3.1 document of every route",
        tags: TAGS,
        responses: { 200: { description: "OpenAPI document", content: { "application/json": { schema: z.record(z.string(), z.unknown()) } } } },
      }),
      (c) => c.json(buildOpenApi(app) as unknown as Record<string, unknown>, 200),
    )
    .openapi(
      defineRoute({
        method: "get",
        path: "/api/docs",
        access: "public",
        summary: "Interactive API reference",
        tags: TAGS,
        responses: { 200: { description: "HTML page", content: { "text/html": { schema: z.string() } } } },
      }),
      (c) => {
        c.header("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'");
        return c.html(DOCS_HTML);
      },
    );
}
