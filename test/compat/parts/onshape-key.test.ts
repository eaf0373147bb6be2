/**
 * Issue 18 item 6: Aerie only holds an API key. It reads Onshape status for its key's creator's
 * connection; connecting (OAuth in a browser) stays for signed-in users, and the refusal says so.
 */
import { describe, expect, it } from "vitest";
import { keyCall, newKey } from "./client";

describe("Onshape with an API key (issue 18.6)", () => {
  it("status answers for the key's creator; connect and disconnect say a signed-in user is needed", async () => {
    const key = await newKey();
    const status = await keyCall(key, "/api/auth/onshape/status");
    expect(status.status).toBe(200);
    expect(status.json).toMatchObject({ connected: false });
    for (const path of ["/api/auth/onshape/connect", "/api/auth/onshape/disconnect"]) {
      const res = await keyCall(key, path, path.endsWith("connect") && !path.endsWith("disconnect") ? "GET" : "POST");
      expect(res.status).toBe(403);
      expect(String(res.json.error)).toContain("Connecting Onshape needs a signed-in user; an API key uses its creator's connection");
    }
  });

  it("a key without parts:read gets nothing", async () => {
    const key = await newKey(["parts:write"]);
    expect((await keyCall(key, "/api/auth/onshape/status")).status).toBe(403);
  });
});
