/**
 * Paths MS5 and RM365 share (`/api/v1/auth/*`): one answer satisfies both clients' readers, a
 * test per client. And the CORS preflight MS5's client triggers on every request (it sends
 * X-Timestamp and X-Request-ID).
 */
import { describe, expect, it } from "vitest";
import { call, loginAs, makeUser } from "../../helpers";
import { ms5Headers } from "./fixtures";

describe("shared paths: one answer for both clients", () => {
  it("MS5: login answers access_token, refresh_token and user {id, username, role}; /auth/me the same user", async () => {
    const user = await makeUser("operator");
    const login = await call("/api/v1/auth/login", { body: { username: user.username, password: user.password }, headers: ms5Headers() });
    expect(login.status).toBe(200);
    expect(login.json).toMatchObject({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      user: { id: user.id, username: user.username, role: "operator" },
    });
    const me = await call("/api/v1/auth/me", { headers: ms5Headers(String(login.json.access_token)) });
    expect(me.json).toMatchObject({ id: user.id, username: user.username, role: "operator" });
  });

  it("RM365: login answers access_token and allowed_tabs; /auth/me username, role and allowed_tabs", async () => {
    const rm = await loginAs("operator", { allowed_tabs: ["inventory"] });
    expect(rm.login).toMatchObject({ access_token: expect.any(String), allowed_tabs: ["inventory"] });
    const me = await call("/api/v1/auth/me", { token: rm.token });
    expect(me.json).toMatchObject({ username: rm.username, role: "operator", allowed_tabs: ["inventory"] });
  });
});

describe("CORS for MS5's client", () => {
  it("a preflight asking for X-Timestamp and X-Request-ID is allowed", async () => {
    const { status, res } = await call("/api/v1/andon/events", {
      method: "OPTIONS",
      headers: {
        origin: "https://tablet.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization,content-type,x-timestamp,x-request-id",
      },
    });
    expect(status).toBe(204);
    const allowed = (res.headers.get("access-control-allow-headers") ?? "").toLowerCase().split(/\s*,\s*/);
    expect(allowed).toEqual(expect.arrayContaining(["authorization", "content-type", "x-timestamp", "x-request-id"]));
  });
});
