import { env } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { sessions, users } from "../../src/db/schema";
import { getConfig } from "../../src/lib/config";
import { checkCredentials, setPassword, startSession } from "../../src/modules/auth/service";
import { arr, call, DEFAULT_PASSWORD, db, loginAs, makeUser, str, unique } from "../helpers";

describe("POST /api/v1/auth/login", () => {
  it("returns MS5's token fields and user plus RM365's role and allowed_tabs", async () => {
    const u = await makeUser("operator");
    const { status, json } = await call("/api/v1/auth/login", { body: { username: u.username, password: u.password } });
    expect(status).toBe(200);
    expect(json).toMatchObject({ token_type: "bearer", expires_in: 3600, role: "operator", user: { username: u.username, role: "operator", is_active: true } });
    expect(str(json.access_token).split(".")).toHaveLength(3);
    expect(str(json.refresh_token).length).toBeGreaterThan(30);
    expect(arr(json.allowed_tabs)).toEqual(["inventory.management", "labels.generator", "orders.order-fulfillment"]);
    expect(json.user?.allowed_tabs).toEqual(json.allowed_tabs);
    expect(json.user?.last_login).toBeTypeOf("string");
    expect(JSON.stringify(json)).not.toContain("pbkdf2");
  });

  it("401 with both seeds' error fields for a wrong password or unknown user", async () => {
    const u = await makeUser("viewer");
    for (const body of [
      { username: u.username, password: "nope-nope" },
      { username: unique("ghost"), password: "whatever1" },
    ]) {
      const { status, json } = await call("/api/v1/auth/login", { body });
      expect(status).toBe(401);
      expect(json).toMatchObject({ error: "AUTHENTICATION_ERROR", message: "Invalid credentials", detail: "Invalid credentials" });
      expect(json.requestId).toBeTypeOf("string");
    }
  });

  it("422 names each missing field", async () => {
    const { status, json } = await call("/api/v1/auth/login", { body: { username: "" } });
    expect(status).toBe(422);
    expect(json.error).toBe("VALIDATION_ERROR");
    const paths = arr(json.details).map((d) => d.path);
    expect(paths).toEqual(expect.arrayContaining(["body.username", "body.password"]));
  });

  it("refuses a deactivated user without saying the password was right", async () => {
    const u = await makeUser("operator");
    await db().update(users).set({ isActive: false }).where(eq(users.id, u.id));
    const { status, json } = await call("/api/v1/auth/login", { body: { username: u.username, password: u.password } });
    expect(status).toBe(401);
    expect(json.message).toBe("Invalid credentials");
  });

  it("throttles repeated attempts from one client address", async () => {
    const ip = `203.0.113.${Math.floor(Math.random() * 250)}-${unique("t")}`;
    const limit = 5; // THROTTLE_ANON in vitest.config.ts
    // Fixed one-minute windows: crossing one boundary mid-loop at most doubles the allowance.
    let attempts = 0;
    let last = await call("/api/v1/auth/login", { body: { username: unique("nobody"), password: "x" }, headers: { "cf-connecting-ip": ip } });
    while (last.status !== 429 && ++attempts <= 2 * limit + 1) {
      expect(last.status).toBe(401);
      last = await call("/api/v1/auth/login", { body: { username: unique("nobody"), password: "x" }, headers: { "cf-connecting-ip": ip } });
    }
    expect(attempts).toBeGreaterThanOrEqual(limit);
    expect(last.status).toBe(429);
    expect(last.json.error).toBe("RATE_LIMITED");
    expect(Number(last.res.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("locks a username out after failed logins from many addresses", async () => {
    const u = await makeUser("viewer");
    const limit = Number(env.LOGIN_RATE_LIMIT_PER_USERNAME);
    let attempts = 0;
    let last = await call("/api/v1/auth/login", { body: { username: u.username, password: "guess-0" } });
    while (last.status !== 429 && ++attempts <= 2 * limit + 1) {
      expect(last.status).toBe(401);
      last = await call("/api/v1/auth/login", { body: { username: u.username, password: `guess-${attempts}` } });
    }
    expect(attempts).toBeGreaterThanOrEqual(limit);
    expect(last.status).toBe(429);
    // without a trusted device token, even the right password waits out the window
    expect((await call("/api/v1/auth/login", { body: { username: u.username, password: u.password } })).status).toBe(429);
  });

  it("two first logins of an imported user at once both succeed (the re-hash of one does not fail the other)", async () => {
    const u = await makeUser("viewer");
    await db().update(users).set({ passwordHash: "$2b$10$/sP7CNAVr06AxXGf8RUE.eKiL1tzT.4Pv.z3k5aret.aN5yxei5ea" }).where(eq(users.id, u.id));
    const both = await Promise.all([1, 2].map(() => call("/api/v1/auth/login", { body: { username: u.username, password: "correct horse battery" } })));
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    expect((await call("/api/v1/auth/login", { body: { username: u.username, password: "correct horse battery" } })).status).toBe(200);
  });

  it("a session cannot be started with a password that changed during verification", async () => {
    const u = await makeUser("operator");
    const deps = { db: db(), d1: env.DB, config: getConfig(env), rooms: { line: env.LINE_ROOM, inventory: env.INVENTORY_ROOM }, requestId: "test" };
    const verified = await checkCredentials(deps, u.username, u.password);
    await setPassword(deps, u.id, "changed-meanwhile-1");
    await expect(startSession(deps, verified.found, { rehash: null, rememberMe: false })).rejects.toMatchObject({ code: "AUTHENTICATION_ERROR" });
    const [row] = await db().select({ n: sql<number>`count(*)` }).from(sessions).where(eq(sessions.userId, u.id));
    expect(row?.n).toBe(0);
  });

  it("logs in an imported bcrypt user and re-hashes the password to the native format", async () => {
    const u = await makeUser("viewer");
    // libxcrypt bcrypt of "correct horse battery"
    await db().update(users).set({ passwordHash: "$2b$10$/sP7CNAVr06AxXGf8RUE.eKiL1tzT.4Pv.z3k5aret.aN5yxei5ea" }).where(eq(users.id, u.id));
    const first = await call("/api/v1/auth/login", { body: { username: u.username, password: "correct horse battery" } });
    expect(first.status).toBe(200);
    const [row] = await db().select({ hash: users.passwordHash }).from(users).where(eq(users.id, u.id));
    expect(row?.hash).toMatch(/^pbkdf2_sha256\$100000\$/);
    const again = await call("/api/v1/auth/login", { body: { username: u.username, password: "correct horse battery" } });
    expect(again.status).toBe(200);
  });
});

describe("profile, me, change-password", () => {
  it("GET /me and /profile describe the caller", async () => {
    const s = await loginAs("shift_manager");
    for (const path of ["/api/v1/auth/me", "/api/v1/auth/profile"]) {
      const { status, json } = await call(path, { token: s.token });
      expect(status).toBe(200);
      expect(json).toMatchObject({ username: s.username, role: "shift_manager" });
      expect(arr(json.permissions)).toContain("andon:acknowledge");
    }
  });

  it("PUT /profile updates name and email, and rejects unknown fields", async () => {
    const s = await loginAs("viewer");
    const ok = await call("/api/v1/auth/profile", { method: "PUT", token: s.token, body: { email: "v@example.com", first_name: "Vera" } });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ email: "v@example.com", first_name: "Vera", role: "viewer" });
    const bad = await call("/api/v1/auth/profile", { method: "PUT", token: s.token, body: { role: "admin" } });
    expect(bad.status).toBe(422);
    const after = await call("/api/v1/auth/me", { token: s.token });
    expect(after.json.role).toBe("viewer");
  });

  it("change-password needs the current password and ends other sessions", async () => {
    const s = await loginAs("operator");
    const other = await call("/api/v1/auth/login", { body: { username: s.username, password: DEFAULT_PASSWORD } });
    const wrong = await call("/api/v1/auth/change-password", {
      token: s.token,
      body: { current_password: "not-it-at-all", new_password: "brand-new-pass", confirm_password: "brand-new-pass" },
    });
    expect(wrong.status).toBe(422);
    expect(arr(wrong.json.details)[0]?.path).toBe("body.current_password");
    const mismatch = await call("/api/v1/auth/change-password", {
      token: s.token,
      body: { current_password: DEFAULT_PASSWORD, new_password: "brand-new-pass", confirm_password: "brand-new-pasX" },
    });
    expect(arr(mismatch.json.details)[0]?.path).toBe("body.confirm_password");
    const ok = await call("/api/v1/auth/change-password", {
      token: s.token,
      body: { current_password: DEFAULT_PASSWORD, new_password: "brand-new-pass", confirm_password: "brand-new-pass" },
    });
    expect(ok.status).toBe(200);
    expect((await call("/api/v1/auth/me", { token: s.token })).status).toBe(200);
    expect((await call("/api/v1/auth/me", { token: str(other.json.access_token) })).status).toBe(401);
    expect((await call("/api/v1/auth/login", { body: { username: s.username, password: DEFAULT_PASSWORD } })).status).toBe(401);
    expect((await call("/api/v1/auth/login", { body: { username: s.username, password: "brand-new-pass" } })).status).toBe(200);
  });
});
