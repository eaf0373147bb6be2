// The crash test (issue 14): kills `wrangler dev` (kill -9 of its whole process group: wrangler,
// workerd and the fake Magento shop) while a label job, a STEP conversion, a production report and
// a multi-photo upload are in flight; restarts it; after the leases have run out, triggers ONE run
// of the hourly cron (`--test-scheduled` exposes /__scheduled); then checks that every job is
// finished or failed with a reason, that no R2 object exists that no row references, and that no
// cap is held by a dead job (a new label job and a new report are accepted).
//
//   npm run crash-test            (port 8802, fake Magento 9902; CRASH_PORT / CRASH_MAGENTO_PORT)
//
// Local only: everything goes to 127.0.0.1. The lease is shortened to LEASE seconds with
// `--var JOB_LEASE_SECONDS:…` so the test does not wait the production 15 minutes.
import { spawn, spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { ensureDevVars, root } from "./lib.mjs";

const PORT = Number(process.env.CRASH_PORT ?? 8802);
const MAGENTO_PORT = Number(process.env.CRASH_MAGENTO_PORT ?? 9902);
const LEASE = 8;
const BASE = `http://127.0.0.1:${PORT}`;
const password = ensureDevVars().DEMO_PASSWORD || "floorline-demo";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const say = (...a) => console.log(`[crash-test ${new Date().toISOString().slice(11, 19)}]`, ...a);

let dev;
function startDev() {
  dev = spawn(
    "node",
    [
      "scripts/fake-magento.mjs",
      "--",
      "npx",
      "wrangler",
      "dev",
      "-c",
      "wrangler.toml",
      "-c",
      "workers/convert/wrangler.toml",
      "-c",
      "workers/documents/wrangler.toml",
      "-c",
      "workers/import/wrangler.toml",
      "--port",
      String(PORT),
      "--ip",
      "127.0.0.1",
      "--test-scheduled",
      "--var",
      `JOB_LEASE_SECONDS:${LEASE}`,
      "--var",
      `MAGENTO_BASE_URL:http://127.0.0.1:${MAGENTO_PORT}`,
    ],
    { cwd: root, env: { ...process.env, FAKE_MAGENTO_PORT: String(MAGENTO_PORT), CI: "1" }, detached: true, stdio: ["ignore", "ignore", "ignore"] },
  );
}
function killDev() {
  try {
    process.kill(-dev.pid, "SIGKILL");
  } catch {}
}
process.on("exit", killDev);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(130));

async function api(path, { method = "GET", token, body, headers = {} } = {}) {
  const res = await fetch(`${BASE}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { "content-type": "application/json" } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

async function waitReady() {
  for (let i = 0; i < 240; i++) {
    try {
      if ((await fetch(`${BASE}/api/v1/health`)).status < 500) return;
    } catch {}
    await sleep(500);
  }
  throw new Error("wrangler dev did not come up");
}

async function until(what, check, seconds) {
  for (let i = 0; i < seconds * 2; i++) {
    const v = await check();
    if (v) return v;
    await sleep(500);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A multipart upload sent by hand: the first photo whole, then the second one stalls (never ends). */
function stalledPhotoUpload(token) {
  const boundary = "crashtestboundary";
  const jpeg = (n) => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(n, 7)]);
  const part = (headers, data) => Buffer.concat([Buffer.from(`--${boundary}\r\n${headers}\r\n\r\n`), data, Buffer.from("\r\n")]);
  const head = Buffer.concat([
    part('Content-Disposition: form-data; name="equipment_code"', Buffer.from("CC-0001")),
    part('Content-Disposition: form-data; name="issue_type"', Buffer.from("Broken")),
    part('Content-Disposition: form-data; name="images"; filename="one.jpg"\r\nContent-Type: image/jpeg', jpeg(200_000)),
    part('Content-Disposition: form-data; name="images"; filename="two.jpg"\r\nContent-Type: image/jpeg', jpeg(200_000)),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="images"; filename="three.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`),
    jpeg(100_000),
  ]);
  const req = request(`${BASE}/api/v1/issue-reports`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": `multipart/form-data; boundary=${boundary}`, "transfer-encoding": "chunked" },
  });
  req.on("error", () => undefined);
  req.write(head);
  return req; // never ended: the body is mid-photo when the server dies
}

function sqliteFiles(kind) {
  const dir = join(root, ".wrangler", "state", "v3", kind);
  const out = [];
  for (const sub of readdirSync(dir)) for (const f of readdirSync(join(dir, sub))) if (f.endsWith(".sqlite")) out.push(join(dir, sub, f));
  return out;
}

/** Every R2 object key in the local bucket, and every key a D1 row references. */
function storage() {
  const objects = new Set();
  for (const file of sqliteFiles("r2")) {
    const db = new DatabaseSync(file, { readOnly: true });
    try {
      for (const row of db.prepare("select key from _mf_objects").all()) objects.add(row.key);
    } catch {}
    db.close();
  }
  const referenced = new Set();
  const pending = [];
  for (const file of sqliteFiles("d1")) {
    const db = new DatabaseSync(file, { readOnly: true });
    const tables = new Set(
      db
        .prepare("select name from sqlite_master where type = 'table'")
        .all()
        .map((r) => r.name),
    );
    if (!tables.has("label_jobs")) {
      db.close();
      continue;
    }
    const add = (sql) => {
      for (const row of db.prepare(sql).all()) for (const v of Object.values(row)) if (typeof v === "string") referenced.add(v);
    };
    add("select file_key from parts where file_key is not null");
    add("select step_key, glb_key from conversion_jobs");
    add("select key from part_views");
    add("select key from part_drawings where key is not null");
    add("select pdf_key, csv_key from label_jobs");
    add("select pdf_key from production_reports where pdf_key is not null");
    add("select r2_key from sales_imports where r2_key is not null");
    for (const row of db.prepare("select images from issue_reports").all()) for (const img of JSON.parse(row.images)) referenced.add(img.key);
    for (const row of db.prepare("select key, heartbeat_at from pending_file_deletions").all()) pending.push(row);
    db.close();
  }
  return { objects, referenced, pending };
}

async function main() {
  say(`setup (migrations, demo data), then wrangler dev on ${PORT} with a ${LEASE} s lease`);
  // CRASH_SKIP_SETUP=1 reuses the local state of an earlier run (dev-setup takes minutes on a busy machine).
  if (process.env.CRASH_SKIP_SETUP !== "1") {
    const setup = spawnSync("node", ["scripts/dev-setup.mjs"], { cwd: root, stdio: "ignore" });
    if (setup.status !== 0) throw new Error("dev-setup failed");
  }
  startDev();
  await waitReady();
  const login = await api("/api/v1/auth/login", { method: "POST", body: { username: "admin", password } });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${JSON.stringify(login.json)}`);
  const token = login.json.access_token;

  // 1. A label job of 10,000 labels, a conversion, a report, a multi-photo upload in flight.
  const item = await api("/api/v1/inventory/items?limit=1", { token });
  const itemId = item.json.items?.[0]?.id ?? "DEMO-0001";
  const job = await api("/api/v1/labels/start-job", { method: "POST", token, body: { item_ids: Array(10_000).fill(itemId) } });
  say("label job", job.status, job.json.job_id);
  const part = await api("/api/v1/parts", {
    method: "POST",
    token,
    body: { type: "cnc", name: `crash-${Date.now()}`, part_id: `CR${Date.now()}`, material: "al", subsystem: "CAD" },
  });
  const form = new FormData();
  form.append("file", new Blob([readFileSync(join(root, "scripts", "demo", "models", "cube.stp"))]), "cube.stp");
  const upload = await fetch(`${BASE}/api/v1/parts/${part.json.id}/file`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
  say("STEP upload", upload.status);
  const report = await api("/api/v1/reports/production/generate", {
    method: "POST",
    token,
    body: { start_date: "2026-11-01", end_date: "2026-11-30", group_by: "shift" },
  });
  say("report", report.status, report.json.id);
  const photos = stalledPhotoUpload(token);

  // 2. kill -9 once the label job is mid-render.
  const mid = await until(
    "the label job to be processing",
    async () => {
      const j = await api(`/api/v1/labels/job/${job.json.job_id}`, { token });
      return j.json.status === "processing" && j.json.done > 0 ? j.json : null;
    },
    120,
  );
  const conv = await api(`/api/v1/parts/${part.json.id}/conversion`, { token });
  const rep = await api(`/api/v1/reports/production/${report.json.id}`, { token });
  say(`kill -9 with: label job ${mid.status} ${mid.done}/${mid.total}, conversion ${conv.json.state}, report ${rep.json.state}, upload mid-photo`);
  killDev();
  photos.destroy();
  await sleep(1000);
  const before = storage();
  const orphansAtCrash = [...before.objects].filter((k) => !before.referenced.has(k));
  say(`after the crash: ${orphansAtCrash.length} object(s) no row references (pending records: ${before.pending.length})`);

  // 3. Restart; wait for the leases to run out; one cron run.
  startDev();
  await waitReady();
  await sleep((LEASE + 2) * 1000);
  const cron = await fetch(`${BASE}/__scheduled?cron=17+*+*+*+*`);
  say("one cron run:", cron.status);
  const relogin = await api("/api/v1/auth/login", { method: "POST", body: { username: "admin", password } });
  const t = relogin.json.access_token;

  // 4. Every job finished or failed with a reason (re-queued ones run to their end).
  const final = await until(
    "every job to finish or fail",
    async () => {
      const j = (await api(`/api/v1/labels/job/${job.json.job_id}`, { token: t })).json;
      const c = (await api(`/api/v1/parts/${part.json.id}/conversion`, { token: t })).json;
      const r = (await api(`/api/v1/reports/production/${report.json.id}`, { token: t })).json;
      const done = ["completed", "failed"].includes(j.status) && ["ready", "failed"].includes(c.state) && ["ready", "failed"].includes(r.state);
      return done ? { j, c, r } : null;
    },
    300,
  );
  say(`label job: ${final.j.status}${final.j.error ? ` (${final.j.error})` : ""}, ${final.j.done}/${final.j.total}`);
  say(`conversion: ${final.c.state}${final.c.error ? ` (${final.c.error})` : ""}, attempts ${final.c.attempts}`);
  say(`report: ${final.r.state}${final.r.error ? ` (${final.r.error})` : ""}, attempts ${final.r.attempts}`);
  const failedWithoutReason = [
    final.j.status === "failed" && !final.j.error,
    final.c.state === "failed" && !final.c.error,
    final.r.state === "failed" && !final.r.error,
  ].some(Boolean);

  // 5. No object that no row references.
  const after = storage();
  const orphans = [...after.objects].filter((k) => !after.referenced.has(k));
  say(
    `objects: ${after.objects.size}, referenced: ${[...after.objects].filter((k) => after.referenced.has(k)).length}, unreferenced: ${orphans.length}`,
    orphans.slice(0, 10),
  );
  say(`pending file records left: ${after.pending.length}`, after.pending.slice(0, 5));

  // 6. No cap held by a dead job.
  const again = await api("/api/v1/labels/start-job", { method: "POST", token: t, body: { item_ids: [itemId] } });
  const report2 = await api("/api/v1/reports/production/generate", {
    method: "POST",
    token: t,
    body: { start_date: "2026-11-01", end_date: "2026-11-02", group_by: "day" },
  });
  say(`caps: new label job ${again.status}, new report ${report2.status}`);
  killDev();

  const ok = !failedWithoutReason && orphans.length === 0 && again.status === 202 && report2.status === 202;
  say(ok ? "PASS" : "FAIL");
  process.exit(ok ? 0 : 1);
}

main().catch((err) => {
  say("ERROR", err.message);
  killDev();
  process.exit(2);
});
