// Renders the results table: one row per scenario, the API and the bare worker side by side,
// and the ratio bare/api of requests per second (how many times more requests the bare Hono
// handler serves than the API on the same path, server and load).

const fmtRps = (n) => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n.toFixed(1)) : "—");
const fmtMs = (n) => (Number.isFinite(n) ? n.toFixed(2) : "—");
const fmtRatio = (bare, api) => (bare && api && api.rps > 0 ? `${(bare.rps / api.rps).toFixed(2)}×` : "—");

/**
 * rows: [{ name, api?: run, bare?: run, failures: string[] }] where run = load() result.
 * Returns the table as a string.
 */
export function renderTable(rows) {
  const header = ["scenario", "api req/s", "api p50 ms", "api p99 ms", "bare req/s", "bare p50 ms", "bare p99 ms", "bare/api"];
  const body = rows.map((row) => [
    row.failures?.length ? `${row.name}  ✗` : row.name,
    fmtRps(row.api?.rps),
    fmtMs(row.api?.p50),
    fmtMs(row.api?.p99),
    fmtRps(row.bare?.rps),
    fmtMs(row.bare?.p50),
    fmtMs(row.bare?.p99),
    fmtRatio(row.bare, row.api),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i].length)));
  // First column left-aligned, numbers right-aligned.
  const line = (cells) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ");
  const rule = widths.map((w) => "─".repeat(w)).join("  ");
  return [line(header), rule, ...body.map(line)].join("\n");
}

/** One line per measured run: request count, status codes, errors. */
export function renderChecks(rows) {
  const lines = [];
  for (const row of rows) {
    for (const target of ["api", "bare"]) {
      const run = row[target];
      if (!run) continue;
      const codes = Object.entries(run.statusCodes)
        .map(([code, n]) => `${code}×${n}`)
        .join(" ");
      lines.push(
        `  ${row.name} [${target}]: ${run.requests} responses in ${run.duration.toFixed(1)} s (${codes || "none"}), non-2xx ${run.non2xx}, errors ${run.errors}, timeouts ${run.timeouts}`,
      );
    }
  }
  return lines.join("\n");
}
