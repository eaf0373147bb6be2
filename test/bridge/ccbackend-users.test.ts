/**
 * CCbackend users across a cutover (attack review of issue 19): a re-import never rewrites an
 * imported user's password, role or activation as Floorline set them, and a CC_USER row whose
 * PASSWORD is not a hash Floorline verifies in its writer's shape is reported, not stored.
 */
import { pbkdf2 } from "@noble/hashes/pbkdf2.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { users } from "../../src/db/schema";
import { toHex, utf8 } from "../../src/lib/encoding";
import { hashPassword } from "../../src/lib/passwords";
import { type CcExport, ccExportText } from "../fixtures/legacy/ccbackend-export";
import { call, db, loginAs } from "../helpers";
import { importFile, uploadLegacyFile } from "./helpers";

/** What Werkzeug's generate_password_hash(password, "pbkdf2:sha256:1000") writes (cheap count, same shape). */
const werkzeug = (password: string, salt: string) => `pbkdf2:sha256:1000$${salt}$${toHex(pbkdf2(sha256, utf8(password), utf8(salt), { c: 1000, dkLen: 32 }))}`;

const exportOf = (cc: Partial<CcExport>) => ccExportText({ CC_USER: [], CC_MASTER: [], CC_LOG: [], CC_REPORT: [], ...cc });

async function runImport(cc: Partial<CcExport>) {
  const admin = await loginAs("admin"); // the imports budget is per user
  const up = await uploadLegacyFile(admin.token, exportOf(cc));
  expect(up.status, JSON.stringify(up.json)).toBe(201);
  return importFile(admin.token, "ccbackend", String(up.json.file_key));
}

const userRow = async (username: string) => (await db().select().from(users).where(eq(users.username, username)))[0];

describe("CCbackend users on re-import", () => {
  beforeAll(async () => {
    await runImport({ CC_USER: [{ USER_NAME: "mei", PASSWORD: werkzeug("mei-ccbackend-1", "aB3dE5gH7jK9mN1p") }] });
  });

  it("keeps the password, role and activation Floorline set, whatever CCbackend's row says now", async () => {
    const imported = await userRow("mei");
    expect(imported).toMatchObject({ role: "operator", isActive: true });
    expect((await call("/api/auth/login", { body: { username: "mei", password: "mei-ccbackend-1" } })).status).toBe(200);

    // In Floorline: a new password, promoted to shift manager, then deactivated by an admin.
    const floorlineHash = await hashPassword("mei-floorline-2", 1000);
    await db().update(users).set({ passwordHash: floorlineHash, role: "shift_manager", isActive: false }).where(eq(users.username, "mei"));
    // Meanwhile in CCbackend: her password reset to another one (reset_password_no_auth).
    const again = await runImport({ CC_USER: [{ USER_NAME: "mei", PASSWORD: werkzeug("mei-ccbackend-3", "Zr8Yq1WnC5uT0eJd") }] });
    expect(again.tables.CC_USER).toMatchObject({ read: 1, written: 0, failed: 0 });

    expect(await userRow("mei")).toMatchObject({ passwordHash: floorlineHash, role: "shift_manager", isActive: false });
    await db().update(users).set({ isActive: true }).where(eq(users.username, "mei"));
    expect((await call("/api/auth/login", { body: { username: "mei", password: "mei-ccbackend-3" } })).status).toBe(401);
    expect((await call("/api/auth/login", { body: { username: "mei", password: "mei-floorline-2" } })).status).toBe(200);
  });

  it("reports a CC_USER whose PASSWORD is not a well-formed hash, by name and reason, and stores nothing of it", async () => {
    const good = werkzeug("fine-pass", "NaCl");
    const rows = [
      { USER_NAME: "short.digest", PASSWORD: good.slice(0, good.lastIndexOf("$") + 3) }, // one byte: 1 guess in 256 would match
      { USER_NAME: "md5.user", PASSWORD: "md5$5f4dcc3b5aa765d61d8327deb882cf99" },
      { USER_NAME: "plaintext", PASSWORD: "hunter2" },
      { USER_NAME: "costly", PASSWORD: `scrypt:1048576:8:1$NaCl$${"ab".repeat(64)}` },
      { USER_NAME: "fine", PASSWORD: good },
    ];
    const job = await runImport({ CC_USER: rows });
    expect(job.tables.CC_USER).toEqual({ read: 5, written: 1, updated: 0, skipped: 0, failed: 4 });
    for (const name of ["short.digest", "md5.user", "plaintext", "costly"]) {
      const failure = job.failures.find((f) => f.table === "CC_USER" && f.legacy_id === name);
      expect(failure?.reason, name).toMatch(/^PASSWORD: not a (well-formed|password hash)/);
      expect(await userRow(name), name).toBeUndefined();
    }
    // The reasons never carry the hashes.
    expect(JSON.stringify(job.failures)).not.toMatch(/hunter2|5f4dcc3b|NaCl/);
    expect((await call("/api/auth/login", { body: { username: "fine", password: "fine-pass" } })).status).toBe(200);
  });
});
