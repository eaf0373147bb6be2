// Builds the CJK font the documents worker embeds in production reports: Noto Sans SC (OFL-1.1,
// from the @expo-google-fonts/noto-sans-sc package) cut down with HarfBuzz's subsetter
// (harfbuzzjs) to the characters a factory report needs:
//   - the 3,755 level-1 (most used) hanzi of GB 2312 (Simplified),
//   - the 5,401 frequently used hanzi of Big5 (Traditional; seed 000's vocabulary is Traditional),
//   - ASCII, Latin-1, general punctuation, CJK symbols and punctuation, full-width forms.
// Google's Noto Sans SC covers both sets (its TC sibling lacks ~970 of the simplified ones). The
// full font is 10.5 MB; the subset is about 2 MB (1.2 MB gzipped), which keeps the documents
// worker well inside the deploy limit. Characters outside it are drawn as '?' (see
// workers/documents/report-pdf.ts). `npm install` runs this (postinstall), and so do `npm run
// dev`, `npm run dry-run` and vitest (globalSetup in vitest.config.ts), so the font exists after
// `npm ci --ignore-scripts` too; it rebuilds only when its inputs change. Its inputs are
// devDependencies: without them (`npm ci --omit=dev`, NODE_ENV=production) it says so in one
// line and exits 0, since nothing there builds or deploys the documents worker.
// Output: workers/documents/generated/.

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { root } from "./lib.mjs";

const SOURCE = join(root, "node_modules", "@expo-google-fonts", "noto-sans-sc", "400Regular", "NotoSansSC_400Regular.ttf");
const SUBSETTER = join(root, "node_modules", "harfbuzzjs", "dist", "harfbuzz-subset.wasm");
const OUT_DIR = join(root, "workers", "documents", "generated");
const OUT = join(OUT_DIR, "report-font.bin");
const STAMP = join(OUT_DIR, "report-font.stamp");
const RECIPE = 1; // bump when the character set below changes

/** Every code point the subset keeps. */
function characters() {
  const chars = new Set();
  const add = (from, to) => {
    for (let c = from; c <= to; c++) chars.add(c);
  };
  add(0x20, 0x7e); // ASCII
  add(0xa0, 0xff); // Latin-1
  add(0x2010, 0x2027); // dashes, quotes, bullets, ellipsis
  add(0x2030, 0x203a);
  add(0x2190, 0x2193); // arrows
  add(0x2212, 0x2212); // minus
  add(0x3000, 0x303f); // CJK symbols and punctuation
  add(0xff01, 0xff5e); // full-width ASCII
  add(0xffe0, 0xffe6);
  const decodeEach = (encoding, rows, cells) => {
    const decoder = new TextDecoder(encoding, { fatal: false });
    for (const hi of rows) {
      for (const lo of cells) {
        const text = decoder.decode(new Uint8Array([hi, lo]));
        const cp = text.codePointAt(0);
        if (text.length === 1 && cp !== 0xfffd && cp >= 0x3400) chars.add(cp);
      }
    }
  };
  const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
  // GB 2312 level 1: rows 16–55 (EUC-CN lead bytes 0xB0–0xD7).
  decodeEach("gb18030", range(0xb0, 0xd7), range(0xa1, 0xfe));
  // Big5 frequently used characters: 0xA440–0xC67E.
  decodeEach("big5", range(0xa4, 0xc5), [...range(0x40, 0x7e), ...range(0xa1, 0xfe)]);
  decodeEach("big5", [0xc6], range(0x40, 0x7e));
  return [...chars].sort((a, b) => a - b);
}

/** Subsets `font` (TrueType bytes) to `codePoints` with HarfBuzz's hb-subset. */
async function subset(font, codePoints) {
  const { instance } = await WebAssembly.instantiate(readFileSync(SUBSETTER), {});
  const hb = instance.exports;
  const ptr = hb.malloc(font.byteLength);
  new Uint8Array(hb.memory.buffer).set(font, ptr);
  const blob = hb.hb_blob_create(ptr, font.byteLength, 2 /* HB_MEMORY_MODE_WRITABLE */, 0, 0);
  const face = hb.hb_face_create(blob, 0);
  hb.hb_blob_destroy(blob);
  const input = hb.hb_subset_input_create_or_fail();
  if (!input) throw new Error("hb_subset_input_create_or_fail failed");
  const unicodes = hb.hb_subset_input_unicode_set(input);
  for (const cp of codePoints) hb.hb_set_add(unicodes, cp);
  const result = hb.hb_subset_or_fail(face, input);
  hb.hb_subset_input_destroy(input);
  if (!result) throw new Error("hb_subset_or_fail failed");
  const out = hb.hb_face_reference_blob(result);
  const offset = hb.hb_blob_get_data(out, 0);
  const length = hb.hb_blob_get_length(out);
  const bytes = new Uint8Array(hb.memory.buffer).slice(offset, offset + length);
  hb.hb_blob_destroy(out);
  hb.hb_face_destroy(result);
  hb.hb_face_destroy(face);
  hb.free(ptr);
  return bytes;
}

/**
 * Builds the subset unless it is up to date (its stamp matches the inputs). Without its inputs
 * (devDependencies not installed) it prints one line and returns: no font is built then.
 */
export async function buildReportFont() {
  const missing = [SOURCE, SUBSETTER].filter((path) => !existsSync(path));
  if (missing.length > 0) {
    console.log(
      `• report font: not built, ${missing.map((path) => relative(root, path)).join(" and ")} missing (devDependencies not installed); the documents worker needs it: run \`npm install\`, then \`node scripts/report-font.mjs\``,
    );
    return;
  }
  const font = readFileSync(SOURCE);
  const codePoints = characters();
  const stamp = `${RECIPE}:${createHash("sha256").update(font).digest("hex")}:${codePoints.length}`;
  if (existsSync(OUT) && existsSync(STAMP) && readFileSync(STAMP, "utf8") === stamp) return;
  const started = Date.now();
  const bytes = await subset(font, codePoints);
  if (bytes.byteLength < 100_000) throw new Error(`report font subset is implausibly small (${bytes.byteLength} bytes)`);
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(OUT, bytes);
  writeFileSync(STAMP, stamp);
  console.log(
    `• report font: ${codePoints.length} characters, ${(bytes.byteLength / 1e6).toFixed(2)} MB (${Date.now() - started} ms) → workers/documents/generated/report-font.bin`,
  );
}

/** vitest's globalSetup (vitest.config.ts): the tests import the font. */
export default buildReportFont;

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildReportFont();
