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

/** Rows read per page of a streamed CSV export. */
export const CSV_PAGE_ROWS = 500;
const encoder = new TextEncoder();

/**
 * A CSV export streamed a page at a time with keyset paging (no deep offsets): `header` first,
 * then `next(after)` is asked for up to CSV_PAGE_ROWS rows after the key of the last row sent,
 * until a short page. Memory holds one page; a client that stops reading stops the queries.
 */
export function csvStream<Row, Key>(
  header: readonly string[],
  next: (after: Key | undefined) => Promise<Row[]>,
  keyOf: (row: Row) => Key,
  cells: (row: Row) => readonly CsvValue[],
): ReadableStream<Uint8Array> {
  let after: Key | undefined;
  let done = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(csvLine(header)));
    },
    async pull(controller) {
      if (done) return;
      const rows = await next(after);
      if (rows.length > 0) controller.enqueue(encoder.encode(rows.map((r) => csvLine(cells(r))).join("")));
      const last = rows.at(-1);
      if (last === undefined || rows.length < CSV_PAGE_ROWS) {
        done = true;
        controller.close();
      } else after = keyOf(last);
    },
  });
}
