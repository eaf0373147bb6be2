/** Small authenticated encryption helpers (AES-256-GCM via WebCrypto) for values kept in D1. */
import { fromBase64Url, randomBytes, toBase64Url, utf8 } from "./encoding";

/** An AES-256-GCM key derived with HKDF-SHA256 from secret material and a context label. */
export async function derivedKey(label: string, material: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey("raw", material, "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: utf8(label) }, base, { name: "AES-GCM", length: 256 }, false, [
    "encrypt",
    "decrypt",
  ]);
}

/** Encrypts text; the result is `iv.ciphertext` in base64url. */
export async function seal(key: CryptoKey, text: string): Promise<string> {
  const iv = randomBytes(12);
  const data = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, utf8(text)));
  return `${toBase64Url(iv)}.${toBase64Url(data)}`;
}

/** Decrypts what `seal` produced; throws when the key is wrong or the value was altered. */
export async function unseal(key: CryptoKey, sealed: string): Promise<string> {
  const [ivText, dataText] = sealed.split(".");
  const iv = fromBase64Url(ivText ?? "");
  const data = fromBase64Url(dataText ?? "");
  if (!iv || !data) throw new Error("sealed value is corrupt");
  return new TextDecoder().decode(await crypto.subtle.decrypt({ name: "AES-GCM", iv }, key, data));
}
