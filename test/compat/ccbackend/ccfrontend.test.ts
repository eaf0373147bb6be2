/**
 * One test per endpoint CCbackend's client calls (ccfrontend.ts): the client's request, the
 * fields it reads. Each test builds what the screen would show first (an item added as the client
 * adds one, a report filed with photos) through the client's own calls.
 */
import { describe, expect, it } from "vitest";
import { call, DEFAULT_PASSWORD, type Json, makeUser, str, unique } from "../../helpers";
import { form, jpegBytes } from "../../issue-reports/fixtures";
import { expectReads, fill, type Vars } from "../rm365/fixture";
import { CCFRONTEND, type CcEndpoint } from "./ccfrontend";

/** Signs in through CCbackend's login, as the client does. */
async function ccToken(role: string): Promise<string> {
  const user = await makeUser(role);
  const res = await call("/api/auth/login", { body: { username: user.username, password: DEFAULT_PASSWORD } });
  expect(res.status).toBe(200);
  return str(res.json.access_token);
}

/** What the screens show before the user acts: an item (with its listed ID) and a report on it. */
async function fixture(): Promise<Vars> {
  const user = await makeUser("operator");
  const operator = await ccToken("operator");
  const ccm = unique("CC").slice(0, 20);
  const added = await call("/equipment", {
    token: operator,
    body: {
      CCM_ID: ccm,
      CC_SIZE: "M",
      BOX_ID: "B-02",
      USER_NAME: "陳",
      CC_STARTTIME: "2026-02-12 09:00:00",
      CC_STATUS: "正常",
      CC_SUBSTATUS: "使用中",
      COMMENT: "",
    },
  });
  expect(added.status, JSON.stringify(added.json)).toBe(201);
  const listed = (await call("/api/equipment", { token: operator })).json as unknown as Record<string, unknown>[];
  const row = listed.find((r) => r.CCM_ID === ccm);
  const upload = await call("/api/report/upload", {
    token: operator,
    body: form({ reporter_name: "陳", ccm_id: ccm, issue_type: "破損", issue_description: "" }, [
      { filename: "a.jpg", type: "image/jpeg", bytes: jpegBytes() },
    ]),
  });
  expect(upload.status, JSON.stringify(upload.json)).toBe(201);
  const reports = ((await call("/api/reports", { token: operator })).json as Json).reports as unknown as Record<string, unknown>[];
  const report = reports.find((r) => r.CCM_ID_FK === ccm);
  const paths: unknown = JSON.parse(String(report?.IMAGE_PATH ?? "[]"));
  // ReportListPage: `path.replace(/\\/g, '/')`, a leading `/` added, then `${API_BASE_URL}${path}`.
  const first = Array.isArray(paths) ? String(paths[0] ?? "") : "";
  const imagePath = (first.startsWith("/") ? first : `/${first}`).replace(/\\/g, "/");
  return {
    username: user.username,
    password: user.password,
    newUser: unique("ccnew"),
    ccm,
    newCcm: unique("NEW").slice(0, 20),
    // The client interpolates whatever the row holds: `undefined` when the list has no ID.
    listedId: String(row?.ID),
    reportId: String(report?.ID),
    imagePath,
  };
}

function request(endpoint: CcEndpoint, vars: Vars): { body?: unknown } {
  if (endpoint.form) {
    const fields = fill(endpoint.form.fields, vars) as Record<string, string>;
    const images = Array.from({ length: endpoint.form.images }, (_, i) => ({ filename: `photo-${i}.jpg`, type: "image/jpeg", bytes: jpegBytes(1500, i + 7) }));
    return { body: form(fields, images) };
  }
  return endpoint.body === undefined ? {} : { body: fill(endpoint.body, vars) };
}

describe("CCfrontend @6762ccd: every endpoint it calls", () => {
  for (const endpoint of CCFRONTEND) {
    it(`${endpoint.method} ${endpoint.path} (${endpoint.from})`, async () => {
      const vars = await fixture();
      const token = endpoint.role ? await ccToken(endpoint.role) : undefined;
      const path = String(fill(endpoint.path, vars));
      const res = await call(path, { method: endpoint.method, ...(token ? { token } : {}), ...request(endpoint, vars) });
      expect(res.status, `${endpoint.method} ${path}: ${JSON.stringify(res.json)?.slice(0, 400)}`).toBe(endpoint.status ?? 200);
      for (const read of endpoint.reads) {
        if (read === "*") {
          expect(typeof res.json === "object" && res.json !== null && !Array.isArray(res.json)).toBe(true);
          for (const v of Object.values(res.json as Record<string, unknown>)) expect(v).toBeTypeOf("number");
          continue;
        }
        expectReads(res.json, [read], `${endpoint.method} ${path}`);
      }
      if (endpoint.status && endpoint.status >= 400 && endpoint.path.startsWith("/api/") && res.json && typeof res.json === "object") {
        // Refusals in CCbackend's shape: {success:false, error:"…"} (the client shows `error`).
        if ("error" in res.json) expect(res.json).toMatchObject({ success: false });
      }
    });
  }
});
