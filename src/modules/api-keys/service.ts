import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { z } from "zod";
import type { Deps } from "../../lib/deps";
import { apiKeys } from "../../db/schema";
import { randomToken, sha256Hex } from "../../lib/encoding";
import { forbidden, notFound } from "../../lib/errors";
import { holdsAll } from "../../lib/rbac";
import type { Principal } from "../../types";
import type { ApiKeyResponse, CreateApiKeyBody } from "./schemas";

type Row = typeof apiKeys.$inferSelect;

const toResponse = ({ keyHash: _hash, ...row }: Row): z.infer<typeof ApiKeyResponse> => row;

/** Creates a key `fl_<random>`; only its SHA-256 is stored, so the secret is returned once. */
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
      rateLimitPerMinute: input.rateLimitPerMinute ?? config.API_KEY_DEFAULT_RATE_LIMIT,
      createdBy: actor.kind === "user" ? actor.userId : null,
    })
    .returning();
  if (!row) throw new Error("api key insert returned nothing");
  return { ...toResponse(row), key };
}

export async function listApiKeys({ db }: Pick<Deps, "db">, q: { limit: number; offset: number; includeRevoked: boolean }) {
  const where = q.includeRevoked ? undefined : isNull(apiKeys.revokedAt);
  const [items, [count]] = await Promise.all([
    db.select().from(apiKeys).where(where).orderBy(desc(apiKeys.createdAt), desc(apiKeys.id)).limit(q.limit).offset(q.offset),
    db.select({ n: sql<number>`count(*)` }).from(apiKeys).where(where),
  ]);
  return { items: items.map(toResponse), total: count?.n ?? 0, limit: q.limit, offset: q.offset };
}

/** Revokes a key; it stops working on the next request. Revoking twice is harmless. */
export async function revokeApiKey({ db }: Pick<Deps, "db">, id: string) {
  await db
    .update(apiKeys)
    .set({ revokedAt: new Date().toISOString() })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)));
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.id, id)).limit(1);
  if (!row) throw notFound("API key");
  return toResponse(row);
}
