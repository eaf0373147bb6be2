// `npm run import -- <source> [options]`: brings a legacy system's data into Floorline through
// the import queue job (src/modules/bridge), follows its progress and prints its report and
// verification.
//
//   npm run import -- ms5 --url postgres://user:pass@host:5432/ms5
//   npm run import -- rm365 --url postgres://user:pass@host:5432/attendance --inventory-url postgres://…/inventory_logs
//       Local: starts the API (`wrangler dev` on --port, default 8795) with the source's Hyperdrive
//       binding (LEGACY_DB for MS5, LEGACY_RM365_DB for RM365) pointed at --url
//       (CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_<binding>), imports
//       into the local D1 (the one `npm run dev` uses; migrated and given its demo admin first), then
//       stops it. Without --url the binding's localConnectionString (the embedded demo Postgres) is used.
//       RM365's inventory database has its own binding (LEGACY_RM365_INVENTORY_DB): --inventory-url.
//   npm run import -- ms5 --api https://floorline.example --token <admin access token or API key>
//       Deployed: starts the import on that API; the legacy database is the one its Hyperdrive
//       configuration names (`wrangler hyperdrive create … --connection-string=…`).
//
//   npm run import -- parts --file parts.db            (or aerie; parts.db, or a .tar.gz with uploads/)
//   npm run import -- ccbackend --file export.json      (the sqlcmd export, optionally gzipped)
//       File sources: the file is uploaded through POST /api/v1/imports/files (streamed, progress on
//       stderr), then imported; locally or with --api/--token as above. Files larger than the API's
//       MAX_UPLOAD_BYTES go to R2 with `wrangler r2 object put` and are imported by --file-key.
//
// Options: --mode full|incremental (default incremental), --no-verify, --username/--password
// (local sign-in; default admin / DEMO_PASSWORD of .dev.vars). Exits 1 when the import fails or
// does not verify.
import { spawn } from "node:child_process";
import { createReadStream, statSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { parseArgs } from "node:util";
import { connectionString, resetMs5, resetRm365, resetRm365Inventory, startLegacyPostgres } from "./legacy-pg.mjs";
import { bin, ensureDevVars, root, run } from "./lib.mjs";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: "string" },
    "inventory-url": { type: "string" },
    file: { type: "string" },
    "file-key": { type: "string" },
    api: { type: "string" },
    token: { type: "string" },
    port: { type: "string", default: "8795" },
    mode: { type: "string", default: "incremental" },
    username: { type: "string", default: "admin" },
    password: { type: "string" },
    "no-verify": { type: "boolean", default: false },
  },
});
const source = positionals[0];
const SOURCES = ["ms5", "rm365", "parts", "aerie", "ccbackend"];
const FILE_SOURCES = ["parts", "aerie", "ccbackend"];
if (!source || !SOURCES.includes(source)) {
  console.error(
    `usage: npm run import -- <${SOURCES.join("|")}> [--url postgres://… | --file PATH | --file-key imports/…] [--api URL --token T] [--mode full|incremental]`,
  );
  process.exit(2);
}
const isFileSource = FILE_SOURCES.includes(source);
if (isFileSource && !values.file === !values["file-key"]) {
  console.error(`✗ ${source} imports a file: give --file PATH (uploaded here) or --file-key imports/… (already in R2)`);
  process.exit(2);
}
if (!isFileSource && (values.file || values["file-key"])) {
  console.error(`✗ ${source} is read from its Postgres database (--url), not from a file`);
  process.exit(2);
}
let fileSize = 0;
if (values.file) {
  try {
    const stat = statSync(values.file);
    if (!stat.isFile() || stat.size === 0) throw new Error("not a non-empty file");
    fileSize = stat.size;
  } catch (error) {
    console.error(`✗ --file ${values.file}: ${error instanceof Error ? error.message : error}`);
    process.exit(2);
  }
}
if (values.url && values.api) {
  console.error("✗ --url configures the local API's Hyperdrive binding; a deployed API (--api) reads the database its Hyperdrive configuration names");
  process.exit(2);
}
if (values["inventory-url"] && (source !== "rm365" || values.api || !/^postgres(ql)?:\/\//.test(values["inventory-url"]))) {
  console.error("✗ --inventory-url is RM365's inventory database (postgres://…) for a local import");
  process.exit(2);
}
if (values.url && isFileSource) {
  console.error(`✗ ${source} imports a file (--file), not a database (--url)`);
  process.exit(2);
}
if (values.url && !/^postgres(ql)?:\/\//.test(values.url)) {
  console.error("✗ --url must be a postgres:// connection string");
  process.exit(2);
}

let dev;
let legacy;
let base = values.api?.replace(/\/+$/, "");
const stop = async () => {
  if (dev && dev.exitCode === null) dev.kill("SIGTERM");
  await legacy?.stop();
};
process.on("SIGINT", () => {
  stop().finally(() => process.exit(130));
});

try {
  let token = values.token;
  if (!base) {
    // The local D1: migrations and the demo users (idempotent), as `npm run dev` does.
    run(process.execPath, ["scripts/dev-setup.mjs"]);
    const env = { ...process.env, CI: "true" };
    // Each Postgres source has its own Hyperdrive binding (src/modules/bridge/sources.ts).
    const binding = source === "rm365" ? "LEGACY_RM365_DB" : "LEGACY_DB";
    if (values.url) env[`CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_${binding}`] = values.url;
    else if (source === "ms5" || source === "rm365") {
      // The binding's localConnectionString: the embedded demo Postgres (started here if it is not running).
      legacy ??= await startLegacyPostgres();
      const url = await legacy.ensureDatabase(source);
      const probe = await import("pg").then(({ default: pg }) => new pg.Client({ connectionString: url }));
      await probe.connect();
      const { rowCount } =
        source === "ms5"
          ? await probe.query("SELECT 1 FROM information_schema.schemata WHERE schema_name = 'factory_telemetry'")
          : await probe.query("SELECT 1 FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'attendance_logs'");
      await probe.end();
      if (rowCount === 0) await (source === "ms5" ? resetMs5(url) : resetRm365(url));
      console.log(`• legacy demo Postgres: ${connectionString(legacy.port, source).replace(/:[^:@/]+@/, ":***@")}`);
    }
    if (values["inventory-url"]) env.CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_LEGACY_RM365_INVENTORY_DB = values["inventory-url"];
    else if (source === "rm365") {
      // RM365's inventory database has its own binding: the demo one, made when missing.
      legacy ??= await startLegacyPostgres();
      const url = await legacy.ensureDatabase("rm365_inventory");
      const probe = await import("pg").then(({ default: pg }) => new pg.Client({ connectionString: url }));
      await probe.connect();
      const { rowCount } = await probe.query("SELECT 1 FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'inventory_logs'");
      await probe.end();
      if (rowCount === 0) await resetRm365Inventory(url);
    }
    base = `http://127.0.0.1:${values.port}`;
    // The API and the import worker, which consumes the import queue (workers/import).
    dev = spawn(bin("wrangler"), ["dev", "-c", "wrangler.toml", "-c", "workers/import/wrangler.toml", "--port", values.port, "--ip", "127.0.0.1"], {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "inherit"],
    });
    await waitForHealth(base);
    const password = values.password ?? ensureDevVars().DEMO_PASSWORD ?? "floorline-demo";
    const login = await api("POST", "/api/v1/auth/login", { username: values.username, password });
    token = login.access_token;
  }
  if (!token) throw new Error("--token is required with --api");
  const auth = { authorization: `Bearer ${token}` };
  let fileKey = values["file-key"];
  if (values.file) fileKey = (await upload(values.file, fileSize, auth)).file_key;
  const job = await api("POST", "/api/v1/imports", { source, mode: values.mode, ...(fileKey ? { file_key: fileKey } : {}) }, auth);
  console.log(`• import ${job.id} of ${source} queued`);
  const done = await follow(job.id, auth);
  printReport(done);
  if (done.state !== "completed") process.exitCode = 1;
  else if (!values["no-verify"]) {
    const verify = await api("GET", `/api/v1/imports/${job.id}/verify`, undefined, auth);
    console.log("\nverify (source → Floorline):");
    for (const t of verify.tables) {
      console.log(
        `  ${t.match ? "✓" : "✗"} ${t.table.padEnd(24)} source ${String(t.source_rows).padStart(8)} (mapped ${t.source_mapped})  floorline ${String(t.floorline_rows).padStart(8)}  checksum ${t.source_checksum} ${t.match ? "=" : "≠"} ${t.floorline_checksum}`,
      );
    }
    if (!verify.match) process.exitCode = 1;
  }
} catch (error) {
  console.error(`✗ ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
} finally {
  await stop();
}

async function api(method, path, body, headers = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...headers, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text);
}

/**
 * Streams the file to POST /api/v1/imports/files (the body is the file, with its length), printing
 * progress on stderr; returns the API's answer ({ file_key, size, kind }).
 */
function upload(path, size, headers) {
  const target = new URL(`${base}/api/v1/imports/files`);
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  const progress = process.stderr.isTTY ? (text) => process.stderr.write(`\r${text}`) : (text, last) => last && process.stderr.write(`${text}\n`);
  let sent = 0;
  let lastPrinted = 0;
  const mb = (n) => (n / 1_048_576).toFixed(1);
  return new Promise((resolve, reject) => {
    const req = send(target, {
      method: "POST",
      headers: { ...headers, "content-type": "application/octet-stream", "content-length": String(size) },
    });
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c) => {
        text += c;
      });
      res.on("end", () => {
        if (process.stderr.isTTY) process.stderr.write("\n");
        if (res.statusCode !== 201) return reject(new Error(`upload of ${path} answered ${res.statusCode}: ${text.slice(0, 500)}`));
        const stored = JSON.parse(text);
        console.log(`• uploaded ${path} (${stored.size} bytes, ${stored.kind}) as ${stored.file_key}`);
        resolve(stored);
      });
    });
    req.on("error", reject);
    const file = createReadStream(path);
    file.on("data", (chunk) => {
      sent += chunk.length;
      const done = sent === size;
      if (done || sent - lastPrinted >= 1_048_576) {
        lastPrinted = sent;
        progress(`  uploading ${path}: ${mb(sent)} / ${mb(size)} MB (${Math.floor((sent / size) * 100)} %)`, done);
      }
    });
    file.on("error", (error) => {
      req.destroy(error);
      reject(error);
    });
    file.pipe(req);
  });
}

async function waitForHealth(url) {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (dev.exitCode !== null) throw new Error(`wrangler dev exited (${dev.exitCode})`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("the local API did not start within 120 s");
}

/** Follows the job's SSE progress until it ends; prints a line per change. */
async function follow(id, headers) {
  const res = await fetch(`${base}/api/v1/imports/${id}/events`, { headers });
  if (!res.ok || !res.body) throw new Error(`events answered ${res.status}`);
  let last;
  let buffer = "";
  const decoder = new TextDecoder();
  for await (const chunk of res.body) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let at = buffer.indexOf("\n\n"); at >= 0; at = buffer.indexOf("\n\n")) {
      const frame = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      const data = frame.split("\n").find((l) => l.startsWith("data: "));
      if (!data) continue;
      last = JSON.parse(data.slice(6));
      const t = last.totals;
      console.log(
        `  ${last.state.padEnd(9)} ${last.cursor?.table ?? ""} read ${t.read} written ${t.written} updated ${t.updated} skipped ${t.skipped} failed ${t.failed}`,
      );
    }
  }
  // The stream ends after 5 minutes at most; a longer import is followed again.
  if (last && (last.state === "queued" || last.state === "running")) return follow(id, headers);
  return last;
}

function printReport(job) {
  console.log(`\nimport ${job.id}: ${job.state}${job.error ? ` (${job.error})` : ""}`);
  console.log(`  ${"table".padEnd(24)} ${["read", "written", "updated", "skipped", "failed"].map((h) => h.padStart(9)).join("")}`);
  for (const [table, c] of Object.entries(job.tables)) {
    console.log(`  ${table.padEnd(24)} ${[c.read, c.written, c.updated, c.skipped, c.failed].map((n) => String(n).padStart(9)).join("")}`);
  }
  if (job.failure_count) {
    console.log(`\n  ${job.failure_count} rows could not be imported${job.failure_count > job.failures.length ? ` (first ${job.failures.length}):` : ":"}`);
    for (const f of job.failures) console.log(`    ${f.table} ${f.legacy_id}: ${f.reason}`);
  }
}
