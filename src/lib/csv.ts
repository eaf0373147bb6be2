/**
 * CSV for exports (RFC 4180 with CRLF lines), safe to open in a spreadsheet: text a spreadsheet
 * would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) is defused with a leading `'`.
 */

/** A cell's value: nothing, a number, a flag or text. */
export type CsvValue = string | number | boolean | null;

/** One CSV cell: quoted when needed; text that a spreadsheet would run as a formula is defused. */
export function csvCell(value: CsvValue): string {
  if (value === null) return "";
  if (typeof value !== "string") return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** One CSV line, CRLF-terminated. */
export const csvLine = (cells: readonly CsvValue[]): string => `${cells.map(csvCell).join(",")}\r\n`;
