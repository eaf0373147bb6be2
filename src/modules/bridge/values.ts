/**
 * Reading legacy values in mappers (src/modules/bridge/source.ts): each helper returns the value
 * in Floorline's form, or throws `BadValue` with a reason, which the runner reports as that
 * row's failure (so a mapper may simply let it throw). Strings are bounded like every string
 * Floorline stores.
 */

/** A legacy value that cannot be mapped; the runner reports `message` as the row's reason. */
export class BadValue extends Error {}

/** The value as a legacy key (text): integers in decimal, strings as they are. */
export function legacyKey(value: unknown): string {
  if (typeof value === "number" && Number.isInteger(value)) return String(value);
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "string" && value.length > 0 && value.length <= 200) return value;
  throw new BadValue(`unusable legacy key ${JSON.stringify(String(value)).slice(0, 60)}`);
}

/** Text of at most `max` characters; `null`/`undefined` → null. Longer text is an error. */
export function optionalText(value: unknown, column: string, max: number): string | null {
  if (value === null || value === undefined) return null;
  const text = typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : undefined;
  if (text === undefined) throw new BadValue(`${column}: not text`);
  if (text.length > max) throw new BadValue(`${column}: longer than ${max} characters`);
  return text;
}

/** Text that must be present (non-empty after trimming). */
export function requiredText(value: unknown, column: string, max: number): string {
  const text = optionalText(value, column, max);
  if (text === null || text.trim() === "") throw new BadValue(`${column}: missing`);
  return text;
}

/** A finite number (pg returns numeric/bigint columns as strings); null stays null. */
export function optionalNumber(value: unknown, column: string): number | null {
  if (value === null || value === undefined) return null;
  const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN;
  if (!Number.isFinite(n)) throw new BadValue(`${column}: not a number`);
  return n;
}

export function requiredNumber(value: unknown, column: string): number {
  const n = optionalNumber(value, column);
  if (n === null) throw new BadValue(`${column}: missing`);
  return n;
}

/** An integer (rounds nothing: 1.5 is an error). */
export function optionalInt(value: unknown, column: string): number | null {
  const n = optionalNumber(value, column);
  if (n !== null && !Number.isSafeInteger(n)) throw new BadValue(`${column}: not an integer`);
  return n;
}

export function optionalBool(value: unknown, column: string): boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "boolean") return value;
  if (value === 1 || value === "1" || value === "t" || value === "true") return true;
  if (value === 0 || value === "0" || value === "f" || value === "false") return false;
  throw new BadValue(`${column}: not a boolean`);
}

/**
 * A time as Floorline's ISO 8601 UTC text with milliseconds. Accepts a Date (pg), an ISO or
 * `YYYY-MM-DD HH:MM:SS[.fff]` text (SQLite, exports; read as UTC when it has no offset).
 */
export function optionalTime(value: unknown, column: string): string | null {
  if (value === null || value === undefined || value === "") return null;
  let date: Date;
  if (value instanceof Date) date = value;
  else if (typeof value === "string") {
    const text = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value) ? `${value.replace(" ", "T")}Z` : value;
    date = new Date(text);
  } else throw new BadValue(`${column}: not a time`);
  if (Number.isNaN(date.getTime())) throw new BadValue(`${column}: not a time`);
  return date.toISOString();
}

export function requiredTime(value: unknown, column: string): string {
  const time = optionalTime(value, column);
  if (time === null) throw new BadValue(`${column}: missing`);
  return time;
}

/** A `YYYY-MM-DD` date (Date objects are read in UTC). */
export function optionalDate(value: unknown, column: string): string | null {
  if (value === null || value === undefined || value === "") return null;
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}/.test(value)) return value.slice(0, 10);
  throw new BadValue(`${column}: not a date`);
}

/** A JSON value (pg parses json/jsonb; text is parsed here), bounded by its serialized size. */
export function optionalJson(value: unknown, column: string, maxBytes: number): unknown {
  if (value === null || value === undefined) return null;
  let parsed = value;
  if (typeof value === "string") {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new BadValue(`${column}: not JSON`);
    }
  }
  if (JSON.stringify(parsed).length > maxBytes) throw new BadValue(`${column}: larger than ${maxBytes} bytes`);
  return parsed;
}

const UTF8 = new TextEncoder();

/**
 * A value as D1 would bind it, written as an SQLite literal (the runner's multi-row writes:
 * D1 binds at most 100 parameters a statement, a page holds thousands of values). `null` is
 * NULL; a finite number is itself; a boolean is 1/0 (as D1 binds it); a bigint is its digits;
 * text is quoted with `'` doubled (SQLite's only escape in a string literal: backslashes mean
 * nothing), or, when it holds a NUL (which would end the SQL text), its UTF-8 bytes as a hex
 * blob cast to text; bytes are a hex blob. Anything else — NaN, ±Infinity, an object — is
 * `undefined`: the caller binds that row instead.
 */
export function sqlLiteral(value: unknown): string | undefined {
  if (value === null) return "NULL";
  switch (typeof value) {
    case "number":
      return Number.isFinite(value) ? String(value) : undefined;
    case "boolean":
      return value ? "1" : "0";
    case "bigint":
      return value.toString();
    case "string":
      return value.includes("\0") ? `CAST(${hexBlob(UTF8.encode(value))} AS TEXT)` : `'${value.replaceAll("'", "''")}'`;
    default:
      if (value instanceof Uint8Array) return hexBlob(value);
      if (value instanceof ArrayBuffer) return hexBlob(new Uint8Array(value));
      return undefined;
  }
}

function hexBlob(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return `X'${hex}'`;
}
