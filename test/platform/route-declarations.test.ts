/**
 * What a route declares beyond who may call it: whether a GET may run before the session check
 * confirms (`pureRead`), per-user limits on expensive routes (`userLimit`), and access that
 * needs several permissions and tabs at once.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { defineRoute, type RouteOptions, route, routeSpecOf } from "../../src/lib/route";
import { call, loginAs, str } from "../helpers";

describe("GET handlers and the session check", () => {
  it("a logged-out token's GET never runs a handler that is not a declared pure read; a pure read's answer is still refused", async () => {
    const ran: string[] = [];
    const app = createApp({
      extend: (a) => {
        a.get("/api/v1/probe/effects", route({ access: "authenticated", summary: "probe", tags: ["test"] }), (c) => {
          ran.push("effects");
          return c.json({ ok: true });
        });
        a.get("/api/v1/probe/pure", route({ access: "authenticated", pureRead: true, summary: "probe", tags: ["test"] }), (c) => {
          ran.push("pure");
          return c.json({ ok: true });
        });
      },
    });
    const viewer = await loginAs("viewer");
    const get = async (path: string) => {
      const ctx = createExecutionContext();
      const res = await app.fetch(new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${viewer.token}` } }), env, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    };
    expect((await get("/api/v1/probe/effects")).status).toBe(200);
    expect((await get("/api/v1/probe/pure")).status).toBe(200);
    expect(ran).toEqual(["effects", "pure"]);
    ran.length = 0;

    expect((await call("/api/v1/auth/logout", { method: "POST", token: viewer.token })).status).toBe(200);
    const effects = await get("/api/v1/probe/effects");
    expect(effects.status).toBe(401);
    const pure = await get("/api/v1/probe/pure");
    expect(pure.status).toBe(401);
    // The pure read may have run beside the check; the one with effects must not have.
    expect(ran).not.toContain("effects");
  });

  it("defineRoute() puts every route option in the declaration and none in the OpenAPI operation", () => {
    const options: Required<RouteOptions> = {
      access: ["users:read", "users:write"],
      tab: "usermanagement",
      apiKey: false,
      apiKeyRefusal: "users only",
      throttle: "probe",
      userLimit: "exports",
      pureRead: true,
      idempotent: false,
      bodyLimit: "upload",
      noStore: true,
      errors: { 404: "No such probe" },
      upgrade: true,
      ownAuth: "unused",
    };
    const { ownAuth: _, ...declared } = options;
    const def = defineRoute({ method: "get", path: "/probe", summary: "probe", tags: ["test"], responses: {}, ...declared });
    expect(routeSpecOf([def.middleware].flat()[0])).toMatchObject({ ...declared, summary: "probe", tags: ["test"] });
    for (const key of Object.keys(options)) expect(def).not.toHaveProperty(key);
    expect(def).toMatchObject({ method: "get", path: "/probe", summary: "probe", "x-permission": declared.access, "x-tab": "usermanagement" });
    expect(def.responses).toHaveProperty("404");
  });

  it("only a GET can be declared a pure read", () => {
    expect(() =>
      defineRoute({ method: "post", path: "/probe", access: "authenticated", pureRead: true, summary: "probe", tags: ["test"], responses: {} }),
    ).toThrow(/only a GET/);
  });
});

describe("per-user limits on expensive routes", () => {
  it("one user's parallel CSV exports: at most the limit run, the rest are 429 with Retry-After; another user is unaffected", async () => {
    const viewer = await loginAs("viewer", { allowed_tabs: ["inventory"] });
    // The test runtime allows 3 exports a minute per user (vitest.config.ts).
    const burst = await Promise.all(Array.from({ length: 8 }, () => call("/api/v1/inventory/items.csv", { token: viewer.token })));
    const statuses = burst.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(3);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    const limited = burst.find((r) => r.status === 429);
    expect(limited?.res.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(limited?.json).toMatchObject({ error: "RATE_LIMITED" });
    // The budget is the class's, not the route's: another export route is spent too.
    expect((await call("/api/v1/inventory/adjustments.csv", { token: viewer.token })).status).toBe(429);
    // Cheap reads are not limited, and another user has their own budget.
    expect((await call("/api/v1/inventory/items", { token: viewer.token })).status).toBe(200);
    const other = await loginAs("viewer", { allowed_tabs: ["inventory"] });
    expect((await call("/api/v1/inventory/items.csv", { token: other.token })).status).toBe(200);
  });

  it("an API key counts against its creator's budget: more keys buy no more exports", async () => {
    const admin = await loginAs("admin");
    const created = await call("/api/v1/api-keys", {
      token: admin.token,
      body: { name: "exporter", permissions: ["inventory:read"], rate_limit_per_minute: 6000 },
    });
    expect(created.status).toBe(201);
    const key = str(created.json.key);
    for (let i = 0; i < 3; i++) expect((await call("/api/v1/inventory/items.csv", { token: admin.token })).status).toBe(200);
    const byKey = await call("/api/v1/inventory/items.csv", { headers: { "x-api-key": key } });
    expect(byKey.status).toBe(429);
  });

  it("the OpenAPI document names each route's limit and pure reads", async () => {
    const { json } = await call("/openapi.json");
    const paths = json.paths ?? {};
    expect(paths["/api/v1/inventory/items.csv"]?.get?.["x-user-limit"]).toBe("exports");
    expect(paths["/api/v1/inventory/items.csv"]?.get?.responses?.["429"]).toBeDefined();
    expect(paths["/api/v1/inventory/items"]?.get?.["x-pure-read"]).toBe(true);
    expect(paths["/api/v1/labels/job/{id}"]?.get?.["x-pure-read"]).toBeUndefined();
  });
});

describe("several permissions and tabs, all required", () => {
  it("labels: printing needs inventory:read and the inventory tab as declared; reports need line:read", async () => {
    const admin = await loginAs("admin");
    const role = `labels_only_${crypto.randomUUID().slice(0, 8)}`;
    const made = await call("/api/v1/roles", {
      token: admin.token,
      body: { role_name: role, permissions: ["labels:read", "labels:generate", "reports:read", "reports:generate"], allowed_tabs: ["labels", "inventory"] },
    });
    expect(made.status).toBe(201);
    const user = await loginAs(role);
    const start = await call("/api/v1/labels/start-job", { token: user.token, body: { item_ids: ["X"] } });
    expect(start.status).toBe(403);
    expect(start.json.message).toBe("Permission 'inventory:read' is required");
    const report = await call("/api/v1/reports/production", { token: user.token, body: {} });
    expect(report.status).toBe(403);
    expect(report.json.message).toBe("Permission 'line:read' is required");
    const { json } = await call("/openapi.json");
    expect(json.paths?.["/api/v1/labels/start-job"]?.post?.["x-permission"]).toEqual(["labels:generate", "inventory:read"]);
    expect(json.paths?.["/api/v1/labels/start-job"]?.post?.["x-tab"]).toEqual(["labels.generator", "inventory"]);
    // Holding the permissions without the second tab is refused by the tab.
    const noInventoryTab = await loginAs("production_manager", { allowed_tabs: ["labels"] });
    const refused = await call("/api/v1/labels/start-job", { token: noInventoryTab.token, body: { item_ids: ["X"] } });
    expect(refused.status).toBe(403);
    expect(refused.json.message).toBe("Your account does not have the 'inventory' tab");
    expect((await call("/api/v1/labels/templates", { token: noInventoryTab.token })).status).toBe(200);
  });
});
