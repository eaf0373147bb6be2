import { Hono } from "hono";
import { z } from "zod";
import { AppError, notFound } from "../../lib/errors";
import { principalOf, route, validate } from "../../lib/route";
import type { AppEnv } from "../../types";
import { issueResetToken } from "../auth/service";
import { findUserByUsername, toUserResponse } from "./repo";
import { CreateUserBody, UpdateUserBody, UserResponse, UsernameQuery } from "./schemas";
import { assertMayManage, createUser, deleteUser, listDetailed, listUsernames, updateUser } from "./service";

const TAGS = ["users"];
const TAB = "usermanagement";

/** `If-Match: "3"` (or W/"3", or 3) → 3. Absent → undefined; anything else is a 422. */
function expectedVersion(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const match = /^(?:W\/)?"?(\d+)"?$/.exec(header.trim());
  if (!match) {
    throw new AppError("VALIDATION_ERROR", "If-Match must carry the user's version", { details: [{ path: "header.If-Match", message: "expected a version number" }] });
  }
  return Number(match[1]);
}

export const userRoutes = new Hono<AppEnv>()
  .get(
    "/",
    route({ access: "users:read", tab: TAB, summary: "Usernames (RM365)", tags: TAGS, responses: { 200: z.array(z.string()) } }),
    async (c) => c.json(await listUsernames(c.var.deps)),
  )
  .get(
    "/detailed",
    route({ access: "users:read", tab: TAB, summary: "Users with role and allowed tabs (RM365), plus MS5 profile fields", tags: TAGS, responses: { 200: z.array(UserResponse) } }),
    async (c) => c.json(await listDetailed(c.var.deps)),
  )
  .post(
    "/",
    route({ access: "users:write", tab: TAB, summary: "Create a user", tags: TAGS, responses: { 201: UserResponse } }),
    validate("json", CreateUserBody),
    async (c) => c.json(toUserResponse(await createUser(c.var.deps, c.req.valid("json"), principalOf(c))), 201),
  )
  .patch(
    "/",
    route({
      access: "users:write",
      tab: TAB,
      summary: "Update a user: rename, password, role, tabs, profile (If-Match: version for a safe write)",
      tags: TAGS,
      responses: { 200: UserResponse },
    }),
    validate("json", UpdateUserBody),
    async (c) => {
      const updated = toUserResponse(await updateUser(c.var.deps, c.req.valid("json"), principalOf(c), expectedVersion(c.req.header("if-match"))));
      c.header("ETag", `"${updated.version}"`);
      return c.json(updated);
    },
  )
  .delete(
    "/",
    route({ access: "users:write", tab: TAB, summary: "Delete a user (?username=)", tags: TAGS, responses: { 200: z.object({ message: z.string() }) } }),
    validate("query", UsernameQuery),
    async (c) => {
      const { username } = c.req.valid("query");
      await deleteUser(c.var.deps, username, principalOf(c));
      return c.json({ message: `User '${username}' deleted` });
    },
  )
  .post(
    "/password-reset",
    route({
      access: "users:write",
      tab: TAB,
      summary: "Issue a single-use password-reset token for a user (for staff without email)",
      tags: TAGS,
      responses: { 201: z.object({ username: z.string(), reset_token: z.string(), expires_at: z.string() }) },
    }),
    validate("json", z.object({ username: z.string().min(1) })),
    async (c) => {
      const deps = c.var.deps;
      const { username } = c.req.valid("json");
      const target = await findUserByUsername(deps, username);
      if (!target) throw notFound(`User '${username}'`);
      assertMayManage(principalOf(c), target);
      const issued = await issueResetToken(deps, target);
      return c.json({ username: issued.username, reset_token: issued.token, expires_at: issued.expiresAt }, 201);
    },
  );
