import { env, exports } from "cloudflare:workers";
import type { z } from "zod";
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

/** `call()` options with the response body's schema: the answer is checked and typed by it. */
export interface CheckedCallOptions<S extends z.ZodType> extends CallOptions {
  schema: S;
}

export interface CallResult<T> {
  res: Response;
  status: number;
  json: T;
}

/**
 * Calls the worker the way a client would: HTTP in, parsed JSON out. With `schema`, the body
 * must match it (whatever the status; pass the error shape when a test expects an error), and
 * `json` is typed by it; a mismatch fails the test with the status, the zod issues and the body.
 */
export async function call<S extends z.ZodType>(path: string, opts: CheckedCallOptions<S>): Promise<CallResult<z.output<S>>>;
export async function call(path: string, opts?: CallOptions): Promise<CallResult<Json>>;
export async function call(path: string, opts: CallOptions & { schema?: z.ZodType } = {}): Promise<CallResult<unknown>> {
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
  const method = opts.method ?? (body ? "POST" : "GET");
  const res = await exports.default.fetch(new Request(`http://localhost${path}`, { method, headers, body }));
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  if (!opts.schema) return { res, status: res.status, json };
  const checked = opts.schema.safeParse(json);
  if (!checked.success) {
    const issues = checked.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; ");
    throw new Error(`${method} ${path} answered ${res.status} with a body its schema refuses (${issues}): ${text.slice(0, 2000)}`);
  }
  return { res, status: res.status, json: checked.data };
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

/**
 * A body like a Workers request body or R2 object body: a byte stream that fills whatever buffer
 * a BYOB read offers and hands a default reader 4 KiB chunks (as workerd does).
 */
export function socketLikeStream(body: Uint8Array): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    type: "bytes",
    pull(c) {
      const request = c.byobRequest;
      if (at >= body.length) {
        c.close();
        request?.respond(0);
        return;
      }
      if (request?.view) {
        const n = Math.min(request.view.byteLength, body.length - at);
        new Uint8Array(request.view.buffer, request.view.byteOffset, n).set(body.subarray(at, at + n));
        at += n;
        request.respond(n);
      } else {
        const end = Math.min(body.length, at + 4096);
        c.enqueue(body.slice(at, end));
        at = end;
      }
    },
  });
}
