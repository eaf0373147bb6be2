import { createRouter, defineRoute, json, principalOf } from "../../lib/route";
import { ApiKeyList, ApiKeyResponse, CreateApiKeyBody, CreatedApiKeyResponse, IdParam, ListQuery } from "./schemas";
import { createApiKey, listApiKeys, revokeApiKey } from "./service";

const TAGS = ["api-keys"];

export const apiKeyRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "post",
      path: "/",
      access: "api_keys:manage",
      apiKey: false,
      summary: "Create an API key (the secret is shown only in this response)",
      tags: TAGS,
      request: { body: { content: { "application/json": { schema: CreateApiKeyBody } } } },
      responses: { 201: json(CreatedApiKeyResponse, "The key, with its secret") },
    }),
    async (c) => c.json(await createApiKey(c.get("deps"), c.req.valid("json"), principalOf(c)), 201),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/",
      access: "api_keys:manage",
      pureRead: true,
      apiKey: false,
      summary: "List API keys (never their secrets)",
      tags: TAGS,
      request: { query: ListQuery },
      responses: { 200: json(ApiKeyList, "A page of keys") },
    }),
    async (c) => c.json(await listApiKeys(c.get("deps"), c.req.valid("query")), 200),
  )
  .openapi(
    defineRoute({
      method: "delete",
      path: "/{id}",
      access: "api_keys:manage",
      apiKey: false,
      errors: { 404: "No such key" },
      summary: "Revoke an API key",
      tags: TAGS,
      request: { params: IdParam },
      responses: { 200: json(ApiKeyResponse, "The revoked key") },
    }),
    async (c) => c.json(await revokeApiKey(c.get("deps"), c.req.valid("param").id, principalOf(c)), 200),
  );
