/**
 * The app-wide headers (request id, CORS, secure headers, Server-Timing) are set on the
 * response after the handler, in place (src/lib/headers.ts, issue 20). They must reach every
 * kind of answer: a JSON read, an error, and a handler's own `new Response` (CCbackend's photos
 * stream from R2 with their own headers, 200 and 304), whose headers Hono does not merge.
 */
import { describe, expect, it } from "vitest";
import { arr, call, DEFAULT_PASSWORD, makeUser, str } from "../../helpers";
import { fetchRaw, form, jpegBytes } from "../../issue-reports/fixtures";

function expectAppHeaders(res: Response, requestId?: string) {
  if (requestId) expect(res.headers.get("x-request-id")).toBe(requestId);
  else expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  expect(res.headers.get("access-control-allow-origin")).toBe("*");
  expect(res.headers.get("access-control-expose-headers")).toContain("X-Total-Count");
  expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  expect(res.headers.get("server-timing")).toMatch(/d1q;desc="\d+"/);
}

describe("app-wide headers", () => {
  it("reach JSON reads, errors and a handler's own streamed Response (200 and 304), with the handler's headers kept", async () => {
    const user = await makeUser("operator");
    const login = await call("/api/auth/login", { body: { username: user.username, password: DEFAULT_PASSWORD } });
    const token = str(login.json.access_token);

    const list = await call("/api/equipment", { token, headers: { "x-request-id": "client-id-1" } });
    expect(list.status).toBe(200);
    expectAppHeaders(list.res, "client-id-1");
    // A request id with characters outside [A-Za-z0-9_=-] is replaced, not echoed.
    const odd = await call("/api/equipment", { token, headers: { "x-request-id": "bad id<script>" } });
    expectAppHeaders(odd.res);

    const refused = await call("/api/equipment");
    expect(refused.status).toBe(401);
    expectAppHeaders(refused.res);

    await call("/api/equipment", {
      token,
      body: {
        CCM_ID: "HDR001",
        CC_SIZE: "S",
        BOX_ID: "B",
        USER_NAME: "u",
        CC_STARTTIME: "2026-02-12 10:00:00",
        CC_STATUS: "正常",
        CC_SUBSTATUS: "使用中",
        COMMENT: "",
      },
    });
    const uploaded = await call("/api/report/upload", {
      token,
      body: form({ ccm_id: "HDR001", issue_type: "損壞", issue_description: "x" }, [{ filename: "a.jpg", type: "image/jpeg", bytes: jpegBytes(1200, 21) }]),
    });
    expect(uploaded.status).toBe(201);
    const reports = await call("/api/reports", { token });
    const report = arr(reports.json.reports).find((r) => String(r.CCM_ID_FK) === "HDR001");
    const [path] = JSON.parse(str(report?.IMAGE_PATH)) as string[];
    const photo = await fetchRaw(str(path), { "x-request-id": "photo-1" });
    expect(photo.status).toBe(200);
    expectAppHeaders(photo, "photo-1");
    expect(photo.headers.get("content-type")).toBe("image/jpeg");
    expect(photo.headers.get("cache-control")).toContain("immutable");
    await photo.arrayBuffer();
    const again = await fetchRaw(str(path), { "if-none-match": photo.headers.get("etag") ?? "" });
    expect(again.status).toBe(304);
    expectAppHeaders(again);
    await again.arrayBuffer();
  });
});
