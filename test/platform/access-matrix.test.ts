/**
 * The access matrix: every declared route × every built-in role, an anonymous caller and an API
 * key, read from the route declarations themselves, so a route is covered the day it is added.
 * Each call carries no body, so an allowed call stops at validation (or does a harmless read);
 * the matrix only asks whether the access layer let it through.
 *
 * Two checks: the calls show the wiring enforces each declaration (the guard, `route()`,
 * `isAllowed`), and the expected matrix itself is a checked-in snapshot
 * (`__snapshots__/access-matrix.txt`), so any change of who may call what — a new route, a
 * changed declaration, a role's new permission — is a diff a reviewer sees. Update it with
 * `npx vitest run --project workers test/platform/access-matrix.test.ts -u` and review the diff.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { routeTable } from "../../src/lib/guard";
import { ALL_TABS, accessLabel, BUILTIN_ROLE_NAMES, BUILTIN_ROLES, isAllowed, type Permission, permissionSet } from "../../src/lib/rbac";
import type { RouteSpec } from "../../src/lib/route";
import { UserResponse } from "../../src/modules/users/schemas";
import type { Principal } from "../../src/types";
import { arr, call, loginAs, str, unique } from "../helpers";

interface DeclaredRoute {
  method: string;
  path: string;
  spec: RouteSpec;
}

function declaredRoutes(): DeclaredRoute[] {
  return routeTable(createApp()).flatMap(({ method, path, declaration }) =>
    declaration.kind === "declared" ? [{ method, path, spec: declaration.spec }] : [],
  );
}

/** Path parameters filled with a probe value; nothing of that name exists. */
const concrete = (path: string) => path.replace(/:(\w+)(\{[^}]*\})?/g, "matrix-probe");

/**
 * Routes whose own answer, after the access layer let the caller through, is a 403 with this
 * body: the matrix counts that answer as "through" (an access refusal names what is missing).
 */
const OWN_403: Record<string, unknown> = {
  // Aerie's wipe asks for the caller's own credential again; the probe sends none.
  "POST /api/parts/wipe": { error: "Incorrect password" },
};

const KEY_SCOPE: Permission[] = ["users:read", "roles:read", "equipment:read", "parts:read", "inventory:read", "system:read"];

interface Credentials {
  headers: Record<string, string>;
  principal: Principal | undefined;
}

interface Caller {
  name: string;
  /** Fresh credentials; called again after a call that ended the session or changed its access. */
  credentials: () => Promise<Credentials>;
}

const sorted = (values: Iterable<string>) => [...values].sort();

/**
 * Whether a user's session still stands exactly as the principal describes it: `/auth/me`
 * answers 200 with the same user, role, tabs and permissions. Checked after every call that got
 * through and was not a read, since such a call may have ended the session (logout) or changed
 * the user; when it did, the caller signs in afresh (as a new user) before the next route.
 */
async function sessionStands(creds: Credentials): Promise<boolean> {
  const principal = creds.principal;
  if (principal?.kind !== "user") return true;
  const { status, json } = await call("/api/v1/auth/me", { headers: creds.headers });
  if (status !== 200) return false;
  const me = UserResponse.parse(json);
  return (
    me.id === principal.userId &&
    me.role === principal.role &&
    me.is_active &&
    JSON.stringify(sorted(me.allowed_tabs)) === JSON.stringify(sorted(principal.tabs)) &&
    JSON.stringify(sorted(me.permissions)) === JSON.stringify(sorted(principal.permissions))
  );
}

function userCaller(role: (typeof BUILTIN_ROLE_NAMES)[number]): Caller {
  return {
    name: role,
    credentials: async () => {
      const user = await loginAs(role);
      const tabs = arr(user.login.allowed_tabs).map(str);
      const principal: Principal = {
        kind: "user",
        userId: user.id,
        username: user.username,
        role,
        permissions: new Set(BUILTIN_ROLES[role]),
        tabs,
        sessionId: "",
      };
      return { headers: { authorization: `Bearer ${user.token}` }, principal };
    },
  };
}

const KEY_CALLERS = ["api_key", "api_key_no_user_tab"] as const;
const CALLER_NAMES = [...BUILTIN_ROLE_NAMES, ...KEY_CALLERS, "anonymous"] as const;

/**
 * One test per caller (each walks every route, so each has its own time budget as routes are
 * added); the last test checks the matrix as a whole is not vacuous.
 */
describe("access matrix", () => {
  const routes = declaredRoutes();
  const callers = new Map<string, Caller>();
  const seen = new Set<string>();

  beforeAll(async () => {
    const admin = await loginAs("admin");
    // A key minted by an admin, and one minted by someone without the usermanagement tab:
    // a key carries (and is checked against) its creator's current tabs.
    const keymaker = unique("keymaker");
    const role = await call("/api/v1/roles", {
      token: admin.token,
      body: { role_name: keymaker, permissions: ["api_keys:manage", ...KEY_SCOPE], allowed_tabs: ["inventory"] },
    });
    expect(role.status).toBe(201);
    const maker = await loginAs(keymaker);
    const keyCaller = async (name: string, token: string, tabs: readonly string[]): Promise<Caller> => {
      // The top tier: the matrix makes hundreds of calls a minute with each key.
      const created = await call("/api/v1/api-keys", { token, body: { name, permissions: KEY_SCOPE, rate_limit_per_minute: 6000 } });
      expect(created.status, name).toBe(201);
      const principal: Principal = {
        kind: "api_key",
        keyId: str(created.json.id),
        name,
        permissions: permissionSet(KEY_SCOPE),
        tabs,
        createdBy: "",
      };
      return { name, credentials: async () => ({ headers: { "x-api-key": str(created.json.key) }, principal }) };
    };
    for (const name of BUILTIN_ROLE_NAMES) callers.set(name, userCaller(name));
    callers.set("api_key", await keyCaller("api_key", admin.token, ALL_TABS));
    callers.set("api_key_no_user_tab", await keyCaller("api_key_no_user_tab", maker.token, ["inventory"]));
    callers.set("anonymous", { name: "anonymous", credentials: async () => ({ headers: {}, principal: undefined }) });
  });

  it("reads every route from the declarations", () => {
    expect(routes.length).toBeGreaterThan(20);
    expect([...callers.keys()].sort()).toEqual([...CALLER_NAMES].sort());
  });

  for (const name of CALLER_NAMES) {
    it(`every declared route answers ${name} as its declaration says`, async () => {
      const caller = callers.get(name);
      if (!caller) throw new Error(`no caller ${name}`);
      const mismatches: string[] = [];
      let creds = await caller.credentials();
      for (const route of routes) {
        // Public routes let everyone through; the anonymous caller checks they ask for nothing.
        if (route.spec.access === "public" && creds.principal) continue;
        const { status, json } = await call(concrete(route.path), { method: route.method, headers: creds.headers });
        const expected = route.spec.access === "public" ? "through" : !creds.principal ? 401 : isAllowed(creds.principal, route.spec) ? "through" : 403;
        const own = OWN_403[`${route.method} ${route.path}`];
        const ownAnswer = status === 403 && own !== undefined && JSON.stringify(json) === JSON.stringify(own);
        const got = ownAnswer ? "through" : status === 401 || status === 403 ? status : "through";
        seen.add(`${caller.name}:${got}`);
        seen.add(`${caller.name} ${route.method} ${route.path}:${got}`);
        if (got !== expected) mismatches.push(`${caller.name} ${route.method} ${route.path}: expected ${expected}, got ${status}`);
        // A call that got through may have ended the session (logout) or changed the user: start
        // afresh unless the session still stands as it was.
        if (got === "through" && route.method !== "GET" && !(await sessionStands(creds))) creds = await caller.credentials();
      }
      expect(mismatches).toEqual([]);
    }, 180_000);
  }

  it("who may call what is the reviewed snapshot", async () => {
    const columns: { name: string; principal: Principal | undefined }[] = [];
    for (const name of CALLER_NAMES) {
      const caller = callers.get(name);
      if (!caller) throw new Error(`no caller ${name}`);
      columns.push({ name, principal: name === "anonymous" ? undefined : (await caller.credentials()).principal });
    }
    const cell = (route: DeclaredRoute, principal: Principal | undefined) =>
      route.spec.access === "public" ? "+" : !principal ? "401" : isAllowed(principal, route.spec) ? "+" : "-";
    const rows = [...routes]
      .sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method))
      .map((r) => {
        const tabs = r.spec.tab === undefined ? [] : typeof r.spec.tab === "string" ? [r.spec.tab] : r.spec.tab;
        const rule = [
          accessLabel(r.spec.access),
          ...tabs.map((t) => `tab:${t}`),
          ...(r.spec.apiKey === false ? ["no-api-key"] : []),
          // A public route that authenticates in its own layer says so (its own tests prove it).
          ...(r.spec.ownAuth ? [`(own auth ${r.spec.ownAuth})`] : []),
        ].join(" ");
        return [`${r.method} ${r.path}`, rule, ...columns.map((c) => cell(r, c.principal))];
      });
    const header = ["route", "declared", ...columns.map((c) => c.name)];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
    const line = (cells: string[]) =>
      cells
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd();
    const legend = [
      "# Who may call what: every declared route x each built-in role (its default tabs) and two API keys",
      `# (scope ${KEY_SCOPE.join(", ")}; 'api_key' minted by an admin, 'api_key_no_user_tab' by a role with only the inventory tab).`,
      "# + allowed, - refused (403), 401 needs credentials. Generated by test/platform/access-matrix.test.ts: review every diff.",
    ];
    await expect([...legend, line(header), ...rows.map(line), ""].join("\n")).toMatchFileSnapshot("./__snapshots__/access-matrix.txt");
  });

  it("is not vacuous: each kind of caller was both let through and refused, and tabs made a difference", () => {
    for (const name of ["viewer", "operator", "admin", "api_key"]) expect(seen.has(`${name}:through`), name).toBe(true);
    for (const name of ["viewer", "operator", "api_key", "api_key_no_user_tab"]) expect(seen.has(`${name}:403`), name).toBe(true);
    // The tab makes the difference: the admin's key reads users, the other one's does not.
    expect(seen.has("api_key GET /api/v1/users/detailed:through")).toBe(true);
    expect(seen.has("api_key_no_user_tab GET /api/v1/users/detailed:403")).toBe(true);
    expect(seen.has("anonymous:401")).toBe(true);
  });
});
