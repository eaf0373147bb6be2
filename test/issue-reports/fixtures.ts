/** Photo fixtures and R2 helpers shared by the equipment and issue-report tests. */
import { env } from "cloudflare:workers";

const filler = (n: number, seed: number) => {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
};
const withHead = (head: number[] | string, n: number, seed: number) => {
  const start = typeof head === "string" ? new TextEncoder().encode(head) : new Uint8Array(head);
  const out = new Uint8Array(start.length + n);
  out.set(start);
  out.set(filler(n, seed), start.length);
  return out;
};

/** Bytes that start like a JPEG / PNG / GIF / WebP file (the kind is judged by these). */
export const jpegBytes = (n = 1500, seed = 1) => withHead([0xff, 0xd8, 0xff, 0xe0], n, seed);
export const pngBytes = (n = 1500, seed = 2) => withHead([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], n, seed);
export const gifBytes = (n = 800, seed = 3) => withHead("GIF89a", n, seed);
export const webpBytes = (n = 800, seed = 4) => {
  const out = withHead("RIFF\0\0\0\0WEBPVP8 ", n, seed);
  return out;
};

/** A multipart form: text fields, then files (repeated names allowed). */
export function form(fields: Record<string, string>, files: { name?: string; filename: string; type?: string; bytes: Uint8Array }[] = []): FormData {
  const data = new FormData();
  for (const [k, v] of Object.entries(fields)) data.append(k, v);
  for (const f of files) data.append(f.name ?? "images", new File([f.bytes], f.filename, { type: f.type ?? "application/octet-stream" }));
  return data;
}

/** Every key under the report-photo prefix. */
export async function photoKeys(): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.FILES.list({ prefix: "reports/", cursor });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return keys.sort();
}

/** A raw GET through the worker (binary bodies; `call()` reads text). */
export async function fetchRaw(path: string, headers: Record<string, string> = {}): Promise<Response> {
  const { exports } = await import("cloudflare:workers");
  return exports.default.fetch(new Request(`http://localhost${path}`, { headers }));
}
