import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { idempotencyKeys, passwordResetTokens, rateLimits, refreshTokens, sessions } from "../../src/db/schema";
import { describeError } from "../../src/lib/logging";
import { cleanupExpired } from "../../src/modules/maintenance/cleanup";
import { db, makeUser, testDeps } from "../helpers";

describe("Durable Object rooms", () => {
  // The WebSocket side (connectToRoom, messages, presence) is covered in websocket.test.ts.
  it.each([["LINE_ROOM"], ["INVENTORY_ROOM"]] as const)("%s answers RPC and refuses an upgrade that connectToRoom did not make", async (binding) => {
    const ns = env[binding];
    const stub = ns.get(ns.idFromName(`test-${crypto.randomUUID()}`));
    expect(await stub.ping()).toEqual({ ok: true, sockets: 0 });
    expect((await stub.fetch("http://room/")).status).toBe(426);
    expect((await stub.fetch("http://room/", { headers: { upgrade: "websocket" } })).status).toBe(400);
  });
});

describe("hourly cleanup", () => {
  it("deletes expired records and keeps live ones", async () => {
    const u = await makeUser("viewer");
    const now = new Date();
    const old = new Date(now.getTime() - 40 * 86_400_000).toISOString();
    const future = new Date(now.getTime() + 86_400_000).toISOString();
    const tag = crypto.randomUUID();
    await db().batch([
      db()
        .insert(sessions)
        .values([
          { id: `old-${tag}`, userId: u.id, expiresAt: old },
          { id: `live-${tag}`, userId: u.id, expiresAt: future },
        ]),
      db()
        .insert(rateLimits)
        .values([
          { bucket: `old-${tag}`, windowStart: 1000, count: 3 },
          { bucket: `live-${tag}`, windowStart: Math.floor(now.getTime() / 1000), count: 1 },
        ]),
      db()
        .insert(idempotencyKeys)
        .values([
          { scope: tag, key: "old", requestHash: "h", state: "done", createdAt: old, expiresAt: old },
          { scope: tag, key: "live", requestHash: "h", state: "done", createdAt: old, expiresAt: future },
        ]),
      db()
        .insert(refreshTokens)
        .values([
          { id: `old-${tag}`, sessionId: `live-${tag}`, tokenHash: `old-${tag}`, expiresAt: old },
          { id: `live-${tag}`, sessionId: `live-${tag}`, tokenHash: `live-${tag}`, expiresAt: future },
        ]),
      db()
        .insert(passwordResetTokens)
        .values([
          { id: `old-${tag}`, userId: u.id, tokenHash: `old-${tag}`, expiresAt: old },
          { id: `live-${tag}`, userId: u.id, tokenHash: `live-${tag}`, expiresAt: future },
        ]),
    ]);
    await cleanupExpired(testDeps({ now: () => now }));
    const ids = async (q: Promise<{ id: string }[]>) =>
      (await q)
        .map((r) => r.id)
        .filter((id) => id.endsWith(tag))
        .sort();
    expect(await ids(db().select({ id: sessions.id }).from(sessions))).toEqual([`live-${tag}`]);
    expect(await ids(db().select({ id: passwordResetTokens.id }).from(passwordResetTokens))).toEqual([`live-${tag}`]);
    expect(await ids(db().select({ id: refreshTokens.id }).from(refreshTokens))).toEqual([`live-${tag}`]);
    expect(await ids(db().select({ id: rateLimits.bucket }).from(rateLimits))).toEqual([`live-${tag}`]);
    const keys = await db().select({ key: idempotencyKeys.key }).from(idempotencyKeys).where(sql`${idempotencyKeys.scope} = ${tag}`);
    expect(keys.map((k) => k.key)).toEqual(["live"]);
  });
});

describe("error logging", () => {
  it("keeps bound parameters (hashes, tokens) out of logged query errors", async () => {
    let caught: unknown;
    try {
      await db().insert(sessions).values({ id: "x", userId: "no-such-user", expiresAt: "pbkdf2_sha256$100000$SECRETSALT$SECRETHASH" });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(Error);
    const logged = JSON.stringify(describeError(caught));
    expect(logged).toContain("Failed query: insert into");
    expect(logged).toContain("params: [redacted]");
    expect(logged).not.toContain("SECRETHASH");
  });
});
