import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { createApp } from "../../../src/app";
import { passwordResetTokens } from "../../../src/db/schema";
import { JWT_AUDIENCE, JWT_ISSUER } from "../../../src/lib/auth";
import { utf8 } from "../../../src/lib/encoding";
import { call, DEFAULT_PASSWORD, db, loginAs, makeUser, str, unique } from "../../helpers";

describe("CCbackend auth surface (/api/...)", () => {
  it("login: 200 {success, message: 登入成功, access_token, username}; the token works on /api/v1 too", async () => {
    const u = await makeUser("operator");
    const { status, json } = await call("/api/auth/login", { body: { username: u.username, password: u.password } });
    expect(status).toBe(200);
    expect(json).toMatchObject({ success: true, message: "登入成功", username: u.username });
    expect((await call("/api/v1/auth/me", { token: str(json.access_token) })).status).toBe(200);
  });

  it("login: wrong credentials 401 {success:false,error}; missing field 400", async () => {
    const u = await makeUser("operator");
    const wrong = await call("/api/auth/login", { body: { username: u.username, password: "wrong-pass" } });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toMatchObject({ success: false, error: "帳號或密碼錯誤" });
    const missing = await call("/api/auth/login", { body: { username: u.username } });
    expect(missing.status).toBe(400);
    expect(missing.json.success).toBe(false);
    expect(missing.json.error).toBeTypeOf("string");
  });

  it("register: 201, then 409 for the same name, 400 without a password", async () => {
    const username = unique("cc");
    const ok = await call("/api/register", { body: { username, password: "password-123" } });
    expect(ok.status).toBe(201);
    expect(ok.json).toMatchObject({ success: true, message: "註冊成功" });
    const login = await call("/api/v1/auth/login", { body: { username, password: "password-123" } });
    expect(login.json.role).toBe(env.SELF_REGISTRATION_ROLE);
    const dup = await call("/api/register", { body: { username, password: "password-123" } });
    expect(dup.status).toBe(409);
    expect(dup.json).toMatchObject({ success: false, error: "使用者名稱已存在" });
    expect((await call("/api/register", { body: { username: unique("cc") } })).status).toBe(400);
  });

  it("verify_username: 200 for a user, 404 otherwise", async () => {
    const u = await makeUser("viewer");
    expect((await call("/api/auth/verify_username", { body: { username: u.username } })).json).toMatchObject({ success: true });
    const missing = await call("/api/auth/verify_username", { body: { username: unique("ghost") } });
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ success: false, error: "使用者不存在" });
  });

  it("forgot_password → reset_password_no_auth: the reset token is single-use and required", async () => {
    const u = await makeUser("operator");
    expect((await call("/api/auth/forgot_password", { body: { username: unique("ghost") } })).status).toBe(404);
    const issued = await call("/api/auth/forgot_password", { body: { username: u.username } });
    expect(issued.status).toBe(200);
    expect(issued.json).toMatchObject({ success: true, delivered: false });
    const token = str(issued.json.reset_token); // returned only outside staging/production

    const noToken = await call("/api/auth/reset_password_no_auth", { body: { username: u.username, new_password: "new-password-1" } });
    expect(noToken.status).toBe(400);
    const wrongToken = await call("/api/auth/reset_password_no_auth", { body: { username: u.username, new_password: "new-password-1", reset_token: "nope" } });
    expect(wrongToken.status).toBe(400);
    expect(wrongToken.json).toMatchObject({ success: false, error: "重設碼無效或已過期" });

    const ok = await call("/api/auth/reset_password_no_auth", { body: { username: u.username, new_password: "new-password-1", reset_token: token } });
    expect(ok.status).toBe(200);
    const again = await call("/api/auth/reset_password_no_auth", { body: { username: u.username, new_password: "new-password-2", reset_token: token } });
    expect(again.status).toBe(400);
    expect((await call("/api/auth/login", { body: { username: u.username, password: "new-password-1" } })).status).toBe(200);
  });

  it("an expired reset token is refused", async () => {
    const u = await makeUser("operator");
    const token = str((await call("/api/auth/forgot_password", { body: { username: u.username } })).json.reset_token);
    await db()
      .update(passwordResetTokens)
      .set({ expiresAt: new Date(Date.now() - 1000).toISOString() })
      .where(eq(passwordResetTokens.userId, u.id));
    const res = await call("/api/auth/reset_password_no_auth", { body: { username: u.username, new_password: "new-password-1", reset_token: token } });
    expect(res.status).toBe(400);
    expect((await call("/api/auth/login", { body: { username: u.username, password: DEFAULT_PASSWORD } })).status).toBe(200);
  });

  it("registration waits for approval when SELF_REGISTRATION=approval, and is refused when off", async () => {
    const app = createApp();
    const send = (e: Record<string, unknown>, body: unknown) =>
      app.fetch(
        new Request("http://localhost/api/register", {
          method: "POST",
          headers: { "content-type": "application/json", "cf-connecting-ip": unique("ip") },
          body: JSON.stringify(body),
        }),
        { ...env, ...e },
        createExecutionContext(),
      );
    const username = unique("pending");
    const pending = await send({ SELF_REGISTRATION: "approval" }, { username, password: "password-123" });
    expect(pending.status).toBe(201);
    expect(await pending.json()).toMatchObject({ success: true, pending_approval: true });
    expect((await call("/api/auth/login", { body: { username, password: "password-123" } })).status).toBe(401);
    const admin = await loginAs("admin");
    await call("/api/v1/users", { method: "PATCH", token: admin.token, body: { username, is_active: true } });
    expect((await call("/api/auth/login", { body: { username, password: "password-123" } })).status).toBe(200);

    const off = await send({ SELF_REGISTRATION: "off" }, { username: unique("nope"), password: "password-123" });
    expect(off.status).toBe(403);
    expect(await off.json()).toMatchObject({ success: false });
  });

  it("a newer reset token leaves the older one valid, and spending one spends the others", async () => {
    const u = await makeUser("operator");
    const first = str((await call("/api/auth/forgot_password", { body: { username: u.username } })).json.reset_token);
    const second = str((await call("/api/auth/forgot_password", { body: { username: u.username } })).json.reset_token);
    expect(
      (await call("/api/auth/reset_password_no_auth", { body: { username: u.username, new_password: "new-password-1", reset_token: first } })).status,
    ).toBe(200);
    expect(
      (await call("/api/auth/reset_password_no_auth", { body: { username: u.username, new_password: "new-password-2", reset_token: second } })).status,
    ).toBe(400);
    expect((await call("/api/auth/login", { body: { username: u.username, password: "new-password-1" } })).status).toBe(200);
  });

  it("PUT /api/reset_password is an administrator's tool: users:write + tab, and every target session ends", async () => {
    const op = await loginAs("operator");
    const victim = await loginAs("viewer");
    for (const target of [victim.username, op.username]) {
      const denied = await call("/api/reset_password", { method: "PUT", token: op.token, body: { target_username: target, new_password: "hijacked-1" } });
      expect(denied.status).toBe(403);
      expect(denied.json.success).toBe(false);
    }
    const admin = await loginAs("admin");
    const other = await call("/api/reset_password", {
      method: "PUT",
      token: admin.token,
      body: { target_username: victim.username, new_password: "admin-set-1" },
    });
    expect(other.status).toBe(200);
    expect(other.json).toMatchObject({ success: true, message: "密碼已更新" });
    expect((await call("/api/v1/auth/me", { token: victim.token })).status).toBe(401);
    expect((await call("/api/auth/login", { body: { username: victim.username, password: DEFAULT_PASSWORD } })).status).toBe(401);
    expect((await call("/api/auth/login", { body: { username: victim.username, password: "admin-set-1" } })).status).toBe(200);
    const unknown = await call("/api/reset_password", {
      method: "PUT",
      token: admin.token,
      body: { target_username: unique("ghost"), new_password: "admin-set-1" },
    });
    expect(unknown.status).toBe(404);
    // not for yourself: your own password needs the current one (POST /api/v1/auth/change-password)
    const self = await call("/api/reset_password", {
      method: "PUT",
      token: admin.token,
      body: { target_username: admin.username, new_password: "admin-own-1" },
    });
    expect(self.status).toBe(403);
    expect(self.json.error).toMatch(/change-password/);
    expect((await call("/api/v1/auth/me", { token: admin.token })).status).toBe(200);
  });

  it("auth failures answer as flask-jwt-extended did: 401 {msg} missing/expired, 422 malformed", async () => {
    const missing = await call("/api/reset_password", { method: "PUT", body: { target_username: "x", new_password: "whatever-1" } });
    expect(missing.status).toBe(401);
    expect(missing.json).toEqual({ msg: "Missing Authorization Header" });
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ sid: "s", username: "u", role: "admin" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("u")
      .setIssuer(JWT_ISSUER)
      .setAudience(JWT_AUDIENCE)
      .setIssuedAt(now - 7200)
      .setExpirationTime(now - 3600)
      .sign(utf8(env.JWT_SECRET));
    const exp = await call("/api/reset_password", { method: "PUT", token: expired, body: { target_username: "x", new_password: "whatever-1" } });
    expect(exp.status).toBe(401);
    expect(exp.json).toEqual({ msg: "Token has expired" });
    const malformed = await call("/api/reset_password", { method: "PUT", token: "garbage", body: { target_username: "x", new_password: "whatever-1" } });
    expect(malformed.status).toBe(422);
    expect(malformed.json.msg).toBeTypeOf("string");
  });
});
