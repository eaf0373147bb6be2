/**
 * Seed 002's Onshape OAuth 2 routes: connect, callback, status, disconnect. Served at
 * `/api/auth/onshape/*` and, for redirect URIs registered as the seed's README showed them, at
 * `/api/parts/auth/onshape/*`. A connection belongs to a signed-in user (API keys cannot connect).
 * Connect sets FLOW_COOKIE (HttpOnly, Secure, SameSite=Lax, callback paths only, as long as the
 * state lives); the callback needs it and clears it, so only the browser that started a flow can
 * finish it.
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { createRouter, json, principalOf, routeDefiner } from "../../lib/route";
import {
  disconnectOnshape,
  FLOW_COOKIE,
  FLOW_COOKIE_PATHS,
  finishOnshapeConnect,
  onshapeStatus,
  STATE_TTL_MS,
  startOnshapeConnect,
} from "../../modules/parts/onshape";
import { onshapeSurface } from "./surface";

const defineRoute = routeDefiner(onshapeSurface);
const TAGS = ["parts (Onshape)"];
/**
 * Connecting is OAuth in a browser, so it needs a signed-in user. An API key (Aerie holds only
 * one) reads status for, and makes drawings with, its creator's connection (onshapeUserOf).
 */
const KEY_CANNOT_CONNECT = "Connecting Onshape needs a signed-in user; an API key uses its creator's connection";

const Connect = z
  .object({ authorization_url: z.string().describe("Send the browser here to sign in to Onshape"), state: z.string(), expires_at: z.string() })
  .meta({ id: "OnshapeConnect" });
const CallbackQuery = z.object({
  code: z.string().max(2048).optional(),
  state: z.string().max(512).optional(),
  error: z.string().max(200).optional(),
  error_description: z.string().max(1000).optional(),
});
const Connected = z.object({ status: z.literal("connected"), expires_at: z.string() }).meta({ id: "OnshapeConnected" });
const Status = z
  .object({
    configured: z.boolean().describe("Whether this server has an Onshape app configured"),
    connected: z.boolean(),
    expires_at: z.string().nullable().describe("When the access token expires (it is refreshed on use)"),
    scope: z.string().nullable(),
    connected_at: z.string().nullable(),
  })
  .meta({ id: "OnshapeStatus" });
const Disconnected = z.object({ status: z.literal("disconnected") });

const flowCookie = { httpOnly: true, secure: true, sameSite: "Lax" } as const;
/** Sets the browser nonce of a new connect on every callback path. */
function setFlowCookie(c: Context, nonce: string) {
  for (const path of FLOW_COOKIE_PATHS) setCookie(c, FLOW_COOKIE, nonce, { ...flowCookie, path, maxAge: STATE_TTL_MS / 1000 });
}
/** Clears it (whatever the callback's outcome: a flow is finished once). */
function clearFlowCookie(c: Context) {
  for (const path of FLOW_COOKIE_PATHS) deleteCookie(c, FLOW_COOKIE, { ...flowCookie, path });
}

export const onshapeAuthRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/connect",
      access: "parts:read",
      apiKey: false,
      apiKeyRefusal: KEY_CANNOT_CONNECT,
      noStore: true,
      summary:
        "Start connecting your Onshape account: the sign-in URL, with a single-use state valid 10 minutes; sets a cookie the callback needs, so finish in the same browser",
      tags: TAGS,
      errors: { 503: "Onshape is not configured" },
      responses: { 200: json(Connect, "Where to sign in") },
    }),
    async (c) => {
      const { connect, browserNonce } = await startOnshapeConnect(c.get("deps"), { origin: new URL(c.req.url).origin }, principalOf(c));
      setFlowCookie(c, browserNonce);
      return c.json(connect, 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/callback",
      access: "public",
      throttle: "onshape_callback",
      noStore: true,
      summary: "Onshape's redirect back, in the browser that called connect (its cookie): spends the state, exchanges the code, stores the tokens encrypted",
      tags: TAGS,
      request: { query: CallbackQuery },
      errors: { 400: "Bad, expired or used state, or another browser's; access denied", 503: "Onshape is not configured or unreachable" },
      responses: { 200: json(Connected, "Connected") },
    }),
    async (c) => {
      const browserNonce = getCookie(c, FLOW_COOKIE);
      clearFlowCookie(c);
      return c.json(await finishOnshapeConnect(c.get("deps"), { ...c.req.valid("query"), origin: new URL(c.req.url).origin, browserNonce }), 200);
    },
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/status",
      access: "parts:read",
      pureRead: true,
      summary: "Whether your Onshape account is connected (an API key: its creator's; never the tokens)",
      tags: TAGS,
      responses: { 200: json(Status, "Status") },
    }),
    async (c) => c.json(await onshapeStatus(c.get("deps"), principalOf(c)), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/disconnect",
      access: "parts:read",
      apiKey: false,
      apiKeyRefusal: KEY_CANNOT_CONNECT,
      summary: "Forget your Onshape tokens",
      tags: TAGS,
      responses: { 200: json(Disconnected, "Disconnected") },
    }),
    async (c) => c.json(await disconnectOnshape(c.get("deps"), principalOf(c)), 200),
  );
