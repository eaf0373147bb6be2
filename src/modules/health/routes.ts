import { z } from "zod";
import { createRouter, defineRoute, json } from "../../lib/route";
import { checkAll } from "./service";

const TAGS = ["health"];

const Health = z
  .object({
    status: z.literal("healthy"),
    service: z.string(),
    environment: z.string(),
    timestamp: z.string(),
  })
  .meta({ id: "Health" });

const Component = z.object({
  status: z.enum(["up", "down"]),
  latencyMs: z.number(),
  /** Why it is down: never a host, port, user or connection string. */
  reason: z.enum(["timeout", "unreachable", "rejected", "failed"]).optional(),
});
const DetailedHealth = z
  .object({
    status: z.enum(["healthy", "degraded", "unhealthy"]),
    timestamp: z.string(),
    environment: z.string(),
    components: z.record(z.string(), Component),
  })
  .meta({ id: "DetailedHealth" });

export const healthRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/",
      access: "public",
      summary: "Liveness: answers without touching any binding",
      tags: TAGS,
      responses: { 200: json(Health, "The worker is up") },
    }),
    (c) =>
      c.json({ status: "healthy" as const, service: "floorline-api", environment: c.get("deps").config.ENVIRONMENT, timestamp: new Date().toISOString() }, 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/detailed",
      access: "public",
      // It sends a probe message to each queue, so it is throttled like the auth endpoints.
      throttle: "health_detailed",
      summary: "Readiness of every binding (D1, R2, Durable Objects, queues, Hyperdrive) with latency",
      tags: TAGS,
      responses: { 200: json(DetailedHealth, "Every binding, up or down"), 503: json(DetailedHealth, "D1 is unreachable") },
    }),
    async (c) => {
      const health = await checkAll(c.get("deps"));
      return health.status === "unhealthy" ? c.json(health, 503) : c.json(health, 200);
    },
  );
