import { deviceTokenOf, setDeviceCookie } from "../../lib/auth";
import { AppError } from "../../lib/errors";
import { jsonBody } from "../../lib/json-body";
import { createRouter, defineRoute, json, principalOf } from "../../lib/route";
import type { UserPrincipal } from "../../types";
import { clearSocketCookie, setSocketCookie } from "../inventory/socketio";
import { toUserResponse } from "../users/repo";
import { ProfileUpdate, UserResponse } from "../users/schemas";
import { myProfile, updateProfile } from "../users/service";
import { ChangePasswordBody, LoginBody, LoginResponse, MessageResponse, RefreshBody, TokenResponse } from "./schemas";
import { changePassword, login, refresh, revokeSession } from "./service";

const TAGS = ["auth"];

function userPrincipal(principal: ReturnType<typeof principalOf>): UserPrincipal {
  if (principal.kind !== "user") throw new AppError("AUTHORIZATION_ERROR", "This endpoint is for signed-in users, not API keys");
  return principal;
}

export const authRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "post",
      path: "/login",
      access: "public",
      throttle: "login",
      idempotent: false,
      noStore: true,
      errors: {
        401: "Invalid credentials (unknown user, wrong password or disabled account alike)",
        429: "Too many failed logins for this username; see Retry-After",
      },
      summary: "Log in: access + refresh token, user, role and tabs",
      tags: TAGS,
      request: jsonBody(LoginBody),
      responses: { 200: json(LoginResponse, "Signed in") },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const { tokens, user, deviceToken } = await login(c.get("deps"), {
        username: body.username,
        password: body.password,
        rememberMe: body.remember_me,
        userAgent: c.req.header("user-agent"),
        deviceToken: deviceTokenOf(c),
      });
      setDeviceCookie(c, deviceToken);
      setSocketCookie(c, tokens.access_token, tokens.expires_in);
      const profile = toUserResponse(user);
      return c.json({ ...tokens, user: profile, role: profile.role, allowed_tabs: profile.allowed_tabs, device_token: deviceToken }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/refresh",
      access: "public",
      throttle: "refresh",
      idempotent: false,
      noStore: true,
      errors: { 401: "Invalid, expired, revoked or re-used refresh token" },
      summary: "Rotate a refresh token (re-use of a rotated token revokes its whole family)",
      tags: TAGS,
      request: jsonBody(RefreshBody),
      responses: { 200: json(TokenResponse, "New tokens") },
    }),
    async (c) => {
      const tokens = await refresh(c.get("deps"), c.req.valid("json").refresh_token);
      setSocketCookie(c, tokens.access_token, tokens.expires_in);
      return c.json(tokens, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/logout",
      access: "authenticated",
      apiKey: false,
      summary: "End this session (its refresh tokens and access tokens)",
      tags: TAGS,
      responses: { 200: json(MessageResponse, "Logged out") },
    }),
    async (c) => {
      await revokeSession(c.get("deps"), userPrincipal(principalOf(c)).sessionId, "logout");
      clearSocketCookie(c);
      return c.json({ message: "Logged out" }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/me",
      access: "authenticated",
      apiKey: false,
      summary: "Who am I (RM365: username, role, allowed_tabs; plus the profile)",
      tags: TAGS,
      responses: { 200: json(UserResponse, "My profile") },
    }),
    // Not a pure read: it waits for the session check and answers with the user row that check
    // read (one D1 query in all), rather than reading the user again beside it.
    async (c) => c.json(await myProfile(c.get("deps"), userPrincipal(principalOf(c))), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/profile",
      access: "authenticated",
      apiKey: false,
      summary: "My profile",
      tags: TAGS,
      responses: { 200: json(UserResponse, "My profile") },
    }),
    // Not a pure read: it waits for the session check and answers with the user row that check
    // read (one D1 query in all), rather than reading the user again beside it.
    async (c) => c.json(await myProfile(c.get("deps"), userPrincipal(principalOf(c))), 200),
  )
  .openapi(
    defineRoute({
      method: "put",
      path: "/profile",
      access: "authenticated",
      apiKey: false,
      summary: "Update my email and name",
      tags: TAGS,
      request: jsonBody(ProfileUpdate),
      responses: { 200: json(UserResponse, "My profile as stored") },
    }),
    async (c) => c.json(await updateProfile(c.get("deps"), c.req.valid("json"), userPrincipal(principalOf(c))), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/change-password",
      access: "authenticated",
      apiKey: false,
      errors: { 429: "Too many wrong current passwords; see Retry-After" },
      summary: "Change my password, proving the current one (other sessions end)",
      tags: TAGS,
      request: jsonBody(ChangePasswordBody),
      responses: { 200: json(MessageResponse, "Changed") },
    }),
    async (c) => {
      const body = c.req.valid("json");
      await changePassword(c.get("deps"), userPrincipal(principalOf(c)), body.current_password, body.new_password);
      return c.json({ message: "Password changed" }, 200);
    },
  );
