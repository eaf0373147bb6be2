/**
 * MS5's `GET /api/v1/websocket/token`: a short-lived token for its WebSocket's `?token=`
 * (`/ws/?token=`; browsers and React Native cannot set headers on a WebSocket). It carries the
 * caller's own session (subject, session, role, tabs) and nothing more; the upgrade reloads the
 * user's current rights, so a token cannot outlive a logout or a demotion. Its audience is the
 * socket's, so it is refused as an API bearer token. Users only: an API key's scope is narrower
 * than its creator's, and a socket token would carry the creator's rights.
 */
import { z } from "zod";
import { SOCKET_TOKEN_TTL_SECONDS, signSocketToken } from "../../lib/auth";
import { AppError } from "../../lib/errors";
import { createRouter, defineRoute, json, principalOf } from "../../lib/route";
import { TAGS } from "./shared";

const SocketToken = z
  .object({
    token: z.string(),
    token_type: z.literal("socket"),
    expires_in: z.number().int(),
    /** Where to connect with it (relative to this API's origin). */
    ws_url: z.string(),
  })
  .meta({ id: "Ms5SocketToken" });

/** Mounted at `/api/v1/websocket`. */
export const ms5SocketRoutes = createRouter().openapi(
  defineRoute({
    method: "get",
    path: "/token",
    access: "authenticated",
    apiKey: false,
    noStore: true,
    summary: `MS5: a ${SOCKET_TOKEN_TTL_SECONDS}-second token for WS /ws/?token= (the caller's own session; refused as a bearer token)`,
    tags: TAGS,
    responses: { 200: json(SocketToken, "The token") },
  }),
  async (c) => {
    const principal = principalOf(c);
    // `apiKey: false` already refuses keys; the check is what types the principal as a user.
    if (principal.kind !== "user") throw new AppError("AUTHORIZATION_ERROR", "This endpoint is for signed-in users, not API keys");
    const { token, expiresIn } = await signSocketToken(c.get("deps").config, principal, c.get("deps").now());
    return c.json({ token, token_type: "socket" as const, expires_in: expiresIn, ws_url: `/ws/?token=${encodeURIComponent(token)}` }, 200);
  },
);
