import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { users } from "../../src/db/schema";
import { JWT_AUDIENCE, JWT_ISSUER } from "../../src/lib/auth";
import { utf8 } from "../../src/lib/encoding";
import { throttle } from "../../src/lib/rate-limit";
import { arr, call, db, loginAs, makeUser, str, testDeps, unique } from "../helpers";

/** The payload of a JWT, read without verifying it. */
const claimsOf = (token: string): Record<string, string> =>
  JSON.parse(atob(str(token.split(".")[1]).replaceAll("-", "+").replaceAll("_", "/"))) as Record<string, string>;

describe("access tokens must expire", () => {
  it("a correctly signed token without exp is refused", async () => {
    const s = await loginAs("viewer");
    const c = claimsOf(s.token);
    const forever = await new SignJWT({ sid: c.sid, username: c.username, role: c.role })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(str(c.sub))
      .setIssuer(JWT_ISSUER)
      .setAudience(JWT_AUDIENCE)
      .setIssuedAt()
      .sign(utf8(env.JWT_SECRET));
    expect((await call("/api/v1/auth/me", { token: forever })).status).toBe(401);
  });
});

describe("a disabled account's right password is not revealed", () => {
  it("v1 answers the same 401 Invalid credentials as for a wrong password", async () => {
    const u = await makeUser("operator");
    await db().update(users).set({ isActive: false }).where(eq(users.id, u.id));
    const right = await call("/api/v1/auth/login", { body: { username: u.username, password: u.password } });
    const wrong = await call("/api/v1/auth/login", { body: { username: u.username, password: "wrong-password" } });
    expect([right.status, wrong.status]).toEqual([401, 401]);
    expect(right.json.message).toBe("Invalid credentials");
    expect(right.json.message).toBe(wrong.json.message);
    const cc = await call("/api/auth/login", { body: { username: u.username, password: u.password } });
    expect(cc.status).toBe(401);
    expect(cc.json.error).toBe("帳號或密碼錯誤");
  });
});

describe("forgot_password cannot be used to keep a user from resetting", () => {
  it("an earlier token survives later requests; issuance per username is throttled", async () => {
    const u = await makeUser("operator");
    const issue = () => call("/api/auth/forgot_password", { body: { username: u.username } });
    const first = str((await issue()).json.reset_token);
    const second = await issue();
    const third = await issue();
    expect([second.status, third.status]).toEqual([200, 200]);
    const fourth = await issue();
    expect(fourth.status).toBe(429);
    expect(Number(fourth.res.headers.get("retry-after"))).toBeGreaterThan(0);
    const ok = await call("/api/auth/reset_password_no_auth", { body: { username: u.username, new_password: "new-password-1", reset_token: first } });
    expect(ok.status).toBe(200);
  });
});

describe("anonymous throttle on the rate-limiting binding", () => {
  it("throttle() lets THROTTLE_ANON's limit through per route and client, then 429s", async () => {
    const deps = testDeps();
    const ip = unique("203.0.113.9");
    let allowed = 0;
    let error: unknown;
    for (let i = 0; i < 100 && !error; i++) {
      try {
        await throttle(deps, "probe", ip);
        allowed++;
      } catch (err) {
        error = err;
      }
    }
    // vitest.config.ts lowers THROTTLE_ANON to 5 a minute
    expect(allowed).toBe(5);
    expect(error).toMatchObject({ code: "RATE_LIMITED" });
    expect((error as { retryAfter: number }).retryAfter).toBeGreaterThan(0);
    // another route, another client: their own counters
    await throttle(deps, "other", ip);
    await throttle(deps, "probe", unique("203.0.113.10"));
  });
});

describe("bounded input on the schemas of auth, users, roles and API keys", () => {
  it("over-long strings are 422 naming the field", async () => {
    const admin = await loginAs("admin");
    const long = "x".repeat(5000);
    const cases = [
      await call("/api/v1/users", { method: "PATCH", token: admin.token, body: { username: long } }),
      await call(`/api/v1/users?username=${long}`, { method: "DELETE", token: admin.token }),
      await call("/api/v1/roles", { method: "PATCH", token: admin.token, body: { role_name: long } }),
      await call(`/api/v1/roles?role_name=${long}`, { method: "DELETE", token: admin.token }),
      await call("/api/v1/auth/refresh", { body: { refresh_token: long } }),
      await call("/api/v1/users", { token: admin.token, body: { username: unique("x"), password: "password-123", role: long } }),
    ];
    expect(cases.map((c) => c.status)).toEqual([422, 422, 422, 422, 422, 422]);
    for (const c of cases) expect(arr(c.json.details).length).toBeGreaterThan(0);
  });
});
