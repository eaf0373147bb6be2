#!/usr/bin/env node
/**
 * `npm run routes`: every route of the API worker with its declaration — method, path, access,
 * tab, flags and the file that declares it. Builds the app in Node (esbuild, packages left to
 * Node, the Workers runtime module stubbed), so it needs no Cloudflare account and no server.
 *
 *   npm run routes               a table
 *   npm run routes -- --json     one JSON object per route
 *   npm run routes -- /api/v1/labels    only paths that start with a prefix
 */
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// Inside the project, so Node resolves the app's packages from its node_modules.
const outfile = join(root, "node_modules", ".cache", "floorline-routes", "routes.mjs");
mkdirSync(dirname(outfile), { recursive: true });

await build({
  stdin: {
    contents: 'export { createApp } from "./src/app.ts"; export { routeTable } from "./src/lib/guard.ts"; export { accessLabel } from "./src/lib/rbac.ts";',
    resolveDir: root,
    sourcefile: "routes-entry.ts",
    loader: "ts",
  },
  bundle: true,
  packages: "external",
  format: "esm",
  platform: "node",
  outfile,
  sourcemap: "inline",
  logLevel: "error",
  plugins: [
    {
      // `cloudflare:workers` exists only in workerd; the rooms' base class is all the app imports from it.
      name: "workers-runtime-stub",
      setup(b) {
        b.onResolve({ filter: /^cloudflare:/ }, (args) => ({ path: args.path, namespace: "workers-runtime-stub" }));
        b.onLoad({ filter: /.*/, namespace: "workers-runtime-stub" }, () => ({
          contents: "export class DurableObject { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }",
          loader: "js",
        }));
      },
    },
  ],
});

process.setSourceMapsEnabled(true);
globalThis.__FLOORLINE_ROUTE_SOURCES__ = true;
const { createApp, routeTable, accessLabel } = await import(pathToFileURL(outfile).href);

const args = process.argv.slice(2);
const asJson = args.includes("--json");
const prefix = args.find((a) => !a.startsWith("--")) ?? "";

const rows = routeTable(createApp())
  .filter((r) => r.path.startsWith(prefix))
  .map(({ method, path, declaration }) => {
    if (declaration.kind !== "declared")
      return { method, path, access: declaration.kind === "none" ? "-" : "UNDECLARED (denied)", tab: "", flags: [], source: "" };
    const s = declaration.spec;
    const tabs = s.tab === undefined ? [] : typeof s.tab === "string" ? [s.tab] : s.tab;
    const flags = [
      s.pureRead && "pure-read",
      s.userLimit && `limit:${s.userLimit}`,
      s.throttle && `throttle:${s.throttle}`,
      s.apiKey === false && "no-api-key",
      s.idempotent === false && "not-idempotent",
      s.bodyLimit === "upload" && "upload",
      s.noStore && "no-store",
      s.upgrade && "upgrade",
    ].filter(Boolean);
    return { method, path, access: accessLabel(s.access), tab: tabs.join("+"), flags, source: s.source ?? "" };
  })
  .sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));

if (asJson) {
  for (const row of rows) console.log(JSON.stringify(row));
} else {
  const table = [
    ["METHOD", "PATH", "ACCESS", "TAB", "FLAGS", "SOURCE"],
    ...rows.map((r) => [r.method, r.path, r.access, r.tab || "-", r.flags.join(",") || "-", r.source]),
  ];
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  for (const row of table) console.log(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join("  "));
  console.log(`\n${rows.length} routes`);
}
