import { z } from "zod";
import { PermissionList } from "../roles/schemas";

export const CreateApiKeyBody = z
  .object({
    name: z.string().trim().min(1, "name is required").max(100),
    permissions: PermissionList.min(1, "Give the key at least one permission"),
    rateLimitPerMinute: z.number().int().min(1).max(100_000).optional(),
  })
  .strict();

export const ApiKeyResponse = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  permissions: z.array(z.string()),
  rateLimitPerMinute: z.number().int(),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
});

/** Creation is the only time the secret is shown. */
export const CreatedApiKeyResponse = ApiKeyResponse.extend({ key: z.string() });

export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
  includeRevoked: z.enum(["true", "false"]).default("false").transform((v) => v === "true"),
});

export const ApiKeyList = z.object({
  items: z.array(ApiKeyResponse),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});

export const IdParam = z.object({ id: z.string().min(1) });
