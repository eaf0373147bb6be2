/**
 * Issue 18 items 8 and 11 on CCbackend's surface: the client's password reset (no token) is told
 * what to do, in its language, with one answer for unknown and disabled users; the self-register
 * role is configurable and a missing permission is a 403 in the seed's shape and language.
 */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../../src/app";
import { call, makeUser, unique } from "../../helpers";

const setUserActive = (id: string, active: boolean) =>
  env.DB.prepare("update users set is_active = ? where id = ?")
    .bind(active ? 1 : 0, id)
    .run();

describe("reset_password_no_auth as CCfrontend sends it (issue 18.8)", () => {
  it("step 2's {username,new_password} is a 400 in CCbackend's shape telling the user to get a reset code", async () => {
    const user = await makeUser("operator");
    const res = await call("/api/auth/reset_password_no_auth", { body: { username: user.username, new_password: "new-password-123" } });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ success: false });
    expect(String(res.json.error)).toContain("忘記密碼");
    expect(String(res.json.error)).toContain("reset_token");
    // The password did not change.
    expect((await call("/api/auth/login", { body: { username: user.username, password: user.password } })).status).toBe(200);
  });

  it("an unknown, a disabled and a known user with a bad token get the same answer (no enumeration)", async () => {
    const known = await makeUser("operator");
    const disabled = await makeUser("operator");
    await setUserActive(disabled.id, false);
    const answers = [];
    for (const username of [unique("ghost"), disabled.username, known.username]) {
      const res = await call("/api/auth/reset_password_no_auth", { body: { username, new_password: "new-password-123", reset_token: "0".repeat(43) } });
      answers.push([res.status, res.json.error]);
    }
    expect(answers[0]).toEqual([400, "重設碼無效或已過期"]);
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });
});

describe("self-registration role (issue 18.11)", () => {
  const register = (e: Record<string, unknown>, body: unknown) =>
    createApp().fetch(
      new Request("http://localhost/api/register", {
        method: "POST",
        headers: { "content-type": "application/json", "cf-connecting-ip": unique("ip") },
        body: JSON.stringify(body),
      }),
      { ...env, ...e },
      createExecutionContext(),
    );

  it("CCBACKEND_SELF_REGISTER_ROLE sets the role; by default (operator) processing a report is a 403 in CCbackend's words", async () => {
    const a = unique("selfreg");
    expect((await register({ SELF_REGISTRATION: "open" }, { username: a, password: "password-123" })).status).toBe(201);
    const login = await call("/api/auth/login", { body: { username: a, password: "password-123" } });
    const token = String(login.json.access_token);
    const denied = await call("/api/report/999999", { token, method: "PUT", body: { STATUS: "done" } });
    expect(denied.status).toBe(403);
    expect(denied.json).toMatchObject({ success: false });
    expect(String(denied.json.error)).toContain("權限不足");
    expect(String(denied.json.error)).toContain("issue_reports:process");

    const b = unique("selfreg");
    expect((await register({ SELF_REGISTRATION: "open", CCBACKEND_SELF_REGISTER_ROLE: "maintenance" }, { username: b, password: "password-123" })).status).toBe(
      201,
    );
    const row = await env.DB.prepare("select role from users where username = ?").bind(b).first();
    expect(row?.role).toBe("maintenance");
  });
});
