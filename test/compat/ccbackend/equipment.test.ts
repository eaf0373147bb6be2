/**
 * CCbackend's README, walked end to end with its own example payloads, as its React client
 * would: login, add EQ001, list, update, counts, log, a two-image report, processing, photos,
 * deletion.
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { equipment, equipmentLog, pendingFileDeletions } from "../../../src/db/schema";
import { arr, call, DEFAULT_PASSWORD, db, makeUser, str } from "../../helpers";
import { fetchRaw, form, jpegBytes, photoKeys } from "../../issue-reports/fixtures";

/** Logs in through CCbackend's own login, as its client does. */
async function ccLogin(role: string) {
  const user = await makeUser(role);
  const { status, json } = await call("/api/auth/login", { body: { username: user.username, password: DEFAULT_PASSWORD } });
  expect(status).toBe(200);
  return { ...user, token: str(json.access_token) };
}

describe("CCbackend README walk-through", () => {
  it("adds EQ001, lists, updates, counts, logs, files a two-image report, processes it and deletes it", async () => {
    const user = await ccLogin("operator");
    const fixer = await ccLogin("maintenance");
    const admin = await ccLogin("admin");

    // Add Equipment: the README's payload, exactly.
    const added = await call("/api/equipment", {
      token: user.token,
      body: {
        CCM_ID: "EQ001",
        CC_SIZE: "Large",
        BOX_ID: "BOX001",
        USER_NAME: "user1",
        CC_STARTTIME: "2026-02-12 10:00:00",
        CC_STATUS: "正常",
        CC_SUBSTATUS: "使用中",
        COMMENT: "Initial setup",
      },
    });
    expect(added.status).toBe(201);
    expect(added.json).toEqual({ success: true, message: "器材 EQ001 新增成功" });

    // Get Equipment: a bare array of the master joined with its latest log row.
    const list = await call("/api/equipment", { token: user.token });
    expect(list.status).toBe(200);
    const eq001 = arr(list.json).find((e) => String(e.CCM_ID) === "EQ001");
    expect(eq001).toEqual({
      CCM_ID: "EQ001",
      CC_SIZE: "Large",
      BOX_ID: "BOX001",
      USER_NAME: "user1",
      CC_STARTTIME: "Thu, 12 Feb 2026 10:00:00 GMT",
      UPD_CNT: 1,
      CC_STATUS: "正常",
      CC_SUBSTATUS: "使用中",
      COMMENT: "Initial setup",
      UPDATE_BY: user.username,
      UPDATE_TIME: expect.stringMatching(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/),
      ID: "EQ001",
    });
    expect(arr((await call("/api/equipment?status=正常", { token: user.token })).json).some((e) => String(e.CCM_ID) === "EQ001")).toBe(true);
    expect(arr((await call("/api/equipment?status=報廢", { token: user.token })).json).some((e) => String(e.CCM_ID) === "EQ001")).toBe(false);

    // Update: the client sends back what it listed (its time format included) and the new status.
    const updated = await call("/api/equipment/EQ001", {
      method: "PUT",
      token: user.token,
      body: { ...eq001, CC_STATUS: "維修", CC_SUBSTATUS: "頭部修補", COMMENT: "送修" },
    });
    expect(updated.status).toBe(200);
    expect(updated.json).toEqual({ success: true, message: "器材更新成功" });

    const counts = await call("/api/equipment/status_counts", { token: user.token });
    expect(counts.status).toBe(200);
    expect(counts.json.維修).toBeGreaterThanOrEqual(1);

    const logs = await call("/api/equipment/logs/EQ001", { token: user.token });
    expect(logs.status).toBe(200);
    expect(logs.json.success).toBe(true);
    const rows = arr(logs.json.data);
    expect(rows.map((r) => [r.CC_STATUS, r.CC_SUBSTATUS, r.COMMENT])).toEqual([
      ["維修", "頭部修補", "送修"],
      ["正常", "使用中", "Initial setup"],
    ]);
    expect(rows[1]).toMatchObject({ CC_ID_FK: "EQ001", INPUT_DATE: "Thu, 12 Feb 2026 10:00:00 GMT", UPDATE_BY: user.username });
    expect(typeof rows[0]?.CCL_ID).toBe("number");

    // Submit Issue Report with Images: the README's multipart request, two images.
    const before = await photoKeys();
    const image1 = jpegBytes(3000, 11);
    const image2 = jpegBytes(2500, 12);
    const uploaded = await call("/api/report/upload", {
      token: user.token,
      body: form({ ccm_id: "EQ001", issue_type: "損壞", issue_description: "Equipment malfunction" }, [
        { filename: "image1.jpg", type: "image/jpeg", bytes: image1 },
        { filename: "image2.jpg", type: "image/jpeg", bytes: image2 },
      ]),
    });
    expect(uploaded.status).toBe(201);
    expect(uploaded.json).toEqual({ success: true, message: "回報上傳成功" });
    const stored = (await photoKeys()).filter((k) => !before.includes(k));
    expect(stored).toHaveLength(2);

    const reports = await call("/api/reports", { token: user.token });
    expect(reports.status).toBe(200);
    const report = arr(reports.json.reports).find((r) => String(r.CCM_ID_FK) === "EQ001");
    expect(report).toMatchObject({
      REPORTER: user.username,
      ISSUE_TYPE: "損壞",
      ISSUE_INFO: "Equipment malfunction",
      STATUS: "待處理",
      PROCESSER: null,
      PROCESS_TIME: null,
      PROCESS_NOTES: null,
    });
    expect(str(report?.REPORT_TIME)).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    const paths = JSON.parse(str(report?.IMAGE_PATH)) as string[];
    expect(paths).toHaveLength(2);

    // The client fetches each path (no auth); the bytes come back with caching headers and an ETag.
    for (const [i, path] of paths.entries()) {
      expect(path).toMatch(/^\/static\/uploads\/[0-9a-f-]{36}\.jpg$/);
      for (const url of [path, path.replace("/static", "")]) {
        const res = await fetchRaw(url);
        expect(res.status, url).toBe(200);
        expect(res.headers.get("content-type")).toBe("image/jpeg");
        expect(res.headers.get("cache-control")).toContain("max-age=31536000");
        expect(new Uint8Array(await res.arrayBuffer())).toEqual(i === 0 ? image1 : image2);
        const etag = res.headers.get("etag");
        expect(etag).toBeTruthy();
        const again = await fetchRaw(url, { "if-none-match": etag ?? "" });
        expect(again.status).toBe(304);
        await again.arrayBuffer();
      }
    }

    // Processing: maintenance may, in the client's own words; the operator may not.
    const id = Number(report?.ID);
    const refused = await call(`/api/report/${id}`, { method: "PUT", token: user.token, body: { status: "已處理", process_notes: "x" } });
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ success: false });
    const processed = await call(`/api/report/${id}`, { method: "PUT", token: fixer.token, body: { status: "已處理", process_notes: "換新零件" } });
    expect(processed.status).toBe(200);
    expect(processed.json).toEqual({ success: true, message: "回報資料更新成功" });
    const after = arr((await call("/api/reports", { token: user.token })).json.reports).find((r) => Number(r.ID) === id);
    expect(after).toMatchObject({ STATUS: "已處理", PROCESSER: fixer.username, PROCESS_NOTES: "換新零件" });
    expect(str(after?.PROCESS_TIME)).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);

    // Deleting the report deletes its photos from R2 (admins only).
    expect((await call(`/api/report/${id}`, { method: "DELETE", token: user.token })).status).toBe(403);
    const deleted = await call(`/api/report/${id}`, { method: "DELETE", token: admin.token });
    expect(deleted.status).toBe(200);
    expect(deleted.json).toEqual({ success: true, message: "回報已成功刪除" });
    for (const key of stored) expect(await env.FILES.head(key)).toBeNull();
    expect(await db().select().from(pendingFileDeletions)).toEqual([]);
    const gone = await call(paths[0] ?? "");
    expect(gone.status).toBe(404);
    expect(gone.json).toEqual({ success: false, error: "圖片檔案不存在", requestId: expect.any(String) });
    expect((await call(`/api/report/${id}`, { method: "DELETE", token: admin.token })).json).toMatchObject({ error: "未找到該回報或沒有資料刪除" });

    // Deleting equipment: admins only; it leaves the list, its log stays.
    expect((await call("/api/equipment/EQ001", { method: "DELETE", token: user.token })).status).toBe(403);
    const removed = await call("/api/equipment/EQ001", { method: "DELETE", token: admin.token });
    expect(removed.json).toEqual({ success: true, message: "器材刪除成功" });
    expect(arr((await call("/api/equipment", { token: user.token })).json).some((e) => String(e.CCM_ID) === "EQ001")).toBe(false);
    const [master] = await db().select().from(equipment).where(eq(equipment.code, "EQ001"));
    expect(master?.deletedAt).not.toBeNull();
    const history = await db()
      .select()
      .from(equipmentLog)
      .where(eq(equipmentLog.equipmentId, master?.id ?? ""));
    expect(history.map((h) => h.action)).toEqual(["create", "status", "delete"]);
    expect((await call("/api/equipment/EQ001", { method: "DELETE", token: admin.token })).json).toMatchObject({ success: false, error: "未找到該器材" });
  });
});
