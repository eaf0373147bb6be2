/**
 * CCbackend's export: the streaming reader against the sqlcmd-shaped fixture (lines broken
 * anywhere, `\/` escapes, server-local times) and the mappers, row by row.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { verifyPassword } from "../../src/lib/passwords";
import { ExportError, exportRows } from "../../src/modules/bridge/ccbackend/export";
import { CcExportReader, withOffset } from "../../src/modules/bridge/ccbackend/reader";
import { ccbackendSource, mapEquipment, mapLog, mapReport, mapUser } from "../../src/modules/bridge/ccbackend/source";
import type { MapContext } from "../../src/modules/bridge/source";
import { ccExportData, ccExportText, PASSWORDS } from "../fixtures/legacy/ccbackend-export";
import { unique } from "../helpers";

const encode = (text: string, chunk = 4096): ReadableStream<Uint8Array> => {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.slice(at, at + chunk));
      at += chunk;
    },
  });
};
const withInfo = (text: string, minutes: number) => text.replace("{", `{"EXPORT_INFO":[{"UTC_OFFSET_MINUTES":${minutes}}],`);
const ctx = (known: Record<string, string> = {}): MapContext => ({ ref: (_t, id) => known[String(id)], now: new Date() });

describe("CCbackend export reader", () => {
  it("streams every row of a 12,000-log export, whatever the chunking, exactly as exported", async () => {
    const data = ccExportData({ items: 800, logs: 12_000, reports: 400 });
    const text = ccExportText(data);
    expect(text).toContain("\r\n"); // sqlcmd's line breaks are really there
    expect(text).toContain("\\/static\\/uploads"); // and FOR JSON's escaped slashes
    for (const chunk of [1021, 65_536]) {
      const counts: Record<string, number> = {};
      let log100: unknown;
      for await (const { table, row } of exportRows(encode(text, chunk))) {
        counts[table] = (counts[table] ?? 0) + 1;
        if (table === "CC_LOG" && row.CCL_ID === 100) log100 = row;
      }
      expect(counts).toEqual({ CC_USER: data.CC_USER.length, CC_MASTER: 800, CC_LOG: 12_000, CC_REPORT: 400 });
      expect(log100).toEqual(data.CC_LOG[99]);
    }
  });

  it("parses only the tables asked for, takes empty tables (null) and a BOM", async () => {
    const text = `\uFEFF{"CC_USER":null,"CC_MASTER":[{"CCM_ID":"A"}],"CC_LOG":[]}`;
    const rows = [];
    for await (const r of exportRows(encode(text, 3), new Set(["CC_MASTER"]))) rows.push(r);
    expect(rows).toEqual([{ table: "CC_MASTER", row: { CCM_ID: "A" } }]);
  });

  it("refuses what is not an export, a truncated one and an oversized row", async () => {
    const drain = async (text: string) => {
      for await (const _ of exportRows(encode(text))) void _;
    };
    await expect(drain("CCM_ID,CC_SIZE\nA,L\n")).rejects.toThrow(ExportError);
    await expect(drain(ccExportText(ccExportData({ items: 5, logs: 10, reports: 2 })).slice(0, 900))).rejects.toThrow(/cut short/);
    await expect(drain(`{"CC_LOG":[{"COMMENT":"${"x".repeat(300_000)}"}]}`)).rejects.toThrow(/longer than/);
  });

  it("writes SQL Server's local times with the server's offset from EXPORT_INFO", async () => {
    expect(withOffset("2025-07-29T18:09:58.350", "+08:00")).toBe("2025-07-29T18:09:58.350+08:00");
    expect(withOffset("2025-07-29T18:09:58.3506789", "+08:00")).toBe("2025-07-29T18:09:58.350+08:00");
    expect(withOffset("2025-07-29T18:09", "-05:30")).toBe("2025-07-29T18:09:00.000-05:30");
    const key = `imports/${unique("cc")}.json`;
    await env.FILES.put(key, withInfo(ccExportText(ccExportData({ items: 3, logs: 5, reports: 1 })), 480));
    const reader = await CcExportReader.open(env.FILES, key);
    try {
      const logs = ccbackendSource.tables[2]?.read;
      if (!logs) throw new Error("no CC_LOG spec");
      const [first] = await reader.page(logs, null, 1, null);
      expect(String(first?.UPDATE_TIME)).toMatch(/\+08:00$/);
      const mapped = mapLog(first ?? {}, ctx({ CC00001: "eq-1" }));
      if (!("values" in mapped)) throw new Error(JSON.stringify(mapped));
      // 2025-07-01 01:00 UTC-based fixture time, read as Taipei wall time: 8 hours earlier in UTC.
      expect(Date.parse(mapped.values.updatedAt)).toBe(Date.parse(`${String(first?.UPDATE_TIME).slice(0, 23)}Z`) - 8 * 3600_000);
    } finally {
      await reader.close();
    }
  });

  it("pages a table in file order and resumes after a given key with a new reader", async () => {
    const key = `imports/${unique("cc")}.json`;
    await env.FILES.put(key, ccExportText(ccExportData({ items: 50, logs: 1200, reports: 10 })));
    const logs = ccbackendSource.tables[2]?.read;
    if (!logs) throw new Error("no CC_LOG spec");
    const reader = await CcExportReader.open(env.FILES, key);
    const first = await reader.page(logs, null, 500, null);
    const second = await reader.page(logs, "500", 500, null);
    await reader.close();
    expect(first.map((r) => r.CCL_ID)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(second[0]?.CCL_ID).toBe(501);
    const resumed = await CcExportReader.open(env.FILES, key);
    const again = await resumed.page(logs, "1000", 500, null);
    expect(again.map((r) => r.CCL_ID)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1001));
    expect(await resumed.page(logs, "1200", 500, null)).toEqual([]);
    expect(await resumed.count(logs)).toBe(1200);
    await resumed.close();
  });
});

describe("CCbackend mappers", () => {
  it("keeps every password hash as CCbackend stored it, and each verifies its password", async () => {
    // The cheap ones here; Werkzeug's real work factors (600,000 rounds, scrypt) are in test/slow.
    for (const p of PASSWORDS.filter((p) => p.user === "cheap" || p.user === "bcrypt.user")) {
      const mapped = mapUser({ USER_NAME: p.user, PASSWORD: p.hash });
      if (!("values" in mapped)) throw new Error(JSON.stringify(mapped));
      expect(mapped.values.passwordHash).toBe(p.hash);
      expect(await verifyPassword(p.password, mapped.values.passwordHash)).toBe(true);
    }
    expect(mapUser({ USER_NAME: "陳小明", PASSWORD: PASSWORDS[2].hash })).toMatchObject({ values: { username: "陳小明", role: "operator" } });
  });

  it("reports users it cannot take: a plain-text password, a name Floorline refuses", () => {
    // A BadValue: the runner reports it as the row's failure with its reason.
    expect(() => mapUser({ USER_NAME: "plain", PASSWORD: "1234" })).toThrow(/^PASSWORD: not a password hash/);
    expect(mapUser({ USER_NAME: "bad user", PASSWORD: PASSWORDS[3].hash })).toEqual({ error: expect.stringMatching(/USER_NAME/) });
    expect(() => mapUser({ USER_NAME: "x", PASSWORD: null })).toThrow(/PASSWORD: missing/);
  });

  it("maps equipment, logs and reports; a row pointing at a missing item is reported", () => {
    expect(mapEquipment({ CCM_ID: "CC00001", CC_SIZE: "L", BOX_ID: null, USER_NAME: "王大明", CC_STARTTIME: "2025-07-01T09:00:00.000+08:00" })).toEqual({
      values: { kind: "ccbackend", code: "CC00001", size: "L", boxId: null, userName: "王大明", startTime: "2025-07-01T01:00:00.000Z" },
    });
    expect(mapEquipment({ CCM_ID: "a/b" })).toEqual({ error: expect.stringMatching(/CCM_ID/) });
    const log = {
      CCL_ID: 7,
      CC_ID_FK: "CC00001",
      INPUT_DATE: null,
      CC_STATUS: "維修",
      CC_SUBSTATUS: "換拉鍊",
      UPDATE_BY: null,
      UPDATE_TIME: "2025-07-01T10:00:00.000Z",
      COMMENT: "見 \n備註",
    };
    expect(mapLog(log, ctx({ CC00001: "eq-1" }))).toEqual({
      values: {
        legacyKey: "7",
        equipmentId: "eq-1",
        inputDate: "2025-07-01T10:00:00.000Z",
        status: "維修",
        subStatus: "換拉鍊",
        comment: "見 \n備註",
        updatedBy: "ccbackend-import",
        updatedAt: "2025-07-01T10:00:00.000Z",
      },
    });
    expect(mapLog(log, ctx())).toEqual({ error: expect.stringMatching(/not in CC_MASTER/) });
    const report = {
      ID: 3,
      CCM_ID_FK: "CC00001",
      REPORTER: "yoyo",
      REPORT_TIME: "2025-07-02T10:00:00.000Z",
      ISSUE_TYPE: "遺失",
      STATUS: "已忽略",
      PROCESSER: "lin.wei",
    };
    expect(mapReport(report, ctx({ CC00001: "eq-1" }))).toMatchObject({ values: { status: "ignored", statusLabel: "已忽略", processor: "lin.wei" } });
    expect(mapReport({ ...report, STATUS: "作廢" }, ctx({ CC00001: "eq-1" }))).toEqual({ error: expect.stringMatching(/STATUS/) });
  });
});
