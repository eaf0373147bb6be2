import { Hono } from "hono";
import { principalOf, route, validate } from "../../lib/route";
import type { AppEnv } from "../../types";
import { ApiKeyList, ApiKeyResponse, CreateApiKeyBody, CreatedApiKeyResponse, IdParam, ListQuery } from "./schemas";
import { createApiKey, listApiKeys, revokeApiKey } from "./service";

const TAGS = ["api-keys"];

export const apiKeyRoutes = new Hono<AppEnv>()
  .post(
    "/",
    route({ access: "api_keys:manage", apiKey: false, summary: "Create an API key (the secret is shown only in this response)", tags: TAGS, responses: { 201: CreatedApiKeyResponse } }),
    validate("json", CreateApiKeyBody),
    async (c) => {
      const created = await createApiKey(c.var.deps, c.req.valid("json"), principalOf(c));
      return c.json(created, 201);
    },
  )
  .get(
    "/",
    route({ access: "api_keys:manage", apiKey: false, summary: "List API keys (never their secrets)", tags: TAGS, responses: { 200: ApiKeyList } }),
    validate("query", ListQuery),
    async (c) => c.json(await listApiKeys(c.var.deps, c.req.valid("query"))),
  )
  .delete(
    "/:id",
    route({ access: "api_keys:manage", apiKey: false, summary: "Revoke an API key", tags: TAGS, responses: { 200: ApiKeyResponse } }),
    validate("param", IdParam),
    async (c) => c.json(await revokeApiKey(c.var.deps, c.req.valid("param").id, principalOf(c))),
  );
