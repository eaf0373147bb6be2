// `npm run dev`'s fake Magento shop: serves workers/fake-magento/fake.ts (the fake the tests use)
// with the demo orders of workers/fake-magento/orders.json on 127.0.0.1:FAKE_MAGENTO_PORT (8791,
// wrangler.toml's development MAGENTO_BASE_URL), then runs the command after `--` (wrangler dev,
// given `--var MAGENTO_BASE_URL:` this fake's URL so the worker follows the port) and stops when
// it stops. Local development only: it listens on loopback, and staging and
// production point MAGENTO_BASE_URL at the real shop.
//
//   node scripts/fake-magento.mjs -- wrangler dev -c wrangler.toml …   (what `npm run dev` runs)
//   node scripts/fake-magento.mjs                                       (the fake alone)
import { spawn } from "node:child_process";
import { appendFileSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { createFakeMagento } from "../workers/fake-magento/fake.ts";
import { ensureDevVars, root } from "./lib.mjs";

const DEV_TOKEN = "dev-fake-magento-token";
const port = Number(process.env.FAKE_MAGENTO_PORT || 8791);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`✗ FAKE_MAGENTO_PORT must be a port number (1-65535), not ${process.env.FAKE_MAGENTO_PORT}`);
  process.exit(1);
}
const baseUrl = `http://127.0.0.1:${port}`;

// The API reads MAGENTO_TOKEN from .dev.vars; a .dev.vars made before pick & pack existed lacks it.
const vars = ensureDevVars();
let token = vars.MAGENTO_TOKEN;
if (!token) {
  token = DEV_TOKEN;
  appendFileSync(join(root, ".dev.vars"), `\n# Added for the fake Magento shop (scripts/fake-magento.mjs).\nMAGENTO_TOKEN=${DEV_TOKEN}\n`);
  console.log("• added MAGENTO_TOKEN to .dev.vars for the fake Magento shop");
}
const orders = JSON.parse(readFileSync(join(root, "workers", "fake-magento", "orders.json"), "utf8"));
const fake = createFakeMagento({ token, orders });

const server = createServer(async (req, res) => {
  try {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
    const answer = await fake.fetch(new Request(`${baseUrl}${req.url}`, { method: req.method, headers }));
    res.writeHead(answer.status, Object.fromEntries(answer.headers));
    res.end(await answer.text());
  } catch (err) {
    res.writeHead(500, { "content-type": "application/json" });
    res.end(JSON.stringify({ message: String(err) }));
  }
});

const separator = process.argv.indexOf("--");
const command = separator === -1 ? [] : process.argv.slice(separator + 1);

server.on("error", (err) => {
  // Another fake (an earlier `npm run dev`) may already be serving: use it.
  if (err.code === "EADDRINUSE") console.warn(`• fake Magento: port ${port} is taken; assuming a fake is already running there`);
  else throw err;
  start();
});
server.listen(port, "127.0.0.1", () => {
  console.log(`• fake Magento shop on ${baseUrl} (${orders.length} demo orders; token from .dev.vars MAGENTO_TOKEN)`);
  start();
});

let started = false;
function start() {
  if (started || command.length === 0) return;
  started = true;
  const [cmd, ...args] = command;
  // wrangler.toml's MAGENTO_BASE_URL names the default port; point the worker at this fake's
  // port instead, so FAKE_MAGENTO_PORT moves both ends (a --var beats [vars]).
  if (args[0] === "dev" && /(^|\/)wrangler$/.test(cmd)) args.push("--var", `MAGENTO_BASE_URL:${baseUrl}`);
  const child = spawn(cmd, args, { cwd: root, stdio: "inherit", shell: false });
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => {
    server.close();
    process.exit(code ?? (signal ? 1 : 0));
  });
}
