import { asc, eq, sql } from "drizzle-orm";
import { isConstraintError } from "../../db/client";
import { roles, users } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { AppError, conflict, forbidden, notFound } from "../../lib/errors";
import { holdsAll, rolePermissions } from "../../lib/rbac";
import type { Principal } from "../../types";
import { assertMayGrantTabs } from "../users/service";
import { closeSockets, type SocketDeps } from "../users/sockets";
import type { CreateRoleBody, RoleResponse, UpdateRoleBody } from "./schemas";

type RoleRow = typeof roles.$inferSelect;

export const toRoleResponse = (r: RoleRow): RoleResponse => ({
  role_name: r.name,
  allowed_tabs: r.allowedTabs,
  permissions: [...rolePermissions(r.name, r.permissions)].sort(),
  description: r.description,
  is_builtin: r.isBuiltin,
});

export async function listRoles({ db }: Pick<Deps, "db">): Promise<RoleResponse[]> {
  return (await db.select().from(roles).orderBy(asc(roles.name))).map(toRoleResponse);
}

/** One role by name (RM365's `GET /roles/{name}`); 404 when there is none. */
export async function getRole(deps: Pick<Deps, "db">, name: string): Promise<RoleResponse> {
  return toRoleResponse(await findRole(deps, name));
}

async function findRole({ db }: Pick<Deps, "db">, name: string): Promise<RoleRow> {
  const [row] = await db.select().from(roles).where(eq(roles.name, name)).limit(1);
  if (!row) throw notFound(`Role '${name}'`);
  return row;
}

/**
 * Nobody grants, edits or deletes a role holding permissions they do not hold themselves (nor,
 * see `assertMayGrantTabs`, tabs).
 */
function assertWithin(actor: Principal, permissions: Iterable<string>, what: string): void {
  if (!holdsAll(actor.permissions, permissions)) throw forbidden(`You cannot ${what}: it grants permissions you do not hold`);
}

export async function createRole({ db }: Pick<Deps, "db">, input: CreateRoleBody, actor: Principal): Promise<RoleResponse> {
  assertWithin(actor, input.permissions, `create role '${input.role_name}'`);
  assertMayGrantTabs(actor, input.allowed_tabs);
  const [row] = await db
    .insert(roles)
    .values({ name: input.role_name, allowedTabs: input.allowed_tabs, permissions: input.permissions, description: input.description ?? null })
    .onConflictDoNothing()
    .returning();
  if (!row) throw conflict(`Role '${input.role_name}' already exists`);
  return toRoleResponse(row);
}

/**
 * Updates tabs, permissions, description, or renames (users follow by ON UPDATE CASCADE).
 * Built-in roles keep their names and their permissions, which are defined in code.
 */
export async function updateRole(deps: SocketDeps, input: UpdateRoleBody, actor: Principal): Promise<RoleResponse> {
  const { db } = deps;
  const role = await findRole(deps, input.role_name);
  assertWithin(actor, rolePermissions(role.name, role.permissions), `change role '${role.name}'`);
  assertMayGrantTabs(actor, role.allowedTabs);
  if (input.permissions !== undefined) assertWithin(actor, input.permissions, `give role '${role.name}' those permissions`);
  if (input.allowed_tabs !== undefined) assertMayGrantTabs(actor, input.allowed_tabs);
  if (role.isBuiltin && input.new_role_name !== undefined && input.new_role_name !== role.name)
    throw conflict(`Built-in role '${role.name}' cannot be renamed`);
  if (role.isBuiltin && input.permissions !== undefined) {
    throw new AppError("VALIDATION_ERROR", `Permissions of built-in role '${role.name}' are fixed`, {
      details: [{ path: "body.permissions", message: "not editable on a built-in role" }],
    });
  }
  const set: Partial<typeof roles.$inferInsert> = { updatedAt: new Date().toISOString() };
  if (input.new_role_name !== undefined) set.name = input.new_role_name;
  if (input.allowed_tabs !== undefined) set.allowedTabs = input.allowed_tabs;
  if (input.permissions !== undefined) set.permissions = input.permissions;
  if (input.description !== undefined) set.description = input.description;
  try {
    const [row] = await db.update(roles).set(set).where(eq(roles.name, role.name)).returning();
    if (!row) throw notFound(`Role '${input.role_name}'`);
    // Its holders' sockets carry the old rights (and are tagged with the old name): close them.
    if (input.permissions !== undefined || input.allowed_tabs !== undefined || (input.new_role_name !== undefined && input.new_role_name !== role.name)) {
      await closeSockets(deps, { role: role.name }, "Your role changed");
    }
    return toRoleResponse(row);
  } catch (err) {
    if (isConstraintError(err, "UNIQUE")) throw conflict(`Role '${input.new_role_name}' already exists`);
    throw err;
  }
}

/** Deletes a custom role that no user holds. */
export async function deleteRole(deps: Pick<Deps, "db">, name: string, actor: Principal): Promise<void> {
  const { db } = deps;
  const role = await findRole(deps, name);
  assertWithin(actor, rolePermissions(role.name, role.permissions), `delete role '${name}'`);
  assertMayGrantTabs(actor, role.allowedTabs);
  if (role.isBuiltin) throw conflict(`Built-in role '${name}' cannot be deleted`);
  const [holders] = await db.select({ n: sql<number>`count(*)` }).from(users).where(eq(users.role, name));
  if ((holders?.n ?? 0) > 0) throw conflict(`Role '${name}' is held by ${holders?.n} user(s); reassign them first`);
  try {
    await db.delete(roles).where(eq(roles.name, name));
  } catch (err) {
    if (isConstraintError(err, "FOREIGN KEY")) throw conflict(`Role '${name}' is still held by a user`);
    throw err;
  }
}
