import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { call } from "../helpers";

describe("OpenAPI document", () => {
  it("is OpenAPI 3.1 and lists every route the app serves, with its permission", async () => {
    const { status, json } = await call("/openapi.json");
    expect(status).toBe(200);
    expect(json.openapi).toBe("3.1.0");
    const paths = json.paths ?? {};
    const served = createApp()
      .routes.filter((r) => r.method !== "ALL")
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, "{$1}")}`);
    const documented = Object.entries(paths).flatMap(([path, ops]) => Object.keys(ops ?? {}).map((m) => `${m} ${path}`));
    expect(new Set(documented)).toEqual(new Set(served));
    expect(paths["/api/v1/users"]?.post?.["x-permission"]).toBe("users:write");
    expect(paths["/api/v1/users"]?.post?.["x-tab"]).toBe("usermanagement");
    expect(paths["/api/v1/auth/login"]?.post?.requestBody?.content?.["application/json"]?.schema?.required).toEqual(["username", "password"]);
    expect(paths["/api/v1/api-keys/{id}"]?.delete?.parameters?.[0]).toMatchObject({ name: "id", in: "path", required: true });
  });

  it("documents each surface's own error shapes and statuses", async () => {
    const { json } = await call("/openapi.json");
    const paths = json.paths ?? {};
    const ref = (op: unknown, status: string) =>
      (op as { responses?: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }> }).responses?.[status]?.content?.["application/json"]
        ?.schema?.$ref;
    // v1: the one error shape, 422 for validation.
    expect(ref(paths["/api/v1/users"]?.post, "422")).toBe("#/components/schemas/Error");
    expect(ref(paths["/api/v1/users"]?.post, "403")).toBe("#/components/schemas/Error");
    // CCbackend: {success:false,error}, validation as 400, flask-jwt's {msg} for 401/422.
    const ccLogin = paths["/api/auth/login"]?.post;
    expect(ref(ccLogin, "400")).toBe("#/components/schemas/CcbackendError");
    expect(ref(ccLogin, "422")).toBeUndefined();
    expect(ref(paths["/api/reset_password"]?.put, "401")).toBe("#/components/schemas/FlaskJwtError");
    expect(ref(paths["/api/reset_password"]?.put, "403")).toBe("#/components/schemas/CcbackendError");
    // Part Management: {error}.
    expect(ref(paths["/api/parts/auth/check"]?.get, "401")).toBe("#/components/schemas/PartsError");
    // Every upload route documents the upload refusals in its own surface's shape: a stalled or
    // malformed body (400) and the isolate's upload memory being taken (503).
    for (const status of ["400", "503"]) {
      expect(ref(paths["/api/v1/issue-reports"]?.post, status), status).toBe("#/components/schemas/Error");
      expect(ref(paths["/api/report/upload"]?.post, status), status).toBe("#/components/schemas/CcbackendError");
    }
    const schemas = json.components?.schemas ?? {};
    for (const name of ["Error", "CcbackendError", "FlaskJwtError", "PartsError"]) expect(schemas[name], name).toBeDefined();
  });

  it("every multipart upload route documents the admission 503 and the stalled 400, beside its own", async () => {
    const { json } = await call("/openapi.json");
    const paths = (json.paths ?? {}) as Record<string, Record<string, { responses?: Record<string, { description?: string }> }>>;
    // The seven `bodyLimit: "upload"` routes that go through receiveUpload (not the bridge's raw-body one).
    const ops = [
      ["post", "/api/v1/issue-reports"],
      ["post", "/api/v1/salesdata/{region}/upload"],
      ["post", "/api/v1/parts/{id}/file"],
      ["post", "/api/v1/parts/{id}/views"],
      ["post", "/api/report/upload"],
      ["post", "/api/parts/{id}/upload"],
      ["post", "/api/parts/{id}/views"],
    ].map(([m, path]) => {
      const op = paths[path as string]?.[m as string];
      const d = (status: string) => op?.responses?.[status]?.description ?? "(none)";
      return { at: `${m} ${path}`, d400: d("400"), d429: d("429"), d503: d("503") };
    });
    const wrong = ops
      .filter((o) => !/Too many uploads/.test(o.d503) || !/stall/.test(o.d400) || !/uploads in progress/.test(o.d429))
      .map((o) => `${o.at}: 400=${o.d400} | 429=${o.d429} | 503=${o.d503}`);
    expect(wrong).toEqual([]);
    // The upload's 429 joins what the surface documents for 429 without changing its body:
    // Part Management's is `PartsRateLimited` ({error, message, retry_after}), as it answers.
    const parts429 = (path: string) =>
      (paths[path]?.post?.responses?.["429"] as { content?: Record<string, { schema?: { $ref?: string } }> } | undefined)?.content?.["application/json"]?.schema
        ?.$ref;
    expect([parts429("/api/parts/{id}/upload"), parts429("/api/parts/{id}/views")]).toEqual([
      "#/components/schemas/PartsRateLimited",
      "#/components/schemas/PartsRateLimited",
    ]);
  });

  it("/api/docs serves the interactive reference page", async () => {
    const { status, res, json } = await call("/api/docs");
    expect(status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    expect(String(json)).toContain("/docs-assets/swagger-ui-bundle.js");
    expect(String(json)).toContain("/docs-assets/init.js");
  });
});
