/**
 * Shared zod field schemas: every string the API accepts is bounded here, so a schema names
 * what a field is (`PersonName`, `Token`) rather than repeating its limits. Route, compat and
 * module schemas all build on these.
 *
 * Usernames follow two rules beyond their character set:
 * - New names are stored in Unicode NFKC (so `ａｄｍｉｎ`, fullwidth, is stored as `admin`) and
 *   must not mix scripts (UTS #39 "highly restrictive": one script, or Latin with Han and
 *   Hiragana/Katakana, Bopomofo or Hangul), so `аdmin` with a Cyrillic а is refused.
 * - Uniqueness and lookups use `usernameKey()` (NFKC + case fold), stored in `users.username_key`
 *   under a unique index: `Admin` and `admin` are the same account.
 */
import { z } from "zod";

/** Longest new username (after NFKC). */
export const USERNAME_MAX = 64;
/** Longest username a lookup accepts: imported users keep their names as stored. */
export const LOOKUP_USERNAME_MAX = 256;
/** Longest password a login accepts: whatever was stored before, within reason. */
export const LOGIN_PASSWORD_MAX = 1024;

const nfkc = (text: string) => text.normalize("NFKC");

/**
 * The key a username is unique under and looked up by: NFKC, then a case fold, then NFKC again.
 * JavaScript has no full case fold; upper-casing then lower-casing approximates it (`ß` → `ss`,
 * final `ς` → `σ`, `ı` → `i`), and the key only has to be the same for names that differ by
 * case, which it is.
 */
export function usernameKey(username: string): string {
  return nfkc(nfkc(username.trim()).toUpperCase().toLowerCase());
}

// Every Unicode script V8 knows (ISO 15924 codes), for naming the script of a character. Regexes
// are built lazily, and a name this runtime does not know is skipped rather than thrown.
const SCRIPT_CODES = (
  "Latn Hani Hira Kana Hang Bopo Cyrl Grek Arab Hebr Thai Deva Beng Taml Telu Knda Mlym Gujr Guru Orya Sinh " +
  "Khmr Laoo Mymr Tibt Geor Armn Ethi Mong Thaa Syrc Cher Cans Yiii Tfng Nkoo Vaii Adlm Aghb Ahom Armi Avst " +
  "Bali Bamu Bass Batk Berf Bhks Brah Brai Bugi Buhd Cakm Cari Cham Chrs Copt Cpmn Cprt Diak Dogr Dsrt Dupl " +
  "Egyp Elba Elym Gara Glag Gong Gonm Goth Gran Gukh Hano Hatr Hluw Hmng Hmnp Hung Ital Java Kali Kawi Khar " +
  "Khoj Kits Krai Kthi Lana Lepc Limb Lina Linb Lisu Lyci Lydi Mahj Maka Mand Mani Marc Medf Mend Merc Mero " +
  "Miao Modi Mroo Mtei Mult Nagm Nand Narb Nbat Newa Nshu Ogam Olck Onao Orkh Osge Osma Ougr Palm Pauc Perm " +
  "Phag Phli Phlp Phnx Plrd Prti Rjng Rohg Runr Samr Sarb Saur Sgnw Shaw Shrd Sidd Sidt Sind Sogd Sogo Sora " +
  "Soyo Sund Sunu Sylo Tagb Takr Tale Talu Tang Tavt Tayo Tglg Tirh Tnsa Todr Tols Toto Tutg Ugar Vith Wara " +
  "Wcho Xpeo Xsux Yezi Zanb"
).split(" ");
const scriptRegexes = new Map<string, RegExp | null>();
function scriptRegex(code: string): RegExp | null {
  let re = scriptRegexes.get(code);
  if (re === undefined) {
    try {
      re = new RegExp(`^\\p{sc=${code}}$`, "u");
    } catch {
      re = null;
    }
    scriptRegexes.set(code, re);
  }
  return re;
}
/** Characters that belong to no one script (digits, `_ . @ -`, marks that take their base's script). */
const COMMON = /^[\p{sc=Zyyy}\p{sc=Zinh}\p{sc=Zzzz}]$/u;
const scriptOf = (char: string): string => SCRIPT_CODES.find((code) => scriptRegex(code)?.test(char)) ?? `U+${char.codePointAt(0)?.toString(16)}`;

/** UTS #39's "highly restrictive" combinations beyond a single script. */
const ALLOWED_MIXES: readonly ReadonlySet<string>[] = [
  new Set(["Latn", "Hani", "Hira", "Kana"]),
  new Set(["Latn", "Hani", "Bopo"]),
  new Set(["Latn", "Hani", "Hang"]),
];

/** The scripts a name's letters use (Common and Inherited characters belong to none). */
export function scriptsOf(text: string): Set<string> {
  const scripts = new Set<string>();
  for (const char of text) {
    if (COMMON.test(char)) continue;
    // Most names use one script: test the script already seen before searching them all.
    let known = false;
    for (const code of scripts) if (scriptRegex(code)?.test(char)) known = true;
    if (!known) scripts.add(scriptOf(char));
  }
  return scripts;
}

/** Whether a name passes UTS #39's "highly restrictive" level: one script, or an allowed mix. */
export function isHighlyRestrictive(text: string): boolean {
  const scripts = scriptsOf(text);
  if (scripts.size <= 1) return true;
  return ALLOWED_MIXES.some((mix) => [...scripts].every((s) => mix.has(s)));
}

/** A new username: trimmed, NFKC, letters/digits and `_ . @ -`, one script. */
export const Username = z
  .string()
  .trim()
  .min(1, "Username is required")
  // Bounds the NFKC work below; the real limit is checked on the normalised name.
  .max(LOOKUP_USERNAME_MAX, `Username is at most ${USERNAME_MAX} characters`)
  .overwrite(nfkc)
  .max(USERNAME_MAX, `Username is at most ${USERNAME_MAX} characters`)
  .regex(/^[\p{L}\p{N}_.@-]+$/u, "Username may contain letters, digits and _ . @ -")
  .refine(isHighlyRestrictive, { message: "Username must not mix scripts (e.g. Latin and Cyrillic letters)" });

/** A username to look up (login, admin tools): any stored name, bounded. */
export const LookupUsername = z.string().trim().min(1, "Username is required").max(LOOKUP_USERNAME_MAX);

/** A password at login: whatever was stored before, bounded. */
export const LoginPassword = z.string().min(1, "Password is required").max(LOGIN_PASSWORD_MAX);

/** Policy for new passwords. */
export const NewPassword = z.string().min(8, "Password must be at least 8 characters").max(256, "Password is at most 256 characters");

/** A first or last name. */
export const PersonName = z.string().trim().max(100);

export const Email = z.email().max(254);

/** A label: department, shift, skill, a key's name. */
export const ShortText = z.string().trim().max(100);

/** A description or comment. */
export const LongText = z.string().max(2000);

/** A code or identifier: employee id, role name, record id, SKU. */
export const Code = z.string().trim().min(1).max(64);

/** An opaque credential: refresh token, reset token, device token. */
export const Token = z.string().min(1).max(512);
