import { z } from "zod";
import { expectedVersion, setETag } from "../../lib/etag";
import { createRouter, defineRoute, json, principalOf } from "../../lib/route";
import { toUserResponse } from "./repo";
import { CreateUserBody, UpdateUserBody, UsernameBody, UsernameQuery, UserResponse } from "./schemas";
import { createPasswordResetToken, createUser, deleteUser, listDetailed, listUsernames, updateUser } from "./service";

const TAGS = ["users"];
const TAB = "usermanagement";
const Message = z.object({ message: z.string() });
const ResetToken = z.object({ username: z.string(), reset_token: z.string(), expires_at: z.string() });

export const userRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/",
      access: "users:read",
      pureRead: true,
      tab: TAB,
      summary: "Usernames (RM365)",
      tags: TAGS,
      responses: { 200: json(z.array(z.string()), "Every username") },
    }),
    async (c) => c.json(await listUsernames(c.get("deps")), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/detailed",
      access: "users:read",
      pureRead: true,
      tab: TAB,
      summary: "Users with role and allowed tabs (RM365), plus MS5 profile fields",
      tags: TAGS,
      responses: { 200: json(z.array(UserResponse), "Every user") },
    }),
    async (c) => c.json(await listDetailed(c.get("deps")), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/",
      access: "users:write",
      tab: TAB,
      errors: { 409: "Username taken (case-insensitively)" },
      summary: "Create a user",
      tags: TAGS,
      request: { body: { content: { "application/json": { schema: CreateUserBody } } } },
      responses: { 201: json(UserResponse, "The new user") },
    }),
    async (c) => c.json(toUserResponse(await createUser(c.get("deps"), c.req.valid("json"), principalOf(c))), 201),
  )
  .openapi(
    defineRoute({
      method: "patch",
      path: "/",
      access: "users:write",
      tab: TAB,
      summary: "Update another user: rename, password, role, tabs, profile (If-Match: version for a safe write)",
      tags: TAGS,
      request: { body: { content: { "application/json": { schema: UpdateUserBody } } } },
      errors: { 404: "No such user", 409: "Stale If-Match, name taken, or the last admin" },
      responses: { 200: json(UserResponse, "The user as stored; ETag carries its version") },
    }),
    async (c) => {
      const updated = toUserResponse(await updateUser(c.get("deps"), c.req.valid("json"), principalOf(c), expectedVersion(c.req.header("if-match"))));
      setETag(c, updated.version);
      return c.json(updated, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "delete",
      path: "/",
      access: "users:write",
      tab: TAB,
      errors: { 404: "No such user", 409: "Yourself, the last admin, or changed meanwhile" },
      summary: "Delete a user (?username=)",
      tags: TAGS,
      request: { query: UsernameQuery },
      responses: { 200: json(Message, "Deleted") },
    }),
    async (c) => {
      const { username } = c.req.valid("query");
      await deleteUser(c.get("deps"), username, principalOf(c));
      return c.json({ message: `User '${username}' deleted` }, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/password-reset",
      access: "users:write",
      tab: TAB,
      noStore: true,
      errors: { 404: "No such user", 429: "Too many reset tokens for this user; see Retry-After" },
      summary: "Issue a single-use password-reset token for another user (for staff without email)",
      tags: TAGS,
      request: { body: { content: { "application/json": { schema: UsernameBody } } } },
      responses: { 201: json(ResetToken, "The token, shown once") },
    }),
    async (c) => {
      const issued = await createPasswordResetToken(c.get("deps"), c.req.valid("json").username, principalOf(c));
      return c.json({ username: issued.username, reset_token: issued.token, expires_at: issued.expiresAt }, 201);
    },
  );
