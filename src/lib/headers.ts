/**
 * Response headers set in place, once the response exists (issue 20, bench/README.md).
 *
 * Hono's `c.header()` on a finished response copies it (`new Response(body, res)`) on every
 * call, and touching `c.res` before the handler (as `hono/cors` does) makes the handler's answer
 * a second Response that Hono then merges into a third. Per authenticated read that was four
 * Response copies beside the one `c.json()` builds. Here the app-wide headers (request id, CORS,
 * Server-Timing, the D1 bookmark, `no-store`) are set on `c.res.headers` after the handler, in
 * place; only a response whose headers are immutable (a `fetch()` answer passed through) is
 * copied, by `c.header()`.
 */
import type { Context, MiddlewareHandler } from "hono";
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

const REQUEST_ID_HEADER = "X-Request-Id";
/** What `hono/request-id` accepts from a client: at most 255 of `[A-Za-z0-9_=-]`. */
const REQUEST_ID_LIMIT = 255;
const REQUEST_ID_REFUSED = /[^\w\-=]/;

/**
 * As `hono/request-id`: the client's `X-Request-Id` when it is short and plain, else a new one
 * from `generate`, in `c.get("requestId")` and on the response (set after the handler, in place).
 */
export const requestIdHeader =
  (generate: () => string): MiddlewareHandler =>
  async (c, next) => {
    let id = c.req.header(REQUEST_ID_HEADER);
    if (!id || id.length > REQUEST_ID_LIMIT || REQUEST_ID_REFUSED.test(id)) id = generate();
    c.set("requestId", id);
    await next();
    if (c.res.status !== 101) setResponseHeader(c, REQUEST_ID_HEADER, id);
  };

/**
 * `hono/cors` with the same options: a preflight (OPTIONS) is its answer; on any other request
 * the same `Access-Control-Allow-Origin`, `-Allow-Credentials`, `-Expose-Headers` and `Vary:
 * Origin` are set after the handler, in place, overriding the handler's own as Hono's do.
 */
export function corsHeaders(options: CORSOptions & { origin: NonNullable<CORSOptions["origin"]> }): MiddlewareHandler {
  const preflight = cors(options);
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
  return async (c, next) => {
    if (c.req.method === "OPTIONS") return preflight(c, next);
    const allowed = await allowOrigin(c.req.header("origin") || "", c);
    await next();
    if (allowed) setResponseHeader(c, "Access-Control-Allow-Origin", allowed);
    if (options.credentials) setResponseHeader(c, "Access-Control-Allow-Credentials", "true");
    if (expose) setResponseHeader(c, "Access-Control-Expose-Headers", expose);
    if (origin !== "*") setResponseHeader(c, "Vary", "Origin", true);
  };
}
