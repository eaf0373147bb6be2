/**
 * Seed 002's Onshape OAuth 2 routes: connect, callback, status, disconnect. Served at
 * `/api/auth/onshape/*` and, for redirect URIs registered as the seed's README showed them, at
 * `/api/parts/auth/onshape/*`. A connection belongs to a signed-in user (API keys cannot connect).
 */
import { z } from "zod";
import { createRouter, json, principalOf, routeDefiner } from "../../lib/route";
import { disconnectOnshape, finishOnshapeConnect, onshapeStatus, startOnshapeConnect } from "../../modules/parts/onshape";
import { onshapeSurface } from "./surface";

const defineRoute = routeDefiner(onshapeSurface);
const TAGS = ["parts (Onshape)"];

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

export const onshapeAuthRoutes = createRouter()
  .openapi(
    defineRoute({
      method: "get",
      path: "/connect",
      access: "parts:read",
      apiKey: false,
      noStore: true,
      summary: "Start connecting your Onshape account: the sign-in URL, with a single-use state valid 10 minutes",
      tags: TAGS,
      errors: { 503: "Onshape is not configured" },
      responses: { 200: json(Connect, "Where to sign in") },
    }),
    async (c) => c.json(await startOnshapeConnect(c.var.deps, { origin: new URL(c.req.url).origin }, principalOf(c)), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/callback",
      access: "public",
      throttle: "onshape_callback",
      noStore: true,
      summary: "Onshape's redirect back: spends the state, exchanges the code, stores the tokens encrypted",
      tags: TAGS,
      request: { query: CallbackQuery },
      errors: { 400: "Bad, expired or used state; access denied", 503: "Onshape is not configured or unreachable" },
      responses: { 200: json(Connected, "Connected") },
    }),
    async (c) => c.json(await finishOnshapeConnect(c.var.deps, { ...c.req.valid("query"), origin: new URL(c.req.url).origin }), 200),
  )
  .openapi(
    defineRoute({
      method: "get",
      path: "/status",
      access: "parts:read",
      apiKey: false,
      summary: "Whether your Onshape account is connected (never the tokens)",
      tags: TAGS,
      responses: { 200: json(Status, "Status") },
    }),
    async (c) => c.json(await onshapeStatus(c.var.deps, principalOf(c)), 200),
  )
  .openapi(
    defineRoute({
      method: "post",
      path: "/disconnect",
      access: "parts:read",
      apiKey: false,
      summary: "Forget your Onshape tokens",
      tags: TAGS,
      responses: { 200: json(Disconnected, "Disconnected") },
    }),
    async (c) => c.json(await disconnectOnshape(c.var.deps, principalOf(c)), 200),
  );
