/**
 * The request log line (src/lib/request-log.ts): every request in development and test; in
 * production every non-2xx, every slow request and a sample of the rest (REQUEST_LOG*).
 */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app";
import { getConfig } from "../../src/lib/config";
import { logDecision, requestLogPolicy } from "../../src/lib/request-log";

const lines = (spy: { mock: { calls: unknown[][] } }) =>
  spy.mock.calls.map((args) => JSON.parse(String(args[0])) as Record<string, unknown>).filter((line) => line.msg === "request");

describe("request log", () => {
  afterEach(() => vi.restoreAllMocks());

  it("logs every request in development and test, samples in staging and production unless REQUEST_LOG=all", () => {
    const policy = (vars: Record<string, string>) => requestLogPolicy(getConfig({ ...env, ...vars }));
    expect(policy({ ENVIRONMENT: "development" }).all).toBe(true);
    expect(policy({ ENVIRONMENT: "test" }).all).toBe(true);
    expect(policy({ ENVIRONMENT: "production" })).toEqual({ all: false, slowMs: 1000, sampleRate: 0.01 });
    expect(policy({ ENVIRONMENT: "staging" }).all).toBe(false);
    expect(policy({ ENVIRONMENT: "production", REQUEST_LOG: "all" }).all).toBe(true);
    expect(policy({ ENVIRONMENT: "development", REQUEST_LOG: "sampled", REQUEST_LOG_SLOW_MS: "250", REQUEST_LOG_SAMPLE_RATE: "0.5" })).toEqual({
      all: false,
      slowMs: 250,
      sampleRate: 0.5,
    });
    expect(() => getConfig({ ...env, REQUEST_LOG_SAMPLE_RATE: "2" })).toThrow(/REQUEST_LOG_SAMPLE_RATE/);
  });

  it("sampled: every non-2xx and every slow request, a share of the fast 2xx (marked with the rate)", () => {
    const sampled = { all: false, slowMs: 1000, sampleRate: 0.01 };
    for (const status of [101, 301, 304, 400, 401, 403, 404, 409, 429, 500, 503]) expect(logDecision(sampled, status, 3, () => 0.99)).toBeUndefined();
    expect(logDecision(sampled, 200, 1001, () => 0.99)).toBeUndefined();
    expect(logDecision(sampled, 200, 1000, () => 0.99)).toBe(false);
    expect(logDecision(sampled, 201, 5, () => 0.005)).toBe(0.01);
    expect(logDecision({ ...sampled, sampleRate: 0 }, 200, 5, () => 0)).toBe(false);
    expect(logDecision({ ...sampled, all: true }, 200, 5, () => 0.99)).toBeUndefined();
  });

  it("in production a 200 is not logged (rate 0), a 404 and a 401 are, with their status and path", async () => {
    const app = createApp();
    const prod = { ...env, ENVIRONMENT: "production", REQUEST_LOG_SAMPLE_RATE: "0" };
    const info = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const send = (path: string) =>
      app.fetch(new Request(`http://localhost${path}`, { headers: { "cf-connecting-ip": "203.0.113.9" } }), prod, createExecutionContext());
    expect((await send("/health")).status).toBe(200);
    expect(lines(info)).toEqual([]);
    expect((await send("/api/v1/no-such-route")).status).toBe(404);
    expect((await send("/api/v1/auth/me")).status).toBe(401);
    const logged = lines(warn);
    expect(logged.map((l) => [l.status, l.path, l.level])).toEqual([
      [404, "/api/v1/no-such-route", "warn"],
      [401, "/api/v1/auth/me", "warn"],
    ]);
    expect(logged[0]).not.toHaveProperty("sample");
    // The same 200 in test (the default `all`) is logged.
    expect((await app.fetch(new Request("http://localhost/health"), { ...env, ENVIRONMENT: "test" }, createExecutionContext())).status).toBe(200);
    expect(lines(info).map((l) => l.status)).toEqual([200]);
  });
});
