/**
 * `npm run import -- ccbackend --file …` (scripts/import.mjs) against the deploy bundles of the
 * API and the import worker, served together by Miniflare (bench/workers.mjs): the CLI streams the
 * file through the upload route (progress on stderr), starts the import, follows it over SSE,
 * prints the report and verification, and exits non-zero when the import fails.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: the bench's helpers are plain ES modules without types.
import { apiBindings, applyMigrations, bundle, importWorker, insertUser, readApiConfig, root, serve, userRow } from "../../bench/workers.mjs";
import { ccExportData, ccExportText } from "../fixtures/legacy/ccbackend-export";

const ADMIN = { username: "cli-admin", password: "cli-admin-password-1", role: "admin" };
const tmp = mkdtempSync(join(tmpdir(), "floorline-import-cli-"));
let server: { mf: { dispose(): Promise<void> }; url: string } | undefined;

beforeAll(async () => {
  const config = readApiConfig(join(root, "wrangler.toml"));
  const { env, exports } = apiBindings(config, config.name, {
    JWT_SECRET: "import-cli-test-jwt-secret-0123456789abcdef-01",
    ENVIRONMENT: "development",
    LOGIN_RATE_LIMIT_PER_USERNAME: "1000",
  });
  const started: { mf: { dispose(): Promise<void> }; url: string } = await serve({
    name: config.name,
    bundle: bundle(join(root, "wrangler.toml"), join(tmp, "api")),
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags,
    env,
    exports,
    others: [importWorker(join(tmp, "import"))],
    stateDir: join(tmp, "state"),
  });
  server = started;
  await applyMigrations(started.mf, "DB", join(root, "migrations"));
  await insertUser(started.mf, "DB", userRow(ADMIN));
}, 240_000);

afterAll(async () => {
  await server?.mf.dispose().catch(() => {});
  rmSync(tmp, { recursive: true, force: true });
});

async function token(): Promise<string> {
  const res = await fetch(`${server?.url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: ADMIN.username, password: ADMIN.password }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

/** Runs the CLI to its end (bounded); resolves with its exit code and output. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["scripts/import.mjs", ...args], { cwd: root, env: { ...process.env, FORCE_COLOR: "0" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => {
      stdout += c;
    });
    child.stderr.on("data", (c) => {
      stderr += c;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 150_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("npm run import -- <file source> --file", () => {
  it("uploads the export with progress, imports it, verifies it, exits 0", { timeout: 180_000 }, async () => {
    const file = join(tmp, "export.json");
    writeFileSync(file, ccExportText(ccExportData({ items: 20, logs: 40, reports: 3, users: 2 })));
    const run = await cli(["ccbackend", "--file", file, "--api", String(server?.url), "--token", await token()]);
    expect(run.stderr).toMatch(/uploading .*export\.json: [\d.]+ \/ [\d.]+ MB \(100 %\)/);
    expect(run.stdout).toMatch(/uploaded .*export\.json \(\d+ bytes, json\) as imports\//);
    expect(run.stdout).toMatch(/import [0-9a-f-]{36}: completed/);
    expect(run.stdout).toMatch(/✓ CC_LOG/);
    expect(run.stdout).not.toMatch(/✗/);
    expect(run.code, run.stderr).toBe(0);
  });

  it("exits non-zero when the import fails, and refuses a file for a database source", { timeout: 180_000 }, async () => {
    const file = join(tmp, "not-an-export.json");
    writeFileSync(file, '{"NOT_CCBACKEND": true}');
    const failed = await cli(["ccbackend", "--file", file, "--api", String(server?.url), "--token", await token()]);
    expect(failed.stdout).toMatch(/: failed \(.*Not a CCbackend export/);
    expect(failed.code).toBe(1);
    const refused = await cli(["ms5", "--file", file, "--api", String(server?.url), "--token", "x"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/read from its Postgres database/);
  });
});
