// `npm test`: vitest and the static checks at once, failing if any fails.
//
// vitest runs from the start (its output streams live); beside it, the checks run from a queue
// (`wrangler types --check`, strict tsc on each project, Biome, the wrangler dry-runs), TEST_JOBS
// at a time (default: cores - 1, at least 1, so vitest keeps a core). A check's output is printed
// in one piece when it ends: one line if it passed, everything if it failed. The last line is
// vitest's `vitest: N passed, N failed, N skipped`, which CI reads.
import { spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import { stripVTControlCharacters } from "node:util";
import { bin, root } from "./lib.mjs";

const jobs = Math.max(1, Number(process.env.TEST_JOBS) || availableParallelism() - 1);
const node = process.execPath;
const npmScript = (name) => ["npm", ["run", "--silent", name]];

const checks = [
  { name: "types --check", cmd: npmScript("types:check") },
  { name: "tsc (api)", cmd: [bin("tsc"), ["--noEmit", "-p", "tsconfig.json"]] },
  { name: "tsc (convert)", cmd: [bin("tsc"), ["--noEmit", "-p", "workers/convert/tsconfig.json"]] },
  { name: "tsc (documents)", cmd: [bin("tsc"), ["--noEmit", "-p", "workers/documents/tsconfig.json"]] },
  { name: "tsc (import)", cmd: [bin("tsc"), ["--noEmit", "-p", "workers/import/tsconfig.json"]] },
  { name: "biome ci", cmd: [bin("biome"), ["ci", "."]] },
  { name: "dry-run", cmd: [node, ["scripts/dry-run.mjs"]] },
];

const started = Date.now();
const seconds = (from) => `${((Date.now() - from) / 1000).toFixed(1)} s`;

/** Runs a command; resolves with its exit code and (unless streamed) its combined output. */
function run([cmd, args], { stream = false, onLine } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? "1" } });
    let output = "";
    let pending = "";
    const take = (chunk, target) => {
      const text = chunk.toString();
      if (!stream) {
        output += text;
        return;
      }
      if (!onLine) return target.write(text);
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) if (onLine(line) !== false) target.write(`${line}\n`);
    };
    child.stdout.on("data", (c) => take(c, process.stdout));
    child.stderr.on("data", (c) => take(c, process.stderr));
    child.on("error", (err) => {
      output += `${err.stack ?? err}\n`;
      resolve({ code: 1, output });
    });
    child.on("close", (code, signal) => {
      if (pending && onLine?.(pending) !== false) process.stdout.write(pending);
      resolve({ code: code ?? (signal ? 1 : 0), output });
    });
  });
}

const results = [];

async function runChecks() {
  const queue = [...checks];
  const worker = async () => {
    for (let check = queue.shift(); check; check = queue.shift()) {
      const from = Date.now();
      const { code, output } = await run(check.cmd);
      results.push({ name: check.name, ok: code === 0, time: seconds(from) });
      if (code === 0) console.log(`✓ ${check.name} (${seconds(from)})`);
      else console.error(`\n✗ ${check.name} failed (exit ${code}, ${seconds(from)})\n${output}`);
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
}

let summary = "";
async function runVitest() {
  const from = Date.now();
  const { code } = await run([bin("vitest"), ["run", ...process.argv.slice(2)]], {
    stream: true,
    // Hold back vitest's summary line so it ends the whole output.
    onLine: (line) => {
      if (/^vitest: \d+ passed, \d+ failed/.test(stripVTControlCharacters(line))) {
        summary = line;
        return false;
      }
      return true;
    },
  });
  results.push({ name: "vitest", ok: code === 0, time: seconds(from) });
}

await Promise.all([runVitest(), runChecks()]);
const failed = results.filter((r) => !r.ok);
console.log(`\nnpm test: ${results.map((r) => `${r.ok ? "✓" : "✗"} ${r.name} ${r.time}`).join(", ")}; total ${seconds(started)}`);
if (failed.length) console.error(`✗ failed: ${failed.map((r) => r.name).join(", ")}`);
console.log(summary || "vitest: 0 passed, 1 failed, 0 skipped (vitest printed no summary)");
process.exit(failed.length ? 1 : 0);
