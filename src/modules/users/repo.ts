import { asc, eq, type SQL } from "drizzle-orm";
import type { Deps } from "../../lib/deps";
import { roles, users } from "../../db/schema";
import { rolePermissions } from "../../lib/rbac";
import type { UserResponse } from "./schemas";

export type UserRow = typeof users.$inferSelect;
export interface UserWithRole {
  user: UserRow;
  roleTabs: string[];
  rolePermissions: string[];
}

function selectUsers({ db }: Pick<Deps, "db">, where?: SQL) {
  const q = db
    .select({ user: users, roleTabs: roles.allowedTabs, rolePermissions: roles.permissions })
    .from(users)
    .innerJoin(roles, eq(roles.name, users.role));
  return where ? q.where(where) : q;
}

export async function findUserByUsername(deps: Pick<Deps, "db">, username: string): Promise<UserWithRole | undefined> {
  const [row] = await selectUsers(deps, eq(users.username, username)).limit(1);
  return row;
}

export async function findUserById(deps: Pick<Deps, "db">, id: string): Promise<UserWithRole | undefined> {
  const [row] = await selectUsers(deps, eq(users.id, id)).limit(1);
  return row;
}

export async function listUsers(deps: Pick<Deps, "db">): Promise<UserWithRole[]> {
  return selectUsers(deps).orderBy(asc(users.username));
}

/** The one place a user row becomes an API response. Never includes the password hash. */
export function toUserResponse({ user, roleTabs, rolePermissions: stored }: UserWithRole): UserResponse {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    first_name: user.firstName,
    last_name: user.lastName,
    employee_id: user.employeeId,
    role: user.role,
    department: user.department,
    shift: user.shift,
    skills: user.skills,
    certifications: user.certifications,
    is_active: user.isActive,
    allowed_tabs: user.allowedTabs ?? roleTabs,
    permissions: [...rolePermissions(user.role, stored)].sort(),
    created_at: user.createdAt,
    updated_at: user.updatedAt,
    last_login: user.lastLogin,
    version: user.version,
  };
}
