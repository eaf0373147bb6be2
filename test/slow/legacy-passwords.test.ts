import { describe, expect, it } from "vitest";
import { hashFormat, needsRehash, verifyPassword } from "../../src/lib/passwords";
import { PASSWORD, WERKZEUG_PBKDF2, WERKZEUG_SCRYPT } from "./legacy-hashes";

// Pure-JS key derivation runs far slower under the test runtime than in production V8
// (600,000 PBKDF2 rounds: ~0.5 s in Node, ~13 s here); the slow project allows 180 s per test.
describe("legacy hashes of imported users, at their real work factors", () => {
  it("verifies Werkzeug pbkdf2:sha256:600000 without WebCrypto", async () => {
    expect(hashFormat(WERKZEUG_PBKDF2)).toBe("werkzeug-pbkdf2");
    expect(await verifyPassword(PASSWORD, WERKZEUG_PBKDF2)).toBe(true);
    expect(needsRehash(WERKZEUG_PBKDF2)).toBe(true);
  });

  it("verifies Werkzeug scrypt:32768:8:1", async () => {
    expect(hashFormat(WERKZEUG_SCRYPT)).toBe("werkzeug-scrypt");
    expect(await verifyPassword(PASSWORD, WERKZEUG_SCRYPT)).toBe(true);
    expect(await verifyPassword("wrong", WERKZEUG_SCRYPT)).toBe(false);
  });
});
