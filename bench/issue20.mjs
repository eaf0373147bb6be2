// Issue 20's figures in `npm run bench`: the authenticated reads' ratio to the minimal worker
// beside the target (goal 1), and the API bundle's size and cold start (goal 5). See
// bench/README.md "Reads near the minimal worker (issue 20)".
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { serve } from "./workers.mjs";

/** The reads of goal 1: API ≥ 0.8 × the minimal worker's requests/s in the same run. */
export const ISSUE20_READS = [
  "GET /api/v1/auth/me",
  "GET /api/equipment (CCbackend, 200 items)",
  "GET /api/v1/production/lines",
  "GET /api/v1/equipment?limit=50",
  "GET /api/v1/attendance/events?limit=50 (the log)",
  "GET /api/parts/?limit=50",
];
const READ_TARGET = 0.8;

/** The name `BENCH_SCENARIOS` matches to run the cold-start measurement. */
export const COLD_START = "cold start";

/** Bytes of a bundle directory's modules (what a deploy uploads), raw and gzip-compressed. */
export function bundleSize(dir) {
  let raw = 0;
  let gzip = 0;
  const files = [];
  for (const file of readdirSync(dir)) {
    if (!/\.(m?js|wasm)$/.test(file)) continue;
    const bytes = readFileSync(join(dir, file));
    raw += statSync(join(dir, file)).size;
    const compressed = gzipSync(bytes, { level: 9 }).length;
    gzip += compressed;
    files.push({ file, raw: bytes.length, gzip: compressed });
  }
  return { raw, gzip, files: files.sort((a, b) => b.raw - a.raw), packages: packagesOf(dir) };
}

/** Bytes in the bundle per npm package (and `src` for the project's own code), from esbuild's metafile when present. */
function packagesOf(dir) {
  const path = join(dir, "bundle-meta.json");
  if (!existsSync(path)) return [];
  const meta = JSON.parse(readFileSync(path, "utf8"));
  const bytes = new Map();
  for (const [name, output] of Object.entries(meta.outputs ?? {})) {
    if (!name.endsWith(".js")) continue;
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs ?? {})) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? (input.includes("src/") ? "src" : input);
      bytes.set(pkg, (bytes.get(pkg) ?? 0) + bytesInOutput);
    }
  }
  return [...bytes].sort((a, b) => b[1] - a[1]);
}

/**
 * Time from creating a Miniflare for a bundle (workerd starts, the bundle is parsed and its
 * top level evaluated) to the first answered request, `starts` times each, fresh storage each
 * time. `path` must answer from an empty database (the API's /health; the bare worker's /; the
 * minimal worker's /me without a token, a 401).
 */
export async function coldStart({ bundles, runtime, tmp, starts = 3 }) {
  const result = {};
  for (const [name, { bundle, options, path }] of Object.entries(bundles)) {
    const times = [];
    for (let i = 0; i < starts; i++) {
      const started = performance.now();
      const server = await serve({ ...options, ...runtime, bundle, stateDir: join(tmp, `cold-${name}-${i}`) });
      try {
        const res = await fetch(`${server.url}${path}`);
        await res.arrayBuffer();
        // Any answer counts (the minimal worker has no unauthenticated route: its 401 is an answer).
        if (res.status >= 500) throw new Error(`${name}: GET ${path} answered ${res.status} on a cold start`);
        times.push(performance.now() - started);
      } finally {
        await server.mf.dispose();
      }
    }
    times.sort((a, b) => a - b);
    result[name] = { times, median: times[Math.floor(times.length / 2)], size: bundleSize(bundle.dir) };
  }
  return result;
}

const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;

/** The cold-start lines printed before the load scenarios. */
export function renderColdStart(cold) {
  const lines = [];
  for (const [name, r] of Object.entries(cold)) {
    lines.push(
      `  ${name.padEnd(8)} bundle ${kib(r.size.raw).padStart(9)} (gzip ${kib(r.size.gzip).padStart(8)})   first answer after ${r.median.toFixed(0).padStart(5)} ms (median of ${r.times.length}: ${r.times.map((t) => t.toFixed(0)).join(", ")} ms)`,
    );
  }
  const api = cold.api;
  if (api) lines.push(`  api modules: ${api.size.files.map((f) => `${f.file} ${kib(f.raw)}`).join(", ")}`);
  if (api?.size.packages.length) {
    const top = api.size.packages.slice(0, 10).map(([pkg, n]) => `${pkg} ${kib(n)}`);
    lines.push(`  api bundle by package (minified bytes): ${top.join(", ")}`);
  }
  return lines.join("\n");
}

/** Issue 20's goals beside their targets, from the run's rows (and cold start, when measured). */
export function renderIssue20(rows, cold) {
  const lines = ["issue 20 (goal: each authenticated read ≥ 0.80× the minimal worker's req/s, same run):"];
  for (const name of ISSUE20_READS) {
    const row = rows.find((r) => r.name === name);
    if (!row) continue;
    if (!row.api || !row.minimal) {
      lines.push(`  ${name.padEnd(50)} —  (not measured: ${row.failures?.join("; ") || "a target is missing"})`);
      continue;
    }
    const ratio = row.api.rps / row.minimal.rps;
    lines.push(
      `  ${name.padEnd(50)} api/minimal ${ratio.toFixed(2)}×  (target ≥ ${READ_TARGET.toFixed(2)}×: ${ratio >= READ_TARGET ? "met" : "NOT met"})   D1 ${row.api.d1?.queries ?? "—"} q / ${row.api.d1?.waits ?? "—"} w`,
    );
  }
  if (cold?.api) {
    const base = cold.minimal ?? cold.bare;
    const extra = base ? `; minimal worker ${base.median.toFixed(0)} ms, api/minimal ${(cold.api.median / base.median).toFixed(2)}× the time` : "";
    lines.push(
      `  cold start (goal 5, reported, no target): API bundle ${kib(cold.api.size.raw)} (gzip ${kib(cold.api.size.gzip)}), first answer ${cold.api.median.toFixed(0)} ms${extra}`,
    );
  }
  return lines.join("\n");
}
