/**
 * Part Management / Aerie's collection routes under `/api/parts` (seeds 001/002): list and create
 * at `/api/parts/`, statistics, the leaderboard and per-category lists.
 */
import { z } from "zod";
import { createRouter, json, principalOf, routeDefiner } from "../../lib/route";
import { createPart, leaderboard, partStats } from "../../modules/parts/service";
import { detailedStats, wipeParts } from "../../modules/parts/wipe";
import { CategoryParam, CompatCreate, CompatList, CompatPart, generatedPartId, ListOnly, ListQuery, list, TAGS, toCompatPart, toInput } from "./shapes";
import { partsSurface } from "./surface";

const defineRoute = routeDefiner(partsSurface);

const DetailedStats = z
  .object({
    total_parts: z.number().int(),
    completed_parts: z.number().int(),
    in_progress_parts: z.number().int(),
    average_completion_time: z.number().nullable().describe("Hours from claim to completion"),
    completion_time_distribution: z.record(z.string(), z.number().int()),
    by_type: z.object({ cnc: z.number().int(), hand: z.number().int(), misc: z.number().int() }),
    by_category: z.record(z.string(), z.number().int()),
    top_contributors: z.array(z.object({ name: z.string(), count: z.number().int() })),
  })
  .meta({ id: "CompatDetailedStats" });
/** Aerie's wipe modal sends the password it asked for; a missing one is the seed's 403. */
const WipeBody = z
  .object({
    password: z
      .unknown()
      .optional()
      .transform((v) => (typeof v === "string" && v.length <= 512 ? v : "")),
  })
  .loose();

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
      pureRead: true,
      summary: "List parts (seed shape)",
      tags: TAGS,
      request: { query: ListQuery },
      responses: { 200: json(CompatList, "Parts") },
    }),
    async (c) => c.json(await list(c.get("deps"), c.req.valid("query")), 200),
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
      return c.json(toCompatPart(await createPart(c.get("deps"), input, principalOf(c))), 201);
    },
  );

/** The collection reads under `/api/parts` (mount before the `/{id}` routes). */
export const partsCollectionRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/stats",
      access: "parts:read",
      pureRead: true,
      summary: "Statistics (seed shape)",
      tags: TAGS,
      responses: { 200: json(z.record(z.string(), z.unknown()), "Stats") },
    }),
    async (c) => c.json(await partStats(c.get("deps")), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/stats/detailed",
      access: "parts:read",
      pureRead: true,
      summary: "Aerie's statistics panel: units by type and category, completion times, top contributors",
      tags: TAGS,
      responses: { 200: json(DetailedStats, "Detailed statistics") },
    }),
    async (c) => c.json(await detailedStats(c.get("deps")), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/wipe",
      access: "parts:delete",
      summary:
        "Aerie's wipe: deletes every part and its files. Needs parts:delete and the caller's own credential again in `password` (the API key it calls with, or the user's password)",
      tags: TAGS,
      request: { body: { content: { "application/json": { schema: WipeBody } } } },
      errors: { 403: "Incorrect password" },
      responses: { 200: json(z.object({ message: z.string(), count: z.number().int() }), "Wiped") },
    }),
    async (c) => c.json(await wipeParts(c.get("deps"), c.req.valid("json").password, principalOf(c)), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/leaderboard",
      access: "parts:read",
      pureRead: true,
      summary: "Aerie's leaderboard",
      tags: TAGS,
      responses: { 200: json(z.object({ leaderboard: z.array(z.object({ name: z.string(), score: z.number() })) }), "Leaderboard") },
    }),
    async (c) => c.json(await leaderboard(c.get("deps")), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/categories/{category}",
      access: "parts:read",
      pureRead: true,
      summary: "Parts of one category (seed shape)",
      tags: TAGS,
      request: { params: CategoryParam, query: ListOnly },
      responses: { 200: json(CompatList, "Parts") },
    }),
    async (c) => c.json(await list(c.get("deps"), c.req.valid("query"), c.req.valid("param").category), 200),
  );
