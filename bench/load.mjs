// One load run with autocannon's programmatic API.
//
// Latency is taken from autocannon's per-response `response` event (milliseconds as a float from
// process.hrtime) rather than from its result histogram, which has 1 ms resolution and would
// round a sub-millisecond /health to 0 or 1 ms.
import autocannon from "autocannon";

/**
 * Loads `url` for `duration` seconds with `connections` keep-alive connections, one request in
 * flight per connection. Resolves to throughput, latency percentiles and failure counts.
 */
export async function load({ url, method = "GET", headers = {}, body, connections, duration, nextPath, nextBody }) {
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  const instance = autocannon({
    url,
    method,
    headers,
    body,
    connections,
    duration,
    pipelining: 1,
    timeout: 30, // seconds; a queued PBKDF2 login can take a while, it is not an error
    // A scenario whose every request needs its own path (e.g. acknowledging a fresh andon).
    ...(nextPath ? { requests: [{ setupRequest: (req) => ({ ...req, path: nextPath() }) }] } : {}),
    // A scenario whose every request needs its own body (e.g. a different card at each tap).
    ...(nextBody ? { requests: [{ setupRequest: (req) => ({ ...req, body: nextBody() }) }] } : {}),
  });
  instance.on("response", (_client, _status, _bytes, responseTime) => {
    if (count === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[count++] = responseTime;
  });
  const result = await instance;
  const sorted = latencies.subarray(0, count).sort();
  return {
    requests: result.requests.total, // completed responses, any status
    rps: result.requests.total / result.duration,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    non2xx: result.non2xx,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count: n }]) => [code, n])),
    errors: result.errors,
    timeouts: result.timeouts,
    duration: result.duration,
    latencies: sorted,
  };
}

/**
 * Several runs of one target as one (rounds interleaved with another target's: bench/run.mjs):
 * requests and seconds summed, percentiles over every response's latency, failures summed.
 */
export function mergeRuns(runs) {
  const total = runs.reduce((n, r) => n + r.latencies.length, 0);
  const latencies = new Float64Array(total);
  let at = 0;
  for (const r of runs) {
    latencies.set(r.latencies, at);
    at += r.latencies.length;
  }
  latencies.sort();
  const sum = (key) => runs.reduce((n, r) => n + r[key], 0);
  const statusCodes = {};
  for (const r of runs) for (const [code, n] of Object.entries(r.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  const requests = sum("requests");
  const duration = sum("duration");
  return {
    requests,
    rps: requests / duration,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    non2xx: sum("non2xx"),
    statusCodes,
    errors: sum("errors"),
    timeouts: sum("timeouts"),
    duration,
    latencies,
    rounds: runs.map((r) => r.rps),
  };
}

/** Nearest-rank percentile of an ascending array; NaN when empty. */
function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Why a run is not a measurement (non-2xx responses, socket errors, timeouts, nothing answered), or null. */
export function failureOf(run) {
  const problems = [];
  if (run.non2xx > 0)
    problems.push(
      `${run.non2xx} non-2xx responses (${Object.entries(run.statusCodes)
        .map(([code, n]) => `${code}×${n}`)
        .join(", ")})`,
    );
  // autocannon counts a timeout as an error too; report the two apart.
  if (run.errors - run.timeouts > 0) problems.push(`${run.errors - run.timeouts} socket/request errors`);
  if (run.timeouts > 0) problems.push(`${run.timeouts} timeouts`);
  if (run.requests === 0) problems.push("no response at all");
  return problems.length ? problems.join("; ") : null;
}
