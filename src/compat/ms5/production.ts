/**
 * MS5's production routes where its shape differs from the canonical one: the line and schedule
 * lists as bare arrays, deleting a schedule, and `/production/job-assignments…` (MS5's job
 * router, mounted there) on the jobs service. Everything else under `/production` is canonical
 * and already what MS5's client reads.
 */
import { z } from "zod";
import { expectedVersion } from "../../lib/etag";
import { Code, LongText } from "../../lib/fields";
import { createRouter, defineRoute, json, principalOf } from "../../lib/route";
import { CreateJob, IdParam, JOB_STATUSES, Job, LINE_STATUSES, Line, SCHEDULE_STATUSES, Schedule } from "../../modules/production/schemas";
import { assignJob, deleteSchedule, getJob, listJobs, listLines, listSchedules, transitionJob, updateJobNotes } from "../../modules/production/service";
import { bare, jsonBody, Ms5Paging, pageParams, QueryBool, TAGS } from "./shared";

const LinesQuery = Ms5Paging.extend({
  status: z.enum(LINE_STATUSES).optional(),
  enabled: QueryBool.optional(),
  /** MS5's backend: only enabled lines unless `enabled_only=false` (its default was true). */
  enabled_only: QueryBool.optional(),
});
const SchedulesQuery = Ms5Paging.extend({ line_id: Code.optional(), status: z.enum(SCHEDULE_STATUSES).optional() });
const JobsQuery = Ms5Paging.extend({ line_id: Code.optional(), status: z.enum(JOB_STATUSES).optional(), user_id: Code.optional() });
const UpdateJob = z.object({ notes: LongText.nullable() }).strict();

const jobAction = (name: "accept" | "start" | "complete" | "cancel", access: "job:accept" | "job:complete" | "job:assign", summary: string) =>
  defineRoute({
    method: "post",
    path: `/job-assignments/{id}/${name}`,
    access,
    summary: `MS5: ${summary}`,
    tags: TAGS,
    request: { params: IdParam },
    errors: { 404: "No such job", 409: "The job's status does not allow this action (details.allowed_actions)" },
    responses: { 200: json(Job, "The job after the action") },
  });

/** Mounted at `/api/v1/production`, before the canonical production routes. */
export const ms5ProductionRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/lines",
      access: "line:read",
      pureRead: true,
      summary: "MS5: production lines, a bare array (X-Total-Count)",
      tags: TAGS,
      request: { query: LinesQuery },
      responses: { 200: json(z.array(Line), "The lines") },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const enabled = q.enabled ?? q.enabled_only;
      const page = await listLines(c.get("deps"), {
        ...pageParams(q),
        status: q.status,
        enabled: enabled === undefined ? undefined : enabled ? "true" : "false",
      });
      return c.json(bare(c, page), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/schedules",
      access: "schedule:read",
      summary: "MS5: production schedules, soonest first, a bare array (X-Total-Count)",
      tags: TAGS,
      request: { query: SchedulesQuery },
      responses: { 200: json(z.array(Schedule), "The schedules") },
    }),
    async (c) => {
      const q = c.req.valid("query");
      return c.json(bare(c, await listSchedules(c.get("deps"), { ...pageParams(q), line_id: q.line_id, status: q.status })), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "delete",
      path: "/schedules/{id}",
      access: "schedule:write",
      summary: "MS5: delete a schedule no job was assigned from (204)",
      tags: TAGS,
      request: { params: IdParam },
      errors: { 404: "No such schedule", 409: "Jobs were assigned from it: cancel it instead" },
      responses: { 204: { description: "Deleted" } },
    }),
    async (c) => {
      await deleteSchedule(c.get("deps"), c.req.valid("param").id);
      return c.body(null, 204);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/job-assignments",
      access: "job:read",
      summary: "MS5: job assignments (everyone's for those who assign jobs, else the caller's), a bare array",
      tags: TAGS,
      request: { query: JobsQuery },
      responses: { 200: json(z.array(Job), "The jobs, newest first") },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const page = await listJobs(c.get("deps"), { ...pageParams(q), line_id: q.line_id, status: q.status, user_id: q.user_id }, principalOf(c));
      return c.json(bare(c, page), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/job-assignments",
      access: "job:assign",
      summary: "MS5: assign a scheduled job to a user; pushes job_update",
      tags: TAGS,
      request: jsonBody(CreateJob),
      responses: { 201: json(Job, "The new job") },
    }),
    async (c) => c.json(await assignJob(c.get("deps"), c.req.valid("json")), 201),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/job-assignments/{id}",
      access: "job:read",
      summary: "MS5: one job assignment (the assignee's, or any for those who assign jobs)",
      tags: TAGS,
      request: { params: IdParam },
      errors: { 404: "No such job" },
      responses: { 200: json(Job, "The job") },
    }),
    async (c) => c.json(await getJob(c.get("deps"), c.req.valid("param").id, principalOf(c)), 200),
  )
  .openapi(
    defineRoute({
      method: "put",
      path: "/job-assignments/{id}",
      access: "job:read",
      summary: "MS5: change a job's notes (its assignee, or those who assign jobs); If-Match optional",
      tags: TAGS,
      request: { params: IdParam, ...jsonBody(UpdateJob) },
      errors: { 404: "No such job", 409: "Stale If-Match" },
      responses: { 200: json(Job, "The job") },
    }),
    async (c) => {
      const input = { id: c.req.valid("param").id, notes: c.req.valid("json").notes, expectedVersion: expectedVersion(c.req.header("if-match")) };
      return c.json(await updateJobNotes(c.get("deps"), input, principalOf(c)), 200);
    },
  );

for (const [name, access, summary] of [
  ["accept", "job:accept", "accept an assigned job"],
  ["start", "job:accept", "start (or resume) an accepted or paused job"],
  ["complete", "job:complete", "complete a job in progress"],
  ["cancel", "job:assign", "cancel an open job (those who assign jobs)"],
] as const) {
  ms5ProductionRoutes.openapi(jobAction(name, access, `${summary}; pushes job_update`), async (c) => {
    const { id } = c.req.valid("param");
    return c.json(await transitionJob(c.get("deps"), { id, action: name, expectedVersion: expectedVersion(c.req.header("if-match")) }, principalOf(c)), 200);
  });
}
