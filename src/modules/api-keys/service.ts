import { and, desc, eq, isNull } from "drizzle-orm";
import type { z } from "zod";
import { apiKeys } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { randomToken, sha256Hex } from "../../lib/encoding";
import { forbidden, notFound } from "../../lib/errors";
import { paginate } from "../../lib/pagination";
import { actorOf } from "../../lib/principal";
import { apiKeyRateTier } from "../../lib/rate-limit";
import { holdsAll } from "../../lib/rbac";
import type { Principal } from "../../types";
import type { ApiKeyResponse, CreateApiKeyBody } from "./schemas";

type Row = typeof apiKeys.$inferSelect;

/** The one place a key row becomes a response (snake_case; never the hash). */
const toResponse = (row: Row): ApiKeyResponse => ({
  id: row.id,
  name: row.name,
  prefix: row.prefix,
  permissions: row.permissions,
  rate_limit_per_minute: apiKeyRateTier(row.rateLimitPerMinute),
  created_by: row.createdBy,
  created_at: row.createdAt,
  revoked_at: row.revokedAt,
  last_used_at: row.lastUsedAt,
});

/**
 * Creates a key `fl_<random>`; only its SHA-256 is stored, so the secret is returned once. The
 * requested rate limit is stored snapped down to its tier (the limit actually enforced). The key
 * acts for its creator: within their permissions and tabs as they are at each request.
 */
export async function createApiKey({ db, config }: Pick<Deps, "db" | "config">, input: z.infer<typeof CreateApiKeyBody>, actor: Principal) {
  if (!holdsAll(actor.permissions, input.permissions)) throw forbidden("You cannot give a key permissions you do not hold");
  const key = `fl_${randomToken(32)}`;
  const [row] = await db
    .insert(apiKeys)
    .values({
      id: crypto.randomUUID(),
      name: input.name,
      prefix: key.slice(0, 10),
      keyHash: await sha256Hex(key),
      permissions: [...new Set(input.permissions)],
      rateLimitPerMinute: apiKeyRateTier(input.rate_limit_per_minute ?? config.API_KEY_DEFAULT_RATE_LIMIT),
      createdBy: actorOf(actor).userId,
    })
    .returning();
  if (!row) throw new Error("api key insert returned nothing");
  return { ...toResponse(row), key };
}

/** Lists keys, newest first; revoked ones only with `include_revoked`. */
export async function listApiKeys({ db }: Pick<Deps, "db">, q: { limit: number; offset: number; include_revoked: boolean }) {
  const query = db
    .select()
    .from(apiKeys)
    .where(q.include_revoked ? undefined : isNull(apiKeys.revokedAt))
    .$dynamic();
  const page = await paginate(db, query, q, { orderBy: [desc(apiKeys.createdAt), desc(apiKeys.id)], tiebreaker: apiKeys.id });
  return { ...page, items: page.items.map(toResponse) };
}

/**
 * Revokes a key; it stops working on the next request. Revoking twice is harmless. Only someone
 * holding every permission the key names may revoke it (403 otherwise), as for creating it.
 */
export async function revokeApiKey({ db }: Pick<Deps, "db">, id: string, actor: Principal) {
  const [found] = await db.select().from(apiKeys).where(eq(apiKeys.id, id)).limit(1);
  if (!found) throw notFound("API key");
  if (!holdsAll(actor.permissions, found.permissions)) throw forbidden("You cannot revoke a key that grants permissions you do not hold");
  const [row] = await db
    .update(apiKeys)
    .set({ revokedAt: new Date().toISOString() })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning();
  return toResponse(row ?? found);
}
