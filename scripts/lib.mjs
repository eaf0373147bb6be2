// Helpers shared by the project's Node scripts. They run under the Node 22 that the `node`
// devDependency puts in node_modules/.bin (npm scripts put that directory first on PATH).
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Runs a command from the project root, inheriting stdio; exits the script on failure. */
export function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...options.env }, shell: false });
  if (result.status !== 0) {
    console.error(`\n✗ ${cmd} ${args.join(" ")} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
}

export const bin = (name) => join(root, "node_modules", ".bin", name);

/** Creates .dev.vars from .dev.vars.example when missing, so the first run needs no editing. */
export function ensureDevVars() {
  const target = join(root, ".dev.vars");
  if (!existsSync(target)) {
    copyFileSync(join(root, ".dev.vars.example"), target);
    console.log("• created .dev.vars from .dev.vars.example");
  }
  return parseDevVars(readFileSync(target, "utf8"));
}

export function parseDevVars(text) {
  const vars = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) vars[m[1]] = m[2].replace(/^"(.*)"$/, "$1");
  }
  return vars;
}

/** Copies Swagger UI's browser files into the worker's static assets (public/docs-assets). */
export function copyDocsAssets() {
  const from = join(root, "node_modules", "swagger-ui-dist");
  const to = join(root, "public", "docs-assets");
  mkdirSync(to, { recursive: true });
  for (const file of ["swagger-ui-bundle.js", "swagger-ui.css"]) copyFileSync(join(from, file), join(to, file));
}
