import { createRouter, defineRoute, json, principalOf } from "../../lib/route";
import { AndonEvent, AndonEventDetail, IdParam, ResolveBody, ResolveQuery } from "./schemas";
import { acknowledgeAndon, getAndon, resolveAndon } from "./service";

const TAGS = ["andon"];

/** `/api/v1/andon`: MS5's andon calls with alarm-driven escalation. */
export const andonRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/events/{id}",
      access: "andon:read",
      pureRead: true,
      summary: "One andon with its escalations",
      tags: TAGS,
      request: { params: IdParam },
      errors: { 404: "No such andon" },
      responses: { 200: json(AndonEventDetail, "The andon") },
    }),
    async (c) => c.json(await getAndon(c.get("deps"), c.req.valid("param").id), 200),
  )
  .openapi(
    defineRoute({
      method: "put",
      path: "/events/{id}/acknowledge",
      access: "andon:acknowledge",
      summary: "Acknowledge an andon (stops its acknowledge clock); pushes andon_event",
      tags: TAGS,
      request: { params: IdParam },
      errors: { 404: "No such andon", 409: "Already acknowledged or resolved" },
      responses: { 200: json(AndonEvent, "The andon") },
    }),
    async (c) => c.json(await acknowledgeAndon(c.get("deps"), c.req.valid("param").id, principalOf(c)), 200),
  )
  .openapi(
    defineRoute({
      method: "put",
      path: "/events/{id}/resolve",
      access: "andon:resolve",
      summary: "Resolve an andon (resolution_notes in the JSON body or, as MS5 sent it, the query); pushes andon_event",
      tags: TAGS,
      request: {
        params: IdParam,
        query: ResolveQuery,
        body: { required: false, content: { "application/json": { schema: ResolveBody } } },
      },
      errors: { 404: "No such andon", 409: "Already resolved" },
      responses: { 200: json(AndonEvent, "The andon") },
    }),
    async (c) => {
      const notes = c.req.valid("json")?.resolution_notes ?? c.req.valid("query").resolution_notes ?? null;
      return c.json(await resolveAndon(c.get("deps"), c.req.valid("param").id, notes, principalOf(c)), 200);
    },
  );
