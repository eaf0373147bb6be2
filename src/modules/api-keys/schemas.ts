import { z } from "zod";
import { Code, ShortText } from "../../lib/fields";
import { PageQuery, pageOf } from "../../lib/pagination";
import { API_KEY_RATE_TIERS } from "../../lib/rate-limit";
import { PermissionList } from "../roles/schemas";

const LOWEST_TIER = API_KEY_RATE_TIERS[0];
const HIGHEST_TIER = API_KEY_RATE_TIERS[API_KEY_RATE_TIERS.length - 1] ?? LOWEST_TIER;

export const CreateApiKeyBody = z
  .object({
    name: ShortText.min(1, "name is required"),
    permissions: PermissionList.min(1, "Give the key at least one permission"),
    /**
     * Requests per minute. Limits are served in tiers (60, 120, 300, 600, 1200, 6000): the value
     * is snapped down to a tier, and the response shows the limit enforced.
     */
    rate_limit_per_minute: z.number().int().min(LOWEST_TIER).max(HIGHEST_TIER).optional(),
  })
  .strict();

export const ApiKeyResponse = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  /** The key's scope; it acts within its creator's current permissions and tabs. */
  permissions: z.array(z.string()),
  /** The limit enforced: the tier the requested limit was snapped down to. */
  rate_limit_per_minute: z.number().int(),
  created_by: z.string().nullable(),
  created_at: z.string(),
  revoked_at: z.string().nullable(),
  last_used_at: z.string().nullable(),
});
export type ApiKeyResponse = z.infer<typeof ApiKeyResponse>;

/** Creation is the only time the secret is shown. */
export const CreatedApiKeyResponse = ApiKeyResponse.extend({ key: z.string() });

export const ListQuery = PageQuery.extend({
  include_revoked: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
});

export const ApiKeyList = pageOf(ApiKeyResponse);

export const IdParam = z.object({ id: Code });
