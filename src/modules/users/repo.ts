import { and, asc, desc, eq, gt, like, or, type SQL, sql } from "drizzle-orm";
import { roles, users } from "../../db/schema";
import type { Deps } from "../../lib/deps";
import { LOOKUP_USERNAME_MAX, usernameKey } from "../../lib/fields";
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

/**
 * Finds a user by name, case-insensitively: by `username_key` (NFKC + case fold), or by the exact
 * stored name (imported users whose key is still a placeholder; see migration 0004). An exact
 * match wins over a key match.
 */
export async function findUserByUsername(deps: Pick<Deps, "db">, username: string): Promise<UserWithRole | undefined> {
  const name = username.trim();
  if (name.length === 0 || name.length > LOOKUP_USERNAME_MAX) return undefined;
  const [row] = await selectUsers(deps, or(eq(users.usernameKey, usernameKey(name)), eq(users.username, name)))
    .orderBy(desc(sql`${users.username} = ${name}`))
    .limit(1);
  return row;
}

/**
 * Gives users keyed by a placeholder (`#<id>`, from migration 0004: non-ASCII names, and ASCII
 * names that collided case-insensitively) their computed key, where no other user holds it.
 * Idempotent; meant for the maintenance cron. Returns how many rows were rekeyed.
 */
export async function rekeyUsernames(deps: Pick<Deps, "db" | "d1">, chunk = 50, maxRows = 1000): Promise<number> {
  let rekeyed = 0;
  let after = "";
  for (let seen = 0; seen < maxRows; seen += chunk) {
    // Walk by id, so names that still collide are passed over rather than read again.
    const pending = await deps.db
      .select({ id: users.id, username: users.username })
      .from(users)
      .where(and(like(users.usernameKey, "#%"), gt(users.id, after)))
      .orderBy(asc(users.id))
      .limit(chunk);
    if (pending.length === 0) break;
    // A key someone else already holds stays a placeholder.
    const [first, ...rest] = pending.map((u) => {
      const key = usernameKey(u.username);
      return deps.db
        .update(users)
        .set({ usernameKey: key })
        .where(and(eq(users.id, u.id), eq(users.usernameKey, `#${u.id}`), sql`${key} not in (select ${users.usernameKey} from ${users})`));
    });
    if (!first) break;
    const results = await deps.db.batch([first, ...rest]);
    rekeyed += results.reduce((n, r) => n + (r.meta.changes ?? 0), 0);
    after = pending[pending.length - 1]?.id ?? after;
    if (pending.length < chunk) break;
  }
  return rekeyed;
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
