// `npm run docs:env`: rewrites README.md's environment table (between the env-table markers)
// from the config schemas (src/environment.ts). `--check` only reports whether it is stale
// (exit 1); test/platform/env-docs.test.ts runs the same comparison in `npm test`.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { root } from "./lib.mjs";

const bundle = await build({
  entryPoints: [join(root, "src", "environment.ts")],
  bundle: true,
  format: "esm",
  platform: "node",
  write: false,
  logLevel: "error",
});
const docs = await import(`data:text/javascript;base64,${Buffer.from(bundle.outputFiles[0].text).toString("base64")}`);
const path = join(root, "README.md");
const readme = readFileSync(path, "utf8");
const next = docs.withEnvTable(readme, docs.renderEnvTable());
if (process.argv.includes("--check")) {
  if (next !== readme) {
    console.error("README.md's environment table is stale: run `npm run docs:env`");
    process.exit(1);
  }
  console.log("README.md's environment table is current");
} else if (next !== readme) {
  writeFileSync(path, next);
  console.log("README.md: environment table rewritten");
} else {
  console.log("README.md: environment table already current");
}
