import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createApp } from "../../src/app";
import { routeTable } from "../../src/lib/guard";
import { SECURE_HEADERS } from "../../src/lib/headers";
import { route } from "../../src/lib/route";
import { arr, call, loginAs } from "../helpers";

describe("unknown routes and methods", () => {
  it("unknown /api/v1 route → JSON 404 in the v1 shape", async () => {
    const { status, json, res } = await call("/api/v1/no-such-thing");
    expect(status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    expect(json).toMatchObject({ error: "NOT_FOUND", message: "Route not found" });
    expect(json.requestId).toBe(res.headers.get("x-request-id"));
  });

  it("unknown /api/parts route → Part Management's {error: Not found}; CCbackend paths → {success:false}", async () => {
    const parts = await call("/api/parts/does/not/exist");
    expect(parts.status).toBe(404);
    expect(parts.json).toEqual({ error: "Not found" });
    const cc = await call("/api/nothing-here");
    expect(cc.status).toBe(404);
    expect(cc.json).toMatchObject({ success: false });
  });

  it("known path, wrong method → JSON 405 with Allow", async () => {
    const { status, json, res } = await call("/health", { method: "DELETE" });
    expect(status).toBe(405);
    expect(json.error).toBe("METHOD_NOT_ALLOWED");
    expect(res.headers.get("allow")).toContain("GET");
    const login = await call("/api/v1/auth/login");
    expect(login.status).toBe(405);
    expect(login.res.headers.get("allow")).toContain("POST");
  });
});

describe("deny by default", () => {
  it("a route mounted without a route() declaration answers 403 and its handler never runs", async () => {
    let ran = false;
    const app = createApp({
      extend: (a) => {
        a.get("/api/v1/undeclared", (c) => {
          ran = true;
          return c.json({ leaked: true });
        });
        a.get("/api/v1/declared", route({ access: "public", summary: "probe", tags: ["test"] }), (c) => c.json({ ok: true }));
      },
    });
    const ctx = createExecutionContext();
    const denied = await app.fetch(new Request("http://localhost/api/v1/undeclared"), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ error: "AUTHORIZATION_ERROR" });
    expect(ran).toBe(false);
    const allowed = await app.fetch(new Request("http://localhost/api/v1/declared"), env, createExecutionContext());
    expect(allowed.status).toBe(200);
  });

  it("cannot be slipped past with .all(), .use(), an earlier overlapping route or a validator before route()", async () => {
    const ran: string[] = [];
    const app = createApp({
      extend: (a) => {
        a.all("/api/v1/probe/all", (c) => {
          ran.push("all");
          return c.json({ leaked: true });
        });
        a.use("/api/v1/probe/used/*", async (c) => {
          ran.push("use");
          return c.json({ leaked: true });
        });
        a.get("/api/v1/probe/used/x", route({ access: "public", summary: "probe", tags: ["test"] }), (c) => c.json({ ok: true }));
        a.get("/api/v1/probe/items/:id", (c) => {
          ran.push("overlap");
          return c.json({ leaked: c.req.param("id") });
        });
        a.get("/api/v1/probe/items/stats", route({ access: "public", summary: "probe", tags: ["test"] }), (c) => c.json({ ok: true }));
        a.post(
          "/api/v1/probe/order",
          zValidator("json", z.object({ a: z.string() })),
          route({ access: "users:write", summary: "probe", tags: ["test"] }),
          (c) => {
            ran.push("order");
            return c.json({ leaked: true });
          },
        );
      },
    });
    const send = (path: string, init?: RequestInit) => app.fetch(new Request(`http://localhost${path}`, init), env, createExecutionContext());
    for (const [path, init] of [
      ["/api/v1/probe/all", undefined],
      ["/api/v1/probe/used/x", undefined],
      ["/api/v1/probe/items/stats", undefined],
      ["/api/v1/probe/order", { method: "POST", headers: { "content-type": "application/json" }, body: '{"a":"b"}' }],
    ] as const) {
      expect((await send(path, init)).status, path).toBe(403);
    }
    expect(ran).toEqual([]);
  });

  it("every route of the real app starts with its declaration", () => {
    const routes = routeTable(createApp());
    expect(routes.length).toBeGreaterThan(20);
    // Within one route, the first handler must be route(): anything before it would run unchecked.
    const wrong = routes.filter((r) => r.declaration.kind !== "declared").map((r) => `${r.method} ${r.path}`);
    expect(wrong).toEqual([]);
  });
});

describe("validation", () => {
  it("names every failing field path and changes nothing", async () => {
    const admin = await loginAs("admin");
    const { status, json } = await call("/api/v1/users", { token: admin.token, body: { username: "", password: 5, role: "viewer", allowed_tabs: "all" } });
    expect(status).toBe(422);
    expect(json.error).toBe("VALIDATION_ERROR");
    expect([...new Set(arr(json.details).map((d) => String(d.path)))].sort()).toEqual(["body.allowed_tabs", "body.password", "body.username"]);
  });

  it("malformed JSON is a 400 in the error shape", async () => {
    const admin = await loginAs("admin");
    const { status, json } = await call("/api/v1/users", { token: admin.token, body: "{not json", headers: { "content-type": "application/json" } });
    expect(status).toBe(400);
    expect(json.error).toBe("BAD_REQUEST");
  });

  it("a body over MAX_BODY_BYTES is 413", async () => {
    const big = JSON.stringify({ username: "x", password: "y".repeat(Number(env.MAX_BODY_BYTES)) });
    const { status, json } = await call("/api/v1/auth/login", { body: big, headers: { "content-type": "application/json" } });
    expect(status).toBe(413);
    expect(json.error).toBe("PAYLOAD_TOO_LARGE");
  });
});

describe("headers", () => {
  it("echoes a caller's X-Request-Id and sets secure headers", async () => {
    const { res } = await call("/health", { headers: { "x-request-id": "tablet-42-req-7" } });
    expect(res.headers.get("x-request-id")).toBe("tablet-42-req-7");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("SAMEORIGIN");
  });

  it("sets the secure headers hono/secure-headers would, with a cross-origin resource policy", async () => {
    const hono = new Hono();
    hono.use(secureHeaders({ crossOriginResourcePolicy: "cross-origin" }));
    hono.get("/", (c) => c.text("x"));
    const expected = [...(await hono.request("/")).headers].filter(([name]) => name !== "content-type");
    const { res } = await call("/health");
    for (const [name, value] of expected) expect(res.headers.get(name), name).toBe(value);
    expect(SECURE_HEADERS.map(([name, value]) => [name.toLowerCase(), value]).sort()).toEqual(expected.sort());
  });

  it("a worker whose configuration is broken answers 503 before any route, with the request id and the app-wide headers", async () => {
    const app = createApp();
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request("http://localhost/api/v1/auth/me", { headers: { "x-request-id": "cfg-1" } }), { ...env, JWT_SECRET: "short" }, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: string }).error).toBe("SERVICE_UNAVAILABLE");
    expect(res.headers.get("x-request-id")).toBe("cfg-1");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("with a CORS_ORIGINS list, only listed origins are allowed", async () => {
    const app = createApp();
    const preflight = (origin: string) =>
      app.fetch(
        new Request("http://localhost/api/v1/auth/login", { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST" } }),
        { ...env, CORS_ORIGINS: "https://tablets.example, https://office.example" },
        createExecutionContext(),
      );
    expect((await preflight("https://office.example")).headers.get("access-control-allow-origin")).toBe("https://office.example");
    expect((await preflight("https://evil.example")).headers.get("access-control-allow-origin")).toBeNull();
  });

  it("answers CORS preflights from CORS_ORIGINS", async () => {
    const { status, res } = await call("/api/v1/auth/login", {
      method: "OPTIONS",
      headers: { origin: "https://tablet.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type,idempotency-key" },
    });
    expect(status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("idempotency-key");
  });
});
