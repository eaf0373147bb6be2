/**
 * Response headers set in place, once the response exists (issue 20, bench/README.md).
 *
 * Hono's `c.header()` on a finished response copies it (`new Response(body, res)`) on every
 * call, and touching `c.res` before the handler (as `hono/cors` does) makes the handler's answer
 * a second Response that Hono then merges into a third. Per authenticated read that was four
 * Response copies beside the one `c.json()` builds. Here the app-wide headers (request id,
 * secure headers, CORS, Server-Timing, the D1 bookmark, `no-store`) are set on `c.res.headers`
 * after the handler, in place (lib/platform.ts); only a response whose headers are immutable
 * (a `fetch()` answer passed through) is copied, by `c.header()`.
 */
import type { Context } from "hono";
import { cors } from "hono/cors";

type CORSOptions = NonNullable<Parameters<typeof cors>[0]>;

/** Sets (or appends) a header on the response the handler produced. */
export function setResponseHeader(c: Context, name: string, value: string, append = false): void {
  try {
    if (append) c.res.headers.append(name, value);
    else c.res.headers.set(name, value);
  } catch {
    // Immutable headers (TypeError): Hono copies the response.
    c.header(name, value, append ? { append: true } : undefined);
  }
}

export const REQUEST_ID_HEADER = "X-Request-Id";
/** What `hono/request-id` accepts from a client: at most 255 of `[A-Za-z0-9_=-]`. */
const REQUEST_ID_LIMIT = 255;
const REQUEST_ID_REFUSED = /[^\w\-=]/;

/** As `hono/request-id`: the client's `X-Request-Id` when it is short and plain, else a new one from `generate`. */
export function requestIdOf(c: Context, generate: () => string): string {
  const id = c.req.header(REQUEST_ID_HEADER);
  return !id || id.length > REQUEST_ID_LIMIT || REQUEST_ID_REFUSED.test(id) ? generate() : id;
}

/**
 * The headers `hono/secure-headers` sets by default (its list and values), with
 * `Cross-Origin-Resource-Policy: cross-origin` (the seeds' clients and the photos they embed are
 * served from other origins). test/platform/conventions.test.ts checks them against Hono's.
 */
export const SECURE_HEADERS: readonly (readonly [string, string])[] = [
  ["Cross-Origin-Resource-Policy", "cross-origin"],
  ["Cross-Origin-Opener-Policy", "same-origin"],
  ["Origin-Agent-Cluster", "?1"],
  ["Referrer-Policy", "no-referrer"],
  ["Strict-Transport-Security", "max-age=15552000; includeSubDomains"],
  ["X-Content-Type-Options", "nosniff"],
  ["X-DNS-Prefetch-Control", "off"],
  ["X-Download-Options", "noopen"],
  ["X-Frame-Options", "SAMEORIGIN"],
  ["X-Permitted-Cross-Domain-Policies", "none"],
  ["X-XSS-Protection", "0"],
];

/** Sets SECURE_HEADERS on the response, over the handler's own, and drops `X-Powered-By` (as Hono's does). */
export function setSecureHeaders(c: Context): void {
  try {
    const headers = c.res.headers;
    for (const [name, value] of SECURE_HEADERS) headers.set(name, value);
    headers.delete("X-Powered-By");
  } catch {
    // Immutable headers (a fetched response passed through): Hono copies the response.
    for (const [name, value] of SECURE_HEADERS) c.header(name, value);
    c.header("X-Powered-By", undefined);
  }
}

/** Whether a request asks for a WebSocket upgrade (its 101 carries no app-wide headers but its id). */
export const isWebSocketUpgrade = (c: Context): boolean => c.req.header("upgrade")?.toLowerCase() === "websocket";

/** CORS for one configuration (`corsPolicy`). */
export interface CorsPolicy {
  /** The answer to a preflight (OPTIONS), as `hono/cors` gives it. */
  preflight(c: Context): Promise<Response>;
  /** The `Access-Control-Allow-Origin` a request's `Origin` gets, or null. */
  allowed(c: Context): string | null;
  /** Sets the CORS headers of a (non-preflight) answer, in place, over the handler's own, as Hono's do. */
  answer(c: Context, allowed: string | null): void;
}

/**
 * `hono/cors` with the same options (a synchronous `origin`): a preflight is its answer; any
 * other request gets the same `Access-Control-Allow-Origin`, `-Allow-Credentials`,
 * `-Expose-Headers` and `Vary: Origin`, set after the handler, in place.
 */
export function corsPolicy(options: Omit<CORSOptions, "origin"> & { origin: string | string[] | ((origin: string) => string | null) }): CorsPolicy {
  const hono = cors(options);
  const { origin } = options;
  const allowOrigin =
    typeof origin === "function"
      ? origin
      : typeof origin === "string"
        ? origin === "*"
          ? () => "*"
          : (o: string) => (o === origin ? o : null)
        : (o: string) => (origin.includes(o) ? o : null);
  const expose = options.exposeHeaders?.length ? options.exposeHeaders.join(",") : undefined;
  const unreachable = () => Promise.reject(new Error("a CORS preflight answers without the route"));
  return {
    preflight: async (c) => (await hono(c, unreachable)) as Response,
    allowed: (c) => allowOrigin(c.req.header("origin") || ""),
    answer(c, allowed) {
      if (allowed) setResponseHeader(c, "Access-Control-Allow-Origin", allowed);
      if (options.credentials) setResponseHeader(c, "Access-Control-Allow-Credentials", "true");
      if (expose) setResponseHeader(c, "Access-Control-Expose-Headers", expose);
      if (origin !== "*") setResponseHeader(c, "Vary", "Origin", true);
    },
  };
}
