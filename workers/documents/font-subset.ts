/**
 * Cuts a TrueType font down to the characters one document draws, with HarfBuzz's subsetter
 * (harfbuzzjs's harfbuzz-subset.wasm, which needs no imports). pdf-lib's own subsetting (fontkit)
 * loses the outlines of many Noto glyphs, so documents embed HarfBuzz's subset whole instead.
 */

interface HbSubsetExports {
  memory: WebAssembly.Memory;
  malloc(size: number): number;
  free(ptr: number): void;
  hb_blob_create(data: number, length: number, mode: number, userData: number, destroy: number): number;
  hb_blob_destroy(blob: number): void;
  hb_blob_get_data(blob: number, length: number): number;
  hb_blob_get_length(blob: number): number;
  hb_face_create(blob: number, index: number): number;
  hb_face_destroy(face: number): void;
  hb_face_reference_blob(face: number): number;
  hb_set_add(set: number, codePoint: number): void;
  hb_subset_input_create_or_fail(): number;
  hb_subset_input_destroy(input: number): void;
  hb_subset_input_unicode_set(input: number): number;
  hb_subset_input_set(input: number, setType: number): number;
  hb_subset_or_fail(face: number, input: number): number;
}

const HB_MEMORY_MODE_WRITABLE = 2;
const HB_SUBSET_SETS_DROP_TABLE_TAG = 3;
const tag = (name: string) => [...name].reduce((t, ch) => (t << 8) | ch.charCodeAt(0), 0) >>> 0;
/**
 * Layout tables are dropped: a report needs no ligatures or alternates, and with them fontkit
 * substitutes glyphs (Latin letters and digits among them) whose ToUnicode entry pdf-lib then
 * leaves empty, so the PDF's text could not be searched or copied.
 */
const DROPPED_TABLES = ["GSUB", "GPOS", "GDEF"].map(tag);

/** The font's glyphs for `codePoints` (those it has), as a standalone TrueType font. */
export async function subsetFont(module: WebAssembly.Module, font: ArrayBuffer | Uint8Array, codePoints: Iterable<number>): Promise<Uint8Array> {
  const instance = await WebAssembly.instantiate(module, {});
  const hb = instance.exports as unknown as HbSubsetExports;
  const bytes = font instanceof Uint8Array ? font : new Uint8Array(font);
  const ptr = hb.malloc(bytes.byteLength);
  if (!ptr) throw new Error("font subsetter: out of memory");
  new Uint8Array(hb.memory.buffer).set(bytes, ptr);
  const blob = hb.hb_blob_create(ptr, bytes.byteLength, HB_MEMORY_MODE_WRITABLE, 0, 0);
  const face = hb.hb_face_create(blob, 0);
  hb.hb_blob_destroy(blob);
  const input = hb.hb_subset_input_create_or_fail();
  if (!input) throw new Error("font subsetter: hb_subset_input_create_or_fail failed");
  try {
    const unicodes = hb.hb_subset_input_unicode_set(input);
    for (const cp of codePoints) hb.hb_set_add(unicodes, cp);
    const dropped = hb.hb_subset_input_set(input, HB_SUBSET_SETS_DROP_TABLE_TAG);
    for (const t of DROPPED_TABLES) hb.hb_set_add(dropped, t);
    const subset = hb.hb_subset_or_fail(face, input);
    if (!subset) throw new Error("font subsetter: hb_subset_or_fail failed");
    const out = hb.hb_face_reference_blob(subset);
    const offset = hb.hb_blob_get_data(out, 0);
    const length = hb.hb_blob_get_length(out);
    // Copied out: the instance (and its memory) is dropped after this call.
    const result = new Uint8Array(hb.memory.buffer).slice(offset, offset + length);
    hb.hb_blob_destroy(out);
    hb.hb_face_destroy(subset);
    return result;
  } finally {
    hb.hb_subset_input_destroy(input);
    hb.hb_face_destroy(face);
    hb.free(ptr);
  }
}
