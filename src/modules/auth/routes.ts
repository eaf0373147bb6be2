import { Hono } from "hono";
import { deviceTokenOf, setDeviceCookie } from "../../lib/auth";
import { AppError } from "../../lib/errors";
import { principalOf, route, validate } from "../../lib/route";
import type { AppEnv, UserPrincipal } from "../../types";
import { toUserResponse } from "../users/repo";
import { ProfileUpdate, UserResponse } from "../users/schemas";
import { getProfile, updateProfile } from "../users/service";
import { changePassword, login, refresh, revokeSession } from "./service";
import { ChangePasswordBody, LoginBody, LoginResponse, MessageResponse, RefreshBody, TokenResponse } from "./schemas";

const TAGS = ["auth"];

function userPrincipal(principal: ReturnType<typeof principalOf>): UserPrincipal {
  if (principal.kind !== "user") throw new AppError("AUTHORIZATION_ERROR", "This endpoint is for signed-in users, not API keys");
  return principal;
}

export const authRoutes = new Hono<AppEnv>()
  .post(
    "/login",
    route({ access: "public", throttle: "login", idempotent: false, summary: "Log in: access + refresh token, user, role and tabs", tags: TAGS, responses: { 200: LoginResponse } }),
    validate("json", LoginBody),
    async (c) => {
      const body = c.req.valid("json");
      const { tokens, user, deviceToken } = await login(c.var.deps, {
        username: body.username,
        password: body.password,
        rememberMe: body.remember_me,
        userAgent: c.req.header("user-agent"),
        deviceToken: deviceTokenOf(c),
      });
      setDeviceCookie(c, deviceToken);
      const profile = toUserResponse(user);
      return c.json({ ...tokens, user: profile, role: profile.role, allowed_tabs: profile.allowed_tabs, device_token: deviceToken });
    },
  )
  .post(
    "/refresh",
    route({
      access: "public",
      throttle: "refresh",
      idempotent: false,
      summary: "Rotate a refresh token (re-use of a rotated token revokes its whole family)",
      tags: TAGS,
      responses: { 200: TokenResponse },
    }),
    validate("json", RefreshBody),
    async (c) => c.json(await refresh(c.var.deps, c.req.valid("json").refresh_token)),
  )
  .post(
    "/logout",
    route({ access: "authenticated", apiKey: false, summary: "End this session (its refresh tokens and access tokens)", tags: TAGS, responses: { 200: MessageResponse } }),
    async (c) => {
      const principal = userPrincipal(principalOf(c));
      await revokeSession(c.var.deps, principal.sessionId, "logout");
      return c.json({ message: "Logged out" });
    },
  )
  .get(
    "/me",
    route({ access: "authenticated", apiKey: false, summary: "Who am I (RM365: username, role, allowed_tabs; plus the profile)", tags: TAGS, responses: { 200: UserResponse } }),
    async (c) => c.json(await getProfile(c.var.deps, userPrincipal(principalOf(c)))),
  )
  .get(
    "/profile",
    route({ access: "authenticated", apiKey: false, summary: "My profile", tags: TAGS, responses: { 200: UserResponse } }),
    async (c) => c.json(await getProfile(c.var.deps, userPrincipal(principalOf(c)))),
  )
  .put(
    "/profile",
    route({ access: "authenticated", apiKey: false, summary: "Update my email and name", tags: TAGS, responses: { 200: UserResponse } }),
    validate("json", ProfileUpdate),
    async (c) => c.json(await updateProfile(c.var.deps, c.req.valid("json"), userPrincipal(principalOf(c)))),
  )
  .post(
    "/change-password",
    route({ access: "authenticated", apiKey: false, summary: "Change my password (other sessions end)", tags: TAGS, responses: { 200: MessageResponse } }),
    validate("json", ChangePasswordBody),
    async (c) => {
      const body = c.req.valid("json");
      await changePassword(c.var.deps, userPrincipal(principalOf(c)), body.current_password, body.new_password);
      return c.json({ message: "Password changed" });
    },
  );
