import { Hono } from "hono";
import { z } from "zod";
import { PERMISSIONS } from "../../lib/rbac";
import { principalOf, route, validate } from "../../lib/route";
import type { AppEnv } from "../../types";
import { CreateRoleBody, RoleNameQuery, RoleResponse, UpdateRoleBody } from "./schemas";
import { createRole, deleteRole, listRoles, updateRole } from "./service";

const TAGS = ["roles"];
const TAB = "usermanagement";

export const roleRoutes = new Hono<AppEnv>()
  .get(
    "/",
    route({ access: "roles:read", tab: TAB, summary: "Roles with their tabs and permissions (RM365 shape)", tags: TAGS, responses: { 200: z.array(RoleResponse) } }),
    async (c) => c.json(await listRoles(c.var.deps)),
  )
  .get(
    "/permissions",
    route({ access: "roles:read", tab: TAB, summary: "Every permission a role can grant", tags: TAGS, responses: { 200: z.array(z.string()) } }),
    (c) => c.json([...PERMISSIONS]),
  )
  .post(
    "/",
    route({ access: "roles:write", tab: TAB, summary: "Create a role", tags: TAGS, responses: { 201: RoleResponse } }),
    validate("json", CreateRoleBody),
    async (c) => c.json(await createRole(c.var.deps, c.req.valid("json"), principalOf(c)), 201),
  )
  .patch(
    "/",
    route({ access: "roles:write", tab: TAB, summary: "Update a role's tabs, permissions or name", tags: TAGS, responses: { 200: RoleResponse } }),
    validate("json", UpdateRoleBody),
    async (c) => c.json(await updateRole(c.var.deps, c.req.valid("json"), principalOf(c))),
  )
  .delete(
    "/",
    route({ access: "roles:write", tab: TAB, summary: "Delete a custom role nobody holds (?role_name=)", tags: TAGS, responses: { 200: z.object({ message: z.string() }) } }),
    validate("query", RoleNameQuery),
    async (c) => {
      const { role_name } = c.req.valid("query");
      await deleteRole(c.var.deps, role_name, principalOf(c));
      return c.json({ message: `Role '${role_name}' deleted` });
    },
  );
