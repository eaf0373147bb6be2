import { describe, expect, it } from "vitest";
import { utf8 } from "../../src/lib/encoding";
import {
  hashFormat,
  hashPassword,
  NATIVE_ITERATIONS,
  needsRehash,
  verifyPassword,
  WEBCRYPTO_PBKDF2_MAX_ITERATIONS,
  webCryptoPbkdf2,
} from "../../src/lib/passwords";
import { PASSWORD, WERKZEUG_PBKDF2, WERKZEUG_SCRYPT } from "../slow/legacy-hashes";

// bcrypt from glibc/libxcrypt crypt(3) ($2b$, cost 10) for the same password.
const BCRYPT_2B = "$2b$10$/sP7CNAVr06AxXGf8RUE.eKiL1tzT.4Pv.z3k5aret.aN5yxei5ea";
// OpenBSD's published bcrypt test vector: "U*U" with cost 5.
const BCRYPT_2A = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";

describe("native PBKDF2 hashes", () => {
  it("hash and verify round-trip; a wrong password fails", async () => {
    const stored = await hashPassword("s3cret-pass");
    expect(hashFormat(stored)).toBe("native");
    expect(stored.split("$")[1]).toBe(String(NATIVE_ITERATIONS));
    expect(await verifyPassword("s3cret-pass", stored)).toBe(true);
    expect(await verifyPassword("s3cret-pasS", stored)).toBe(false);
    expect(needsRehash(stored)).toBe(false);
  });

  it("salts every hash", async () => {
    expect(await hashPassword("same")).not.toBe(await hashPassword("same"));
  });

  it("stays within production WebCrypto's 100,000-iteration cap, which local workerd does not enforce", async () => {
    expect(NATIVE_ITERATIONS).toBeLessThanOrEqual(WEBCRYPTO_PBKDF2_MAX_ITERATIONS);
    await expect(webCryptoPbkdf2("x", utf8("salt"), WEBCRYPTO_PBKDF2_MAX_ITERATIONS + 1)).rejects.toThrow(/limited to 100000/);
    await expect(hashPassword("x", 600_000)).rejects.toThrow(RangeError);
  });

  it("rejects corrupt native hashes without throwing", async () => {
    expect(await verifyPassword("x", "pbkdf2_sha256$abc$$")).toBe(false);
    expect(await verifyPassword("x", "pbkdf2_sha256$100000$!!$??")).toBe(false);
  });
});

// Verifying the Werkzeug hashes at their real work factors takes seconds: test/slow/legacy-passwords.test.ts.
describe("legacy hashes of imported users", () => {
  it("rejects a wrong password against the same Werkzeug pbkdf2 format (low count, same code path)", async () => {
    // hashlib.pbkdf2_hmac("sha256", b"correct horse battery", b"NaCl", 1000).hex(), as Werkzeug stores it
    const cheap = "pbkdf2:sha256:1000$NaCl$f04a691a54c8857cf85a88e8c37b31c6528cfbcf2c3ce3e00a18cc6ff90a721c";
    expect(await verifyPassword(PASSWORD, cheap)).toBe(true);
    expect(await verifyPassword("wrong", cheap)).toBe(false);
    expect(await verifyPassword(PASSWORD, cheap.replace("$NaCl$", "$NaCL$"))).toBe(false);
  });

  it("verifies bcrypt $2b$ and $2a$ (and $2y$ as $2b$)", async () => {
    expect(await verifyPassword(PASSWORD, BCRYPT_2B)).toBe(true);
    expect(await verifyPassword("wrong", BCRYPT_2B)).toBe(false);
    expect(await verifyPassword("U*U", BCRYPT_2A)).toBe(true);
    expect(await verifyPassword(PASSWORD, BCRYPT_2B.replace("$2b$", "$2y$"))).toBe(true);
  });

  it("refuses work factors that would exhaust a Worker", async () => {
    expect(await verifyPassword(PASSWORD, WERKZEUG_SCRYPT.replace("scrypt:32768:8:1", "scrypt:1048576:8:1"))).toBe(false);
    expect(await verifyPassword(PASSWORD, WERKZEUG_PBKDF2.replace(":600000$", ":900000000$"))).toBe(false);
  });

  it("rejects unknown formats", async () => {
    expect(hashFormat("md5$abc")).toBe("unknown");
    expect(await verifyPassword("x", "md5$abc")).toBe(false);
    expect(await verifyPassword("x", "")).toBe(false);
  });
});
