// Socket.IO fan-out (issue 16): N socket.io-client sockets (4.x, the client RM365 loads) in one
// inventory room; each round one REST stock adjustment, timed until the LAST socket has its
// `inventory_changed`. Beside it, in the same run and the same way:
//   - plain:   the same room over Floorline's plain WebSocket (/api/v1/inventory/rooms/{location}/ws);
//   - bare:    bench/bare-worker.mjs's bare hibernating Durable Object (broadcast only);
//   - node:    the `socket.io` Node server (the reference RM365's Python server stands for):
//              one room, a POST emits to it; no auth, no storage.
// Workers are the `wrangler deploy --dry-run` bundles served by Miniflare (bench/workers.mjs).
// Socket.IO clients connect with `transports: ['websocket']` (the transport a session upgrades to;
// polling is exercised by the tests), authenticated by ?token=; a user may hold 10 Socket.IO
// sockets per room, so N/10 users are created.
//
//   node bench/socketio.mjs            (N = 100 and 1000; BENCH_SIO_CLIENTS=100,1000; BENCH_SIO_ROUNDS=20)
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Server } from "socket.io";
import { io } from "socket.io-client";
import { apiBindings, applyMigrations, bundle, insertUser, readApiConfig, root, serve, userRow, writeBaselineConfig } from "./workers.mjs";

const CLIENTS = (process.env.BENCH_SIO_CLIENTS ?? "100,1000").split(",").map(Number);
const ROUNDS = Number(process.env.BENCH_SIO_ROUNDS ?? 20);
const ROUND_TIMEOUT_MS = 60_000;
const LOCATION = "main";
const SKU = "SIO-BENCH-0001";
const ADMIN = { username: "sio-bench-admin", password: "sio-bench-password-1", role: "admin" };
const VARS = { JWT_SECRET: "bench-only-jwt-secret-0123456789abcdef-0123456789", ENVIRONMENT: "production", LOGIN_RATE_LIMIT_PER_USERNAME: "100000000" };

const tmp = mkdtempSync(join(tmpdir(), "floorline-sio-bench-"));
const stops = [];

/**
 * Opens `clients` sockets with `open(onEvent)` (50 at a time), then runs `rounds` triggers one
 * after another, each waiting until every socket has seen one more event. Returns msgs/s and
 * p50/p99 of trigger → last socket (ms).
 */
async function measure({ clients, rounds, open, trigger }) {
  const counts = new Array(clients).fill(0);
  let waiting = null;
  const closers = [];
  try {
    for (let i = 0; i < clients; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, clients - i) }, (_, k) =>
          open(i + k, () => {
            counts[i + k]++;
            waiting?.();
          }),
        ),
      );
      closers.push(...batch);
    }
    const latencies = [];
    const started = performance.now();
    for (let r = 1; r <= rounds; r++) {
      const t0 = performance.now();
      await trigger(r);
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`round ${r}: ${counts.filter((c) => c >= r).length}/${clients} sockets got it`)), ROUND_TIMEOUT_MS);
        waiting = () => {
          if (counts.every((c) => c >= r)) {
            clearTimeout(timer);
            waiting = null;
            resolve();
          }
        };
        waiting();
      });
      latencies.push(performance.now() - t0);
    }
    const elapsed = (performance.now() - started) / 1000;
    const sorted = latencies.sort((a, b) => a - b);
    const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
    return { rps: (clients * rounds) / elapsed, p50: pct(50), p99: pct(99) };
  } finally {
    for (const close of closers) close();
  }
}

/** A socket.io-client socket that has joined the inventory room; resolves with its closer. */
function sioClient(url, query, onEvent) {
  return new Promise((resolve, reject) => {
    const socket = io(url, { path: "/ws/socket.io", transports: ["websocket"], query, reconnection: false, forceNew: true, timeout: 30_000 });
    const timer = setTimeout(() => reject(new Error("socket.io client did not join within 30 s")), 30_000);
    socket.on("connect_error", (err) => reject(err));
    socket.on("connect", () => socket.emit("join_inventory_room", { room: "inventory_management" }));
    socket.once("room_joined", () => {
      clearTimeout(timer);
      resolve(() => socket.disconnect());
    });
    socket.on("inventory_changed", () => onEvent());
  });
}

/** A plain WebSocket; `isEvent(message)` says which messages count. */
function wsClient(url, isEvent, onEvent) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => reject(new Error(`WebSocket ${url} did not open within 30 s`)), 30_000);
    ws.addEventListener("message", (e) => {
      if (isEvent(JSON.parse(String(e.data)))) onEvent();
    });
    ws.addEventListener("open", () => {
      clearTimeout(timer);
      resolve(() => ws.close(1000, "bench done"));
    });
    ws.addEventListener("error", () => reject(new Error(`WebSocket ${url} failed`)));
  });
}

async function json(res, expected) {
  const text = await res.text();
  if (res.status !== expected) throw new Error(`${res.url} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

async function main() {
  const config = readApiConfig();
  console.log("• bundling the API and the bare worker with `wrangler deploy --dry-run` …");
  const apiBundle = bundle(join(root, "wrangler.toml"), join(tmp, "api"));
  const bareBundle = bundle(writeBaselineConfig(config, tmp, { name: "floorline-bench-bare", file: "bare-worker.mjs" }), join(tmp, "bare"));
  const runtime = { compatibilityDate: config.compatibility_date, compatibilityFlags: config.compatibility_flags };
  const { env, exports } = apiBindings(config, config.name, VARS);
  const api = await serve({ name: config.name, bundle: apiBundle, env, exports, stateDir: join(tmp, "api-state"), ...runtime });
  stops.push(() => api.mf.dispose());
  const bare = await serve({
    name: "floorline-bench-bare",
    bundle: bareBundle,
    env: { BARE_ROOM: { type: "durable-object", worker: "floorline-bench-bare", exportName: "BareRoom" } },
    exports: { BareRoom: { type: "durable-object", storage: "sqlite" } },
    stateDir: join(tmp, "bare-state"),
    ...runtime,
  });
  stops.push(() => bare.mf.dispose());
  await applyMigrations(api.mf, "DB", join(root, "migrations"));
  await insertUser(api.mf, "DB", userRow(ADMIN));

  const post = (path, token, body) =>
    fetch(`${api.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
  const login = async (username, password) => (await json(await post("/api/v1/auth/login", "", { username, password }), 200)).access_token;
  const admin = await login(ADMIN.username, ADMIN.password);
  await json(await post("/api/v1/inventory/items", admin, { sku: SKU, name: "Bench", location: LOCATION, quantity: 0 }), 201);
  const maxClients = Math.max(...CLIENTS);
  console.log(`• creating ${Math.ceil(maxClients / 10)} users (10 Socket.IO sockets per user per room) …`);
  const tokens = [];
  for (let u = 0; u < Math.ceil(maxClients / 10); u++) {
    const username = `sio-bench-${u}`;
    await json(await post("/api/v1/users", admin, { username, password: `${username}-password`, role: "operator", allowed_tabs: ["inventory"] }), 201);
    tokens.push(await login(username, `${username}-password`));
  }
  const adjust = () => post(`/api/v1/inventory/items/${SKU}/adjustments`, admin, { delta: 1, reason: "fan-out" }).then((res) => json(res, 201));

  // The reference: the socket.io Node server, one room, a POST emits to it.
  const http = createServer((req, res) => {
    if (req.method === "POST" && req.url === "/emit") {
      ioServer.to("inventory_management").emit("inventory_changed", { sku: SKU, update_type: "adjustment", new_value: 1, timestamp: new Date().toISOString() });
      res.writeHead(201).end("{}");
    } else res.writeHead(404).end();
  });
  const ioServer = new Server(http, { path: "/ws/socket.io", transports: ["polling", "websocket"] });
  ioServer.on("connection", (socket) => {
    socket.on("join_inventory_room", () => {
      socket.join("inventory_management");
      socket.emit("room_joined", { users: [] });
    });
  });
  await new Promise((resolve) => http.listen(0, "127.0.0.1", resolve));
  stops.push(() => new Promise((resolve) => ioServer.close(() => resolve())));
  const nodeUrl = `http://127.0.0.1:${http.address().port}`;

  // A run's N sockets leave with N presence broadcasts; the next run starts once the room is empty.
  const drain = async () => {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const users = await new Promise((resolve) => {
        const ws = new WebSocket(`${api.url.replace(/^http/, "ws")}/api/v1/inventory/rooms/${LOCATION}/ws?token=${admin}`);
        const timer = setTimeout(() => {
          ws.close();
          resolve(Number.POSITIVE_INFINITY);
        }, 30_000);
        ws.addEventListener("message", (e) => {
          const m = JSON.parse(String(e.data));
          if (m.type !== "snapshot") return;
          clearTimeout(timer);
          ws.close(1000, "drained?");
          resolve(m.data.users.length);
        });
        ws.addEventListener("error", () => {
          clearTimeout(timer);
          resolve(Number.POSITIVE_INFINITY);
        });
      });
      if (users <= 1) return;
      await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error("the inventory room did not empty within 120 s");
  };

  console.log(`\nSocket.IO fan-out: ${ROUNDS} rounds; event → last client (msgs/s = N × rounds ÷ time)`);
  const line = (label, r) =>
    console.log(
      `  ${label.padEnd(48)} ${r.rps.toFixed(0).padStart(8)} msg/s   p50 ${r.p50.toFixed(1).padStart(8)} ms   p99 ${r.p99.toFixed(1).padStart(8)} ms`,
    );
  const results = [];
  for (const clients of CLIENTS) {
    const runs = [
      [
        "floorline Socket.IO (inventory room)",
        () => measure({ clients, rounds: ROUNDS, open: (i, on) => sioClient(api.url, { token: tokens[Math.floor(i / 10)] }, on), trigger: adjust }),
      ],
      [
        "floorline plain WebSocket (same room)",
        () =>
          measure({
            clients,
            rounds: ROUNDS,
            open: (i, on) =>
              wsClient(
                `${api.url.replace(/^http/, "ws")}/api/v1/inventory/rooms/${LOCATION}/ws?token=${tokens[Math.floor(i / 10)]}`,
                (m) => m.type === "inventory_changed",
                on,
              ),
            trigger: adjust,
          }),
      ],
      [
        "bare Durable Object (broadcast only)",
        () =>
          measure({
            clients,
            rounds: ROUNDS,
            open: (_i, on) => wsClient(`${bare.url.replace(/^http/, "ws")}/ws/lines/sio-${clients}`, (m) => m.type === "andon_event", on),
            trigger: () =>
              fetch(`${bare.url}/api/v1/andon/events`, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify({ line_id: `sio-${clients}` }),
              }).then((r) => json(r, 201)),
          }),
      ],
      [
        "socket.io Node server (reference)",
        () =>
          measure({
            clients,
            rounds: ROUNDS,
            open: (_i, on) => sioClient(nodeUrl, {}, on),
            trigger: () => fetch(`${nodeUrl}/emit`, { method: "POST" }).then((r) => json(r, 201)),
          }),
      ],
    ];
    console.log(`N=${clients}`);
    for (const [label, run] of runs) {
      try {
        await drain();
        const r = await run();
        results.push({ clients, label, ...r });
        line(label, r);
      } catch (err) {
        console.log(`  ${label.padEnd(48)} failed: ${err instanceof Error ? err.message : err}`);
      }
    }
  }
  return 0;
}

let code = 1;
try {
  code = await main();
} catch (error) {
  console.error(`\n✗ bench failed: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
} finally {
  await Promise.allSettled(stops.map((stop) => stop()));
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(code);
