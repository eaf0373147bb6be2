/**
 * MS5 users whose password hash Floorline cannot verify in its writer's shape (attack review of
 * issue 19): the mapper refuses them, so the runner reports each with its legacy key and the
 * reason instead of storing an unverifiable or attacker-shaped string. Directly on the mapper and
 * the runner's page mapping (the end-to-end MS5 import is test/bridge/ms5.test.ts).
 */
import { describe, expect, it } from "vitest";
import { ms5Source } from "../../src/modules/bridge/ms5";
import { mapPage } from "../../src/modules/bridge/runner";
import type { AnyTableSpec } from "../../src/modules/bridge/source";
import { db } from "../helpers";

const usersSpec = ms5Source.tables.find((t) => t.read.name === "users") as AnyTableSpec;
/** passlib's bcrypt, as MS5 stores it. */
const BCRYPT = "$2b$04$abcdefghijklmnopqrstuu0123456789012345678901234567890";

const user = (id: string, password_hash: unknown) => ({ id, username: `u-${id}`, password_hash, role: "admin", is_active: true });

describe("MS5 users: password hashes", () => {
  it("keeps passlib's bcrypt and Werkzeug's shapes; reports every other hash as a failed row with its key and reason", async () => {
    const rows = [
      user("ok-bcrypt", BCRYPT),
      user("ok-werkzeug", `pbkdf2:sha256:600000$Qm3xT9vLr2WcZk8a$${"4f".repeat(32)}`),
      user("plain", "admin123"),
      user("md5", "5f4dcc3b5aa765d61d8327deb882cf99"),
      user("passlib-sha256", "$5$rounds=535000$abcdefgh$0123456789012345678901234567890123456789012"),
      user("bcrypt-cut", BCRYPT.slice(0, 40)),
      user("bcrypt-cost", BCRYPT.replace("$04$", "$31$")),
      user("werkzeug-short", `pbkdf2:sha256:1000$NaCl$${"4f".repeat(4)}`),
      user("native", "pbkdf2_sha256$100000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
      user("missing", null),
    ];
    const mapped = await mapPage(db(), ms5Source, usersSpec, rows, new Date());
    const outcome = Object.fromEntries(mapped.map(({ legacyId, result }) => [legacyId, "error" in result ? result.error : "values" in result ? "ok" : "skip"]));
    expect(outcome["ok-bcrypt"]).toBe("ok");
    expect(outcome["ok-werkzeug"]).toBe("ok");
    for (const id of ["plain", "md5", "passlib-sha256", "bcrypt-cut", "bcrypt-cost", "werkzeug-short", "native"]) {
      expect(outcome[id], id).toMatch(/^password_hash: not a (well-formed|password hash).*set a new password after the import$/);
    }
    expect(outcome.missing).toBe("password_hash: missing");
    // A reason never repeats the hash.
    expect(JSON.stringify(outcome)).not.toMatch(/admin123|5f4dcc3b|rounds=535000/);
  });
});
