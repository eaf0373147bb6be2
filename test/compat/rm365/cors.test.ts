/**
 * RM365's client sends `credentials: 'include'` on uploads and reads `X-Total-Count`: a
 * configured origin list answers with the origin and Allow-Credentials; `*` reflects the origin
 * only in development (anywhere else it stays `*`, without credentials).
 */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../../src/app";

const preflight = (origin: string, vars: Record<string, string>) =>
  createApp().fetch(
    new Request("http://localhost/api/v1/salesdata/uk", { method: "OPTIONS", headers: { origin, "access-control-request-method": "GET" } }),
    { ...env, ...vars },
    createExecutionContext(),
  );
const simple = (origin: string, vars: Record<string, string>) =>
  createApp().fetch(new Request("http://localhost/health", { headers: { origin } }), { ...env, ...vars }, createExecutionContext());

describe("RM365 CORS", () => {
  it("a configured list: the listed origin with credentials; others nothing", async () => {
    const vars = { CORS_ORIGINS: "https://rm365.example" };
    const ok = await preflight("https://rm365.example", vars);
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://rm365.example");
    expect(ok.headers.get("access-control-allow-credentials")).toBe("true");
    expect((await preflight("https://evil.example", vars)).headers.get("access-control-allow-origin")).toBeNull();
    expect((await simple("https://rm365.example", vars)).headers.get("access-control-expose-headers")).toContain("X-Total-Count");
  });

  it("`*` reflects the origin with credentials in development only", async () => {
    const dev = await preflight("http://localhost:5500", { CORS_ORIGINS: "*", ENVIRONMENT: "development" });
    expect(dev.headers.get("access-control-allow-origin")).toBe("http://localhost:5500");
    expect(dev.headers.get("access-control-allow-credentials")).toBe("true");
    const prod = await preflight("http://localhost:5500", { CORS_ORIGINS: "*", ENVIRONMENT: "staging" });
    expect(prod.headers.get("access-control-allow-origin")).toBe("*");
    expect(prod.headers.get("access-control-allow-credentials")).toBeNull();
  });
});
