/** Part Management's auth check (seed 002): API key by `X-API-Key` or `?api_key=`. */
import { Hono } from "hono";
import { z } from "zod";
import { route } from "../../lib/route";
import type { AppEnv } from "../../types";

export const partsAuthRoutes = new Hono<AppEnv>().get(
  "/auth/check",
  route({
    access: "authenticated",
    summary: "Is the caller's API key (or token) valid",
    tags: ["parts"],
    responses: { 200: z.object({ status: z.literal("authenticated"), message: z.string(), timestamp: z.string() }) },
  }),
  (c) => c.json({ status: "authenticated" as const, message: "API key is valid", timestamp: new Date().toISOString() }),
);
