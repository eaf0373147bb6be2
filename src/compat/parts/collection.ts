/**
 * Part Management / Aerie's collection routes under `/api/parts` (seeds 001/002): list and create
 * at `/api/parts/`, statistics, the leaderboard and per-category lists.
 */
import { z } from "zod";
import { createRouter, json, principalOf, routeDefiner } from "../../lib/route";
import { createPart, leaderboard, partStats } from "../../modules/parts/service";
import { CategoryParam, CompatCreate, CompatList, CompatPart, generatedPartId, ListOnly, ListQuery, list, TAGS, toCompatPart, toInput } from "./shapes";
import { partsSurface } from "./surface";

const defineRoute = routeDefiner(partsSurface);

/**
 * The seed's collection routes live at `/api/parts/` (with the slash, as Flask served them):
 * mount this router at `/api/parts/`.
 */
export const partsCompatRootRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/",
      access: "parts:read",
      summary: "List parts (seed shape)",
      tags: TAGS,
      request: { query: ListQuery },
      responses: { 200: json(CompatList, "Parts") },
    }),
    async (c) => c.json(await list(c.var.deps, c.req.valid("query")), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/",
      access: "parts:write",
      summary: "Create a part (camelCase or snake_case); without partId one is generated (8 hex digits), as Aerie does",
      tags: TAGS,
      request: { body: { content: { "application/json": { schema: CompatCreate } } } },
      responses: { 201: json(CompatPart, "The new part") },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const input = {
        ...toInput(body),
        type: body.type,
        name: body.name,
        part_id: body.partId ?? generatedPartId(),
        material: body.material,
        subsystem: body.subsystem,
      };
      return c.json(toCompatPart(await createPart(c.var.deps, input, principalOf(c))), 201);
    },
  );

/** The collection reads under `/api/parts` (mount before the `/{id}` routes). */
export const partsCollectionRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/stats",
      access: "parts:read",
      summary: "Statistics (seed shape)",
      tags: TAGS,
      responses: { 200: json(z.record(z.string(), z.unknown()), "Stats") },
    }),
    async (c) => c.json(await partStats(c.var.deps), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/leaderboard",
      access: "parts:read",
      summary: "Aerie's leaderboard",
      tags: TAGS,
      responses: { 200: json(z.object({ leaderboard: z.array(z.object({ name: z.string(), score: z.number() })) }), "Leaderboard") },
    }),
    async (c) => c.json(await leaderboard(c.var.deps), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/categories/{category}",
      access: "parts:read",
      summary: "Parts of one category (seed shape)",
      tags: TAGS,
      request: { params: CategoryParam, query: ListOnly },
      responses: { 200: json(CompatList, "Parts") },
    }),
    async (c) => c.json(await list(c.var.deps, c.req.valid("query"), c.req.valid("param").category), 200),
  );
