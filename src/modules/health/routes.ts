import { Hono } from "hono";
import { z } from "zod";
import { route } from "../../lib/route";
import type { AppEnv } from "../../types";
import { checkAll } from "./service";

const Health = z.object({
  status: z.literal("healthy"),
  service: z.string(),
  environment: z.string(),
  timestamp: z.string(),
});

const Component = z.object({ status: z.enum(["up", "down"]), latencyMs: z.number() });
const DetailedHealth = z.object({
  status: z.enum(["healthy", "degraded", "unhealthy"]),
  timestamp: z.string(),
  environment: z.string(),
  components: z.record(z.string(), Component),
});

export const healthRoutes = new Hono<AppEnv>()
  .get(
    "/",
    route({ access: "public", summary: "Liveness: answers without touching any binding", tags: ["health"], responses: { 200: Health } }),
    (c) => c.json({ status: "healthy" as const, service: "floorline-api", environment: c.env.ENVIRONMENT, timestamp: new Date().toISOString() }),
  )
  .get(
    "/detailed",
    route({
      access: "public",
      // It sends a probe message to each queue, so it is throttled like the auth endpoints.
      throttle: "health_detailed",
      summary: "Readiness of every binding (D1, R2, Durable Objects, queues, Hyperdrive) with latency",
      tags: ["health"],
      responses: { 200: DetailedHealth, 503: { description: "D1 is unreachable", schema: DetailedHealth } },
    }),
    async (c) => {
      const health = await checkAll(c.var.deps);
      return c.json(health, health.status === "unhealthy" ? 503 : 200);
    },
  );
