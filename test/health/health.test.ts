import { describe, expect, it } from "vitest";
import { call } from "../helpers";

describe("health", () => {
  it("GET /health answers healthy without touching bindings", async () => {
    const { status, json, res } = await call("/health");
    expect(status).toBe(200);
    expect(json).toMatchObject({ status: "healthy", service: "floorline-api", environment: "test" });
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("GET /health/detailed reports every binding with status and latency", async () => {
    const { status, json } = await call("/health/detailed");
    const components = json.components ?? {};
    expect(Object.keys(components).sort()).toEqual(["convert_queue", "d1", "documents_queue", "hyperdrive", "inventory_room", "line_room", "r2"]);
    for (const name of ["d1", "r2", "line_room", "inventory_room", "convert_queue", "documents_queue"]) {
      expect(components[name], name).toMatchObject({ status: "up" });
      expect(typeof components[name]?.latencyMs).toBe("number");
    }
    // Probe errors (hosts, connection details) are logged, never returned.
    expect(JSON.stringify(json)).not.toMatch(/error|refused|127\.0\.0\.1|postgres:/i);
    // No Postgres runs beside the tests: Hyperdrive is reported down, which degrades but does not fail.
    expect(components.hyperdrive?.status).toMatch(/^(up|down)$/);
    expect(status).toBe(200);
    expect(json.status).toBe(String(components.hyperdrive?.status) === "up" ? "healthy" : "degraded");
  });
});
