/**
 * CCbackend → Floorline end to end: upload the export (3,000 CC_LOG rows), import it through
 * the import queue, verify, change 100 rows in CCbackend, re-import: exactly those 100 change.
 * An imported user signs in on CCbackend's own login with the password they had.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import { type ImportJob, ImportVerification } from "../../src/modules/bridge/schemas";
import { type CcExport, ccDefect, ccExportData, ccExportText, PASSWORDS } from "../fixtures/legacy/ccbackend-export";
import { call, loginAs } from "../helpers";
import { importFile, uploadLegacyFile } from "./helpers";

// Enough for a chain of deliveries (each new log is three D1 queries against a budget of 800 an
// invocation); test/bridge/ccbackend-export.test.ts streams a 12,000-log export.
const OPTIONS = { items: 1000, logs: 3_000, reports: 500, users: 20 };
/** The export as the README's command writes it, with the server in Taipei (UTC+8). */
const exportOf = (data: CcExport) => ccExportText(data).replace("{", '{"EXPORT_INFO":[{"UTC_OFFSET_MINUTES":480}],');
const bad = (table: keyof CcExport, keys: string[]) => keys.filter((k) => ccDefect(table, k) !== null);

let admin: { token: string };
let data: CcExport;
let first: z.infer<typeof ImportJob>;

beforeAll(async () => {
  admin = await loginAs("admin");
  data = ccExportData(OPTIONS);
});

describe("CCbackend import", () => {
  it("imports the export, reports every row it could not take, and verifies", { timeout: 300_000 }, async () => {
    const up = await uploadLegacyFile(admin.token, exportOf(data));
    expect(up.status).toBe(201);
    expect(up.json).toMatchObject({ kind: "json", file_key: expect.stringMatching(/^imports\//) });
    first = await importFile(admin.token, "ccbackend", String(up.json.file_key));

    const orphanLogs = bad(
      "CC_LOG",
      data.CC_LOG.map((l) => String(l.CCL_ID)),
    );
    const orphanReports = bad(
      "CC_REPORT",
      data.CC_REPORT.map((r) => String(r.ID)),
    );
    expect(orphanLogs.length).toBeGreaterThan(0);
    expect(first.tables).toEqual({
      CC_USER: { read: data.CC_USER.length, written: data.CC_USER.length - 2, updated: 0, skipped: 0, failed: 2 },
      CC_MASTER: { read: 1000, written: 1000, updated: 0, skipped: 0, failed: 0 },
      CC_LOG: { read: OPTIONS.logs, written: OPTIONS.logs - orphanLogs.length, updated: 0, skipped: 0, failed: orphanLogs.length },
      CC_REPORT: { read: 500, written: 500 - orphanReports.length, updated: 0, skipped: 0, failed: orphanReports.length },
    });
    expect(first.failures).toEqual(
      expect.arrayContaining([
        { table: "CC_USER", legacy_id: "plain", reason: expect.stringMatching(/not a password hash/) },
        { table: "CC_USER", legacy_id: "bad user", reason: expect.stringMatching(/USER_NAME/) },
        { table: "CC_LOG", legacy_id: orphanLogs[0], reason: expect.stringMatching(/not in CC_MASTER/) },
      ]),
    );

    const verify = await call(`/api/v1/imports/${first.id}/verify`, { token: admin.token, schema: ImportVerification });
    expect(verify.status).toBe(200);
    for (const t of verify.json.tables) expect(t, t.table).toMatchObject({ match: true });
    expect(verify.json.tables.find((t) => t.table === "CC_LOG")).toMatchObject({ source_rows: OPTIONS.logs, floorline_rows: OPTIONS.logs - orphanLogs.length });
  });

  it("an imported user signs in on CCbackend's login with the password they had, and sees the items as CCbackend showed them", async () => {
    for (const user of PASSWORDS.filter((p) => p.user === "cheap" || p.user === "bcrypt.user")) {
      const wrong = await call("/api/auth/login", { body: { username: user.user, password: `${user.password}x` } });
      expect(wrong.status).toBe(401);
      const login = await call("/api/auth/login", { body: { username: user.user, password: user.password } });
      expect(login.status, JSON.stringify(login.json)).toBe(200);
      expect(login.json).toMatchObject({ success: true, username: user.user });
    }
    // The stored hash was replaced by a native one on that first login.
    const row = await env.DB.prepare("select password_hash from users where username = 'cheap'").first<{ password_hash: string }>();
    expect(row?.password_hash.startsWith("pbkdf2_sha256$")).toBe(true);

    const login = await call("/api/auth/login", { body: { username: "bcrypt.user", password: "bcrypt-pass-2b" } });
    const list = await call("/api/equipment", { token: String(login.json.access_token) });
    expect(list.status).toBe(200);
    const items = list.json as unknown as { CCM_ID: string; UPD_CNT: number; CC_STATUS: string | null }[];
    const mine = items.find((i) => i.CCM_ID === "CC00001");
    const logs = data.CC_LOG.filter((l) => l.CC_ID_FK === "CC00001");
    expect(mine).toMatchObject({ UPD_CNT: logs.length, CC_STATUS: logs.at(-1)?.CC_STATUS });
  });

  it("re-import after 100 rows changed in CCbackend writes exactly those 100", { timeout: 300_000 }, async () => {
    const changed = structuredClone(data);
    const picked = changed.CC_LOG.filter((l) => ccDefect("CC_LOG", String(l.CCL_ID)) === null && l.CCL_ID % 23 === 0).slice(0, 100);
    expect(picked).toHaveLength(100);
    for (const l of picked) l.COMMENT = `改過 ${l.CCL_ID}`;
    const up = await uploadLegacyFile(admin.token, exportOf(changed));
    const again = await importFile(admin.token, "ccbackend", String(up.json.file_key));
    expect(again.tables.CC_LOG).toMatchObject({ read: OPTIONS.logs, written: 0, updated: 100 });
    expect(again.tables.CC_LOG?.skipped).toBe(OPTIONS.logs - 100 - (first.tables.CC_LOG?.failed ?? 0));
    for (const t of ["CC_USER", "CC_MASTER", "CC_REPORT"]) expect(again.tables[t], t).toMatchObject({ written: 0, updated: 0 });
    const comment = await env.DB.prepare(
      "select l.comment, e.version from equipment_log l join legacy_keys k on k.floorline_table = 'equipment_log' and k.floorline_id = l.id join equipment e on e.id = l.equipment_id where k.legacy_source = 'ccbackend' and k.legacy_id = ?",
    )
      .bind(String(picked[0]?.CCL_ID))
      .first<{ comment: string; version: number }>();
    expect(comment?.comment).toBe(`改過 ${picked[0]?.CCL_ID}`);
    // Updating a log row in place adds no version.
    const item = data.CC_LOG.find((l) => l.CCL_ID === picked[0]?.CCL_ID)?.CC_ID_FK;
    expect(comment?.version).toBe(data.CC_LOG.filter((l) => l.CC_ID_FK === item).length);
  });

  it("refuses a file that is not a legacy export, and anyone but an administrator", async () => {
    const notExport = await uploadLegacyFile(admin.token, "CCM_ID,CC_SIZE\nA,L\n".repeat(40));
    expect(notExport.status).toBe(415);
    const operator = await loginAs("operator");
    expect((await uploadLegacyFile(operator.token, exportOf(ccExportData({ items: 1, logs: 1, reports: 0, users: 0 })))).status).toBe(403);
  });
});
