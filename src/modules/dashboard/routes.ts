import { createRouter, defineRoute, json } from "../../lib/route";
import { DashboardLines, IdParam, LineOee, LineStatus, Summary } from "./schemas";
import { dashboardLineOee, dashboardLineStatus, dashboardLines, dashboardSummary } from "./service";

const TAGS = ["dashboard"];

/** `/api/v1/dashboard`: MS5's floor overview, from the rooms' live state where it is fresher. */
export const dashboardRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/lines",
      access: "dashboard:read",
      pureRead: true,
      summary: "Every enabled line with its live state (open andons, active jobs, running stops, last OEE)",
      tags: TAGS,
      responses: { 200: json(DashboardLines, "The lines") },
    }),
    async (c) => c.json(await dashboardLines(c.get("deps")), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/summary",
      access: "dashboard:read",
      pureRead: true,
      summary: "Floor totals: lines by status, open andons by priority, active jobs, running stops",
      tags: TAGS,
      responses: { 200: json(Summary, "The totals") },
    }),
    async (c) => c.json(await dashboardSummary(c.get("deps")), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/lines/{id}/status",
      access: "dashboard:read",
      pureRead: true,
      summary: "One line and its room's live state",
      tags: TAGS,
      request: { params: IdParam },
      errors: { 404: "No such line" },
      responses: { 200: json(LineStatus, "The line") },
    }),
    async (c) => c.json(await dashboardLineStatus(c.get("deps"), c.req.valid("param").id), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/lines/{id}/oee",
      access: "dashboard:read",
      pureRead: true,
      summary: "A line's OEE today so far, and the last figure its room pushed",
      tags: TAGS,
      request: { params: IdParam },
      errors: { 404: "No such line" },
      responses: { 200: json(LineOee, "The OEE") },
    }),
    async (c) => c.json(await dashboardLineOee(c.get("deps"), c.req.valid("param").id), 200),
  );
