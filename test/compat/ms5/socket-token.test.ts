/**
 * MS5's `GET /api/v1/websocket/token`: a short-lived token that opens `/ws/?token=` for the
 * caller's own session and nothing else — refused as a bearer token, after its session ends,
 * once expired, and never minted for an API key.
 */
import { describe, expect, it } from "vitest";
import { signSocketToken } from "../../../src/lib/auth";
import { ErrorSchema } from "../../../src/lib/surface";
import { call, loginAs, str, testDeps } from "../../helpers";
import { openSocket } from "../../ws";

const mint = async (token: string) => {
  const res = await call("/api/v1/websocket/token", { token });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  expect(res.res.headers.get("cache-control")).toMatch(/no-store/);
  return res.json;
};

describe("MS5 socket token", () => {
  it("opens the client's socket with ?token= (the ws_url it is given), with the caller's rights", async () => {
    const op = await loginAs("operator");
    const minted = await mint(op.token);
    expect(minted).toMatchObject({ token_type: "socket", expires_in: 60 });
    const socket = await openSocket(str(minted.ws_url));
    expect(await socket.next()).toMatchObject({ type: "system_alert", data: { message: "Connected" } });
    socket.close();
  });

  it("is refused as an API bearer token (401), so it cannot call the API", async () => {
    const op = await loginAs("operator");
    const { token } = await mint(op.token);
    const res = await call("/api/v1/auth/me", { token: str(token), schema: ErrorSchema });
    expect(res.status).toBe(401);
    expect((await call("/api/v1/andon/events", { token: str(token) })).status).toBe(401);
  });

  it("dies with its session: after logout the socket is refused (1008)", async () => {
    const op = await loginAs("operator");
    const { token } = await mint(op.token);
    expect((await call("/api/v1/auth/logout", { method: "POST", token: op.token })).status).toBe(200);
    expect((await (await openSocket(`/ws/?token=${str(token)}`)).closed()).code).toBe(1008);
  });

  it("expires: a token minted more than a minute ago is refused (1008)", async () => {
    const op = await loginAs("operator");
    // Signed for this user's live session, but two minutes in the past.
    const deps = testDeps();
    const sid = JSON.parse(atob(op.token.split(".")[1]?.replace(/-/g, "+").replace(/_/g, "/") ?? "")).sid as string;
    const old = await signSocketToken(
      deps.config,
      { kind: "user", userId: op.id, username: op.username, role: "operator", permissions: new Set(), tabs: [], sessionId: sid },
      new Date(Date.now() - 120_000),
    );
    expect((await (await openSocket(`/ws/?token=${old.token}`)).closed()).code).toBe(1008);
  });

  it("is not minted for an API key (403) nor without a login (401)", async () => {
    const admin = await loginAs("admin");
    const key = await call("/api/v1/api-keys", { token: admin.token, body: { name: "floor screen", permissions: ["andon:read"] } });
    expect(key.status).toBe(201);
    const res = await call("/api/v1/websocket/token", { headers: { "x-api-key": str(key.json.key) }, schema: ErrorSchema });
    expect(res.status).toBe(403);
    expect((await call("/api/v1/websocket/token")).status).toBe(401);
  });
});
