/** Small authenticated encryption helpers (AES-256-GCM via WebCrypto) for values kept in D1. */
import { fromBase64Url, randomBytes, toBase64Url, utf8 } from "./encoding";

/** An AES-GCM key derived from secret material (SHA-256 of it, labelled). */
export async function derivedKey(label: string, material: string | Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  const bytes = typeof material === "string" ? utf8(material) : material;
  const labelled = new Uint8Array(label.length + 1 + bytes.length);
  labelled.set(utf8(`${label}\n`));
  labelled.set(bytes, label.length + 1);
  const raw = await crypto.subtle.digest("SHA-256", labelled);
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
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
