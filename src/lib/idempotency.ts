/**
 * `Idempotency-Key` on POST: tablets on flaky Wi-Fi retry, and a retry must not write twice.
 *
 * The first request with a key claims it (a `pending` row, inserted atomically); its 2xx
 * response is then stored and every retry with the same key and the same request replays it
 * (`Idempotent-Replayed: true`) without running the handler. The same key with another request
 * is 409, as is a retry while the first is still running. A non-2xx outcome releases the key,
 * since nothing was written. Stored bodies are encrypted with a key derived from JWT_SECRET, so
 * a copy of the database alone does not reveal the tokens a login response carried.
 */
import { and, eq, lt } from "drizzle-orm";
import type { Context, Next } from "hono";
import { createDb } from "../db/client";
import { idempotencyKeys } from "../db/schema";
import type { AppEnv } from "../types";
import { getConfig } from "./config";
import { fromBase64Url, randomBytes, toBase64Url, toHex, utf8 } from "./encoding";
import { AppError, conflict } from "./errors";

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const REPLAYED_HEADERS = ["content-type", "location", "etag"];

async function requestHash(c: Context<AppEnv>): Promise<string> {
  const body = new Uint8Array(await c.req.arrayBuffer());
  const head = utf8(`${c.req.method} ${new URL(c.req.url).pathname}\n`);
  const all = new Uint8Array(head.length + body.length);
  all.set(head);
  all.set(body, head.length);
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", all)));
}

async function cipherKey(secret: Uint8Array<ArrayBuffer>, label: string): Promise<CryptoKey> {
  const hmac = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const raw = await crypto.subtle.sign("HMAC", hmac, utf8(`idempotency:${label}`));
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

async function seal(key: CryptoKey, text: string): Promise<string> {
  const iv = randomBytes(12);
  const data = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, utf8(text)));
  return `${toBase64Url(iv)}.${toBase64Url(data)}`;
}

async function open(key: CryptoKey, sealed: string): Promise<string> {
  const [ivText, dataText] = sealed.split(".");
  const iv = fromBase64Url(ivText ?? "");
  const data = fromBase64Url(dataText ?? "");
  if (!iv || !data) throw new Error("stored idempotent response is corrupt");
  return new TextDecoder().decode(await crypto.subtle.decrypt({ name: "AES-GCM", iv }, key, data));
}

/** Scope of a key: the caller, so two clients never share keys. */
export function idempotencyScope(c: Context<AppEnv>): string {
  const p = c.get("principal");
  if (p) return p.kind === "user" ? `user:${p.userId}` : `api_key:${p.keyId}`;
  return `ip:${c.req.header("cf-connecting-ip") ?? "local"}`;
}

/** Runs `next` at most once per (scope, Idempotency-Key); see the module comment. */
export async function withIdempotency(c: Context<AppEnv>, next: Next): Promise<Response | void> {
  const key = c.req.header("idempotency-key");
  if (c.req.method !== "POST" || key === undefined) return next();
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new AppError("VALIDATION_ERROR", "Idempotency-Key must be 1-255 visible ASCII characters", {
      details: [{ path: "header.Idempotency-Key", message: "1-255 visible ASCII characters" }],
    });
  }
  const db = createDb(c.env.DB);
  const scope = idempotencyScope(c);
  const hash = await requestHash(c);
  const now = Date.now();
  const where = and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key));

  // Expired keys may be claimed again.
  await db.delete(idempotencyKeys).where(and(where, lt(idempotencyKeys.expiresAt, now)));
  const claimed = await db
    .insert(idempotencyKeys)
    .values({ scope, key, requestHash: hash, state: "pending", createdAt: now, expiresAt: now + IDEMPOTENCY_TTL_MS })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key });

  const cipher = await cipherKey(getConfig(c.env).jwtKey, `${scope}\n${key}\n${hash}`);
  if (claimed.length === 0) {
    const [row] = await db.select().from(idempotencyKeys).where(where).limit(1);
    if (!row) throw conflict("Idempotency-Key is being released; retry");
    if (row.requestHash !== hash) throw conflict("Idempotency-Key was already used with a different request");
    if (row.state !== "done" || row.responseStatus === null) throw conflict("A request with this Idempotency-Key is still in progress");
    const headers = new Headers(JSON.parse(row.responseHeaders ?? "{}") as Record<string, string>);
    headers.set("Idempotent-Replayed", "true");
    c.res = new Response(row.responseBody === null ? null : await open(cipher, row.responseBody), { status: row.responseStatus, headers });
    return;
  }

  await next();
  const res = c.res;
  if (c.error || res.status < 200 || res.status >= 300) {
    await db.delete(idempotencyKeys).where(where);
    return;
  }
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = res.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  const body = await res.clone().text();
  await db
    .update(idempotencyKeys)
    .set({ state: "done", responseStatus: res.status, responseHeaders: JSON.stringify(headers), responseBody: await seal(cipher, body) })
    .where(where);
}
