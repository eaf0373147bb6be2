import { z } from "zod";
import { PERMISSIONS } from "../../lib/rbac";
import { createRouter, defineRoute, json, principalOf } from "../../lib/route";
import { CreateRoleBody, RoleName, RoleNameQuery, RoleResponse, UpdateRoleBody } from "./schemas";
import { createRole, deleteRole, getRole, listRoles, updateRole } from "./service";

const TAGS = ["roles"];
const TAB = "usermanagement";
const Message = z.object({ message: z.string() });

export const roleRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/",
      access: "roles:read",
      pureRead: true,
      tab: TAB,
      summary: "Roles with their tabs and permissions (RM365 shape)",
      tags: TAGS,
      responses: { 200: json(z.array(RoleResponse), "Every role") },
    }),
    async (c) => c.json(await listRoles(c.get("deps")), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/permissions",
      access: "roles:read",
      pureRead: true,
      tab: TAB,
      summary: "Every permission a role can grant",
      tags: TAGS,
      responses: { 200: json(z.array(z.string()), "Permission names") },
    }),
    (c) => c.json([...PERMISSIONS], 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/{role_name}",
      access: "roles:read",
      pureRead: true,
      tab: TAB,
      summary: "One role with its tabs and permissions (RM365's getRole; after /permissions, so that path stays static)",
      tags: TAGS,
      request: { params: z.object({ role_name: RoleName }) },
      responses: { 200: json(RoleResponse, "The role") },
    }),
    async (c) => c.json(await getRole(c.get("deps"), c.req.valid("param").role_name), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/",
      access: "roles:write",
      tab: TAB,
      errors: { 409: "Role exists" },
      summary: "Create a role",
      tags: TAGS,
      request: { body: { content: { "application/json": { schema: CreateRoleBody } } } },
      responses: { 201: json(RoleResponse, "The new role") },
    }),
    async (c) => c.json(await createRole(c.get("deps"), c.req.valid("json"), principalOf(c)), 201),
  )
  .openapi(
    defineRoute({
      method: "patch",
      path: "/",
      access: "roles:write",
      tab: TAB,
      errors: { 404: "No such role", 409: "Name taken, or a built-in role renamed" },
      summary: "Update a role's tabs, permissions or name",
      tags: TAGS,
      request: { body: { content: { "application/json": { schema: UpdateRoleBody } } } },
      responses: { 200: json(RoleResponse, "The role as stored") },
    }),
    async (c) => c.json(await updateRole(c.get("deps"), c.req.valid("json"), principalOf(c)), 200),
  )
  .openapi(
    defineRoute({
      method: "delete",
      path: "/",
      access: "roles:write",
      tab: TAB,
      errors: { 404: "No such role", 409: "Built-in, or still held by users" },
      summary: "Delete a custom role nobody holds (?role_name=)",
      tags: TAGS,
      request: { query: RoleNameQuery },
      responses: { 200: json(Message, "Deleted") },
    }),
    async (c) => {
      const { role_name } = c.req.valid("query");
      await deleteRole(c.get("deps"), role_name, principalOf(c));
      return c.json({ message: `Role '${role_name}' deleted` }, 200);
    },
  );
