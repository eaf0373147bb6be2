/**
 * A streaming reader of CCbackend's export: the one JSON document that the `sqlcmd … FOR JSON`
 * command in README "Moving from the old systems" writes, `{"CC_USER":[{…},…],"CC_MASTER":[…],…}`
 * (gzip-compressed or not). Memory stays bounded: one row's text at a time (MAX_ROW_CHARS), never
 * the document; and so does the work: EXPORT_LIMITS bounds the decompressed bytes (a gzip bomb
 * stops there), the tables and the rows of each.
 *
 * sqlcmd prints a FOR JSON result as rows of 2,033 characters, each on its own line, so line
 * breaks can fall anywhere, inside a string too. JSON never holds a raw line break (FOR JSON
 * escapes them as `\n`), so every raw CR and LF is dropped before parsing.
 */
import { maybeGunzip } from "../parts/archive";

/** Longest text of one row (a CC_REPORT with long notes is a few KB); rows of tables not read count too. */
export const MAX_ROW_CHARS = 256 * 1024;
const MAX_NAME_CHARS = 128;

export class ExportError extends Error {
  override name = "ExportError";
}

/** Bounds on what one export may make the importer read (a gzip bomb, a crafted document). */
export interface ExportLimits {
  /** Bytes of the JSON document once decompressed (about 200 a CC_LOG row: 512 MiB is some 2.5 million). */
  maxBytes: number;
  /** Tables (top-level keys) in the document: the command writes five. */
  maxTables: number;
  /** Rows in one table. */
  maxRowsPerTable: number;
}

export const EXPORT_LIMITS: ExportLimits = { maxBytes: 512 * 1024 * 1024, maxTables: 32, maxRowsPerTable: 10_000_000 };

const textTooLarge = (max: number) =>
  new ExportError(`The export holds more than ${max} bytes of JSON once decompressed (a gzip bomb?); at most ${max} are imported`);

/** The export's plain bytes (gunzipped when compressed), failing with ExportError past `maxBytes`. */
const exportText = (stream: ReadableStream<Uint8Array>, limits: ExportLimits = EXPORT_LIMITS) =>
  maybeGunzip(stream, { maxBytes: limits.maxBytes, tooLarge: textTooLarge });

export interface ExportRow {
  table: string;
  row: Record<string, unknown>;
}

type State = "start" | "key" | "colon" | "value" | "null" | "array" | "row" | "afterRow" | "afterValue" | "end";

/**
 * Every row of every table, in document order. `wanted` limits which tables' rows are parsed
 * (the others are scanned, not parsed). Throws ExportError on anything that is not the export's
 * shape.
 */
export async function* exportRows(
  stream: ReadableStream<Uint8Array>,
  wanted?: ReadonlySet<string>,
  limits: ExportLimits = EXPORT_LIMITS,
): AsyncGenerator<ExportRow> {
  const reader = (await exportText(stream, limits)).pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>).getReader();
  let state: State = "start";
  let table = "";
  let name = "";
  let inName = false;
  let rowText: string[] = [];
  let rowChars = 0;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let first = true;
  let nullLeft = 0;
  let tables = 0;
  let rows = 0;
  const fail = (what: string): never => {
    throw new ExportError(`Not a CCbackend export (${what}); produce it with the sqlcmd command in the README`);
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      let text = value;
      if (first) {
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        first = false;
      }
      // Inside a row, its text is kept as slices of the chunk between raw line breaks.
      let segStart = 0;
      const keepRow = () => wanted === undefined || wanted.has(table);
      const flush = (end: number) => {
        if (state === "row" && end > segStart) {
          rowChars += end - segStart;
          if (rowChars > MAX_ROW_CHARS) throw new ExportError(`A ${table} row is longer than ${MAX_ROW_CHARS} characters`);
          if (keepRow()) rowText.push(text.slice(segStart, end));
        }
      };
      for (let i = 0; i < text.length; i++) {
        const c = text[i] as string;
        if (c === "\r" || c === "\n") {
          flush(i);
          segStart = i + 1;
          continue;
        }
        if (state === "row") {
          // Inside one row object: track strings and nesting to find its end.
          if (inString) {
            if (escaped) escaped = false;
            else if (c === "\\") escaped = true;
            else if (c === '"') inString = false;
            continue;
          }
          if (c === '"') inString = true;
          else if (c === "{" || c === "[") depth++;
          else if (c === "}" || c === "]") {
            depth--;
            if (depth === 0) {
              flush(i + 1);
              state = "afterRow";
              if (keepRow()) {
                let row: unknown;
                try {
                  row = JSON.parse(rowText.join(""));
                } catch {
                  fail(`a ${table} row is not valid JSON`);
                }
                rowText = [];
                rowChars = 0;
                yield { table, row: row as Record<string, unknown> };
              }
            }
          }
          continue;
        }
        if (inName) {
          if (escaped) {
            escaped = false;
            name += c;
          } else if (c === "\\") escaped = true;
          else if (c === '"') {
            inName = false;
            table = name;
            state = "colon";
          } else {
            name += c;
            if (name.length > MAX_NAME_CHARS) fail("a table name is too long");
          }
          continue;
        }
        if (c === " " || c === "\t") continue;
        switch (state) {
          case "start":
            if (c !== "{") fail("it does not start with {");
            state = "key";
            break;
          case "key":
            if (c === "}") state = "end";
            else if (c === '"') {
              if (++tables > limits.maxTables) throw new ExportError(`The export has more than ${limits.maxTables} tables`);
              inName = true;
              name = "";
              rows = 0;
            } else fail("expected a table name");
            break;
          case "colon":
            if (c !== ":") fail("expected :");
            state = "value";
            break;
          case "value":
            if (c === "[") state = "array";
            else if (c === "n") {
              // `null`: FOR JSON's empty table (INCLUDE_NULL_VALUES).
              state = "null";
              nullLeft = 3;
            } else fail(`expected the rows of ${table}`);
            break;
          case "null":
            if (c !== "ull"[3 - nullLeft]) fail("expected an array of rows");
            if (--nullLeft === 0) state = "afterValue";
            break;
          case "array":
          case "afterRow":
            if (c === "{" && state === "array") {
              if (++rows > limits.maxRowsPerTable) throw new ExportError(`${table} has more than ${limits.maxRowsPerTable} rows`);
              state = "row";
              depth = 1;
              inString = false;
              escaped = false;
              segStart = i;
              rowText = [];
              rowChars = 0;
            } else if (c === "]") state = "afterValue";
            else if (c === "," && state === "afterRow") state = "array";
            else fail(`unexpected ${JSON.stringify(c)} among the rows of ${table}`);
            break;
          case "afterValue":
            if (c === ",") state = "key";
            else if (c === "}") state = "end";
            else fail("expected , or }");
            break;
          case "end":
            fail("text after the end of the document");
        }
      }
      flush(text.length);
    }
    if (state !== "end") fail("the document is cut short (truncated upload?)");
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
