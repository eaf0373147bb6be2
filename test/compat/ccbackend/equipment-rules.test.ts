/**
 * CCbackend's equipment and report routes where they refuse: the seed's messages and statuses,
 * stale UPD_CNT, all-or-nothing batches, photos judged by bytes, the 16 MB cap, traversal.
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { equipment, equipmentLog, issueReports } from "../../../src/db/schema";
import { arr, call, DEFAULT_PASSWORD, db, makeUser, str, unique } from "../../helpers";
import { fetchRaw, form, jpegBytes, photoKeys, pngBytes } from "../../issue-reports/fixtures";

let token = "";
let adminToken = "";

beforeAll(async () => {
  const login = async (role: string) => {
    const user = await makeUser(role);
    const res = await call("/api/auth/login", { body: { username: user.username, password: DEFAULT_PASSWORD } });
    return str(res.json.access_token);
  };
  token = await login("operator");
  adminToken = await login("admin");
});

async function add(code = unique("CC"), extra: Record<string, unknown> = {}) {
  const res = await call("/api/equipment", { token, body: { CCM_ID: code, CC_STARTTIME: "2026-03-01 08:00:00", CC_STATUS: "在廠", ...extra } });
  expect(res.status).toBe(201);
  return code;
}

async function listed(code: string) {
  return arr((await call("/api/equipment", { token })).json).find((e) => String(e.CCM_ID) === code);
}

async function logCount(code: string) {
  const [item] = await db().select({ id: equipment.id }).from(equipment).where(eq(equipment.code, code));
  return (
    await db()
      .select()
      .from(equipmentLog)
      .where(eq(equipmentLog.equipmentId, item?.id ?? ""))
  ).length;
}

describe("CCbackend equipment: the seed's answers", () => {
  it("accepts the client's POST /equipment (without /api)", async () => {
    const code = unique("ROOT");
    const res = await call("/equipment", { token, body: { CCM_ID: code, CC_STATUS: "清洗" } });
    expect(res.status).toBe(201);
    expect(res.json).toEqual({ success: true, message: `器材 ${code} 新增成功` });
    expect((await listed(code))?.CC_STATUS).toBe("清洗");
    // Same surface: its refusals are CCbackend's too.
    expect((await call("/equipment", { body: { CCM_ID: "X" } })).json).toEqual({ msg: "Missing Authorization Header" });
  });

  it("missing CCM_ID → 400, duplicate → 409, unknown → 404, missing CC_STATUS → 400, in the seed's words", async () => {
    expect((await call("/api/equipment", { token, body: { CC_STATUS: "在廠" } })).json).toMatchObject({ success: false, error: "CCM ID 是必填項" });
    expect((await call("/api/equipment", { token, body: { CCM_ID: "" } })).status).toBe(400);
    const code = await add();
    const dup = await call("/api/equipment", { token, body: { CCM_ID: code } });
    expect(dup.status).toBe(409);
    expect(dup.json).toMatchObject({ success: false, error: "CCM ID 已存在，請使用不同的 ID" });
    const missing = await call(`/api/equipment/${code}`, { method: "PUT", token, body: { CC_STARTTIME: "2026-03-01 08:00:00" } });
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({ success: false, error: "缺少必要欄位 (CC_STARTTIME 或 CC_STATUS)" });
    const unknown = await call("/api/equipment/NO-SUCH", { method: "PUT", token, body: { CC_STARTTIME: "2026-03-01 08:00:00", CC_STATUS: "在廠" } });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ success: false, error: "未找到該器材" });
    expect((await call("/api/equipment/logs/NO-SUCH", { token })).json).toMatchObject({ error: "未找到該器材" });
    expect(await logCount(code)).toBe(1);
  });

  it("a stale UPD_CNT → 409 and nothing changes; the current one → 200 and UPD_CNT moves by one", async () => {
    const code = await add();
    const body = { CC_STARTTIME: "2026-03-01 08:00:00", CC_STATUS: "維修", CC_SUBSTATUS: "換拉鍊" };
    expect((await call(`/api/equipment/${code}`, { method: "PUT", token, body: { ...body, UPD_CNT: 1 } })).status).toBe(200);
    const before = await listed(code);
    expect(before?.UPD_CNT).toBe(2);
    const stale = await call(`/api/equipment/${code}`, { method: "PUT", token, body: { ...body, CC_STATUS: "報廢", UPD_CNT: 1 } });
    expect(stale.status).toBe(409);
    expect(stale.json).toMatchObject({ success: false, error: expect.stringContaining("UPD_CNT"), current: before });
    const staleHeader = await call(`/api/equipment/${code}`, { method: "PUT", token, headers: { "if-match": '"1"' }, body: { ...body, CC_STATUS: "報廢" } });
    expect(staleHeader.status).toBe(409);
    expect(await listed(code)).toEqual(before);
    expect(await logCount(code)).toBe(2);
  });

  it("a retry of one's own write whose response was lost → 200 and no second log row; the same retry by someone else → 409", async () => {
    const code = await add();
    const body = { CC_STARTTIME: "2026-03-01 08:00:00", CC_STATUS: "維修", CC_SUBSTATUS: "換拉鍊", COMMENT: "拉鍊壞了", UPD_CNT: 1 };
    expect((await call(`/api/equipment/${code}`, { method: "PUT", token, body })).status).toBe(200);
    const after = await listed(code);
    const retry = await call(`/api/equipment/${code}`, { method: "PUT", token, body });
    expect(retry.status).toBe(200);
    expect(await listed(code)).toEqual(after);
    expect(await logCount(code)).toBe(2);
    // A different change with the old version is a real conflict.
    const changed = await call(`/api/equipment/${code}`, { method: "PUT", token, body: { ...body, COMMENT: "另一個" } });
    expect(changed.status).toBe(409);
    // So is the same write sent by someone who did not make it.
    const other = await makeUser("operator");
    const otherToken = str((await call("/api/auth/login", { body: { username: other.username, password: DEFAULT_PASSWORD } })).json.access_token);
    expect((await call(`/api/equipment/${code}`, { method: "PUT", token: otherToken, body })).status).toBe(409);
    expect(await logCount(code)).toBe(2);
  });

  it("batch: every item or none; one unknown or stale item → nothing changed, each named", async () => {
    const [a, b] = [await add(), await add()];
    const ok = await call("/api/equipment/batch", {
      method: "PUT",
      token,
      body: [
        { CCM_ID: a, CC_STATUS: "清洗" },
        { CCM_ID: b, CC_STATUS: "維修", CC_SUBSTATUS: "前胸修補", COMMENT: "批次" },
      ],
    });
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({ success: true, message: "成功更新 2 筆資料", updated_ids: [a, b] });
    // CC_SUBSTATUS defaults to CC_STATUS (the seed's rule).
    expect(await listed(a)).toMatchObject({ CC_STATUS: "清洗", CC_SUBSTATUS: "清洗", UPD_CNT: 2 });
    expect(await listed(b)).toMatchObject({ CC_STATUS: "維修", CC_SUBSTATUS: "前胸修補", COMMENT: "批次", UPD_CNT: 2 });

    const snapshot = [await listed(a), await listed(b)];
    const bad = await call("/api/equipment/batch", {
      method: "PUT",
      token,
      body: [
        { CCM_ID: a, CC_STATUS: "報廢" },
        { CCM_ID: "NO-SUCH-ITEM", CC_STATUS: "報廢" },
        { CCM_ID: b, CC_STATUS: "報廢", UPD_CNT: 1 },
      ],
    });
    expect(bad.status).toBe(409);
    expect(str(bad.json.error)).toContain("NO-SUCH-ITEM: not found");
    expect(str(bad.json.error)).toContain(`${b}: was changed by someone else (now version 2)`);
    expect([await listed(a), await listed(b)]).toEqual(snapshot);
    expect([await logCount(a), await logCount(b)]).toEqual([2, 2]);

    for (const body of [[], {}, { CCM_ID: "A" }]) {
      const res = await call("/api/equipment/batch", { method: "PUT", token, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json).toMatchObject({ success: false, error: "請求數據格式不正確，應為非空列表" });
    }
  });
});

describe("CCbackend reports: photos", () => {
  it("a .jpg name over bytes that are no image → 415, nothing stored", async () => {
    const code = await add();
    const before = await photoKeys();
    const res = await call("/api/report/upload", {
      token,
      body: form({ ccm_id: code, issue_type: "其他" }, [
        { filename: "ok.png", bytes: pngBytes() },
        { filename: "evil.jpg", type: "image/jpeg", bytes: new TextEncoder().encode("<script>alert(1)</script>".repeat(40)) },
      ]),
    });
    expect(res.status).toBe(415);
    expect(res.json).toMatchObject({ success: false });
    expect(await photoKeys()).toEqual(before);
    expect(await db().select().from(issueReports).where(eq(issueReports.issueType, "其他"))).toEqual([]);
  });

  it("17 MB → 413, R2 unchanged, no report row", async () => {
    const code = await add();
    const before = await photoKeys();
    const [rowsBefore] = [await db().select({ id: issueReports.id }).from(issueReports)];
    const res = await call("/api/report/upload", {
      token,
      body: form({ ccm_id: code, issue_type: "髒污/破損" }, [{ filename: "big.jpg", bytes: jpegBytes(17 * 1024 * 1024) }]),
    });
    expect(res.status).toBe(413);
    expect(res.json).toMatchObject({ success: false });
    expect(await photoKeys()).toEqual(before);
    expect(await db().select({ id: issueReports.id }).from(issueReports)).toEqual(rowsBefore);
  });

  it("missing fields → 400 in the seed's words, photos discarded; unknown item → 404", async () => {
    const before = await photoKeys();
    const missing = await call("/api/report/upload", { token, body: form({ ccm_id: "x" }, [{ filename: "a.jpg", bytes: jpegBytes() }]) });
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({ success: false, error: "CCM ID 和問題類型為必填項" });
    const unknown = await call("/api/report/upload", {
      token,
      body: form({ ccm_id: "NO-SUCH", issue_type: "遺失" }, [{ filename: "a.jpg", bytes: jpegBytes() }]),
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ success: false, error: "未找到該器材" });
    expect(await photoKeys()).toEqual(before);
  });

  it("a retried upload with the same Idempotency-Key stores nothing twice", async () => {
    const code = await add();
    const before = await photoKeys();
    const body = () => form({ ccm_id: code, issue_type: "功能異常" }, [{ filename: "a.jpg", bytes: jpegBytes(4000, 9) }]);
    const headers = { "idempotency-key": unique("retry") };
    const first = await call("/api/report/upload", { token, headers, body: body() });
    const second = await call("/api/report/upload", { token, headers, body: body() });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.res.headers.get("idempotent-replayed")).toBe("true");
    expect((await photoKeys()).length).toBe(before.length + 1);
    const reports = arr((await call("/api/reports", { token })).json.reports).filter((r) => String(r.CCM_ID_FK) === code);
    expect(reports).toHaveLength(1);
  });

  it("report statuses: the README's, the client's and English words; anything else → 400", async () => {
    const code = await add();
    expect((await call("/api/report/upload", { token, body: form({ ccm_id: code, issue_type: "遺失" }) })).status).toBe(201);
    const report = arr((await call("/api/reports", { token })).json.reports).find((r) => String(r.CCM_ID_FK) === code);
    expect(report?.IMAGE_PATH).toBeNull();
    for (const status of ["處理中", "已完成", "已忽略", "completed", "待處理"]) {
      const res = await call(`/api/report/${report?.ID}`, { method: "PUT", token: adminToken, body: { status } });
      expect(res.status, status).toBe(200);
      const now = arr((await call("/api/reports", { token })).json.reports).find((r) => r.ID === report?.ID);
      expect(now?.STATUS).toBe(status === "completed" ? "已處理" : status);
    }
    const bad = await call(`/api/report/${report?.ID}`, { method: "PUT", token: adminToken, body: { status: "done?" } });
    expect(bad.status).toBe(400);
    expect((await call(`/api/report/${report?.ID}`, { method: "PUT", token: adminToken, body: {} })).json).toMatchObject({ error: "處理狀態為必填項" });
    expect((await call("/api/report/999999999", { method: "PUT", token: adminToken, body: { status: "已處理" } })).json).toMatchObject({
      error: "未找到該回報或沒有資料更新",
    });
  });

  it("/uploads serves report photos only: no traversal, no other keys, no listing", async () => {
    await env.FILES.put("secret.txt", "secret");
    await env.FILES.put("reports/not-a-uuid.jpg", jpegBytes());
    for (const path of [
      "/uploads/..%2Fsecret.txt",
      "/uploads/../secret.txt",
      "/uploads/secret.txt",
      "/uploads/not-a-uuid.jpg",
      "/uploads/",
      "/static/uploads/..%2F..%2Fsecret.txt",
      `/uploads/${crypto.randomUUID()}.jpg`,
    ]) {
      const res = await fetchRaw(path);
      expect(res.status, path).toBe(404);
      expect(await res.text()).not.toContain("secret");
    }
  });
});
