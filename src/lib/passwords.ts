/**
 * Password hashing.
 *
 * Native format: `pbkdf2_sha256$<iterations>$<salt b64url>$<hash b64url>`, PBKDF2-SHA256 through
 * WebCrypto. Production Workers refuse PBKDF2 above 100,000 iterations (workerd#1346) while local
 * workerd accepts any count, so the cap is enforced here rather than discovered after a deploy.
 *
 * Legacy formats that imported users carry are verified too, then re-hashed on login:
 * - Werkzeug `pbkdf2:sha256:<N>$<salt>$<hex>` (seed 000; N is often 600,000: pure JS, no WebCrypto)
 * - Werkzeug `scrypt:<N>:<r>:<p>$<salt>$<hex>` (Werkzeug's default since 2.3)
 * - bcrypt `$2a$` / `$2b$` / `$2y$` (seed 004)
 */
import { pbkdf2Async } from "@noble/hashes/pbkdf2.js";
import { scryptAsync } from "@noble/hashes/scrypt.js";
import { sha256 } from "@noble/hashes/sha2.js";
import bcrypt from "bcryptjs";
import { constantTimeEqual, fromBase64Url, fromHex, randomBytes, toBase64Url, utf8 } from "./encoding";

/** The most PBKDF2 iterations production WebCrypto accepts. */
export const WEBCRYPTO_PBKDF2_MAX_ITERATIONS = 100_000;
export const NATIVE_ITERATIONS = WEBCRYPTO_PBKDF2_MAX_ITERATIONS;
const NATIVE_PREFIX = "pbkdf2_sha256";
/** Bound on legacy work factors, so a crafted hash cannot pin a CPU or exhaust 128 MB. */
const MAX_LEGACY_PBKDF2_ITERATIONS = 2_000_000;
const MAX_SCRYPT_MEMORY_BYTES = 64 * 1024 * 1024;
const MAX_BCRYPT_COST = 14;

export type HashFormat = "native" | "werkzeug-pbkdf2" | "werkzeug-scrypt" | "bcrypt" | "unknown";

/** PBKDF2-SHA256 through WebCrypto, refusing counts production would refuse. */
export async function webCryptoPbkdf2(password: string, salt: Uint8Array<ArrayBuffer>, iterations: number, bytes = 32) {
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > WEBCRYPTO_PBKDF2_MAX_ITERATIONS) {
    throw new RangeError(`PBKDF2 through WebCrypto is limited to ${WEBCRYPTO_PBKDF2_MAX_ITERATIONS} iterations in production`);
  }
  const key = await crypto.subtle.importKey("raw", utf8(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, bytes * 8);
  return new Uint8Array(bits);
}

/** Hashes a password in the native format. */
export async function hashPassword(password: string, iterations = NATIVE_ITERATIONS): Promise<string> {
  const salt = randomBytes(16);
  const hash = await webCryptoPbkdf2(password, salt, iterations);
  return `${NATIVE_PREFIX}$${iterations}$${toBase64Url(salt)}$${toBase64Url(hash)}`;
}

export function hashFormat(stored: string): HashFormat {
  if (stored.startsWith(`${NATIVE_PREFIX}$`)) return "native";
  if (stored.startsWith("pbkdf2:sha256")) return "werkzeug-pbkdf2";
  if (stored.startsWith("scrypt:")) return "werkzeug-scrypt";
  if (/^\$2[aby]\$\d\d\$/.test(stored)) return "bcrypt";
  return "unknown";
}

/** True when a stored hash should be replaced by a native one after a successful login. */
export const needsRehash = (stored: string): boolean => {
  if (hashFormat(stored) !== "native") return true;
  return Number(stored.split("$")[1]) !== NATIVE_ITERATIONS;
};

const parseIntStrict = (text: string | undefined): number | null => (text && /^\d+$/.test(text) ? Number(text) : null);

async function verifyNative(password: string, stored: string): Promise<boolean> {
  const [, iterText, saltText, hashText] = stored.split("$");
  const iterations = parseIntStrict(iterText);
  const salt = fromBase64Url(saltText ?? "");
  const expected = fromBase64Url(hashText ?? "");
  if (!iterations || !salt || !expected || expected.length === 0) return false;
  const actual =
    iterations <= WEBCRYPTO_PBKDF2_MAX_ITERATIONS
      ? await webCryptoPbkdf2(password, salt, iterations, expected.length)
      : await pbkdf2Async(sha256, utf8(password), salt, { c: iterations, dkLen: expected.length });
  return constantTimeEqual(actual, expected);
}

async function verifyWerkzeugPbkdf2(password: string, stored: string): Promise<boolean> {
  const [method, salt, hex] = stored.split("$");
  const parts = (method ?? "").split(":");
  if (parts[0] !== "pbkdf2" || parts[1] !== "sha256") return false;
  // Werkzeug 2.x wrote `pbkdf2:sha256` without a count and meant 260,000.
  const iterations = parts[2] === undefined ? 260_000 : parseIntStrict(parts[2]);
  const expected = fromHex(hex ?? "");
  if (!iterations || iterations > MAX_LEGACY_PBKDF2_ITERATIONS || salt === undefined || !expected || expected.length === 0) return false;
  // Pure JS: Werkzeug's counts are far above what production WebCrypto accepts.
  const actual = await pbkdf2Async(sha256, utf8(password), utf8(salt), { c: iterations, dkLen: expected.length, asyncTick: 50 });
  return constantTimeEqual(actual, expected);
}

async function verifyWerkzeugScrypt(password: string, stored: string): Promise<boolean> {
  const [method, salt, hex] = stored.split("$");
  const [, nText, rText, pText] = (method ?? "").split(":");
  const N = parseIntStrict(nText);
  const r = parseIntStrict(rText);
  const p = parseIntStrict(pText);
  const expected = fromHex(hex ?? "");
  if (!N || !r || !p || salt === undefined || !expected || expected.length === 0) return false;
  if (128 * N * r > MAX_SCRYPT_MEMORY_BYTES || p > 16) return false;
  const actual = await scryptAsync(utf8(password), utf8(salt), { N, r, p, dkLen: expected.length, maxmem: MAX_SCRYPT_MEMORY_BYTES + 1024 * 1024 });
  return constantTimeEqual(actual, expected);
}

async function verifyBcrypt(password: string, stored: string): Promise<boolean> {
  const cost = Number(stored.slice(4, 6));
  if (cost > MAX_BCRYPT_COST) return false;
  // bcryptjs reads `$2y$` (PHP) as `$2b$`; the algorithms are the same.
  return bcrypt.compare(password, stored.replace(/^\$2y\$/, "$2b$"));
}

/** Checks a password against a stored hash of any supported format. Never throws on bad input. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  try {
    switch (hashFormat(stored)) {
      case "native":
        return await verifyNative(password, stored);
      case "werkzeug-pbkdf2":
        return await verifyWerkzeugPbkdf2(password, stored);
      case "werkzeug-scrypt":
        return await verifyWerkzeugScrypt(password, stored);
      case "bcrypt":
        return await verifyBcrypt(password, stored);
      default:
        return false;
    }
  } catch {
    return false;
  }
}

/**
 * A hash that no password matches, used to spend comparable time on unknown usernames so that
 * response timing does not reveal which usernames exist.
 */
export const DUMMY_HASH = `${NATIVE_PREFIX}$${NATIVE_ITERATIONS}$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;
