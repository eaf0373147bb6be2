// `npm run dev` runs this before `wrangler dev`: local secrets, API docs assets, D1 migrations
// and demo data (one user per role, username = role name, password DEMO_PASSWORD). Demo users
// are written only to the local D1 under .wrangler/, never to staging or production.
import { pbkdf2Sync, randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { bin, copyDocsAssets, ensureDevVars, root, run } from "./lib.mjs";

const ROLES = ["admin", "production_manager", "shift_manager", "engineer", "operator", "maintenance", "quality", "viewer"];
// Same format as src/lib/passwords.ts hashPassword(): PBKDF2-SHA256, 100,000 iterations.
const ITERATIONS = 100_000;
const b64url = (buf) => buf.toString("base64url");
function hashPassword(password) {
  const salt = randomBytes(16);
  return `pbkdf2_sha256$${ITERATIONS}$${b64url(salt)}$${b64url(pbkdf2Sync(password, salt, ITERATIONS, 32, "sha256"))}`;
}
const q = (s) => `'${String(s).replaceAll("'", "''")}'`;

const vars = ensureDevVars();
const password = vars.DEMO_PASSWORD || "floorline-demo";
copyDocsAssets();
run(process.execPath, [join(root, "scripts", "report-font.mjs")]); // the reports' CJK font, if npm install did not build it

run(bin("wrangler"), ["d1", "migrations", "apply", "DB", "--local"], { env: { CI: "true" } });

// Upsert: re-running resets the demo users' passwords to DEMO_PASSWORD and re-activates them.
// username_key is the name's NFKC case fold (src/lib/fields.ts); for these ASCII names, lower case.
const rows = ROLES.map(
  (role) =>
    `(${q(randomUUID())}, ${q(role)}, ${q(role.toLowerCase())}, ${q(hashPassword(password))}, ${q(role)}, ${q(`${role}@demo.floorline.local`)}, 'Demo', ${q(role.replace("_", " "))})`,
);
const sql = `INSERT INTO users (id, username, username_key, password_hash, role, email, first_name, last_name) VALUES\n${rows.join(",\n")}
ON CONFLICT(username_key) DO UPDATE SET password_hash = excluded.password_hash, password_changed_at = strftime('%Y-%m-%dT%H:%M:%fZ','now'), role = excluded.role, is_active = 1;\n`;
mkdirSync(join(root, ".wrangler"), { recursive: true });
const file = join(root, ".wrangler", "demo-seed.sql");
writeFileSync(file, sql);
run(bin("wrangler"), ["d1", "execute", "DB", "--local", "--file", file], { env: { CI: "true" } });

// Each domain's demo data: scripts/demo/<domain>.mjs exports `seed(ctx)`; they run in name order,
// after the users above exist. Re-running must be harmless (upsert, or skip what is there).
const demoDir = join(root, "scripts", "demo");
const ctx = {
  /** Runs SQL against the local D1. */
  sql(text, name = "demo") {
    const path = join(root, ".wrangler", `${name}.sql`);
    writeFileSync(path, text);
    run(bin("wrangler"), ["d1", "execute", "DB", "--local", "--file", path], { env: { CI: "true" } });
  },
  /** Puts a file into the local R2 bucket FILES under `key`. */
  putObject(key, path, contentType) {
    run(bin("wrangler"), ["r2", "object", "put", `floorline-files/${key}`, "--local", "--file", path, "--content-type", contentType], { env: { CI: "true" } });
  },
  /** SQL string literal. */
  q,
  root,
};
for (const file of readdirSync(demoDir)
  .filter((f) => f.endsWith(".mjs"))
  .sort()) {
  const { seed } = await import(pathToFileURL(join(demoDir, file)).href);
  await seed(ctx);
}

console.log(`
┌──────────────────────────────────────────────────────────────────────────┐
  Floorline dev API → http://localhost:8787   (docs: /api/docs)
  Demo users (local only): ${ROLES.join(", ")}
  Password for each: ${password}   (DEMO_PASSWORD in .dev.vars)
  curl -s localhost:8787/api/v1/auth/login -H 'content-type: application/json' \\
       -d '{"username":"admin","password":"${password}"}'
└──────────────────────────────────────────────────────────────────────────┘
`);
