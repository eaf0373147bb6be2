/**
 * CCbackend's auth surface (seed 000), with its request fields and its `{success, message}` /
 * `{success:false, error}` envelope and Chinese messages (see ./surface.ts). Same services as
 * /api/v1/auth; errors carry reasons that the surface's table turns into the seed's words.
 *
 * Deliberate changes from the seed: `reset_password_no_auth` needs the single-use `reset_token`
 * that `forgot_password` issues (the seed reset any password knowing only a username), and
 * `PUT /api/reset_password` (no current password asked) needs `users:write` and the
 * usermanagement tab and acts on others only; people change their own password at
 * /api/v1/auth/change-password. Kept as the seed had it (its client relies on it):
 * `verify_username` and `forgot_password` say whether a username exists. Both are throttled
 * per client address.
 */
import { z } from "zod";
import { deviceTokenOf, setDeviceCookie } from "../../lib/auth";
import { AppError } from "../../lib/errors";
import { LoginPassword, LookupUsername, NewPassword, Token, Username } from "../../lib/fields";
import { jsonBody } from "../../lib/json-body";
import { createRouter, json, principalOf, routeDefiner } from "../../lib/route";
import { login, requestPasswordReset, resetPasswordWithToken } from "../../modules/auth/service";
import { findUserByUsername } from "../../modules/users/repo";
import { adminSetPassword, selfRegister } from "../../modules/users/service";
import { ccbackendSurface } from "./surface";

const defineRoute = routeDefiner(ccbackendSurface);
const TAGS = ["ccbackend"];
const AccountName = LookupUsername.min(1, "請提供帳號");
const Credentials = z.object({ username: AccountName, password: LoginPassword.min(1, "請提供密碼") });
const UsernameBody = z.object({ username: AccountName });
const Ok = z.object({ success: z.literal(true), message: z.string() });
const userNotFound = () => new AppError("NOT_FOUND", "User not found", { reason: "user_not_found" });

export const ccbackendAuthRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "post",
      path: "/auth/login",
      access: "public",
      throttle: "login",
      idempotent: false,
      noStore: true,
      errors: { 401: "帳號或密碼錯誤", 429: "Too many failed logins for this username" },
      summary: "CCbackend login",
      tags: TAGS,
      request: jsonBody(Credentials),
      responses: { 200: json(Ok.extend({ access_token: z.string(), username: z.string() }), "Signed in") },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const { tokens, user, deviceToken } = await login(c.get("deps"), {
        username: body.username,
        password: body.password,
        userAgent: c.req.header("user-agent"),
        deviceToken: deviceTokenOf(c),
      });
      setDeviceCookie(c, deviceToken);
      return c.json({ success: true as const, message: "登入成功", access_token: tokens.access_token, username: user.user.username }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/register",
      access: "public",
      throttle: "register",
      errors: { 403: "此系統未開放註冊 (SELF_REGISTRATION=off)", 409: "使用者名稱已存在" },
      summary: "CCbackend self-registration (SELF_REGISTRATION: open, approval = inactive until an admin activates, off)",
      tags: TAGS,
      request: jsonBody(z.object({ username: Username, password: NewPassword })),
      responses: { 201: json(Ok.extend({ pending_approval: z.boolean() }), "Registered") },
    }),
    async (c) => {
      const { pending } = await selfRegister(c.get("deps"), c.req.valid("json"));
      return c.json({ success: true as const, message: pending ? "註冊成功，待管理員啟用" : "註冊成功", pending_approval: pending }, 201);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/auth/verify_username",
      access: "public",
      throttle: "verify_username",
      errors: { 404: "使用者不存在" },
      summary: "CCbackend: does this username exist (the seed's contract; throttled)",
      tags: TAGS,
      request: jsonBody(UsernameBody),
      responses: { 200: json(Ok, "It exists") },
    }),
    async (c) => {
      if (!(await findUserByUsername(c.get("deps"), c.req.valid("json").username))) throw userNotFound();
      return c.json({ success: true as const, message: "使用者存在" }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/auth/forgot_password",
      access: "public",
      throttle: "forgot_password",
      noStore: true,
      errors: { 404: "使用者不存在", 429: "Too many reset requests for this user" },
      summary: "CCbackend: issue a single-use password-reset token (delivered via PASSWORD_RESET_WEBHOOK_URL; returned in development)",
      tags: TAGS,
      request: jsonBody(UsernameBody),
      responses: { 200: json(Ok.extend({ expires_at: z.string(), delivered: z.boolean(), reset_token: z.string().optional() }), "Token issued") },
    }),
    async (c) => {
      const { expiresAt, delivered, devToken } = await requestPasswordReset(c.get("deps"), c.req.valid("json").username);
      return c.json(
        { success: true as const, message: "已建立密碼重設請求", expires_at: expiresAt, delivered, ...(devToken ? { reset_token: devToken } : {}) },
        200,
      );
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/auth/reset_password_no_auth",
      access: "public",
      throttle: "reset_password",
      errors: { 400: "重設碼無效或已過期 (unknown, disabled or bad token alike), or no reset_token: the user is told to request one first" },
      summary:
        "CCbackend: reset a password with the reset token forgot_password issued. The seed's client posts only {username,new_password}: that is a 400 telling the user to request a reset code first",
      tags: TAGS,
      request: jsonBody(z.object({ username: AccountName, new_password: NewPassword, reset_token: Token.optional() })),
      responses: { 200: json(Ok, "Password reset") },
    }),
    async (c) => {
      const body = c.req.valid("json");
      if (!body.reset_token) throw new AppError("VALIDATION_ERROR", "reset_token is required", { reason: "reset_token_required" });
      await resetPasswordWithToken(c.get("deps"), body.username, body.reset_token, body.new_password);
      return c.json({ success: true as const, message: "密碼重設成功" }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "put",
      path: "/reset_password",
      access: "users:write",
      tab: "usermanagement",
      apiKey: false,
      errors: { 404: "使用者不存在" },
      summary: "CCbackend: set another user's password (an administrator's tool: every session of the target ends)",
      tags: TAGS,
      request: jsonBody(z.object({ target_username: LookupUsername.min(1, "請提供目標帳號"), new_password: NewPassword })),
      responses: { 200: json(Ok, "Password set") },
    }),
    async (c) => {
      const body = c.req.valid("json");
      // No current password is asked (the seed's contract): others only, and no session of the
      // target survives, so a stolen access token cannot turn into a lasting account.
      await adminSetPassword(c.get("deps"), principalOf(c), body.target_username, body.new_password);
      return c.json({ success: true as const, message: "密碼已更新" }, 200);
    },
  );
