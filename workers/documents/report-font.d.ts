/** The report font (scripts/report-font.mjs): a `.bin` import is a Data module, an ArrayBuffer. */
declare module "*/generated/report-font.bin" {
  const bytes: ArrayBuffer;
  export default bytes;
}
