import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, id, sqlNow as now, version } from "./columns";

/** Roles: seed 004's built-ins plus RM365's runtime-created roles (`role_name`, `allowed_tabs`). */
export const roles = sqliteTable("roles", {
  name: text("name").primaryKey(),
  description: text("description"),
  /** Permissions of a custom role; built-in roles take theirs from `lib/rbac.ts`. */
  permissions: text("permissions", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
  allowedTabs: text("allowed_tabs", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
  isBuiltin: integer("is_builtin", { mode: "boolean" }).notNull().default(false),
  createdAt: createdAt(),
  updatedAt: text("updated_at").notNull().default(now),
});

export const users = sqliteTable(
  "users",
  {
    id: id(),
    username: text("username").notNull(),
    /**
     * What the username is unique under and looked up by: `usernameKey()` in lib/fields.ts
     * (NFKC + case fold), so `Admin`, `ADMIN` and fullwidth `ａｄｍｉｎ` are all `admin`.
     */
    usernameKey: text("username_key").notNull(),
    email: text("email"),
    firstName: text("first_name"),
    lastName: text("last_name"),
    employeeId: text("employee_id"),
    role: text("role")
      .notNull()
      .references(() => roles.name, { onUpdate: "cascade", onDelete: "restrict" }),
    department: text("department"),
    shift: text("shift"),
    skills: text("skills", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    certifications: text("certifications", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    /** RM365's per-user tabs; null means "the role's tabs". */
    allowedTabs: text("allowed_tabs", { mode: "json" }).$type<string[] | null>(),
    passwordHash: text("password_hash").notNull(),
    isActive: integer("is_active", { mode: "boolean" }).notNull().default(true),
    createdAt: createdAt(),
    updatedAt: text("updated_at").notNull().default(now),
    lastLogin: text("last_login"),
    passwordChangedAt: text("password_changed_at"),
    version: version(),
  },
  (t) => [uniqueIndex("users_username_unique").on(t.username), uniqueIndex("users_username_key_unique").on(t.usernameKey), index("users_role_idx").on(t.role)],
);

/** A login: the family of refresh tokens that descend from it. Revoking it ends them all. */
export const sessions = sqliteTable(
  "sessions",
  {
    id: id(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    expiresAt: text("expires_at").notNull(),
    /** Started with `remember_me`: each refresh extends it by REFRESH_TOKEN_TTL_DAYS, else SESSION_TTL_HOURS. */
    rememberMe: integer("remember_me", { mode: "boolean" }).notNull().default(false),
    revokedAt: text("revoked_at"),
    revokedReason: text("revoked_reason"),
    userAgent: text("user_agent"),
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);

export const refreshTokens = sqliteTable(
  "refresh_tokens",
  {
    id: id(),
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull(),
    createdAt: createdAt(),
    expiresAt: text("expires_at").notNull(),
    /** Set when the token is rotated; presenting it again (after a short grace) means it leaked. */
    usedAt: text("used_at"),
  },
  (t) => [uniqueIndex("refresh_tokens_hash_unique").on(t.tokenHash), index("refresh_tokens_session_idx").on(t.sessionId)],
);

export const passwordResetTokens = sqliteTable(
  "password_reset_tokens",
  {
    id: id(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull(),
    createdAt: createdAt(),
    expiresAt: text("expires_at").notNull(),
    usedAt: text("used_at"),
  },
  (t) => [uniqueIndex("password_reset_tokens_hash_unique").on(t.tokenHash), index("password_reset_tokens_user_idx").on(t.userId)],
);

/** Seed 002's API keys, stored hashed, each with a scope of permissions and a rate limit. */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: id(),
    name: text("name").notNull(),
    /** First characters of the key, shown in lists so people can tell keys apart. */
    prefix: text("prefix").notNull(),
    keyHash: text("key_hash").notNull(),
    permissions: text("permissions", { mode: "json" }).$type<string[]>().notNull(),
    rateLimitPerMinute: integer("rate_limit_per_minute").notNull(),
    createdBy: text("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    revokedAt: text("revoked_at"),
    lastUsedAt: text("last_used_at"),
  },
  (t) => [uniqueIndex("api_keys_hash_unique").on(t.keyHash)],
);
