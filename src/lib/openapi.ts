/**
 * The OpenAPI 3.1 document, built from the routes themselves: each route's `route()` spec
 * (summary, tags, access, responses) and its `validate()` schemas, converted with zod's own
 * JSON Schema output. Nothing is written twice, so the document cannot drift from what the API
 * validates.
 */
import type { Hono } from "hono";
import { z, type ZodType } from "zod";
import type { AppEnv } from "../types";
import { type ResponseSpec, type RouteSpec, routeSpecOf, type ValidationMeta, validationOf } from "./route";

type JsonSchema = Record<string, unknown>;

function toSchema(schema: ZodType, io: "input" | "output"): JsonSchema {
  const json = z.toJSONSchema(schema, { io, target: "draft-2020-12", unrepresentable: "any" }) as JsonSchema;
  delete json.$schema;
  return json;
}

const ErrorSchema: JsonSchema = {
  type: "object",
  required: ["error", "message"],
  properties: {
    error: { type: "string", description: "MS5 error code", enum: ["VALIDATION_ERROR", "BAD_REQUEST", "BUSINESS_LOGIC_ERROR", "AUTHENTICATION_ERROR", "AUTHORIZATION_ERROR", "NOT_FOUND", "METHOD_NOT_ALLOWED", "CONFLICT", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE", "RATE_LIMITED", "INTERNAL_ERROR", "SERVICE_UNAVAILABLE"] },
    message: { type: "string" },
    detail: { type: "string", description: "Same as message (RM365 clients read `detail`)" },
    details: { description: "Field-level problems: [{path, message, code}]" },
    requestId: { type: "string" },
  },
};

const errorRef = (description: string) => ({ description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } });

function parameters(meta: ValidationMeta | undefined, location: "query" | "path" | "header"): JsonSchema[] {
  if (!meta) return [];
  const schema = toSchema(meta.schema, "input");
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries(props).map(([name, s]) => ({
    name,
    in: location,
    required: location === "path" || required.has(name),
    ...(typeof s.description === "string" ? { description: s.description } : {}),
    schema: s,
  }));
}

function response(spec: ResponseSpec | ZodType | undefined, status: number): JsonSchema {
  if (spec === undefined) return { description: String(status) };
  const r: ResponseSpec = spec instanceof z.ZodType ? { schema: spec } : (spec as ResponseSpec);
  const description = r.description ?? (status < 300 ? "Success" : "Error");
  if (!r.schema && !r.contentType) return { description };
  return { description, content: { [r.contentType ?? "application/json"]: { schema: r.schema ? toSchema(r.schema, "output") : {} } } };
}

function operation(method: string, path: string, spec: RouteSpec, validations: ValidationMeta[]): JsonSchema {
  const byTarget = (t: string) => validations.find((v) => v.target === t);
  const pathParams = parameters(byTarget("param"), "path");
  for (const match of path.matchAll(/\{(\w+)\}/g)) {
    const name = match[1] as string;
    if (!pathParams.some((p) => p.name === name)) pathParams.push({ name, in: "path", required: true, schema: { type: "string" } });
  }
  const op: JsonSchema = {
    operationId: `${method}${path.replace(/[{}]/g, "").replace(/[^A-Za-z0-9]+(.)?/g, (_m, ch: string | undefined) => (ch ?? "").toUpperCase())}`,
    summary: spec.summary,
    tags: spec.tags,
    "x-permission": spec.access,
    ...(spec.tab ? { "x-tab": spec.tab } : {}),
    ...(spec.description ? { description: spec.description } : {}),
    ...(spec.deprecated ? { deprecated: true } : {}),
    parameters: [...pathParams, ...parameters(byTarget("query"), "query"), ...parameters(byTarget("header"), "header")],
    security:
      spec.access === "public" ? [] : spec.apiKey === false ? [{ bearerAuth: [] }] : [{ bearerAuth: [] }, { apiKeyHeader: [] }, { apiKeyQuery: [] }],
  };
  const json = byTarget("json");
  const form = byTarget("form");
  if (json) op.requestBody = { required: true, content: { "application/json": { schema: toSchema(json.schema, "input") } } };
  else if (form) op.requestBody = { required: true, content: { "multipart/form-data": { schema: toSchema(form.schema, "input") } } };
  const responses: Record<string, JsonSchema> = {};
  for (const [status, r] of Object.entries(spec.responses ?? {})) responses[status] = response(r, Number(status));
  if (Object.keys(responses).length === 0) responses["200"] = { description: "Success" };
  if (json || form || byTarget("query") || byTarget("param")) responses["422"] ??= errorRef("Validation failed; `details` names each field");
  if (spec.throttle) responses["429"] ??= errorRef("Too many requests from this client; see Retry-After");
  if (spec.access !== "public") {
    responses["401"] ??= errorRef("Not authenticated");
    responses["403"] ??= errorRef("Not allowed");
  }
  op.responses = responses;
  return op;
}

const cache = new WeakMap<object, JsonSchema>();

/** Builds (once per app) the OpenAPI 3.1 document of every declared route. */
export function buildOpenApi(app: Hono<AppEnv>): JsonSchema {
  const hit = cache.get(app);
  if (hit) return hit;
  const groups = new Map<string, { method: string; path: string; spec?: RouteSpec; validations: ValidationMeta[] }>();
  for (const r of app.routes) {
    if (r.method === "ALL") continue;
    const path = r.path.replace(/:(\w+)(\{[^}]*\})?/g, "{$1}");
    const id = `${r.method} ${path}`;
    const group = groups.get(id) ?? { method: r.method.toLowerCase(), path, validations: [] };
    group.spec ??= routeSpecOf(r.handler);
    const v = validationOf(r.handler);
    if (v) group.validations.push(v);
    groups.set(id, group);
  }
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const g of groups.values()) {
    if (!g.spec) continue; // undeclared routes are denied, so they are not part of the API
    (paths[g.path] ??= {})[g.method] = operation(g.method, g.path, g.spec, g.validations);
  }
  const doc: JsonSchema = {
    openapi: "3.1.0",
    info: {
      title: "Floorline API",
      version: "1.0.0",
      description:
        "One edge API for the factory floor. Canonical routes live under /api/v1; CCbackend's /api/* and Part Management's /api/parts/* surfaces keep their seeds' shapes. Each operation's `x-permission` names the permission it requires.",
    },
    servers: [{ url: "/" }],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
        apiKeyHeader: { type: "apiKey", in: "header", name: "X-API-Key" },
        apiKeyQuery: { type: "apiKey", in: "query", name: "api_key" },
      },
      schemas: { Error: ErrorSchema },
    },
  };
  cache.set(app, doc);
  return doc;
}
