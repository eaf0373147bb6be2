import { z } from "zod";
import { createRouter, defineRoute, json, principalOf } from "../../lib/route";
import { ImportJob, ImportJobList, ImportListQuery, ImportParams, ImportVerification, StartImport } from "./schemas";
import { getImport, listImports, startImport, verifyImport, watchImport } from "./service";

const TAGS = ["imports"];
/** Imports write users with their password hashes and every domain's rows: administrators only. */
const ACCESS = "legacy:import";

/** `/api/v1/imports`: the legacy bridge (issue 19). */
export const importRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "post",
      path: "/",
      access: ACCESS,
      userLimit: "imports",
      summary: "Start importing a legacy system (MS5, RM365, …): 202 with the job; one import per source at a time",
      tags: TAGS,
      request: { body: { content: { "application/json": { schema: StartImport } } } },
      errors: {
        409: "An import of that source is queued or running, or its file was given to another import",
        422: "file_key missing, unknown or deleted (file sources), or given to a database source",
        503: "The import could not be queued",
      },
      responses: { 202: json(ImportJob, "The queued import") },
    }),
    async (c) => c.json(await startImport(c.get("deps"), c.req.valid("json"), principalOf(c)), 202),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/",
      access: ACCESS,
      summary: "Imports, newest first",
      tags: TAGS,
      request: { query: ImportListQuery },
      responses: { 200: json(ImportJobList, "Imports") },
    }),
    async (c) => c.json(await listImports(c.get("deps"), c.req.valid("query")), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/{id}",
      access: ACCESS,
      summary: "One import: state, rows read/written/updated/skipped/failed per table, the first 100 failures",
      tags: TAGS,
      request: { params: ImportParams },
      errors: { 404: "No such import" },
      responses: { 200: json(ImportJob, "The import") },
    }),
    async (c) => c.json(await getImport(c.get("deps"), c.req.valid("param").id), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/{id}/events",
      access: ACCESS,
      userLimit: "imports",
      summary: "An import's progress as Server-Sent Events (`progress` while it runs, then `completed` or `failed`)",
      tags: TAGS,
      request: { params: ImportParams },
      errors: { 404: "No such import" },
      responses: { 200: { description: "text/event-stream of ImportJob", content: { "text/event-stream": { schema: z.string() } } } },
    }),
    async (c) => {
      const events = watchImport(c.get("deps"), c.req.valid("param").id);
      const first = await events.next(); // 404 before the stream starts
      const encoder = new TextEncoder();
      const frame = (job: { state: string }) =>
        encoder.encode(`event: ${job.state === "completed" || job.state === "failed" ? job.state : "progress"}\ndata: ${JSON.stringify(job)}\n\n`);
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          if (!first.done) controller.enqueue(frame(first.value));
        },
        async pull(controller) {
          const next = await events.next();
          if (next.done) controller.close();
          else controller.enqueue(frame(next.value));
        },
        async cancel() {
          await events.return(undefined);
        },
      });
      return c.body(body, 200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no" });
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/{id}/verify",
      access: ACCESS,
      userLimit: "imports",
      summary: "A completed import's source compared with D1 as the run ended: row counts and a checksum of key columns per table",
      tags: TAGS,
      request: { params: ImportParams },
      errors: { 404: "No such import", 409: "The import has not completed" },
      responses: { 200: json(ImportVerification, "Per table: counts, checksums, match") },
    }),
    async (c) => c.json(await verifyImport(c.get("deps"), c.req.valid("param").id), 200),
  );
