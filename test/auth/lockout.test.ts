import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { rateLimits } from "../../src/db/schema";
import { call, DEFAULT_PASSWORD, db, loginAs, makeUser, str } from "../helpers";

const LIMIT = Number(env.LOGIN_RATE_LIMIT_PER_USERNAME);

const v1Login = (username: string, password: string, headers: Record<string, string> = {}) =>
  call("/api/v1/auth/login", { body: { username, password }, headers });

/** Logs in once with the right password and returns the device token the server issued. */
async function trustedDevice(username: string, password = DEFAULT_PASSWORD) {
  const ok = await v1Login(username, password);
  expect(ok.status).toBe(200);
  return str(ok.json.device_token);
}

describe("login lockout with device tokens (OWASP device cookies)", () => {
  it("issues the device token in the body and as an HttpOnly Secure SameSite=Strict cookie", async () => {
    const u = await makeUser("viewer");
    const res = await v1Login(u.username, u.password);
    expect(res.status).toBe(200);
    const token = str(res.json.device_token);
    const cookie = res.res.headers.get("set-cookie") ?? "";
    expect(cookie).toContain(token);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/Secure/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
  });

  it("a stranger's wrong guesses lock the username, but not the owner's trusted device", async () => {
    const u = await makeUser("operator");
    const device = await trustedDevice(u.username);
    for (let i = 0; i < LIMIT; i++) expect((await v1Login(u.username, `guess-${i}`)).status).toBe(401);
    const locked = await v1Login(u.username, u.password);
    expect(locked.status).toBe(429);
    expect(Number(locked.res.headers.get("retry-after"))).toBeGreaterThan(0);
    // the owner's tablet sends its device token back: still logs in
    expect((await v1Login(u.username, u.password, { "x-device-token": device })).status).toBe(200);
    // ... and so does the browser, through the cookie, on CCbackend's login too
    const cc = await call("/api/auth/login", {
      body: { username: u.username, password: u.password },
      headers: { cookie: `__Host-floorline_device=${device}` },
    });
    expect(cc.status).toBe(200);
    expect((await call("/api/auth/login", { body: { username: u.username, password: u.password } })).status).toBe(429);
  });

  it("failures with a valid device token count against that device only", async () => {
    const u = await makeUser("operator");
    const device = await trustedDevice(u.username);
    for (let i = 0; i < LIMIT; i++) expect((await v1Login(u.username, `guess-${i}`, { "x-device-token": device })).status).toBe(401);
    expect((await v1Login(u.username, u.password, { "x-device-token": device })).status).toBe(429);
    // the username itself is not locked
    expect((await v1Login(u.username, u.password)).status).toBe(200);
  });

  it("counts failures, not attempts: successful logins never lock anyone out", async () => {
    const u = await makeUser("viewer");
    for (let i = 0; i < LIMIT + 2; i++) expect((await v1Login(u.username, u.password)).status).toBe(200);
    for (let i = 0; i < LIMIT - 1; i++) expect((await v1Login(u.username, `guess-${i}`)).status).toBe(401);
    expect((await v1Login(u.username, u.password)).status).toBe(200);
  });

  it("another user's device token, a forged one or an expired one is not trusted", async () => {
    const u = await makeUser("viewer");
    const other = await makeUser("viewer");
    const foreign = await trustedDevice(other.username);
    const own = await trustedDevice(u.username);
    const [nonce, mac] = [own.slice(0, own.lastIndexOf(".")), own.slice(own.lastIndexOf(".") + 1)];
    const forged = `${nonce}.${mac.startsWith("A") ? "B" : "A"}${mac.slice(1)}`;
    for (let i = 0; i < LIMIT; i++) expect((await v1Login(u.username, `guess-${i}`)).status).toBe(401);
    expect((await v1Login(u.username, u.password, { "x-device-token": foreign })).status).toBe(429);
    expect((await v1Login(u.username, u.password, { "x-device-token": forged })).status).toBe(429);
    expect((await v1Login(u.username, u.password, { "x-device-token": "garbage" })).status).toBe(429);
    expect((await v1Login(u.username, u.password, { "x-device-token": own })).status).toBe(200);
  });

  it("a locked username is locked whatever its case", async () => {
    const u = await makeUser("viewer");
    for (let i = 0; i < LIMIT; i++) expect((await v1Login(i % 2 ? u.username.toUpperCase() : u.username, `guess-${i}`)).status).toBe(401);
    expect((await v1Login(u.username, u.password)).status).toBe(429);
  });

  it("a huge username on CCbackend's login stores only a fixed-size bucket", async () => {
    const huge = "a".repeat(200_000);
    const res = await call("/api/auth/login", { body: { username: huge, password: "whatever-1" } });
    expect([400, 401]).toContain(res.status);
    const [row] = await db()
      .select({ n: sql<number>`coalesce(max(length(${rateLimits.bucket})), 0)` })
      .from(rateLimits);
    expect(row?.n ?? 0).toBeLessThanOrEqual(128);
  });
});

describe("change-password is throttled on wrong current passwords", () => {
  it("5 wrong current passwords in 15 minutes → 429 with Retry-After; the right one then waits too", async () => {
    const s = await loginAs("operator");
    const attempt = (current: string) =>
      call("/api/v1/auth/change-password", {
        token: s.token,
        body: { current_password: current, new_password: "brand-new-pass", confirm_password: "brand-new-pass" },
      });
    for (let i = 0; i < 5; i++) expect((await attempt(`wrong-${i}`)).status).toBe(422);
    const limited = await attempt("wrong-again");
    expect(limited.status).toBe(429);
    expect(Number(limited.res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await attempt(s.password)).status).toBe(429);
  });

  it("right answers do not count", async () => {
    const s = await loginAs("operator");
    let current = s.password;
    for (let i = 0; i < 6; i++) {
      const next = `new-password-${i}`;
      const res = await call("/api/v1/auth/change-password", {
        token: s.token,
        body: { current_password: current, new_password: next, confirm_password: next },
      });
      expect(res.status).toBe(200);
      current = next;
    }
  });
});
