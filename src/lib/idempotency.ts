/**
 * `Idempotency-Key` on POST: tablets on flaky Wi-Fi retry, and a retry must not write twice.
 *
 * The first request with a key claims it (a `pending` row, inserted atomically); its 2xx
 * response is then stored and every retry with the same key and the same request replays it
 * (`Idempotent-Replayed: true`) without running the handler. The same key with another request
 * is 409, as is a retry while the first is still running. A non-2xx outcome releases the key,
 * since nothing was written. Stored bodies are encrypted with a key derived from JWT_SECRET, so
 * a copy of the database alone does not reveal the tokens a login response carried.
 *
 * "The same request" is judged by a hash of the method, path and query, and normally the body.
 * Upload routes pass `{ hashBody: false }`: hashing the body means reading all of it, which
 * would hold a whole upload (up to MAX_UPLOAD_BYTES) in memory before the handler streams it to
 * R2, and would consume the stream the handler needs. Their hash covers the media type (without
 * parameters: multipart boundaries are random per attempt, so a faithful retry carries another
 * one) and the Content-Length instead. Another file of the same length under the same key would
 * therefore replay the first response; the key is the client's promise that the request is the
 * same, and the length check still catches most mistakes.
 */
import { and, eq, lt, type SQL } from "drizzle-orm";
import type { Context, Next } from "hono";
import type { Db } from "../db/client";
import { idempotencyKeys } from "../db/schema";
import { isoNow } from "../db/schema/columns";
import type { AppEnv } from "../types";
import { sha256Hex, toHex, utf8 } from "./encoding";
import { AppError, conflict } from "./errors";
import { log } from "./logging";
import { principalKey } from "./principal";
import { derivedKey, seal, unseal } from "./seal";

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** How long a first attempt holds its key before a retry may take it over. */
const PENDING_LEASE_MS = 60 * 1000;
/** Sealed bodies (ASCII base64url, so characters = bytes) stay well under D1's 2 MB row limit. */
const MAX_STORED_BODY_BYTES = 1024 * 1024;
const REPLAYED_HEADERS = ["content-type", "location", "etag"];

export interface IdempotencyOptions {
  /**
   * Whether the request hash covers the body (default true). `false` on upload routes: the hash
   * then covers the media type and Content-Length instead, and the body stream is left unread.
   */
  hashBody?: boolean;
}

async function requestHash(c: Context<AppEnv>, hashBody: boolean): Promise<string> {
  const url = new URL(c.req.url);
  if (!hashBody) {
    const mediaType = (c.req.header("content-type") ?? "").split(";", 1)[0]?.trim().toLowerCase().slice(0, 128) ?? "";
    const length = c.req.header("content-length")?.trim().slice(0, 20) ?? "";
    const text = `${c.req.method} ${url.pathname}${url.search}\nbody not hashed: ${mediaType} ${length}`;
    return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(text))));
  }
  const body = new Uint8Array(await c.req.arrayBuffer());
  const head = utf8(`${c.req.method} ${url.pathname}${url.search}\n`);
  const all = new Uint8Array(head.length + body.length);
  all.set(head);
  all.set(body, head.length);
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", all)));
}

/** Scope of a key: the caller, so two clients never share keys. */
export async function idempotencyScope(c: Context<AppEnv>): Promise<string> {
  const p = c.get("principal");
  if (p) return principalKey(p);
  // Cloudflare sets this header; a longer value than an address can only be forged (locally),
  // and is hashed so an anonymous caller cannot make the stored key long.
  const ip = c.req.header("cf-connecting-ip") ?? "local";
  return `ip:${ip.length <= 64 ? ip : await sha256Hex(ip)}`;
}

/** Runs `next` at most once per (scope, Idempotency-Key); see the module comment. */
export async function withIdempotency(c: Context<AppEnv>, next: Next, options: IdempotencyOptions = {}): Promise<void> {
  const key = c.req.header("idempotency-key");
  if (c.req.method !== "POST" || key === undefined) return next();
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new AppError("VALIDATION_ERROR", "Idempotency-Key must be 1-255 visible ASCII characters", {
      details: [{ path: "header.Idempotency-Key", message: "1-255 visible ASCII characters" }],
    });
  }
  const { db, config } = c.get("deps");
  const scope = await idempotencyScope(c);
  const hash = await requestHash(c, options.hashBody ?? true);
  const now = Date.now();
  const nowIso = isoNow(new Date(now));
  const where = and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key));

  // Expired keys may be claimed again.
  await db.delete(idempotencyKeys).where(and(where, lt(idempotencyKeys.expiresAt, nowIso)));
  const claim = crypto.randomUUID();
  const claimed = await db
    .insert(idempotencyKeys)
    .values({ scope, key, requestHash: hash, state: "pending", claim, createdAt: nowIso, expiresAt: isoNow(new Date(now + IDEMPOTENCY_TTL_MS)) })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key });

  // Keyed by the server secret and the request itself: a copy of the table alone reveals nothing.
  const cipher = await derivedKey(`idempotency\n${scope}\n${key}\n${hash}`, config.jwtKey);
  if (claimed.length === 0) {
    const [row] = await db.select().from(idempotencyKeys).where(where).limit(1);
    if (!row) throw conflict("Idempotency-Key is being released; retry");
    if (row.requestHash !== hash) throw conflict("Idempotency-Key was already used with a different request");
    if (row.state !== "done" || row.responseStatus === null) {
      // A first attempt that died (CPU limit, deploy) leaves its claim behind; after the lease
      // a retry takes it over instead of being refused for the record's whole lifetime.
      const takenOver =
        now - Date.parse(row.createdAt) > PENDING_LEASE_MS &&
        (
          await db
            .update(idempotencyKeys)
            .set({ createdAt: nowIso, claim })
            .where(and(where, eq(idempotencyKeys.state, "pending"), eq(idempotencyKeys.claim, row.claim)))
            .returning({ key: idempotencyKeys.key })
        ).length === 1;
      if (!takenOver) throw conflict("A request with this Idempotency-Key is still in progress; retry shortly");
      return runAndStore(c, next, db, and(where, eq(idempotencyKeys.claim, claim)), cipher);
    }
    const headers = new Headers(JSON.parse(row.responseHeaders ?? "{}") as Record<string, string>);
    headers.set("Idempotent-Replayed", "true");
    c.res = new Response(row.responseBody === null ? null : await unseal(cipher, row.responseBody), { status: row.responseStatus, headers });
    return;
  }
  return runAndStore(c, next, db, and(where, eq(idempotencyKeys.claim, claim)), cipher);
}

/**
 * Runs the handler for a claimed key, then stores a 2xx response or releases the key. `mine`
 * selects the row only while this attempt still holds the claim, so an attempt that was taken
 * over can neither overwrite nor delete its successor's outcome.
 */
async function runAndStore(c: Context<AppEnv>, next: Next, db: Db, mine: SQL | undefined, cipher: CryptoKey): Promise<void> {
  await next();
  const res = c.res;
  if (c.error || res.status < 200 || res.status >= 300) {
    await db.delete(idempotencyKeys).where(mine);
    return;
  }
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = res.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  let sealed = await seal(cipher, await res.clone().text());
  if (sealed.length > MAX_STORED_BODY_BYTES) {
    // Too big for a D1 row. The write happened, so a retry must still not repeat it: keep the
    // outcome and answer retries with a short note instead of the original body.
    log("warn", "idempotent response too large to store in full", { sealedBytes: sealed.length });
    sealed = await seal(cipher, JSON.stringify({ message: "This request was already processed; its response was too large to keep for replay" }));
    headers["content-type"] = "application/json";
  }
  await db
    .update(idempotencyKeys)
    .set({ state: "done", responseStatus: res.status, responseHeaders: JSON.stringify(headers), responseBody: sealed })
    .where(mine);
}
