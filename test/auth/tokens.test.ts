import { env } from "cloudflare:workers";
import { eq, isNotNull } from "drizzle-orm";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { refreshTokens, sessions } from "../../src/db/schema";
import { JWT_AUDIENCE, JWT_ISSUER } from "../../src/lib/auth";
import { fromBase64Url, toBase64Url, utf8 } from "../../src/lib/encoding";
import { REFRESH_REUSE_GRACE_MS } from "../../src/modules/auth/service";
import { call, db, loginAs, makeUser, str } from "../helpers";

async function expiryOf(sessionId: string): Promise<number> {
  const [row] = await db().select({ expiresAt: sessions.expiresAt }).from(sessions).where(eq(sessions.id, sessionId));
  return Date.parse(str(row?.expiresAt));
}

/** The payload of a JWT, read without verifying it. */
function claimsOf(token: string): Record<string, string> {
  const bytes = fromBase64Url(str(token.split(".")[1]));
  if (!bytes) throw new Error("bad token");
  return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, string>;
}

async function forge(claims: Record<string, unknown>, key: string, exp: number) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(JWT_ISSUER)
    .setAudience(JWT_AUDIENCE)
    .setIssuedAt(exp - 3600)
    .setExpirationTime(exp)
    .sign(utf8(key));
}

describe("access tokens", () => {
  it("a valid token opens an authenticated route", async () => {
    const s = await loginAs("viewer");
    expect((await call("/api/v1/auth/me", { token: s.token })).status).toBe(200);
  });

  it("missing, expired, forged, wrong-key, alg:none and garbage tokens are 401", async () => {
    const s = await loginAs("admin");
    const payloadB64 = str(s.token.split(".")[1]);
    const claims = claimsOf(s.token);
    const now = Math.floor(Date.now() / 1000);
    const expired = await forge({ sub: claims.sub, sid: claims.sid, username: claims.username, role: claims.role }, env.JWT_SECRET, now - 10);
    const wrongKey = await forge(
      { sub: claims.sub, sid: claims.sid, username: claims.username, role: claims.role },
      "another-secret-another-secret-123456",
      now + 3600,
    );
    const none = `${toBase64Url(utf8(JSON.stringify({ alg: "none", typ: "JWT" })))}.${payloadB64}.`;
    const tampered = s.token.replace(/\.[^.]+\./, `.${toBase64Url(utf8(JSON.stringify({ ...claims, role: "admin", sub: "someone-else" })))}.`);

    const missing = await call("/api/v1/auth/me");
    expect(missing.status).toBe(401);
    expect(missing.json.error).toBe("AUTHENTICATION_ERROR");
    for (const [name, token] of Object.entries({ expired, wrongKey, none, tampered, garbage: "not.a.jwt", twoParts: "abc.def" })) {
      const res = await call("/api/v1/auth/me", { token });
      expect(res.status, name).toBe(401);
      expect(res.json.error, name).toBe("AUTHENTICATION_ERROR");
    }
    const expiredRes = await call("/api/v1/auth/me", { token: expired });
    expect(expiredRes.json.message).toBe("Token has expired");
    const notBearer = await call("/api/v1/auth/me", { headers: { authorization: `Token ${s.token}` } });
    expect(notBearer.status).toBe(401);
  });

  it("a token for a session that does not exist is refused even when correctly signed", async () => {
    const s = await loginAs("viewer");
    const claims = claimsOf(s.token);
    const token = await forge(
      { sub: claims.sub, sid: crypto.randomUUID(), username: claims.username, role: "admin" },
      env.JWT_SECRET,
      Math.floor(Date.now() / 1000) + 600,
    );
    expect((await call("/api/v1/auth/me", { token })).status).toBe(401);
  });
});

describe("refresh tokens", () => {
  it("rotate: each refresh returns a new pair", async () => {
    const s = await loginAs("operator");
    const first = await call("/api/v1/auth/refresh", { body: { refresh_token: s.refresh } });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ token_type: "bearer", expires_in: 3600 });
    expect(first.json.refresh_token).not.toBe(s.refresh);
    expect((await call("/api/v1/auth/me", { token: str(first.json.access_token) })).status).toBe(200);
    const second = await call("/api/v1/auth/refresh", { body: { refresh_token: str(first.json.refresh_token) } });
    expect(second.status).toBe(200);
  });

  it("a retry within the grace window gets the same successor instead of a logout", async () => {
    const s = await loginAs("operator");
    const first = await call("/api/v1/auth/refresh", { body: { refresh_token: s.refresh } });
    const retry = await call("/api/v1/auth/refresh", { body: { refresh_token: s.refresh } });
    expect(retry.status).toBe(200);
    expect(retry.json.refresh_token).toBe(first.json.refresh_token);
    expect((await call("/api/v1/auth/me", { token: str(retry.json.access_token) })).status).toBe(200);
    expect((await call("/api/v1/auth/refresh", { body: { refresh_token: str(retry.json.refresh_token) } })).status).toBe(200);
  });

  it("re-use once the successor was used revokes the whole family, including the newest tokens", async () => {
    const s = await loginAs("operator");
    const b = await call("/api/v1/auth/refresh", { body: { refresh_token: s.refresh } });
    const c = await call("/api/v1/auth/refresh", { body: { refresh_token: str(b.json.refresh_token) } });
    expect(c.status).toBe(200);

    const replay = await call("/api/v1/auth/refresh", { body: { refresh_token: s.refresh } });
    expect(replay.status).toBe(401);
    expect(replay.json.message).toMatch(/already used/);

    expect((await call("/api/v1/auth/refresh", { body: { refresh_token: str(c.json.refresh_token) } })).status).toBe(401);
    expect((await call("/api/v1/auth/me", { token: str(c.json.access_token) })).status).toBe(401);
    expect((await call("/api/v1/auth/me", { token: s.token })).status).toBe(401);
  });

  it("re-use after the grace window revokes the family", async () => {
    const s = await loginAs("operator");
    const b = await call("/api/v1/auth/refresh", { body: { refresh_token: s.refresh } });
    const stale = new Date(Date.now() - REFRESH_REUSE_GRACE_MS - 5_000).toISOString();
    await db().update(refreshTokens).set({ usedAt: stale }).where(isNotNull(refreshTokens.usedAt));
    expect((await call("/api/v1/auth/refresh", { body: { refresh_token: s.refresh } })).status).toBe(401);
    expect((await call("/api/v1/auth/me", { token: str(b.json.access_token) })).status).toBe(401);
  });

  it("concurrent refreshes with one token all get the one successor, which works", async () => {
    const s = await loginAs("operator");
    const results = await Promise.all([1, 2, 3].map(() => call("/api/v1/auth/refresh", { body: { refresh_token: s.refresh } })));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(new Set(results.map((r) => r.json.refresh_token)).size).toBe(1);
    for (const r of results) expect((await call("/api/v1/auth/me", { token: str(r.json.access_token) })).status).toBe(200);
  });

  it("sessions last one shift, or REFRESH_TOKEN_TTL_DAYS with remember_me, sliding from the latest refresh", async () => {
    const u = await makeUser("operator");
    const hour = 3_600_000;
    const shift = await call("/api/v1/auth/login", { body: { username: u.username, password: u.password } });
    const sid = str(claimsOf(str(shift.json.access_token)).sid);
    const atLogin = await expiryOf(sid);
    expect(atLogin - Date.now()).toBeGreaterThan(11.9 * hour);
    expect(atLogin - Date.now()).toBeLessThanOrEqual(12 * hour);
    // pretend two hours have passed, then refresh: the session slides to a full shift from now
    await db()
      .update(sessions)
      .set({ expiresAt: new Date(atLogin - 2 * hour).toISOString() })
      .where(eq(sessions.id, sid));
    expect((await call("/api/v1/auth/refresh", { body: { refresh_token: str(shift.json.refresh_token) } })).status).toBe(200);
    const afterRefresh = await expiryOf(sid);
    expect(afterRefresh - Date.now()).toBeGreaterThan(11.9 * hour);
    expect(afterRefresh - Date.now()).toBeLessThanOrEqual(12 * hour);

    const remembered = await call("/api/v1/auth/login", { body: { username: u.username, password: u.password, remember_me: true } });
    expect((await expiryOf(str(claimsOf(str(remembered.json.access_token)).sid))) - Date.now()).toBeGreaterThan(13.9 * 24 * hour);
  });

  it("no refresh extends a session past SESSION_MAX_DAYS from its login", async () => {
    const u = await makeUser("operator");
    const login = await call("/api/v1/auth/login", { body: { username: u.username, password: u.password, remember_me: true } });
    const sid = str(claimsOf(str(login.json.access_token)).sid);
    const created = Date.now() - 29.5 * 86_400_000;
    await db()
      .update(sessions)
      .set({ createdAt: new Date(created).toISOString() })
      .where(eq(sessions.id, sid));
    expect((await call("/api/v1/auth/refresh", { body: { refresh_token: str(login.json.refresh_token) } })).status).toBe(200);
    expect(await expiryOf(sid)).toBeLessThanOrEqual(created + 30 * 86_400_000);
  });

  it("unknown refresh token is 401; missing is 422", async () => {
    expect((await call("/api/v1/auth/refresh", { body: { refresh_token: "x".repeat(43) } })).status).toBe(401);
    expect((await call("/api/v1/auth/refresh", { body: {} })).status).toBe(422);
  });
});

describe("logout", () => {
  it("revokes the session: its access and refresh tokens stop working, other sessions do not", async () => {
    const s = await loginAs("viewer");
    const other = await call("/api/v1/auth/login", { body: { username: s.username, password: s.password } });
    const out = await call("/api/v1/auth/logout", { method: "POST", token: s.token });
    expect(out.status).toBe(200);
    expect((await call("/api/v1/auth/me", { token: s.token })).status).toBe(401);
    expect((await call("/api/v1/auth/refresh", { body: { refresh_token: s.refresh } })).status).toBe(401);
    expect((await call("/api/v1/auth/me", { token: str(other.json.access_token) })).status).toBe(200);
  });
});
