/**
 * Reading RM365's sales CSV: a header row, then 14 columns by position (CONTRACTS.md), each row
 * checked on its own with RM365's messages (`Row n: Not enough columns (expected 14, got k)`).
 *
 * - Parsing is our own RFC 4180 reader (`csvRecordBatches`; csv-parse's WHATWG stream, one await
 *   per record, was most of an import's CPU), fed from R2 as the bytes arrive, so a file of any
 *   size costs about one chunk and one record in memory.
 * - The delimiter is read off the header line: `,`, `;` (what French, Dutch and German exports
 *   use beside decimal commas) or a tab, whichever it has most of.
 * - `Row n` counts records as a spreadsheet counts rows: the header is row 1, the first order
 *   line row 2 (a quoted field spanning lines is still one row; blank lines are skipped and not
 *   counted).
 * - Numbers and dates follow the region (REGION_FORMATS); dates without a zone are taken as UTC
 *   (Magento exports its `created_at` in UTC).
 */
import type { SalesRegion } from "../../db/schema";
import { chunkReader } from "../../lib/streams";

export const SALES_COLUMNS = [
  "order_number",
  "created_at",
  "sku",
  "name",
  "qty",
  "price",
  "status",
  "currency",
  "grand_total",
  "customer_email",
  "customer_full_name",
  "billing_address",
  "shipping_address",
  "customer_group_code",
] as const;
export const EXPECTED_COLUMNS = SALES_COLUMNS.length;

/** Longest value kept per text column; a longer one is a row error, never truncated. */
export const MAX_LENGTH = {
  order_number: 64,
  sku: 64,
  name: 255,
  status: 64,
  customer_email: 254,
  customer_full_name: 200,
  billing_address: 1000,
  shipping_address: 1000,
  customer_group_code: 64,
} as const satisfies Partial<Record<(typeof SALES_COLUMNS)[number], number>>;
/** A record longer than this (bytes) stops the parse: no honest order line is 64 KiB. */
export const MAX_RECORD_BYTES = 64 * 1024;
const MAX_SHOWN_VALUE = 40;

/** How a region writes numbers and dates. */
export interface RegionFormat {
  /** The decimal separator of its exports. */
  decimal: "." | ",";
  /** Thousands separators it may use. */
  thousands: readonly string[];
  /** Day-month-year separators it may use (`DD/MM/YYYY`, `DD-MM-YYYY`, `DD.MM.YYYY`). */
  dateSeparators: readonly string[];
  /** How the error messages describe its formats. */
  numberExample: string;
  dateExample: string;
}

export const REGION_FORMATS: Record<SalesRegion, RegionFormat> = {
  uk: { decimal: ".", thousands: [","], dateSeparators: ["/"], numberExample: "1,234.56", dateExample: "DD/MM/YYYY [HH:MM[:SS]]" },
  fr: { decimal: ",", thousands: [" ", "\u00a0", "\u202f"], dateSeparators: ["/"], numberExample: "1 234,56", dateExample: "DD/MM/YYYY [HH:MM[:SS]]" },
  nl: { decimal: ",", thousands: ["."], dateSeparators: ["-", "/"], numberExample: "1.234,56", dateExample: "DD-MM-YYYY [HH:MM[:SS]]" },
  de: { decimal: ",", thousands: ["."], dateSeparators: ["."], numberExample: "1.234,56", dateExample: "DD.MM.YYYY [HH:MM[:SS]]" },
};

/** One valid order line, as stored. */
export interface SalesLine {
  order_number: string;
  /** ISO 8601 UTC with milliseconds. */
  created_at: string;
  sku: string;
  name: string;
  qty: number;
  price: number;
  status: string;
  currency: string;
  grand_total: number;
  customer_email: string;
  customer_full_name: string;
  billing_address: string;
  shipping_address: string;
  customer_group_code: string;
}

export type RowResult = { ok: true; line: SalesLine } | { ok: false; error: string };

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Parses a number as `region` writes it: its decimal separator and thousands grouping, or a
 * plain machine number (`12.5000`, as Magento writes prices in every locale) when that is not
 * ambiguous (a `.` in a decimal-comma region is grouping only when it groups by three).
 */
export function parseRegionNumber(text: string, region: SalesRegion): number | undefined {
  const format = REGION_FORMATS[region];
  const { grouped, plainLocal, groupSeparators } = numberPatterns(region);
  const value = text.trim();
  if (value === "") return undefined;
  let normalised: string | undefined;
  if (plainLocal.test(value)) normalised = format.decimal === "." ? value : value.replace(format.decimal, ".");
  else if (grouped.test(value)) {
    const [whole = "", fraction] = value.split(format.decimal);
    normalised = `${whole.replace(groupSeparators, "")}${fraction === undefined ? "" : `.${fraction}`}`;
  } else if (PLAIN_MACHINE.test(value)) normalised = value;
  if (normalised === undefined) return undefined;
  const n = Number(normalised);
  return Number.isFinite(n) ? n : undefined;
}

const PLAIN_MACHINE = /^[-+]?\d+(?:\.\d+)?$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|\+00:00)?)?$/;

interface RegionPatterns {
  grouped: RegExp;
  plainLocal: RegExp;
  groupSeparators: RegExp;
  localDate: RegExp;
}
// Built once per region: a 100,000-line file checks three numbers and a date per line.
const patterns = new Map<SalesRegion, RegionPatterns>();
function numberPatterns(region: SalesRegion): RegionPatterns {
  let found = patterns.get(region);
  if (!found) {
    const format = REGION_FORMATS[region];
    const dec = escapeRe(format.decimal);
    const groups = format.thousands.map(escapeRe).join("|");
    const seps = format.dateSeparators.map(escapeRe).join("");
    found = {
      grouped: new RegExp(`^[-+]?\\d{1,3}(?:(?:${groups})\\d{3})+(?:${dec}\\d+)?$`),
      plainLocal: new RegExp(`^[-+]?\\d+(?:${dec}\\d+)?$`),
      groupSeparators: new RegExp(groups, "g"),
      localDate: new RegExp(`^(\\d{1,2})[${seps}](\\d{1,2})[${seps}](\\d{4})(?:[ T](\\d{1,2}):(\\d{2})(?::(\\d{2}))?)?$`),
    };
    patterns.set(region, found);
  }
  return found;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");
const leap = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const daysInMonth = (y: number, mo: number) => (mo === 2 ? (leap(y) ? 29 : 28) : mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31);

/**
 * Parses an order date as `region` writes it (`DD/MM/YYYY`, `DD-MM-YYYY`, `DD.MM.YYYY` with an
 * optional `HH:MM[:SS]`), or ISO 8601 (`YYYY-MM-DD[ T]HH:MM[:SS[.fff]][Z]`), into ISO 8601 UTC.
 * Impossible dates (31/02) are refused; times without a zone are UTC.
 */
export function parseRegionDate(text: string, region: SalesRegion): string | undefined {
  // An order's lines carry its one timestamp: the line before's answer, when it is the same text.
  if (text === lastDate.text && region === lastDate.region) return lastDate.value;
  const value = parseDate(text, region);
  lastDate = { text, region, value };
  return value;
}

let lastDate: { text: string; region: SalesRegion | undefined; value: string | undefined } = { text: "", region: undefined, value: undefined };

/** A digit's value, or -1. */
const digitAt = (text: string, i: number) => {
  const c = text.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
};
/** The 2-digit number at `i`, or -1. */
const twoAt = (text: string, i: number) => {
  const a = digitAt(text, i);
  const b = digitAt(text, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
};

/**
 * `YYYY-MM-DD HH:MM:SS` (or `T` between, `Z` after), the shape Magento exports `created_at` in,
 * read digit by digit: its ISO 8601 UTC form, undefined for an impossible date or time, or null
 * when the text has another shape (then `parseDate`'s patterns decide).
 */
function magentoDate(text: string): string | undefined | null {
  const n = text.length;
  if (n !== 19 && !(n === 20 && text.charCodeAt(19) === 90)) return null;
  const sep = text.charCodeAt(10);
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || (sep !== 32 && sep !== 84) || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58)
    return null;
  const century = twoAt(text, 0);
  const yy = twoAt(text, 2);
  const mo = twoAt(text, 5);
  const d = twoAt(text, 8);
  const h = twoAt(text, 11);
  const mi = twoAt(text, 14);
  const s = twoAt(text, 17);
  if (century < 0 || yy < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return null;
  const y = century * 100 + yy;
  if (y < 1970 || y > 2999 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59 || d > daysInMonth(y, mo)) return undefined;
  return `${text.slice(0, 10)}T${text.slice(11, 19)}.000Z`;
}

function parseDate(text: string, region: SalesRegion): string | undefined {
  const fast = magentoDate(text);
  if (fast !== null) return fast;
  const value = text.trim();
  const iso = ISO_DATE.exec(value);
  const local = iso ? null : numberPatterns(region).localDate.exec(value);
  let parts: { y: number; mo: number; d: number; h: number; mi: number; s: number; ms: number };
  if (iso) {
    parts = {
      y: Number(iso[1]),
      mo: Number(iso[2]),
      d: Number(iso[3]),
      h: Number(iso[4] ?? 0),
      mi: Number(iso[5] ?? 0),
      s: Number(iso[6] ?? 0),
      ms: Math.floor(Number(`0.${iso[7] ?? "0"}`) * 1000),
    };
  } else if (local) {
    parts = {
      y: Number(local[3]),
      mo: Number(local[2]),
      d: Number(local[1]),
      h: Number(local[4] ?? 0),
      mi: Number(local[5] ?? 0),
      s: Number(local[6] ?? 0),
      ms: 0,
    };
  } else return undefined;
  const { y, mo, d, h, mi, s, ms } = parts;
  if (y < 1970 || y > 2999 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  if (d > daysInMonth(y, mo)) return undefined;
  return `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}.${pad(ms, 3)}Z`;
}

const shown = (value: string) => JSON.stringify(value.length > MAX_SHOWN_VALUE ? `${value.slice(0, MAX_SHOWN_VALUE)}…` : value);

/** A row's error in RM365's words. */
const rowError = (row: number, error: string): RowResult => ({ ok: false, error: `Row ${row}: ${error}` });

/**
 * Checks one data record (`row` is its spreadsheet row number) and turns it into an order line,
 * or names the first thing wrong with it in RM365's words. Trims `fields` in place (the parser's
 * own array: this runs for every line of a file, so it copies nothing it does not keep).
 */
export function validateRow(fields: string[], row: number, region: SalesRegion): RowResult {
  if (fields.length < EXPECTED_COLUMNS) return rowError(row, `Not enough columns (expected ${EXPECTED_COLUMNS}, got ${fields.length})`);
  if (fields.length > EXPECTED_COLUMNS) return rowError(row, `Too many columns (expected ${EXPECTED_COLUMNS}, got ${fields.length})`);
  // By position (SALES_COLUMNS order); plain indexing.
  const v = fields;
  for (let i = 0; i < EXPECTED_COLUMNS; i++) v[i] = (v[i] as string).trim();
  for (let k = 0; k < REQUIRED.length; k++) {
    const [i, name] = REQUIRED[k] as (typeof REQUIRED)[number];
    if (v[i] === "") return rowError(row, `Missing ${name}`);
  }
  for (let k = 0; k < LENGTH_CHECKS.length; k++) {
    const [i, name, max] = LENGTH_CHECKS[k] as (typeof LENGTH_CHECKS)[number];
    if ((v[i] as string).length > max) return rowError(row, `${name} is longer than ${max} characters`);
  }
  const format = REGION_FORMATS[region];
  const createdText = v[COL.created_at] as string;
  const createdAt = parseRegionDate(createdText, region);
  if (createdAt === undefined) return rowError(row, `Invalid created_at ${shown(createdText)} (expected ${format.dateExample} or YYYY-MM-DD HH:MM:SS)`);
  const qty = numberAt(v, COL.qty, region);
  if (typeof qty === "string") return rowError(row, qty);
  if (qty < 0) return rowError(row, `Invalid qty ${shown(v[COL.qty] as string)} (must not be negative)`);
  const price = numberAt(v, COL.price, region);
  if (typeof price === "string") return rowError(row, price);
  const grandTotal = numberAt(v, COL.grand_total, region);
  if (typeof grandTotal === "string") return rowError(row, grandTotal);
  const currency = v[COL.currency] as string;
  if (!CURRENCY.test(currency)) return rowError(row, `Invalid currency ${shown(currency)} (expected a 3-letter code like GBP or EUR)`);
  return {
    ok: true,
    line: {
      order_number: v[COL.order_number] as string,
      created_at: createdAt,
      sku: v[COL.sku] as string,
      name: v[COL.name] as string,
      qty,
      price,
      status: v[COL.status] as string,
      currency: currency.toUpperCase(),
      grand_total: grandTotal,
      customer_email: v[COL.customer_email] as string,
      customer_full_name: v[COL.customer_full_name] as string,
      billing_address: v[COL.billing_address] as string,
      shipping_address: v[COL.shipping_address] as string,
      customer_group_code: v[COL.customer_group_code] as string,
    },
  };
}

/** The number in column `i` as `region` writes it, or the error naming it. */
function numberAt(v: readonly string[], i: number, region: SalesRegion): number | string {
  const text = v[i] as string;
  const n = parseRegionNumber(text, region);
  return n === undefined ? `Invalid ${SALES_COLUMNS[i]} ${shown(text)} (expected a number like ${REGION_FORMATS[region].numberExample})` : n;
}

type Column = (typeof SALES_COLUMNS)[number];
/** Each column's position. */
const COL = Object.fromEntries(SALES_COLUMNS.map((name, i) => [name, i])) as Record<Column, number>;
const REQUIRED = (["order_number", "sku", "created_at"] as const).map((name) => [COL[name], name] as const);
const LENGTH_CHECKS = Object.entries(MAX_LENGTH).map(([name, max]) => [COL[name as Column], name, max] as const);
const CURRENCY = /^[A-Za-z]{3}$/;

/** The delimiter a header line uses most: `,`, `;` or tab (`,` on a tie). */
export function chooseDelimiter(headerLine: string): "," | ";" | "\t" {
  const count = (c: string) => headerLine.split(c).length - 1;
  const candidates = [",", ";", "\t"] as const;
  let best: "," | ";" | "\t" = ",";
  for (const c of candidates) if (count(c) > count(best)) best = c;
  return best;
}

/** One CSV record and its spreadsheet row number (the header is row 1). */
export interface CsvRecord {
  row: number;
  fields: string[];
}

/** Consecutive records: `records[k]` is spreadsheet row `first + k`. */
export interface CsvBatch {
  first: number;
  records: string[][];
}

/** A file that cannot be read as CSV at all (a stray quote, a record past MAX_RECORD_BYTES). */
export class CsvFormatError extends Error {
  constructor(
    message: string,
    readonly row: number,
  ) {
    super(message);
    this.name = "CsvFormatError";
  }
}

const QUOTE = 34;
const LF = 10;
const CR = 13;

/** Why a record cannot be read, as CsvFormatError's detail (csv-parse's words where it had them). */
class Malformed extends Error {
  /** Complete records parsed before the broken one (in this call). */
  before = 0;
}

/**
 * Parses the complete records of `text` from `at`. Returns them and where the first incomplete
 * record starts (the caller keeps that tail for the next chunk); with `final`, the text is all
 * there is and a record may end at its end. RFC 4180 with csv-parse's strictness: a quoted field
 * is `"…"` with `""` for a quote and nothing but a delimiter or a line break after it; a quote
 * inside an unquoted field is an error; lines with no characters are skipped; records may have
 * any number of fields (the caller checks widths).
 */
function parseRecords(text: string, at: number, delimiter: number, final: boolean): { records: string[][]; rest: number } {
  const records: string[][] = [];
  try {
    return parseInto(records, text, at, delimiter, final);
  } catch (err) {
    if (err instanceof Malformed) err.before = records.length;
    throw err;
  }
}

function parseInto(records: string[][], text: string, at: number, delimiter: number, final: boolean): { records: string[][]; rest: number } {
  const n = text.length;
  let i = at;
  for (;;) {
    // Blank lines are not records.
    while (i < n && (text.charCodeAt(i) === LF || text.charCodeAt(i) === CR)) i++;
    if (i >= n) return { records, rest: n };
    const start = i;
    const fields: string[] = [];
    let complete = false;
    for (;;) {
      let value: string;
      if (text.charCodeAt(i) === QUOTE) {
        let from = i + 1;
        value = "";
        for (;;) {
          const close = text.indexOf('"', from);
          if (close < 0) {
            if (final) throw new Malformed("Quote Not Closed: the parsing is finished with an opening quote");
            return { records, rest: start };
          }
          if (close + 1 >= n && !final) return { records, rest: start };
          if (text.charCodeAt(close + 1) === QUOTE) {
            value += text.slice(from, close + 1);
            from = close + 2;
            continue;
          }
          value += text.slice(from, close);
          i = close + 1;
          break;
        }
        const next = text.charCodeAt(i);
        if (i < n && next !== delimiter && next !== LF && next !== CR) throw new Malformed("Invalid Closing Quote: got a character after a closing quote");
      } else {
        let j = i;
        for (; j < n; j++) {
          const c = text.charCodeAt(j);
          if (c === delimiter || c === LF || c === CR) break;
          if (c === QUOTE) throw new Malformed("Invalid Opening Quote: a quote is found inside a field");
        }
        value = text.slice(i, j);
        i = j;
      }
      fields.push(value);
      if (i - start > MAX_RECORD_BYTES) throw new Malformed(`Max Record Size: record exceeds the maximum number of tolerated bytes of ${MAX_RECORD_BYTES}`);
      if (i >= n) {
        if (!final) return { records, rest: start };
        complete = true;
        break;
      }
      const c = text.charCodeAt(i);
      if (c === delimiter) {
        i++;
        if (i >= n && !final) return { records, rest: start };
        continue;
      }
      // A line break: \r\n, \n or \r. A \r at the chunk's end may be half of \r\n: wait for more.
      if (c === CR && i + 1 >= n && !final) return { records, rest: start };
      i += c === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
      complete = true;
      break;
    }
    if (complete) records.push(fields);
  }
}

const HEAD_BYTES = 64 * 1024;

/**
 * The records of a CSV byte stream, header first, a chunk's worth at a time (one batch per
 * chunk read: no await and no wrapper object per record). Bytes are read only as fast as batches are taken; at most
 * one incomplete record (≤ MAX_RECORD_BYTES) is carried between chunks. UTF-8, a leading BOM
 * dropped; the delimiter is read off the header line.
 */
export async function* csvRecordBatches(body: ReadableStream<Uint8Array>): AsyncGenerator<CsvBatch> {
  // 64 KiB reads where the body is a byte stream (an R2 object's is): see lib/streams.ts.
  const reader = chunkReader(body);
  const decoder = new TextDecoder();
  let text = "";
  let delimiter = -1;
  let row = 0;
  let ended = false;
  try {
    while (!ended) {
      const chunk = await reader.read();
      if (chunk.done) {
        ended = true;
        text += decoder.decode();
      } else text += decoder.decode(chunk.value, { stream: true });
      if (delimiter < 0) {
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        const lineEnd = text.search(/[\r\n]/);
        // The header line (or its first 64 KiB) decides the delimiter.
        if (lineEnd < 0 && text.length < HEAD_BYTES && !ended) continue;
        delimiter = chooseDelimiter(text.slice(0, lineEnd < 0 ? HEAD_BYTES : lineEnd)).charCodeAt(0);
      }
      let parsed: { records: string[][]; rest: number };
      try {
        parsed = parseRecords(text, 0, delimiter, ended);
      } catch (err) {
        if (!(err instanceof Malformed)) throw err;
        const broken = row + err.before + 1;
        throw new CsvFormatError(`Row ${broken}: The file is not valid CSV (${err.message})`, broken);
      }
      text = text.slice(parsed.rest);
      if (text.length > MAX_RECORD_BYTES) {
        throw new CsvFormatError(
          `Row ${row + 1 + parsed.records.length}: The file is not valid CSV (Max Record Size: record exceeds the maximum number of tolerated bytes of ${MAX_RECORD_BYTES})`,
          row + 1 + parsed.records.length,
        );
      }
      if (parsed.records.length === 0) continue;
      const first = row + 1;
      row += parsed.records.length;
      yield { first, records: parsed.records };
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** The records of a CSV byte stream one by one (see {@link csvRecordBatches}). */
export async function* csvRecords(body: ReadableStream<Uint8Array>): AsyncGenerator<CsvRecord> {
  for await (const { first, records } of csvRecordBatches(body))
    for (let k = 0; k < records.length; k++) yield { row: first + k, fields: records[k] as string[] };
}
