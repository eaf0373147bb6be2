/** Part Management's auth check (seed 002): API key by `X-API-Key` or `?api_key=`. */
import { z } from "zod";
import { createRouter, json, routeDefiner } from "../../lib/route";
import { partsSurface } from "./surface";

const defineRoute = routeDefiner(partsSurface);

const AuthCheck = z.object({ status: z.literal("authenticated"), message: z.string(), timestamp: z.string() });

export const partsAuthRoutes = createRouter().openapi(
  defineRoute({
    method: "get",
    path: "/auth/check",
    access: "authenticated",
    pureRead: true,
    summary: "Is the caller's API key (or token) valid",
    tags: ["parts"],
    responses: { 200: json(AuthCheck, "The key is valid") },
  }),
  (c) => c.json({ status: "authenticated" as const, message: "API key is valid", timestamp: new Date().toISOString() }, 200),
);
