// Renders the results table: one row per scenario with the API's throughput, latency and D1
// round trips beside the two baselines' throughput, and the ratios of requests per second:
//   bare/api     bare req/s ÷ api req/s (how many bare Hono requests one API request costs)
//   minimal/api  minimal req/s ÷ api req/s (what Floorline's layers cost on top of the work the
//                request cannot avoid: JWT verification and one D1 query)

const TARGETS = ["api", "bare", "minimal"];

const fmtRps = (n) => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n.toFixed(1)) : "—");
const fmtMs = (n) => (Number.isFinite(n) ? n.toFixed(2) : "—");
const fmtRatio = (baseline, api) => (baseline && api && api.rps > 0 ? `${(baseline.rps / api.rps).toFixed(2)}×` : "—");
const fmtCount = (n) => (Number.isInteger(n) ? String(n) : "—");

/**
 * rows: [{ name, api?: run, bare?: run, minimal?: run, failures: string[] }] where run is a
 * load() result plus `d1: { queries, waits }` from the checked request. Returns the table as a
 * string.
 */
export function renderTable(rows) {
  const header = ["scenario", "api req/s", "api p50 ms", "api p99 ms", "D1 queries", "D1 waits", "bare req/s", "minimal req/s", "bare/api", "minimal/api"];
  const body = rows.map((row) => [
    row.failures?.length ? `${row.name}  ✗` : row.name,
    fmtRps(row.api?.rps),
    fmtMs(row.api?.p50),
    fmtMs(row.api?.p99),
    fmtCount(row.api?.d1?.queries),
    fmtCount(row.api?.d1?.waits),
    fmtRps(row.bare?.rps),
    fmtRps(row.minimal?.rps),
    fmtRatio(row.bare, row.api),
    fmtRatio(row.minimal, row.api),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i].length)));
  // First column left-aligned, numbers right-aligned.
  const line = (cells) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ");
  const rule = widths.map((w) => "─".repeat(w)).join("  ");
  return [line(header), rule, ...body.map(line)].join("\n");
}

/** One line per measured run: request count, status codes, errors, latency and D1 round trips. */
export function renderChecks(rows) {
  const lines = [];
  for (const row of rows) {
    for (const target of TARGETS) {
      const run = row[target];
      if (!run) continue;
      const codes = Object.entries(run.statusCodes)
        .map(([code, n]) => `${code}×${n}`)
        .join(" ");
      lines.push(
        `  ${row.name} [${target}]: ${run.requests} responses in ${run.duration.toFixed(1)} s (${codes || "none"}), non-2xx ${run.non2xx}, errors ${run.errors}, timeouts ${run.timeouts}; ` +
          `p50 ${fmtMs(run.p50)} / p99 ${fmtMs(run.p99)} ms; D1 queries ${fmtCount(run.d1?.queries)}, waits ${fmtCount(run.d1?.waits)}`,
      );
    }
  }
  return lines.join("\n");
}
