// Reads the D1 round-trip counts a worker reports in its `Server-Timing` response header:
// `d1q;desc="N"` (D1 queries and batches the request made) and `d1w;desc="M"` (sequential D1
// waits: queries started while no other D1 query was in flight).

const SEPARATORS = new Set([",", ";", "=", '"', " ", "\t"]);

/**
 * Parses a `Server-Timing` header value (W3C Server Timing grammar) into its metrics, in order:
 * `[{ name, params }]` with `params` a Map of lower-cased parameter names to values (quoted
 * strings unquoted; the first occurrence of a parameter wins). Several headers joined with ", "
 * parse as one list. Malformed text is skipped up to the next metric; never throws.
 */
export function parseServerTiming(header) {
  const metrics = [];
  if (typeof header !== "string") return metrics;
  const n = header.length;
  let i = 0;
  const skipSpace = () => {
    while (i < n && (header[i] === " " || header[i] === "\t")) i++;
  };
  const readToken = () => {
    const start = i;
    while (i < n && !SEPARATORS.has(header[i])) i++;
    return header.slice(start, i);
  };
  const readQuoted = () => {
    let out = "";
    i++; // opening quote
    while (i < n && header[i] !== '"') {
      if (header[i] === "\\" && i + 1 < n) i++;
      out += header[i++];
    }
    i++; // closing quote (or past the end when unterminated)
    return out;
  };

  while (i < n) {
    skipSpace();
    const name = readToken();
    const params = new Map();
    skipSpace();
    while (i < n && header[i] === ";") {
      i++;
      skipSpace();
      const key = readToken().toLowerCase();
      skipSpace();
      let value = "";
      if (header[i] === "=") {
        i++;
        skipSpace();
        value = header[i] === '"' ? readQuoted() : readToken();
        skipSpace();
      }
      if (key && !params.has(key)) params.set(key, value);
    }
    // Anything else before the next comma is malformed; a comma inside quotes does not end it.
    while (i < n && header[i] !== ",") {
      if (header[i] === '"') readQuoted();
      else i++;
    }
    i++;
    if (name) metrics.push({ name, params });
  }
  return metrics;
}

/**
 * D1 round trips reported by one response's headers: `{ queries, waits }`, each the whole number
 * in the `desc` of the first `d1q` / `d1w` metric, or null when the header, the metric or a
 * whole-number desc is missing.
 */
export function d1RoundTrips(headers) {
  const metrics = parseServerTiming(headers.get("server-timing"));
  const count = (name) => {
    const desc = metrics.find((m) => m.name === name)?.params.get("desc");
    return desc !== undefined && /^\d+$/.test(desc.trim()) ? Number(desc.trim()) : null;
  };
  return { queries: count("d1q"), waits: count("d1w") };
}
