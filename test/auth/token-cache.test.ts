/**
 * The isolate's cache of verified access tokens (src/lib/auth.ts `verifiedTokens`): a token is
 * verified once, then only its `exp` is checked again; the session check still runs every time.
 */
import { env } from "cloudflare:workers";
import { SignJWT } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { JWT_AUDIENCE, JWT_ISSUER, MAX_VERIFIED_TOKENS, SOCKET_AUDIENCE, verifiedTokensHeld, verifyAccessToken } from "../../src/lib/auth";
import { getConfig } from "../../src/lib/config";
import { utf8 } from "../../src/lib/encoding";
import { AppError } from "../../src/lib/errors";
import { call, loginAs } from "../helpers";

const config = () => getConfig(env);

async function sign(claims: Record<string, unknown>, exp: number, audience = JWT_AUDIENCE) {
  return new SignJWT({ sid: "s-cache", username: "cache", role: "viewer", ...claims })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(String(claims.sub ?? "u-cache"))
    .setIssuer(JWT_ISSUER)
    .setAudience(audience)
    .setIssuedAt(exp - 60)
    .setExpirationTime(exp)
    .sign(utf8(env.JWT_SECRET));
}

/** The 401 reason a verification fails with (or "ok"). */
async function outcome(token: string, audience?: string | string[]) {
  try {
    await verifyAccessToken(config(), token, audience);
    return "ok";
  } catch (err) {
    if (err instanceof AppError) return `${err.status} ${err.message}`;
    throw err;
  }
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

afterEach(() => vi.useRealTimers());

describe("verified token cache", () => {
  it("a token verified before is refused once its exp has passed", async () => {
    const exp = nowSeconds() + 30;
    const token = await sign({ sub: "u-exp" }, exp);
    expect(await outcome(token)).toBe("ok");
    expect(await outcome(token)).toBe("ok");
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(exp * 1000 - 1);
    expect(await outcome(token)).toBe("ok");
    vi.setSystemTime(exp * 1000);
    expect(await outcome(token)).toBe("401 Token has expired");
    vi.setSystemTime((exp + 60) * 1000);
    expect(await outcome(token)).toBe("401 Token has expired");
  });

  it("keeps audiences apart: a socket token verified by the upgrade is still no bearer token", async () => {
    const token = await sign({ sub: "u-socket" }, nowSeconds() + 60, SOCKET_AUDIENCE);
    expect(await outcome(token, [JWT_AUDIENCE, SOCKET_AUDIENCE])).toBe("ok");
    expect(await outcome(token)).toBe("401 Invalid token");
    expect(await outcome(token, [JWT_AUDIENCE, SOCKET_AUDIENCE])).toBe("ok");
  });

  it("keeps only tokens that passed: a forged one is refused every time", async () => {
    const good = await sign({ sub: "u-forged" }, nowSeconds() + 60);
    const [head, , signature] = good.split(".");
    const payload = Buffer.from(
      JSON.stringify({ sub: "u-forged", sid: "s", username: "x", role: "admin", iss: JWT_ISSUER, aud: JWT_AUDIENCE, exp: nowSeconds() + 60 }),
    ).toString("base64url");
    const forged = `${head}.${payload}.${signature}`;
    expect(await outcome(good)).toBe("ok");
    expect(await outcome(forged)).toBe("401 Invalid token");
    expect(await outcome(forged)).toBe("401 Invalid token");
  });

  it("answers copies: a caller changing its claims changes nobody else's", async () => {
    const token = await sign({ sub: "u-copy", tabs: ["inventory"] }, nowSeconds() + 60);
    const first = await verifyAccessToken(config(), token);
    first.role = "admin";
    first.tabs?.push("usermanagement");
    const second = await verifyAccessToken(config(), token);
    expect(second.role).toBe("viewer");
    expect(second.tabs).toEqual(["inventory"]);
  });

  it(`holds at most ${MAX_VERIFIED_TOKENS} tokens per configuration`, async () => {
    const exp = nowSeconds() + 60;
    for (let i = 0; i <= MAX_VERIFIED_TOKENS; i++) expect(await outcome(await sign({ sub: `u-many-${i}` }, exp))).toBe("ok");
    expect(verifiedTokensHeld(config())).toBe(MAX_VERIFIED_TOKENS);
  });

  it("a logout still refuses the cached token on the next request", async () => {
    const s = await loginAs("viewer");
    expect((await call("/api/v1/auth/me", { token: s.token })).status).toBe(200);
    expect((await call("/api/v1/auth/me", { token: s.token })).status).toBe(200);
    expect((await call("/api/v1/auth/logout", { token: s.token, method: "POST" })).status).toBeLessThan(300);
    expect((await call("/api/v1/auth/me", { token: s.token })).status).toBe(401);
  });
});
