// The npm registry mirror this project is built against lacks some platform builds of workerd
// (macOS, Windows) that `npm install` would normally record in package-lock.json. Without
// those entries `npm ci` refuses the lock file ("Missing: @cloudflare/workerd-darwin-64@").
// This adds them as the optional, platform-gated entries npm itself would write (npm skips
// them on other platforms and fetches them by version where they apply). Run it after any
// `npm install` that rewrites the lock file: `node scripts/lock-platforms.mjs`.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "./lib.mjs";

const PLATFORMS = {
  "darwin-64": { os: ["darwin"], cpu: ["x64"] },
  "darwin-arm64": { os: ["darwin"], cpu: ["arm64"] },
  "linux-64": { os: ["linux"], cpu: ["x64"] },
  "linux-arm64": { os: ["linux"], cpu: ["arm64"] },
  "windows-64": { os: ["win32"], cpu: ["x64"] },
};

const file = join(root, "package-lock.json");
const lock = JSON.parse(readFileSync(file, "utf8"));
let added = 0;
for (const [path, pkg] of Object.entries(lock.packages)) {
  if (!path.endsWith("node_modules/workerd")) continue;
  const base = path.slice(0, -"workerd".length);
  for (const [platform, gate] of Object.entries(PLATFORMS)) {
    const name = `@cloudflare/workerd-${platform}`;
    const wanted = pkg.optionalDependencies?.[name];
    if (!wanted || lock.packages[`${base}${name}`] || lock.packages[`node_modules/${name}`]?.version === wanted) continue;
    lock.packages[`${base}${name}`] = {
      version: wanted,
      cpu: gate.cpu,
      dev: true,
      license: "Apache-2.0",
      optional: true,
      os: gate.os,
      engines: { node: ">=16" },
    };
    added++;
  }
}
// Biome's CLI ships one optional package per platform too: `@biomejs/cli-<os>-<cpu>[-musl]`.
const BIOME_CPU = { x64: "x64", arm64: "arm64" };
for (const [path, pkg] of Object.entries(lock.packages)) {
  if (!path.endsWith("node_modules/@biomejs/biome")) continue;
  for (const [name, wanted] of Object.entries(pkg.optionalDependencies ?? {})) {
    const match = /^@biomejs\/cli-(\w+)-(x64|arm64)(-musl)?$/.exec(name);
    if (!match || lock.packages[`node_modules/${name}`]) continue;
    const [, os, cpu, musl] = match;
    lock.packages[`node_modules/${name}`] = {
      version: wanted,
      cpu: [BIOME_CPU[cpu]],
      dev: true,
      license: "MIT OR Apache-2.0",
      optional: true,
      os: [os],
      ...(musl ? { libc: ["musl"] } : {}),
      engines: { node: ">=14.21.3" },
    };
    added++;
  }
}
const sorted = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))));
lock.packages = sorted;
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lock-platforms: added ${added} platform entr${added === 1 ? "y" : "ies"}`);
