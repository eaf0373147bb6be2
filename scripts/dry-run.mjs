// Bundles every worker with `wrangler deploy --dry-run` (no account needed), for each
// environment, so a bundle or configuration error fails `npm test` rather than a deploy.
// Prints each bundle's upload size. The twelve runs go DRY_RUN_JOBS at a time (default: the
// number of cores); each writes to its own directory.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { bin, copyDocsAssets, root } from "./lib.mjs";

await (await import("./report-font.mjs")).buildReportFont(); // the documents worker bundles the reports' font
copyDocsAssets();
const out = mkdtempSync(join(tmpdir(), "floorline-dry-run-"));
const jobs = Math.max(1, Number(process.env.DRY_RUN_JOBS) || availableParallelism());

const runs = [];
for (const config of ["wrangler.toml", "workers/convert/wrangler.toml", "workers/documents/wrangler.toml", "workers/import/wrangler.toml"]) {
  for (const env of ["", "staging", "production"]) runs.push({ config, env });
}

/** One dry-run; resolves with its exit code and output. */
function dryRun({ config, env }) {
  const args = ["deploy", "--dry-run", "-c", config, `--env=${env}`, "--outdir", join(out, config.replaceAll("/", "_"), env || "default")];
  return new Promise((resolve) => {
    const child = spawn(bin("wrangler"), args, { cwd: root, env: { ...process.env, CI: "true" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => {
      stdout += c;
    });
    child.stderr.on("data", (c) => {
      stderr += c;
    });
    child.on("error", (err) => resolve({ status: 1, stdout, stderr: `${stderr}${err}` }));
    child.on("close", (status) => resolve({ status: status ?? 1, stdout, stderr }));
  });
}

let failed = false;
try {
  const queue = [...runs];
  const worker = async () => {
    for (let run = queue.shift(); run; run = queue.shift()) {
      const result = await dryRun(run);
      const size = /Total Upload: ([^\n]+)/.exec(result.stdout)?.[1] ?? "?";
      const label = `${run.config}${run.env ? ` --env ${run.env}` : ""}`;
      if (result.status !== 0) {
        failed = true;
        console.error(`✗ dry-run ${label} failed\n${result.stdout}\n${result.stderr}`);
      } else {
        console.log(`✓ dry-run ${label}: ${size}`);
      }
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
} finally {
  rmSync(out, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
