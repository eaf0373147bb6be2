import { pbkdf2 } from "@noble/hashes/pbkdf2.js";
import { scrypt } from "@noble/hashes/scrypt.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { describe, expect, it } from "vitest";
import { toHex, utf8 } from "../../src/lib/encoding";
import {
  hashFormat,
  hashPassword,
  isKnownLegacyHash,
  legacyHashProblem,
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

describe("legacy hash shapes: only what Werkzeug and bcrypt write verifies", () => {
  // Werkzeug's own shapes at cheap work factors (same code paths as the real ones).
  const pbkdf2Hex = toHex(pbkdf2(sha256, utf8(PASSWORD), utf8("NaCl"), { c: 1000, dkLen: 32 }));
  const scryptHex = toHex(scrypt(utf8(PASSWORD), utf8("NaCl"), { N: 16, r: 1, p: 1, dkLen: 64 }));
  const cheapPbkdf2 = `pbkdf2:sha256:1000$NaCl$${pbkdf2Hex}`;
  const cheapScrypt = `scrypt:16:1:1$NaCl$${scryptHex}`;

  it("verifies and accepts for import every real shape: Werkzeug pbkdf2 (with and without a count), scrypt, bcrypt $2a$/$2b$/$2y$", async () => {
    expect(await verifyPassword(PASSWORD, cheapPbkdf2)).toBe(true);
    expect(await verifyPassword(PASSWORD, cheapScrypt)).toBe(true);
    for (const real of [WERKZEUG_PBKDF2, WERKZEUG_SCRYPT, BCRYPT_2A, BCRYPT_2B, BCRYPT_2B.replace("$2b$", "$2y$"), cheapPbkdf2, cheapScrypt]) {
      expect(legacyHashProblem(real), real).toBeNull();
    }
    // Werkzeug 2.x's `pbkdf2:sha256` without a count.
    expect(isKnownLegacyHash(`pbkdf2:sha256$b7HsK2pLq9XmR4tE$${pbkdf2Hex}`)).toBe(true);
  });

  it("never verifies a Werkzeug hash whose digest is cut short (a 1-byte digest would match 1 guess in 256)", async () => {
    for (const bytes of [1, 8, 15, 16, 31]) {
      const short = `pbkdf2:sha256:1000$NaCl$${pbkdf2Hex.slice(0, bytes * 2)}`;
      expect(await verifyPassword(PASSWORD, short), short).toBe(false);
      expect(isKnownLegacyHash(short)).toBe(false);
    }
    for (const bytes of [1, 16, 32, 63]) {
      const short = `scrypt:16:1:1$NaCl$${scryptHex.slice(0, bytes * 2)}`;
      expect(await verifyPassword(PASSWORD, short), short).toBe(false);
      expect(isKnownLegacyHash(short)).toBe(false);
    }
    // Nor a longer one, nor hex Werkzeug would not write (upper case), nor an empty salt.
    expect(await verifyPassword(PASSWORD, `${cheapPbkdf2}00`)).toBe(false);
    expect(await verifyPassword(PASSWORD, `pbkdf2:sha256:1000$NaCl$${pbkdf2Hex.toUpperCase()}`)).toBe(false);
    expect(await verifyPassword(PASSWORD, `pbkdf2:sha256:1000$$${pbkdf2Hex}`)).toBe(false);
    expect(await verifyPassword(PASSWORD, `${cheapPbkdf2}$extra`)).toBe(false);
  });

  it("never verifies a native hash with a digest under 16 bytes", async () => {
    const stored = await hashPassword(PASSWORD, 1000);
    expect(await verifyPassword(PASSWORD, stored)).toBe(true);
    const [prefix, count, salt, digest] = stored.split("$");
    const short = `${prefix}$${count}$${salt}$${String(digest).slice(0, 2)}`; // one byte
    expect(await verifyPassword(PASSWORD, short)).toBe(false);
  });

  it("refuses for import anything else, with a reason that does not repeat the hash", () => {
    for (const bad of [
      "",
      "1234",
      "md5$abc",
      `sha256$NaCl$${"a".repeat(64)}`, // Werkzeug < 1 plain salted SHA-256: not verified here
      `pbkdf2:sha1:1000$NaCl$${"a".repeat(40)}`,
      `pbkdf2:sha256:0$NaCl$${"a".repeat(64)}`,
      `pbkdf2:sha256:99999999$NaCl$${"a".repeat(64)}`,
      `scrypt:15:1:1$NaCl$${"a".repeat(128)}`, // N not a power of two
      `scrypt:1048576:8:1$NaCl$${"a".repeat(128)}`, // 1 GB
      `$2b$03$${"a".repeat(53)}`,
      `$2b$31$${"a".repeat(53)}`,
      BCRYPT_2B.slice(0, -1),
      `${BCRYPT_2B}x`,
      "pbkdf2_sha256$100000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", // Floorline's own: no legacy system wrote it
    ]) {
      const problem = legacyHashProblem(bad);
      expect(problem, bad).toEqual(expect.any(String));
      if (bad.length > 8) expect(problem).not.toContain(bad.slice(-8));
    }
  });
});
