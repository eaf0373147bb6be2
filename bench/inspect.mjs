// V8 inspector helpers for the bench's profilers (bench/profile.mjs, `node bench/salesdata.mjs`
// with BENCH_SALES_PROFILE=1): a minimal Chrome DevTools Protocol client for workerd's inspector
// (ws://127.0.0.1:<port>/core:user:<worker name>), the bundle's source maps, and the split of a
// V8 CPU profile into layers and functions by the source file each sample maps back to.
import { readdirSync, readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { createServer } from "node:net";
import { join } from "node:path";

/** The layer a source path belongs to (paths as the source map names them). */
export function layerOf(source) {
  const path = source.replace(/\\/g, "/");
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(path);
  if (pkg) {
    const [, name, rest] = pkg;
    if (name === "hono") {
      if (/middleware\/cors/.test(rest)) return "hono: cors";
      if (/middleware\/secure-headers/.test(rest)) return "hono: secure headers";
      if (/middleware\/request-id/.test(rest)) return "hono: request id";
      if (/middleware\/method-not-allowed/.test(rest)) return "hono: 405 check";
      if (/middleware\/body-limit/.test(rest)) return "guard (body limit)";
      if (/router|hono-base|route\.js|helper\/route/.test(rest)) return "hono: routing";
      return "hono: context, compose, request";
    }
    if (name === "@hono/zod-openapi" || name === "@hono/zod-validator" || name === "zod") return "zod (validators)";
    // drizzle-orm ships source maps whose paths resolve to node_modules/src/…
    if (name === "drizzle-orm" || name === "src") return "drizzle (query build, result mapping)";
    if (name === "jose") return "jose (JWT verify)";
    return `package ${name}`;
  }
  const src = /(?:^|\/)src\/(.*)$/.exec(path);
  if (src) {
    const file = src[1];
    if (file === "lib/guard.ts") return "guard";
    if (file === "lib/auth.ts" || file === "lib/rbac.ts" || file === "lib/principal.ts") return "session check (auth, rbac)";
    if (file === "lib/route.ts" || file === "lib/idempotency.ts" || file === "lib/rate-limit.ts") return "route() (declaration, idempotency)";
    if (file === "lib/deps.ts" || file === "lib/config.ts") return "deps (building, D1 counting proxy)";
    if (file === "lib/request-log.ts" || file === "lib/logging.ts") return "logging (request log line)";
    if (file === "lib/surface.ts" || file === "lib/errors.ts") return "surface map";
    if (file === "app.ts" || file.startsWith("compat/rm365/slips")) return "app (middleware wiring, URL unslip)";
    if (file.startsWith("lib/")) return `lib: ${file.slice(4)}`;
    if (file.startsWith("db/")) return "db schema";
    return `handler: ${file.split("/").slice(0, 2).join("/")}`;
  }
  return `other: ${path}`;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A minimal Chrome DevTools Protocol client over Node's WebSocket. */
export async function cdp(url) {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", () => reject(new Error(`cannot open the inspector at ${url}`)), { once: true });
  });
  let next = 1;
  const pending = new Map();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data));
    const waiter = message.id !== undefined && pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.error) waiter.reject(new Error(`${message.error.message} (${message.error.code})`));
    else waiter.resolve(message.result);
  });
  return {
    send: (method, params = {}) =>
      new Promise((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve, reject });
        socket.send(JSON.stringify({ id, method, params }));
      }),
    close: () => socket.close(),
  };
}

/** Source maps of a bundle directory, by the file name the profile's URLs end with. */
export function sourceMapsOf(dir) {
  const maps = new Map();
  for (const file of readdirSync(dir)) {
    if (!file.endsWith(".js.map")) continue;
    maps.set(file.slice(0, -".map".length), new SourceMap(JSON.parse(readFileSync(join(dir, file), "utf8"))));
  }
  return maps;
}

/**
 * Splits a CPU profile into layers: milliseconds per layer (self time, builtins charged to their
 * nearest JavaScript caller) and the top functions by self time.
 */
export function attribute(profile, maps) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const where = new Map();
  const locate = (node) => {
    let hit = where.get(node.id);
    if (hit !== undefined) return hit;
    const { url, functionName, lineNumber, columnNumber } = node.callFrame;
    const file = url.split("/").pop();
    const map = file ? maps.get(file) : undefined;
    hit = null;
    if (map && lineNumber >= 0) {
      const entry = map.findEntry(lineNumber, columnNumber);
      if (entry?.originalSource)
        hit = {
          layer: layerOf(entry.originalSource),
          fn: `${functionName || "(anonymous)"} ${entry.originalSource.replace(/^.*node_modules\//, "").replace(/^.*?src\//, "src/")}:${entry.originalLine + 1}`,
        };
    } else if (url) hit = { layer: `other: ${url}`, fn: `${functionName} ${url}` };
    where.set(node.id, hit);
    return hit;
  };
  const layers = new Map();
  const functions = new Map();
  const add = (m, k, v) => m.set(k, (m.get(k) ?? 0) + v);
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    const dt = (timeDeltas[i + 1] ?? timeDeltas[i] ?? 0) / 1000; // ms spent in this sample
    let node = byId.get(samples[i]);
    const name = node.callFrame.functionName;
    if (!node.callFrame.url && ["(idle)", "(program)", "(garbage collector)", "(root)"].includes(name)) {
      add(layers, name === "(garbage collector)" ? "GC" : name, dt);
      add(functions, name, dt);
      continue;
    }
    let fn = null;
    let layer = null;
    if (!node.callFrame.url && /^(stringify|parse)$/.test(name)) layer = "serialisation (JSON.stringify/parse)";
    while (node) {
      const hit = locate(node);
      if (hit) {
        layer ??= hit.layer;
        fn = hit.fn;
        break;
      }
      node = byId.get(parent.get(node.id));
    }
    layer ??= "runtime internals (no script)";
    add(layers, layer, dt);
    add(functions, `${name && !fn?.startsWith(name) ? `[${name}] ` : ""}${fn ?? "(no script)"}`, dt);
  }
  return { layers, functions };
}
