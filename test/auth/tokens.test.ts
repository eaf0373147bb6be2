import { env } from "cloudflare:workers";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { JWT_AUDIENCE, JWT_ISSUER } from "../../src/lib/auth";
import { fromBase64Url, toBase64Url, utf8 } from "../../src/lib/encoding";
import { eq } from "drizzle-orm";
import { sessions } from "../../src/db/schema";
import { call, db, loginAs, makeUser, str } from "../helpers";

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
    const wrongKey = await forge({ sub: claims.sub, sid: claims.sid, username: claims.username, role: claims.role }, "another-secret-another-secret-123456", now + 3600);
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
    const token = await forge({ sub: claims.sub, sid: crypto.randomUUID(), username: claims.username, role: "admin" }, env.JWT_SECRET, Math.floor(Date.now() / 1000) + 600);
    expect((await call("/api/v1/auth/me", { token })).status).toBe(401);
  });
});

describe("refresh tokens", () => {
  it("rotate: each refresh returns a new pair and the old refresh token stops working", async () => {
    const s = await loginAs("operator");
    const first = await call("/api/v1/auth/refresh", { body: { refresh_token: s.refresh } });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ token_type: "bearer", expires_in: 3600 });
    expect(first.json.refresh_token).not.toBe(s.refresh);
    expect((await call("/api/v1/auth/me", { token: str(first.json.access_token) })).status).toBe(200);
    const second = await call("/api/v1/auth/refresh", { body: { refresh_token: str(first.json.refresh_token) } });
    expect(second.status).toBe(200);
  });

  it("re-use of a rotated token revokes the whole family, including the newest tokens", async () => {
    const s = await loginAs("operator");
    const rotated = await call("/api/v1/auth/refresh", { body: { refresh_token: s.refresh } });
    const newest = str(rotated.json.refresh_token);
    const newestAccess = str(rotated.json.access_token);

    const replay = await call("/api/v1/auth/refresh", { body: { refresh_token: s.refresh } });
    expect(replay.status).toBe(401);
    expect(replay.json.message).toMatch(/already used/);

    expect((await call("/api/v1/auth/refresh", { body: { refresh_token: newest } })).status).toBe(401);
    expect((await call("/api/v1/auth/me", { token: newestAccess })).status).toBe(401);
    expect((await call("/api/v1/auth/me", { token: s.token })).status).toBe(401);
  });

  it("concurrent refreshes with one token: at most one succeeds", async () => {
    const s = await loginAs("operator");
    const results = await Promise.all([1, 2, 3].map(() => call("/api/v1/auth/refresh", { body: { refresh_token: s.refresh } })));
    expect(results.filter((r) => r.status === 200).length).toBeLessThanOrEqual(1);
  });

  it("sessions last one shift, or REFRESH_TOKEN_TTL_DAYS with remember_me, counted from the latest refresh", async () => {
    const u = await makeUser("operator");
    const expiryOf = async (sessionToken: string) => {
      const [row] = await db().select({ expiresAt: sessions.expiresAt }).from(sessions).where(eq(sessions.id, str(claimsOf(sessionToken).sid)));
      return Date.parse(str(row?.expiresAt)) - Date.now();
    };
    const hour = 3_600_000;
    const shift = await call("/api/v1/auth/login", { body: { username: u.username, password: u.password } });
    expect(await expiryOf(str(shift.json.access_token))).toBeGreaterThan(11.9 * hour);
    expect(await expiryOf(str(shift.json.access_token))).toBeLessThanOrEqual(12 * hour);
    const refreshed = await call("/api/v1/auth/refresh", { body: { refresh_token: str(shift.json.refresh_token) } });
    expect(await expiryOf(str(refreshed.json.access_token))).toBeLessThanOrEqual(12 * hour);
    const remembered = await call("/api/v1/auth/login", { body: { username: u.username, password: u.password, remember_me: true } });
    expect(await expiryOf(str(remembered.json.access_token))).toBeGreaterThan(13.9 * 24 * hour);
    const again = await call("/api/v1/auth/refresh", { body: { refresh_token: str(remembered.json.refresh_token) } });
    expect(await expiryOf(str(again.json.access_token))).toBeLessThanOrEqual(14 * 24 * hour);
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
