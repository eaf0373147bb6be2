import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { idempotencyKeys, passwordResetTokens, rateLimits, refreshTokens, sessions } from "../../src/db/schema";
import { describeError } from "../../src/lib/logging";
import { cleanupExpired } from "../../src/modules/maintenance/cleanup";
import { db, makeUser } from "../helpers";

/** Reads one JSON message from a socket, failing after `ms`. */
function nextMessage(ws: WebSocket, ms = 2000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no WebSocket message within timeout")), ms);
    ws.addEventListener("message", (e) => {
      clearTimeout(timer);
      resolve(JSON.parse(String(e.data)) as Record<string, unknown>);
    }, { once: true });
  });
}

describe("Durable Object rooms", () => {
  it.each([["LINE_ROOM"], ["INVENTORY_ROOM"]] as const)("%s answers RPC and speaks WebSocket (ping → pong)", async (binding) => {
    const ns = env[binding];
    const stub = ns.get(ns.idFromName(`test-${crypto.randomUUID()}`));
    expect(await stub.ping()).toEqual({ ok: true, sockets: 0 });
    const notUpgrade = await stub.fetch("http://room/");
    expect(notUpgrade.status).toBe(426);
    const res = await stub.fetch("http://room/", { headers: { upgrade: "websocket" } });
    expect(res.status).toBe(101);
    const ws = res.webSocket;
    if (!ws) throw new Error("no socket");
    ws.accept();
    ws.send(JSON.stringify({ type: "ping" }));
    expect(await nextMessage(ws)).toMatchObject({ type: "pong" });
    ws.send("not json");
    expect(await nextMessage(ws)).toMatchObject({ type: "error" });
    expect((await stub.ping()).sockets).toBe(1);
    ws.close(1000, "done");
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
      db().insert(sessions).values([
        { id: `old-${tag}`, userId: u.id, expiresAt: old },
        { id: `live-${tag}`, userId: u.id, expiresAt: future },
      ]),
      db().insert(rateLimits).values([
        { bucket: `old-${tag}`, windowStart: 1000, count: 3 },
        { bucket: `live-${tag}`, windowStart: Math.floor(now.getTime() / 1000), count: 1 },
      ]),
      db().insert(idempotencyKeys).values([
        { scope: tag, key: "old", requestHash: "h", state: "done", createdAt: old, expiresAt: old },
        { scope: tag, key: "live", requestHash: "h", state: "done", createdAt: old, expiresAt: future },
      ]),
      db().insert(refreshTokens).values([
        { id: `old-${tag}`, sessionId: `live-${tag}`, tokenHash: `old-${tag}`, expiresAt: old },
        { id: `live-${tag}`, sessionId: `live-${tag}`, tokenHash: `live-${tag}`, expiresAt: future },
      ]),
      db().insert(passwordResetTokens).values([
        { id: `old-${tag}`, userId: u.id, tokenHash: `old-${tag}`, expiresAt: old },
        { id: `live-${tag}`, userId: u.id, tokenHash: `live-${tag}`, expiresAt: future },
      ]),
    ]);
    await cleanupExpired(env, now);
    const ids = async (q: Promise<{ id: string }[]>) => (await q).map((r) => r.id).filter((id) => id.endsWith(tag)).sort();
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
