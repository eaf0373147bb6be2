/**
 * Roles, permissions and tabs: the one place that says who may do what.
 *
 * Permissions are `module:action`. Every route declares the permission it needs (see
 * `lib/route.ts`); a route that declares none is denied. Seed 004's eight roles map to
 * permission sets here; roles created at runtime (RM365's role editor) carry their own list.
 * Users also carry RM365's allowed tabs, which Floorline enforces on the server for the routes
 * that belong to a tab.
 */
import type { Principal } from "../types";

export const PERMISSIONS = [
  "users:read",
  "users:write",
  "roles:read",
  "roles:write",
  "api_keys:manage",
  "system:read",
  "equipment:read",
  "equipment:write",
  "equipment:delete",
  "issue_reports:read",
  "issue_reports:create",
  "issue_reports:process",
  "issue_reports:delete",
  "parts:read",
  "parts:write",
  "parts:review",
  "parts:delete",
  "production:read",
  "production:write",
  "line:read",
  "line:write",
  "schedule:read",
  "schedule:write",
  "job:read",
  "job:assign",
  "job:accept",
  "job:complete",
  "oee:read",
  "oee:calculate",
  "downtime:read",
  "downtime:write",
  "andon:read",
  "andon:create",
  "andon:acknowledge",
  "andon:resolve",
  "andon:escalate",
  "dashboard:read",
  "reports:read",
  "reports:generate",
  "maintenance:read",
  "maintenance:write",
  "quality:read",
  "quality:write",
  "quality:approve",
  "checklist:read",
  "checklist:write",
  "checklist:complete",
  "inventory:read",
  "inventory:write",
  "labels:read",
  "labels:generate",
  "attendance:read",
  "attendance:clock",
  "attendance:manage",
  "enrollment:read",
  "enrollment:write",
  "salesdata:read",
  "salesdata:import",
  "fulfillment:read",
  "fulfillment:pick",
  "fulfillment:manage",
  "legacy:read",
  "legacy:import",
  "production:count",
] as const;

export type Permission = (typeof PERMISSIONS)[number];

const PERMISSION_SET: ReadonlySet<string> = new Set(PERMISSIONS);
export const isPermission = (value: string): value is Permission => PERMISSION_SET.has(value);

const READ_ALL = PERMISSIONS.filter((p) => p.endsWith(":read") && !p.startsWith("users:") && !p.startsWith("roles:"));

/** Seed 004's roles. `admin` holds every permission (`*`). */
export const BUILTIN_ROLES = {
  admin: ["*"],
  production_manager: [
    ...READ_ALL,
    "production:write",
    "line:write",
    "schedule:write",
    "job:assign",
    "job:accept",
    "job:complete",
    "oee:calculate",
    "downtime:write",
    "andon:create",
    "andon:acknowledge",
    "andon:resolve",
    "andon:escalate",
    "reports:generate",
    "equipment:write",
    "issue_reports:create",
    "issue_reports:process",
    "parts:write",
    "parts:review",
    "maintenance:write",
    "quality:write",
    "quality:approve",
    "checklist:write",
    "checklist:complete",
    "inventory:write",
    "labels:generate",
    "attendance:manage",
    "attendance:clock",
    "salesdata:import",
    "fulfillment:pick",
    "fulfillment:manage",
    "users:read",
    "roles:read",
    "production:count",
  ],
  shift_manager: [
    ...READ_ALL,
    "schedule:write",
    "job:assign",
    "job:accept",
    "job:complete",
    "oee:calculate",
    "downtime:write",
    "andon:create",
    "andon:acknowledge",
    "andon:resolve",
    "andon:escalate",
    // MS5's role model: shift managers keep checklists and record quality (they do not approve).
    "checklist:write",
    "checklist:complete",
    "quality:write",
    "reports:generate",
    "equipment:write",
    "issue_reports:create",
    "issue_reports:process",
    "attendance:manage",
    "attendance:clock",
    "users:read",
    "production:count",
  ],
  engineer: [
    ...READ_ALL,
    "line:write",
    "oee:calculate",
    "downtime:write",
    "andon:create",
    "andon:acknowledge",
    "andon:resolve",
    "equipment:write",
    "issue_reports:create",
    "issue_reports:process",
    "parts:write",
    "parts:review",
    "maintenance:write",
    "reports:generate",
    "attendance:clock",
  ],
  operator: [
    "production:read",
    "line:read",
    // The tablet's production screens list the schedules of the lines operators work.
    "schedule:read",
    "job:read",
    "job:accept",
    "job:complete",
    "oee:read",
    "downtime:read",
    "andon:read",
    "andon:create",
    "equipment:read",
    "equipment:write",
    "issue_reports:read",
    "issue_reports:create",
    "dashboard:read",
    "parts:read",
    "inventory:read",
    "labels:read",
    "attendance:clock",
    "fulfillment:read",
    "fulfillment:pick",
    "production:count",
    // MS5's role model: operators run pre-start checklists and record quality; they do not approve.
    "checklist:read",
    "checklist:complete",
    "quality:read",
    "quality:write",
  ],
  maintenance: [
    "production:read",
    "line:read",
    "job:read",
    "oee:read",
    "downtime:read",
    "downtime:write",
    "andon:read",
    "andon:create",
    "andon:acknowledge",
    "andon:resolve",
    "equipment:read",
    "equipment:write",
    "issue_reports:read",
    "issue_reports:create",
    "issue_reports:process",
    "maintenance:read",
    "maintenance:write",
    "dashboard:read",
    "attendance:clock",
  ],
  quality: [
    "production:read",
    "line:read",
    "job:read",
    "oee:read",
    "downtime:read",
    "andon:read",
    "andon:create",
    "andon:acknowledge",
    "quality:read",
    "quality:write",
    "quality:approve",
    "equipment:read",
    "issue_reports:read",
    "issue_reports:create",
    "dashboard:read",
    "reports:read",
    "parts:read",
    "parts:review",
    "attendance:clock",
  ],
  viewer: READ_ALL,
} as const satisfies Record<string, readonly (Permission | "*")[]>;

export type BuiltinRole = keyof typeof BUILTIN_ROLES;
export const BUILTIN_ROLE_NAMES = Object.keys(BUILTIN_ROLES) as BuiltinRole[];
export const isBuiltinRole = (name: string): name is BuiltinRole => Object.hasOwn(BUILTIN_ROLES, name);

/** RM365's tabs: `module` or `module.subtab`. */
export const TABS = {
  attendance: ["overview", "logs", "manual", "automatic"],
  enrollment: ["management", "nfc", "card", "fingerprint"],
  labels: ["generator", "history"],
  salesdata: ["uk-sales", "fr-sales", "nl-sales", "upload", "history", "de-sales"],
  magentodata: ["uk-magento", "fr-magento", "nl-magento", "upload", "history"],
  inventory: ["management"],
  orders: ["order-fulfillment", "order-progress", "order-tracking", "order-approval"],
  usermanagement: ["management"],
} as const;

export const ALL_TABS: readonly string[] = Object.entries(TABS).flatMap(([module, subs]) => [module, ...subs.map((s) => `${module}.${s}`)]);
const TAB_SET: ReadonlySet<string> = new Set(ALL_TABS);
export const isTab = (value: string): boolean => TAB_SET.has(value);

/** A stored permission list as a set, dropping names that no longer exist. */
export function permissionSet(stored: readonly string[] | null | undefined): ReadonlySet<Permission | "*"> {
  return new Set((stored ?? []).filter((p): p is Permission | "*" => p === "*" || isPermission(p)));
}

/** The permissions a role grants: built-in roles from code, others from their stored list. */
export function rolePermissions(role: string, stored: readonly string[] | null | undefined): ReadonlySet<Permission | "*"> {
  return isBuiltinRole(role) ? (BUILTIN_SETS.get(role) as ReadonlySet<Permission | "*">) : permissionSet(stored);
}
/**
 * Each built-in role's permissions as one shared (read-only) set: every request's principal holds
 * one, and two principals of one built-in role compare equal by identity (`sameAccess`).
 */
const BUILTIN_SETS = new Map<string, ReadonlySet<Permission | "*">>(
  Object.entries(BUILTIN_ROLES).map(([role, list]) => [role, new Set<Permission | "*">(list)]),
);

/**
 * Whether someone holding `held` may grant `wanted` or act on someone who holds it. Nobody
 * grants more than they hold: `*` only from `*`.
 */
export function holdsAll(held: ReadonlySet<Permission | "*">, wanted: Iterable<string>): boolean {
  if (held.has("*")) return true;
  for (const p of wanted) if (p === "*" || !held.has(p as Permission)) return false;
  return true;
}

/** Whether someone with tabs `held` may grant every tab in `wanted` (a tab or one under it). */
export function holdsTabs(held: readonly string[], wanted: readonly string[]): boolean {
  return wanted.every((tab) => held.some((h) => tab === h || tab.startsWith(`${h}.`)));
}

/**
 * The permissions both sets grant: an API key's scope within its creator's current permissions.
 * `*` on one side yields the other side.
 */
export function intersectPermissions(a: ReadonlySet<Permission | "*">, b: ReadonlySet<Permission | "*">): ReadonlySet<Permission | "*"> {
  if (a.has("*")) return b;
  if (b.has("*")) return a;
  return new Set([...a].filter((p) => b.has(p)));
}

/**
 * A user's effective tabs: their own list, or their role's when it is null. Holders of `*` hold
 * every tab.
 */
export function effectiveTabs(permissions: ReadonlySet<Permission | "*">, userTabs: readonly string[] | null, roleTabs: readonly string[]): readonly string[] {
  return permissions.has("*") ? ALL_TABS : (userTabs ?? roleTabs);
}

export function hasPermission(granted: ReadonlySet<Permission | "*">, needed: Permission): boolean {
  return granted.has("*") || granted.has(needed);
}

/**
 * Whether a user's tabs open a route that belongs to `required`. A tab opens itself, its
 * sub-tabs (`inventory` opens `inventory.management`) and its module (`inventory.management`
 * opens routes declared on `inventory`).
 */
export function tabAllows(userTabs: readonly string[], required: string): boolean {
  const requiredModule = required.split(".")[0];
  return userTabs.some((tab) => tab === required || required.startsWith(`${tab}.`) || (!required.includes(".") && tab.split(".")[0] === requiredModule));
}

/**
 * `public`: anyone; `authenticated`: any signed-in user or API key; else the permission needed,
 * or a list of permissions that are all needed (`["labels:generate", "inventory:read"]`).
 */
export type Access = "public" | "authenticated" | Permission | readonly [Permission, ...Permission[]];

/** What a route declares about who may call it. */
export interface AccessRule {
  access: Access;
  /** RM365 tab the route belongs to, or several tabs that are all needed. */
  tab?: string | readonly string[] | undefined;
  /** Whether an API key may call the route (default true). */
  apiKey?: boolean | undefined;
}

/** The permissions a rule requires (none for `public` and `authenticated`). */
export function requiredPermissions(access: Access): readonly Permission[] {
  if (access === "public" || access === "authenticated") return [];
  return typeof access === "string" ? [access] : access;
}

/** The tabs a rule requires. */
export const requiredTabs = (rule: Pick<AccessRule, "tab">): readonly string[] =>
  rule.tab === undefined ? [] : typeof rule.tab === "string" ? [rule.tab] : rule.tab;

/** How a rule reads in listings and the OpenAPI `x-permission`: `a:read`, or `a:read+b:read`. */
export const accessLabel = (access: Access): string => (typeof access === "string" ? access : access.join("+"));

/**
 * What a principal lacks for a rule: an API key on a user-only route, the first missing
 * permission, or the first missing tab; undefined when the rule allows it. Pure: tests call it.
 */
export function missingAccess(principal: Principal, rule: AccessRule): { apiKey: true } | { permission: Permission } | { tab: string } | undefined {
  if (rule.access === "public") return undefined;
  if (principal.kind === "api_key" && rule.apiKey === false) return { apiKey: true };
  for (const permission of requiredPermissions(rule.access)) if (!hasPermission(principal.permissions, permission)) return { permission };
  // API keys carry their creator's tabs, so a key opens no tab its creator lacks.
  if (!principal.permissions.has("*")) for (const tab of requiredTabs(rule)) if (!tabAllows(principal.tabs, tab)) return { tab };
  return undefined;
}

/** Checks a principal against a route's declared access (every permission, every tab). Pure: tests call it directly. */
export function isAllowed(principal: Principal, rule: AccessRule): boolean {
  return missingAccess(principal, rule) === undefined;
}
