import { describe, expect, it } from "vitest";
import {
  hashFormat,
  hashPassword,
  NATIVE_ITERATIONS,
  needsRehash,
  verifyPassword,
  WEBCRYPTO_PBKDF2_MAX_ITERATIONS,
  webCryptoPbkdf2,
} from "../../src/lib/passwords";
import { utf8 } from "../../src/lib/encoding";

// Real hashes, made by Werkzeug 3 `generate_password_hash("correct horse battery", ...)`.
const WERKZEUG_PBKDF2 =
  "pbkdf2:sha256:600000$0SYvwv3zGegPE07q$6c81eb247f8b4162781bc8afb0a7c8d2d30236af83651ee4d2a06f3c342bcadd";
const WERKZEUG_SCRYPT =
  "scrypt:32768:8:1$FjG9LJ2Eo4i3eyxl$d383debe7d29ba69067f8270f62e7f1fe32aaf76575fe0b4f5e5bd55f92e59f7e1cb40ebecab5f54a69baeb091411fa64e3da22f30f2fa7d51003a6da244abc9";
// bcrypt from glibc/libxcrypt crypt(3) ($2b$, cost 10) for the same password.
const BCRYPT_2B = "$2b$10$/sP7CNAVr06AxXGf8RUE.eKiL1tzT.4Pv.z3k5aret.aN5yxei5ea";
// OpenBSD's published bcrypt test vector: "U*U" with cost 5.
const BCRYPT_2A = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";
const PASSWORD = "correct horse battery";

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

// Pure-JS key derivation runs far slower under the test runtime than in production V8
// (600,000 PBKDF2 rounds: ~0.5 s in Node, ~10 s here), hence the generous timeouts.
const SLOW = { timeout: 60_000 };

describe("legacy hashes of imported users", () => {
  it("verifies Werkzeug pbkdf2:sha256:600000 without WebCrypto", SLOW, async () => {
    expect(hashFormat(WERKZEUG_PBKDF2)).toBe("werkzeug-pbkdf2");
    expect(await verifyPassword(PASSWORD, WERKZEUG_PBKDF2)).toBe(true);
    expect(needsRehash(WERKZEUG_PBKDF2)).toBe(true);
  });

  it("rejects a wrong password against the same Werkzeug pbkdf2 format (low count, same code path)", async () => {
    // hashlib.pbkdf2_hmac("sha256", b"correct horse battery", b"NaCl", 1000).hex(), as Werkzeug stores it
    const cheap = "pbkdf2:sha256:1000$NaCl$f04a691a54c8857cf85a88e8c37b31c6528cfbcf2c3ce3e00a18cc6ff90a721c";
    expect(await verifyPassword(PASSWORD, cheap)).toBe(true);
    expect(await verifyPassword("wrong", cheap)).toBe(false);
    expect(await verifyPassword(PASSWORD, cheap.replace("$NaCl$", "$NaCL$"))).toBe(false);
  });

  it("verifies Werkzeug scrypt:32768:8:1", SLOW, async () => {
    expect(hashFormat(WERKZEUG_SCRYPT)).toBe("werkzeug-scrypt");
    expect(await verifyPassword(PASSWORD, WERKZEUG_SCRYPT)).toBe(true);
    expect(await verifyPassword("wrong", WERKZEUG_SCRYPT)).toBe(false);
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
