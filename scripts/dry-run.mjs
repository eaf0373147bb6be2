// Bundles every worker with `wrangler deploy --dry-run` (no account needed), for each
// environment, so a bundle or configuration error fails `npm test` rather than a deploy.
// Prints each bundle's upload size.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bin, copyDocsAssets, root } from "./lib.mjs";

await (await import("./report-font.mjs")).buildReportFont(); // the documents worker bundles the reports' font
copyDocsAssets();
const out = mkdtempSync(join(tmpdir(), "floorline-dry-run-"));
let failed = false;
try {
  for (const config of ["wrangler.toml", "workers/convert/wrangler.toml", "workers/documents/wrangler.toml"]) {
    for (const env of ["", "staging", "production"]) {
      const args = ["deploy", "--dry-run", "-c", config, `--env=${env}`, "--outdir", join(out, config.replaceAll("/", "_"), env || "default")];
      const result = spawnSync(bin("wrangler"), args, { cwd: root, encoding: "utf8", env: { ...process.env, CI: "true" } });
      const size = /Total Upload: ([^\n]+)/.exec(result.stdout ?? "")?.[1] ?? "?";
      const label = `${config}${env ? ` --env ${env}` : ""}`;
      if (result.status !== 0) {
        failed = true;
        console.error(`✗ dry-run ${label} failed\n${result.stdout}\n${result.stderr}`);
      } else {
        console.log(`✓ dry-run ${label}: ${size}`);
      }
    }
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
