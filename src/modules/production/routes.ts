import { z } from "zod";
import { expectedVersion, setETag } from "../../lib/etag";
import { PageQuery } from "../../lib/pagination";
import { connectToRoom } from "../../lib/rooms";
import { createRouter, defineRoute, json, principalOf } from "../../lib/route";
import { FLOOR_ROOM } from "../../rooms/line-protocol";
import {
  CreateJob,
  CreateLine,
  CreateProduct,
  CreateSchedule,
  IdParam,
  Job,
  type JobAction,
  JobList,
  Line,
  MyJobsQuery,
  Product,
  ProductList,
  Schedule,
  UpdateLine,
  UpdateProduct,
  UpdateSchedule,
} from "./schemas";
import {
  assignJob,
  createLine,
  createProduct,
  createSchedule,
  deleteLine,
  getJob,
  getLine,
  getProduct,
  getSchedule,
  lineExists,
  listProducts,
  myJobs,
  transitionJob,
  updateLine,
  updateProduct,
  updateSchedule,
} from "./service";

const TAGS = ["production"];
const IfMatchHeader = z.object({ "if-match": z.string().max(64).optional() });

/** `/api/v1/production`: lines, products, schedules (MS5's paths). */
export const productionRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "post",
      path: "/lines",
      access: "line:write",
      summary: "Create a production line",
      tags: TAGS,
      request: { body: { content: { "application/json": { schema: CreateLine } } } },
      errors: { 409: "A line with that code exists" },
      responses: { 201: json(Line, "The new line") },
    }),
    async (c) => {
      const line = await createLine(c.get("deps"), c.req.valid("json"));
      setETag(c, line.version);
      return c.json(line, 201);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/lines/{id}",
      access: "line:read",
      pureRead: true,
      summary: "Get a production line",
      tags: TAGS,
      request: { params: IdParam },
      errors: { 404: "No such line" },
      responses: { 200: json(Line, "The line") },
    }),
    async (c) => {
      const line = await getLine(c.get("deps"), c.req.valid("param").id);
      setETag(c, line.version);
      return c.json(line, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "put",
      path: "/lines/{id}",
      access: "line:write",
      summary: "Update a production line (If-Match: its version); pushes line_status_update",
      tags: TAGS,
      request: { params: IdParam, headers: IfMatchHeader, body: { content: { "application/json": { schema: UpdateLine } } } },
      errors: { 404: "No such line", 409: "Stale version" },
      responses: { 200: json(Line, "The updated line") },
    }),
    async (c) => {
      const line = await updateLine(c.get("deps"), c.req.valid("param").id, c.req.valid("json"), expectedVersion(c.req.header("if-match")));
      setETag(c, line.version);
      return c.json(line, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "delete",
      path: "/lines/{id}",
      access: "line:write",
      summary: "Delete a production line that has no schedules",
      tags: TAGS,
      request: { params: IdParam },
      errors: { 404: "No such line", 409: "The line has schedules" },
      responses: { 200: json(z.object({ id: z.string(), deleted: z.literal(true) }), "Deleted") },
    }),
    async (c) => c.json(await deleteLine(c.get("deps"), c.req.valid("param").id), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/products",
      access: "production:read",
      pureRead: true,
      summary: "List products",
      tags: TAGS,
      request: { query: PageQuery },
      responses: { 200: json(ProductList, "A page of products") },
    }),
    async (c) => c.json(await listProducts(c.get("deps"), c.req.valid("query")), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/products",
      access: "production:write",
      summary: "Create a product",
      tags: TAGS,
      request: { body: { content: { "application/json": { schema: CreateProduct } } } },
      errors: { 409: "A product with that code exists" },
      responses: { 201: json(Product, "The new product") },
    }),
    async (c) => c.json(await createProduct(c.get("deps"), c.req.valid("json")), 201),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/products/{id}",
      access: "production:read",
      pureRead: true,
      summary: "Get a product",
      tags: TAGS,
      request: { params: IdParam },
      errors: { 404: "No such product" },
      responses: { 200: json(Product, "The product") },
    }),
    async (c) => c.json(await getProduct(c.get("deps"), c.req.valid("param").id), 200),
  )
  .openapi(
    defineRoute({
      method: "put",
      path: "/products/{id}",
      access: "production:write",
      summary: "Update a product",
      tags: TAGS,
      request: { params: IdParam, body: { content: { "application/json": { schema: UpdateProduct } } } },
      errors: { 404: "No such product" },
      responses: { 200: json(Product, "The product") },
    }),
    async (c) => c.json(await updateProduct(c.get("deps"), c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/schedules/{id}",
      access: "schedule:read",
      pureRead: true,
      summary: "Get a production schedule",
      tags: TAGS,
      request: { params: IdParam },
      errors: { 404: "No such schedule" },
      responses: { 200: json(Schedule, "The schedule") },
    }),
    async (c) => c.json(await getSchedule(c.get("deps"), c.req.valid("param").id), 200),
  )
  .openapi(
    defineRoute({
      method: "put",
      path: "/schedules/{id}",
      access: "schedule:write",
      summary: "Update a production schedule (times, quantity, status, notes)",
      tags: TAGS,
      request: { params: IdParam, body: { content: { "application/json": { schema: UpdateSchedule } } } },
      errors: { 404: "No such schedule", 409: "Changed concurrently" },
      responses: { 200: json(Schedule, "The schedule") },
    }),
    async (c) => c.json(await updateSchedule(c.get("deps"), c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/schedules",
      access: "schedule:write",
      summary: "Schedule a product on a line",
      tags: TAGS,
      request: { body: { content: { "application/json": { schema: CreateSchedule } } } },
      responses: { 201: json(Schedule, "The new schedule") },
    }),
    async (c) => c.json(await createSchedule(c.get("deps"), c.req.valid("json"), principalOf(c)), 201),
  );

const action = (name: JobAction, access: "job:accept" | "job:complete" | "job:assign", summary: string) =>
  defineRoute({
    method: "post",
    path: `/{id}/${name}`,
    access,
    summary,
    tags: ["jobs"],
    request: { params: IdParam, headers: IfMatchHeader },
    errors: { 404: "No such job", 409: "The job's status does not allow this action (details.allowed_actions)" },
    responses: { 200: json(Job, "The job after the action") },
  });

/** `/api/v1/jobs`: job assignments as a state machine. */
export const jobRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "post",
      path: "/",
      access: "job:assign",
      summary: "Assign a scheduled job to a user; pushes job_update",
      tags: ["jobs"],
      request: { body: { content: { "application/json": { schema: CreateJob } } } },
      responses: { 201: json(Job, "The new job") },
    }),
    async (c) => c.json(await assignJob(c.get("deps"), c.req.valid("json")), 201),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/my-jobs",
      access: "job:read",
      pureRead: true,
      summary: "The caller's job assignments, newest first",
      tags: ["jobs"],
      request: { query: MyJobsQuery },
      responses: { 200: json(JobList, "A page of jobs") },
    }),
    async (c) => c.json(await myJobs(c.get("deps"), c.req.valid("query"), principalOf(c)), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/{id}",
      access: "job:read",
      pureRead: true,
      summary: "One job assignment (the assignee's, or any for those who assign jobs)",
      tags: ["jobs"],
      request: { params: IdParam },
      errors: { 404: "No such job" },
      responses: { 200: json(Job, "The job") },
    }),
    async (c) => c.json(await getJob(c.get("deps"), c.req.valid("param").id, principalOf(c)), 200),
  );

for (const [name, access, summary] of [
  ["accept", "job:accept", "Accept an assigned job"],
  ["start", "job:accept", "Start (or resume) an accepted or paused job"],
  ["pause", "job:accept", "Pause a job in progress"],
  ["complete", "job:complete", "Complete a job in progress"],
  ["cancel", "job:assign", "Cancel an open job (those who assign jobs)"],
] as const) {
  jobRoutes.openapi(action(name, access, `${summary}; pushes job_update`), async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await transitionJob(c.get("deps"), { id, action: name, expectedVersion: expectedVersion(c.req.header("if-match")) }, principalOf(c)), 200);
  });
}

/**
 * MS5's live feed: `WS /ws/?token=` joins the floor room (every line's events; subscribe to a
 * line by id), `WS /ws/?token=&line_id=<id>` or `WS /ws/lines/<id>?token=` one line's room.
 */
const WsQuery = z.object({
  token: z.string().max(4096).optional().meta({ description: "The access token (browsers cannot send headers on a WebSocket)" }),
  line_id: z.string().max(128).optional().meta({ description: "Join this line's room instead of the floor room" }),
  compression: z.string().max(64).optional().meta({ description: "Sent by MS5's tablet client (`permessage-deflate`); ignored" }),
});
const UNKNOWN_LINE = "Unknown production line";
const upgraded = { 101: { description: "Switching Protocols: the socket (closed at once with 1008 when the token or permission is refused)" } };

const floorSocket = (path: "/ws/" | "/ws") =>
  defineRoute({
    method: "get",
    path,
    // "/ws/" and "/ws" would both be named getWs.
    operationId: path === "/ws" ? "getWsWithoutSlash" : "getWs",
    access: "line:read",
    upgrade: true,
    summary: `MS5 live events over WebSocket (?token=; optional line_id)${path === "/ws" ? " — same as /ws/" : ""}; see the README's protocol`,
    tags: TAGS,
    request: { query: WsQuery },
    errors: { 426: "Not a WebSocket upgrade" },
    responses: upgraded,
  });

/** The WebSocket upgrades, mounted at the root: `/ws/`, `/ws` and `/ws/lines/{id}` (see the README's protocol). */
export const wsRoutes = createRouter();
for (const path of ["/ws/", "/ws"] as const) {
  wsRoutes.openapi(floorSocket(path), async (c) => {
    const lineId = c.req.valid("query").line_id;
    if (!lineId) return connectToRoom(c, c.get("deps").rooms.line, FLOOR_ROOM);
    return connectToRoom(c, c.get("deps").rooms.line, lineId, { exists: () => lineExists(c.get("deps"), lineId), unknown: UNKNOWN_LINE });
  });
}
wsRoutes.openapi(
  defineRoute({
    method: "get",
    path: "/ws/lines/{id}",
    access: "line:read",
    upgrade: true,
    summary: "One line's live events over WebSocket (?token=)",
    tags: TAGS,
    request: { params: IdParam, query: WsQuery.pick({ token: true }) },
    errors: { 426: "Not a WebSocket upgrade" },
    responses: upgraded,
  }),
  async (c) => {
    // No room is made for a line that does not exist (a caller cannot mint Durable Objects);
    // that is asked only once the token and permission are checked (no existence oracle).
    const { id } = c.req.valid("param");
    return connectToRoom(c, c.get("deps").rooms.line, id, { exists: () => lineExists(c.get("deps"), id), unknown: UNKNOWN_LINE });
  },
);
