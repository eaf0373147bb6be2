/** The report font (scripts/report-font.mjs): a `.bin` import is a Data module, an ArrayBuffer. */
declare module "*/generated/report-font.bin" {
  const bytes: ArrayBuffer;
  export default bytes;
}

/** HarfBuzz's subsetter, imported as a compiled module (wrangler's CompiledWasm rule). */
declare module "harfbuzzjs/dist/harfbuzz-subset.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
