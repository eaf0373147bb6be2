import { DurableObject } from "cloudflare:workers";
import { z } from "zod";

/** What a room keeps per socket; survives hibernation via serializeAttachment (≤ 16 KiB). */
export interface SocketAttachment {
  connectedAt: string;
  userId: string | null;
}

export const ClientMessage = z.discriminatedUnion("type", [z.object({ type: z.literal("ping") })]);

/**
 * Base of the WebSocket rooms (production line, inventory). Uses the hibernation API: the
 * runtime holds the sockets while the object sleeps, and the constructor runs again on wake, so
 * no per-socket state lives only in memory. Commands arrive as RPC methods; `fetch` is only for
 * the WebSocket upgrade.
 */
export abstract class Room extends DurableObject<Env> {
  /** Cheap liveness probe used by `/health/detailed`. */
  async ping(): Promise<{ ok: true; sockets: number }> {
    return { ok: true, sockets: this.ctx.getWebSockets().length };
  }

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return Response.json({ error: "BAD_REQUEST", message: "Expected a WebSocket upgrade" }, { status: 426 });
    }
    const pair = new WebSocketPair();
    const [client, server] = Object.values(pair) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    const attachment: SocketAttachment = { connectedAt: new Date().toISOString(), userId: request.headers.get("x-floorline-user") };
    server.serializeAttachment(attachment);
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    let parsed: z.infer<typeof ClientMessage> | undefined;
    try {
      parsed = ClientMessage.parse(JSON.parse(typeof message === "string" ? message : new TextDecoder().decode(message)));
    } catch {
      ws.send(JSON.stringify({ type: "error", data: { message: "Unrecognised message" }, timestamp: new Date().toISOString() }));
      return;
    }
    if (parsed.type === "ping") ws.send(JSON.stringify({ type: "pong", timestamp: new Date().toISOString() }));
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    // 1005/1006 are reserved and may not be sent back; the socket may already be closed.
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      /* already closed */
    }
  }
}
