/** occt-import-js ships no types: its default export is the Emscripten module factory. */
declare module "occt-import-js" {
  const factory: unknown;
  export default factory;
}
