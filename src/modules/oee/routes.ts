import { createRouter, defineRoute, json, principalOf } from "../../lib/route";
import { Counts, CreateCounts, CreateDowntime, DailyQuery, DailySummary, Downtime, EndDowntime, IdParam, OeeResult } from "./schemas";
import { currentOee, dailySummary, endDowntime, recordCounts, recordDowntime } from "./service";

const TAGS = ["oee"];

/** `/api/v1/oee`: MS5's OEE routes. */
export const oeeRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/lines/{id}/current",
      access: "oee:read",
      pureRead: true,
      summary: "A line's OEE today (UTC) so far, from its counts and downtime",
      tags: TAGS,
      request: { params: IdParam },
      errors: { 404: "No such line" },
      responses: { 200: json(OeeResult, "The OEE and every input") },
    }),
    async (c) => c.json(await currentOee(c.get("deps"), c.req.valid("param").id), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/lines/{id}/daily-summary",
      access: "oee:read",
      pureRead: true,
      summary: "One UTC day: its OEE from its totals, and MS5's averaged figure beside it",
      tags: TAGS,
      request: { params: IdParam, query: DailyQuery },
      errors: { 404: "No such line" },
      responses: { 200: json(DailySummary, "The day") },
    }),
    async (c) => c.json(await dailySummary(c.get("deps"), c.req.valid("param").id, c.req.valid("query").date), 200),
  );

/** `/api/v1/downtime`: stops, planned and unplanned. */
export const downtimeRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "post",
      path: "/events",
      access: "downtime:write",
      summary: "Record a stop (no end_time: still running); pushes downtime_event and oee_update",
      tags: ["downtime"],
      request: { body: { content: { "application/json": { schema: CreateDowntime } } } },
      responses: { 201: json(Downtime, "The stop") },
    }),
    async (c) => c.json(await recordDowntime(c.get("deps"), c.req.valid("json"), principalOf(c)), 201),
  )
  .openapi(
    defineRoute({
      method: "put",
      path: "/events/{id}/end",
      access: "downtime:write",
      summary: "End a running stop (default: now); pushes downtime_event and oee_update",
      tags: ["downtime"],
      request: { params: IdParam, body: { content: { "application/json": { schema: EndDowntime } } } },
      errors: { 404: "No such stop", 409: "Already ended" },
      responses: { 200: json(Downtime, "The stop") },
    }),
    async (c) => c.json(await endDowntime(c.get("deps"), c.req.valid("param").id, c.req.valid("json").end_time), 200),
  );

/** `/api/v1/production/counts`: parts made per period. */
export const countRoutes = createRouter().openapi(
  defineRoute({
    method: "post",
    path: "/counts",
    access: "production:count",
    summary: "Record parts made (total, good) over a period; pushes oee_update",
    tags: ["production"],
    request: { body: { content: { "application/json": { schema: CreateCounts } } } },
    responses: { 201: json(Counts, "The count") },
  }),
  async (c) => c.json(await recordCounts(c.get("deps"), c.req.valid("json"), principalOf(c)), 201),
);
