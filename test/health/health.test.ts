import { describe, expect, it } from "vitest";
import { checkAll, checkHyperdrive, probe } from "../../src/modules/health/service";
import { call, testDeps } from "../helpers";

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
    // The legacy Postgres runs beside the tests (test/legacy-pg.setup.mjs): Hyperdrive answers.
    expect(components.hyperdrive).toMatchObject({ status: "up" });
    expect(components.hyperdrive).not.toHaveProperty("reason");
    expect(status).toBe(200);
    expect(json.status).toBe("healthy");
  });

  it("reports the legacy Postgres down, with a short reason and no connection details, when it does not answer", async () => {
    const deps = testDeps();
    // A closed port, with credentials that must not leak.
    const legacyDb = { connectionString: "postgres://floorline:s3cret-pw@127.0.0.1:1/ms5" } as Hyperdrive;
    const started = Date.now();
    const health = await checkAll({ ...deps, legacyDb });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(health.components.hyperdrive).toMatchObject({ status: "down", reason: "unreachable" });
    expect(health.status).toBe("degraded");
    expect(JSON.stringify(health)).not.toMatch(/s3cret|floorline:|127\.0\.0\.1|postgres:|ECONNREFUSED/);
    // Through the client the bridge uses: the same Postgres the imports read answers the probe.
    await expect(checkHyperdrive(deps.legacyDb)).resolves.toBeUndefined();
  });

  it("bounds every probe in time: one that never answers is down with reason timeout", async () => {
    const hung = await probe(() => new Promise(() => undefined), 50);
    expect(hung).toMatchObject({ status: "down", reason: "timeout" });
    expect(hung.latencyMs).toBeLessThan(1000);
  });
});
