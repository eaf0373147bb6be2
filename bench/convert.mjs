// Conversion benchmark: `node bench/convert.mjs [dir]` (default test/fixtures/step, the models the tests use).
//
// Per STEP file, in Node, one fresh process each (so one file's memory does not hide another's):
//   - direct: occt-import-js `ReadStepFile(buffer, null)` called straight, as its README does;
//   - worker: the conversion worker's code path (workers/convert/step-to-glb.ts, bundled with
//     esbuild as wrangler would): the same read through the embind stand-in, then the GLB
//     written with @gltf-transform/core;
//   - peak memory of the worker path: the WebAssembly heap after the read plus the JS heap
//     growth, the figure that must stay under 128 MB per conversion;
//   - GLB size versus STEP size.
// Figures vary from run to run on a shared machine; compare rows, not absolutes.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const wasmPath = require.resolve("occt-import-js/dist/occt-import-js.wasm");

if (process.argv[2] === "--child") {
  const [, , , mode, bundle, file] = process.argv;
  const wasm = await WebAssembly.compile(readFileSync(wasmPath));
  const step = new Uint8Array(readFileSync(file));
  const heap0 = process.memoryUsage().heapUsed;
  const started = performance.now();
  let out;
  if (mode === "direct") {
    const occtimportjs = require("occt-import-js");
    const occt = await occtimportjs({
      instantiateWasm(imports, receive) {
        WebAssembly.instantiate(wasm, imports).then((i) => receive(i, wasm));
        return {};
      },
    });
    const t = performance.now();
    const r = occt.ReadStepFile(step, null);
    out = { ms: performance.now() - t, meshes: r.meshes.length, triangles: r.meshes.reduce((n, m) => n + m.index.array.length / 3, 0) };
  } else {
    const { stepToGlb, occtFor } = require(bundle);
    await occtFor(wasm);
    const t = performance.now();
    const r = await stepToGlb(wasm, step);
    out = { ms: performance.now() - t, meshes: r.meshes, triangles: r.triangles, glb: r.glb.byteLength, wasmHeap: r.wasmHeapBytes };
  }
  out.jsHeapGrowth = Math.max(0, process.memoryUsage().heapUsed - heap0);
  out.total = performance.now() - started;
  console.log(JSON.stringify(out));
  process.exit(0);
}

const dir = resolve(process.argv[2] ?? join(root, "test", "fixtures", "step"));
const tmp = mkdtempSync(join(tmpdir(), "convert-bench-"));
const bundle = join(tmp, "step-to-glb.cjs");
execFileSync(
  join(root, "node_modules", ".bin", "esbuild"),
  [join(root, "workers/convert/step-to-glb.ts"), "--bundle", "--format=cjs", "--platform=node", `--outfile=${bundle}`],
  {
    stdio: "inherit",
  },
);
const run = (mode, file) =>
  JSON.parse(
    execFileSync(process.execPath, [fileURLToPath(import.meta.url), "--child", mode, bundle, file], { encoding: "utf8" })
      .trim()
      .split("\n")
      .at(-1),
  );
const mb = (n) => (n / 1048576).toFixed(1);
const kb = (n) => (n / 1024).toFixed(1);

const rows = [];
for (const name of readdirSync(dir)
  .filter((f) => /\.(step|stp)$/i.test(f))
  .sort()) {
  const file = join(dir, name);
  const direct = run("direct", file);
  const worker = run("worker", file);
  const size = statSync(file).size;
  rows.push(
    `| ${basename(file)} | ${kb(size)} KiB | ${worker.meshes} | ${worker.triangles} | ${direct.ms.toFixed(0)} ms | ${worker.ms.toFixed(0)} ms | ${mb(worker.wasmHeap + worker.jsHeapGrowth)} MB | ${kb(worker.glb)} KiB | ${(worker.glb / size).toFixed(2)} |`,
  );
  console.error(`${name}: done`);
}
rmSync(tmp, { recursive: true, force: true });
console.log("| file | STEP | meshes | triangles | occt direct | worker path (read + GLB) | peak (WASM heap + JS growth) | GLB | GLB/STEP |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const row of rows) console.log(row);
