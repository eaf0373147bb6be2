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
 * - bcrypt `$2a$` / `$2b$` / `$2y$` (passlib's, seeds 003 and 004)
 * Only in the exact shape their writers give them (Werkzeug: lower-case hex of a 32-byte pbkdf2 /
 * 64-byte scrypt digest; bcrypt: 60 characters) and within bounded work factors: a hash with a
 * digest cut short would let a guess match by chance, so it never verifies. Importers keep only
 * hashes `isKnownLegacyHash()` accepts and report the others (`legacyHashProblem()`).
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

/** The shortest digest any stored hash may carry: a shorter one would let guesses match by chance. */
export const MIN_DIGEST_BYTES = 16;
/** Werkzeug's digests: `pbkdf2_hmac("sha256", …)` gives 32 bytes, `hashlib.scrypt(…)` its default 64. */
const WERKZEUG_PBKDF2_DIGEST_HEX = 64;
const WERKZEUG_SCRYPT_DIGEST_HEX = 128;
/** Werkzeug's salts are `gen_salt(n)` (letters and digits, 16 by default); never empty, never a `$`. */
const WERKZEUG_SALT = /^[^$]{1,256}$/;

async function verifyNative(password: string, stored: string): Promise<boolean> {
  const [, iterText, saltText, hashText] = stored.split("$");
  const iterations = parseIntStrict(iterText);
  const salt = fromBase64Url(saltText ?? "");
  const expected = fromBase64Url(hashText ?? "");
  if (!iterations || !salt || !expected || expected.length < MIN_DIGEST_BYTES) return false;
  const actual =
    iterations <= WEBCRYPTO_PBKDF2_MAX_ITERATIONS
      ? await webCryptoPbkdf2(password, salt, iterations, expected.length)
      : await pbkdf2Async(sha256, utf8(password), salt, { c: iterations, dkLen: expected.length });
  return constantTimeEqual(actual, expected);
}

interface WerkzeugPbkdf2 {
  iterations: number;
  salt: string;
  digest: Uint8Array;
}

/**
 * A Werkzeug `pbkdf2:sha256[:N]$<salt>$<hex>` hash as Werkzeug writes it — a 32-byte digest in
 * lower-case hex (Werkzeug compares the hex as text), a count within MAX_LEGACY_PBKDF2_ITERATIONS
 * — or null. Werkzeug 2.x wrote `pbkdf2:sha256` without a count and meant 260,000.
 */
function parseWerkzeugPbkdf2(stored: string): WerkzeugPbkdf2 | null {
  const m = /^pbkdf2:sha256(?::(\d{1,9}))?\$([^$]*)\$([^$]*)$/.exec(stored);
  if (!m) return null;
  const [, count, salt = "", hex = ""] = m;
  const iterations = count === undefined ? 260_000 : Number(count);
  if (iterations < 1 || iterations > MAX_LEGACY_PBKDF2_ITERATIONS || !WERKZEUG_SALT.test(salt)) return null;
  if (hex.length !== WERKZEUG_PBKDF2_DIGEST_HEX || !/^[0-9a-f]+$/.test(hex)) return null;
  const digest = fromHex(hex);
  return digest && digest.length >= MIN_DIGEST_BYTES ? { iterations, salt, digest } : null;
}

interface WerkzeugScrypt {
  N: number;
  r: number;
  p: number;
  salt: string;
  digest: Uint8Array;
}

/**
 * A Werkzeug `scrypt:N:r:p$<salt>$<hex>` hash as Werkzeug writes it — a 64-byte digest in
 * lower-case hex, N a power of two, memory within MAX_SCRYPT_MEMORY_BYTES — or null.
 */
function parseWerkzeugScrypt(stored: string): WerkzeugScrypt | null {
  const m = /^scrypt:(\d{1,9}):(\d{1,4}):(\d{1,3})\$([^$]*)\$([^$]*)$/.exec(stored);
  if (!m) return null;
  const [, nText, rText, pText, salt = "", hex = ""] = m;
  const N = Number(nText);
  const r = Number(rText);
  const p = Number(pText);
  if (N < 2 || (N & (N - 1)) !== 0 || r < 1 || p < 1 || p > 16 || 128 * N * r > MAX_SCRYPT_MEMORY_BYTES) return null;
  if (!WERKZEUG_SALT.test(salt) || hex.length !== WERKZEUG_SCRYPT_DIGEST_HEX || !/^[0-9a-f]+$/.test(hex)) return null;
  const digest = fromHex(hex);
  return digest && digest.length >= MIN_DIGEST_BYTES ? { N, r, p, salt, digest } : null;
}

/** A bcrypt hash: `$2a$`/`$2b$`/`$2y$`, a cost from 4 to MAX_BCRYPT_COST, 22 salt and 31 hash characters. */
const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;

function bcryptCost(stored: string): number | null {
  const m = BCRYPT.exec(stored);
  const cost = m ? Number(m[1]) : Number.NaN;
  return cost >= 4 && cost <= MAX_BCRYPT_COST ? cost : null;
}

/**
 * Why a hash from a legacy system cannot be imported, or null when it can: it must be one of the
 * formats the seeds stored — Werkzeug `pbkdf2:sha256` or `scrypt` (seed 000), bcrypt (passlib's,
 * seeds 003 and 004) — well formed, with the digest length its algorithm gives and work factors
 * within the bounds above, so that it is a hash the login verifies (and nothing shorter or
 * costlier). The reason never repeats the hash.
 */
export function legacyHashProblem(stored: string): string | null {
  const ok =
    (stored.startsWith("pbkdf2:") && parseWerkzeugPbkdf2(stored) !== null) ||
    (stored.startsWith("scrypt:") && parseWerkzeugScrypt(stored) !== null) ||
    (stored.startsWith("$2") && bcryptCost(stored) !== null);
  if (ok) return null;
  switch (hashFormat(stored)) {
    case "werkzeug-pbkdf2":
      return `not a well-formed Werkzeug pbkdf2:sha256 hash (salt, ${WERKZEUG_PBKDF2_DIGEST_HEX} lower-case hex digits, at most ${MAX_LEGACY_PBKDF2_ITERATIONS} iterations)`;
    case "werkzeug-scrypt":
      return `not a well-formed Werkzeug scrypt hash (N a power of two, at most ${MAX_SCRYPT_MEMORY_BYTES / 1024 / 1024} MB, salt, ${WERKZEUG_SCRYPT_DIGEST_HEX} lower-case hex digits)`;
    case "bcrypt":
      return `not a well-formed bcrypt hash (60 characters, cost 4 to ${MAX_BCRYPT_COST})`;
    default:
      return "not a password hash Floorline verifies (Werkzeug pbkdf2:sha256 or scrypt, bcrypt)";
  }
}

/** True when `stored` is a legacy hash an importer may keep (see legacyHashProblem). */
export const isKnownLegacyHash = (stored: string): boolean => legacyHashProblem(stored) === null;

async function verifyWerkzeugPbkdf2(password: string, stored: string): Promise<boolean> {
  const parsed = parseWerkzeugPbkdf2(stored);
  if (!parsed) return false;
  // Pure JS: Werkzeug's counts are far above what production WebCrypto accepts.
  const actual = await pbkdf2Async(sha256, utf8(password), utf8(parsed.salt), { c: parsed.iterations, dkLen: parsed.digest.length, asyncTick: 50 });
  return constantTimeEqual(actual, parsed.digest);
}

async function verifyWerkzeugScrypt(password: string, stored: string): Promise<boolean> {
  const parsed = parseWerkzeugScrypt(stored);
  if (!parsed) return false;
  const { N, r, p, salt, digest } = parsed;
  const actual = await scryptAsync(utf8(password), utf8(salt), { N, r, p, dkLen: digest.length, maxmem: MAX_SCRYPT_MEMORY_BYTES + 1024 * 1024 });
  return constantTimeEqual(actual, digest);
}

async function verifyBcrypt(password: string, stored: string): Promise<boolean> {
  if (bcryptCost(stored) === null) return false;
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
