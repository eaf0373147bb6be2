import { env, exports } from "cloudflare:workers";
import { createDb } from "../src/db/client";
import { createDeps, type DepsOptions } from "../src/lib/deps";
import { createUser } from "../src/modules/users/service";

export const db = () => createDb(env.DB);
/** A request's dependencies, for calling services directly. */
export const testDeps = (options: DepsOptions = {}) => createDeps(env, options);
export const DEFAULT_PASSWORD = "test-password-1";

let ipCounter = 0;
/** A distinct client address per call, so the per-IP auth throttle never trips by accident. */
export const freshIp = () => `198.51.100.${(ipCounter++ % 250) + 1}-${crypto.randomUUID().slice(0, 8)}`;

export const unique = (prefix: string) => `${prefix}_${crypto.randomUUID().slice(0, 8)}`;

export interface CallOptions {
  method?: string;
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
}

/** Calls the worker the way a client would: HTTP in, parsed JSON out. */
export async function call(path: string, opts: CallOptions = {}) {
  const headers = new Headers(opts.headers);
  if (opts.token) headers.set("authorization", `Bearer ${opts.token}`);
  if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", freshIp());
  let body: BodyInit | undefined;
  if (opts.body !== undefined) {
    if (typeof opts.body === "string" || opts.body instanceof FormData) body = opts.body;
    else {
      body = JSON.stringify(opts.body);
      headers.set("content-type", "application/json");
    }
  }
  const res = await exports.default.fetch(new Request(`http://localhost${path}`, { method: opts.method ?? (body ? "POST" : "GET"), headers, body }));
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { res, status: res.status, json: json as Json };
}

/** Parsed JSON as tests walk it: any key may be read; `expect` checks what is there. */
export interface Json {
  [key: string]: Json | undefined;
}

/** Narrows a JSON value to a string (e.g. a token), failing the test otherwise. */
export function str(value: unknown): string {
  if (typeof value !== "string") throw new Error(`expected a string, got ${JSON.stringify(value)}`);
  return value;
}

export function arr(value: unknown): Json[] {
  if (!Array.isArray(value)) throw new Error(`expected an array, got ${JSON.stringify(value)}`);
  return value as Json[];
}

/** Creates a user with a role (and optional tabs) straight through the service. */
export async function makeUser(role: string, extra: { allowed_tabs?: string[] | null; password?: string; username?: string } = {}) {
  const username = extra.username ?? unique(role);
  const created = await createUser(testDeps(), { username, password: extra.password ?? DEFAULT_PASSWORD, role, allowed_tabs: extra.allowed_tabs ?? null });
  return { username, id: created.user.id, password: extra.password ?? DEFAULT_PASSWORD };
}

/** Creates a user and logs in through the API; returns the login response too. */
export async function loginAs(role: string, extra: Parameters<typeof makeUser>[1] = {}) {
  const user = await makeUser(role, extra);
  const { status, json } = await call("/api/v1/auth/login", { body: { username: user.username, password: user.password } });
  if (status !== 200) throw new Error(`login as ${role} failed: ${status} ${JSON.stringify(json)}`);
  return { ...user, token: str(json.access_token), refresh: str(json.refresh_token), login: json };
}
