/**
 * CCbackend's auth surface (seed 000), with its request fields and its `{success, message}` /
 * `{success:false, error}` envelope and Chinese messages. Same services as /api/v1/auth.
 *
 * Deliberate changes from the seed: `reset_password_no_auth` needs the single-use `reset_token`
 * that `forgot_password` issues (the seed reset any password knowing only a username), and
 * `PUT /api/reset_password` (no current password asked) needs `users:write` and the
 * usermanagement tab; people change their own password at /api/v1/auth/change-password.
 */
import { Hono } from "hono";
import { z } from "zod";
import { AppError, forbidden } from "../../lib/errors";
import { principalOf, route, validate } from "../../lib/route";
import type { AppEnv } from "../../types";
import { deviceTokenOf, setDeviceCookie } from "../../lib/auth";
import { deliverResetToken, issueResetToken, login, resetPasswordWithToken } from "../../modules/auth/service";
import { findUserByUsername } from "../../modules/users/repo";
import { NewPassword, Username } from "../../modules/users/schemas";
import { adminSetPassword, createUser, isOwnPasswordRefusal } from "../../modules/users/service";

const TAGS = ["ccbackend"];
const Credentials = z.object({ username: z.string().trim().min(1, "請提供帳號"), password: z.string().min(1, "請提供密碼").max(1024) });
const UsernameBody = z.object({ username: z.string().trim().min(1, "請提供帳號") });
const Ok = z.object({ success: z.literal(true), message: z.string() });

export const ccbackendAuthRoutes = new Hono<AppEnv>()
  .post(
    "/auth/login",
    route({
      access: "public",
      throttle: "login",
      idempotent: false,
      summary: "CCbackend login",
      tags: TAGS,
      responses: { 200: Ok.extend({ access_token: z.string(), username: z.string() }) },
    }),
    validate("json", Credentials),
    async (c) => {
      const body = c.req.valid("json");
      try {
        const { tokens, user, deviceToken } = await login(c.var.deps, { username: body.username, password: body.password, userAgent: c.req.header("user-agent"), deviceToken: deviceTokenOf(c) });
        setDeviceCookie(c, deviceToken);
        return c.json({ success: true as const, message: "登入成功", access_token: tokens.access_token, username: user.user.username });
      } catch (err) {
        if (err instanceof AppError && err.code === "AUTHENTICATION_ERROR") throw new AppError("AUTHENTICATION_ERROR", "帳號或密碼錯誤");
        throw err;
      }
    },
  )
  .post(
    "/register",
    route({
      access: "public",
      throttle: "register",
      summary: "CCbackend self-registration (SELF_REGISTRATION: open, approval = inactive until an admin activates, off)",
      tags: TAGS,
      responses: { 201: Ok.extend({ pending_approval: z.boolean() }) },
    }),
    validate("json", z.object({ username: Username, password: NewPassword })),
    async (c) => {
      const config = c.var.deps.config;
      if (config.SELF_REGISTRATION === "off") throw forbidden("此系統未開放註冊");
      const pending = config.SELF_REGISTRATION === "approval";
      const body = c.req.valid("json");
      try {
        await createUser(c.var.deps, { username: body.username, password: body.password, role: config.SELF_REGISTRATION_ROLE, is_active: !pending });
      } catch (err) {
        if (err instanceof AppError && err.code === "CONFLICT") throw new AppError("CONFLICT", "使用者名稱已存在");
        throw err;
      }
      return c.json({ success: true as const, message: pending ? "註冊成功，待管理員啟用" : "註冊成功", pending_approval: pending }, 201);
    },
  )
  .post(
    "/auth/verify_username",
    route({ access: "public", throttle: "verify_username", summary: "CCbackend: does this username exist", tags: TAGS, responses: { 200: Ok } }),
    validate("json", UsernameBody),
    async (c) => {
      const found = await findUserByUsername(c.var.deps, c.req.valid("json").username);
      if (!found) throw new AppError("NOT_FOUND", "使用者不存在");
      return c.json({ success: true as const, message: "使用者存在" });
    },
  )
  .post(
    "/auth/forgot_password",
    route({
      access: "public",
      throttle: "forgot_password",
      summary: "CCbackend: issue a single-use password-reset token (delivered via PASSWORD_RESET_WEBHOOK_URL; returned in development)",
      tags: TAGS,
      responses: { 200: Ok.extend({ expires_at: z.string(), delivered: z.boolean(), reset_token: z.string().optional() }) },
    }),
    validate("json", UsernameBody),
    async (c) => {
      const deps = c.var.deps;
      const found = await findUserByUsername(deps, c.req.valid("json").username);
      if (!found || !found.user.isActive) throw new AppError("NOT_FOUND", "使用者不存在");
      const issued = await issueResetToken(deps, found);
      const { delivered, devToken } = await deliverResetToken(deps, issued);
      return c.json({
        success: true as const,
        message: "已建立密碼重設請求",
        expires_at: issued.expiresAt,
        delivered,
        ...(devToken ? { reset_token: devToken } : {}),
      });
    },
  )
  .post(
    "/auth/reset_password_no_auth",
    route({ access: "public", throttle: "reset_password", summary: "CCbackend: reset a password with a reset token", tags: TAGS, responses: { 200: Ok } }),
    validate(
      "json",
      z.object({ username: z.string().trim().min(1, "請提供帳號"), new_password: NewPassword, reset_token: z.string().min(1, "請提供重設碼").max(256) }),
    ),
    async (c) => {
      const body = c.req.valid("json");
      try {
        await resetPasswordWithToken(c.var.deps, body.username, body.reset_token, body.new_password);
      } catch (err) {
        if (err instanceof AppError && err.code === "NOT_FOUND") throw new AppError("NOT_FOUND", "使用者不存在");
        if (err instanceof AppError && err.code === "VALIDATION_ERROR") throw new AppError("BAD_REQUEST", "重設碼無效或已過期");
        throw err;
      }
      return c.json({ success: true as const, message: "密碼重設成功" });
    },
  )
  .put(
    "/reset_password",
    route({
      access: "users:write",
      tab: "usermanagement",
      apiKey: false,
      summary: "CCbackend: set a user's password (an administrator's tool: every session of the target ends)",
      tags: TAGS,
      responses: { 200: Ok },
    }),
    validate("json", z.object({ target_username: z.string().trim().min(1, "請提供目標帳號"), new_password: NewPassword })),
    async (c) => {
      const body = c.req.valid("json");
      try {
        await adminSetPassword(c.var.deps, principalOf(c), body.target_username, body.new_password);
      } catch (err) {
        if (err instanceof AppError && err.code === "NOT_FOUND") throw new AppError("NOT_FOUND", "使用者不存在");
        if (isOwnPasswordRefusal(err)) throw forbidden("請至 /api/v1/auth/change-password 以目前密碼變更自己的密碼");
        if (err instanceof AppError && err.code === "AUTHORIZATION_ERROR") throw forbidden("無權限重設權限高於自己的使用者密碼");
        throw err;
      }
      return c.json({ success: true as const, message: "密碼已更新" });
    },
  );
