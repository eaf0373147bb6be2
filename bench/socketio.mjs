// Socket.IO fan-out (issue 16): N socket.io-client sockets (4.x, the client RM365 loads) in one
// inventory room; each round one REST stock adjustment, timed until the LAST socket has its
// `inventory_changed`. Beside it, in the same run and the same way:
//   - plain:   the same room over Floorline's plain WebSocket (/api/v1/inventory/rooms/{location}/ws);
//   - bare:    bench/bare-worker.mjs's bare hibernating Durable Object (broadcast only);
//   - node:    the `socket.io` Node server (the reference RM365's Python server stands for):
//              one room, a POST emits to it; presence as deltas (user_joined to the others, the
//              list to the joiner); no auth, no storage.
// Each target also reports its join time: how long N sockets take to connect and join (50 at a
// time), which is where presence costs show (every join tells the others); the two Floorline
// targets also their leave time: all N sockets close at once, until the room lists nobody
// (polled through the plain room's snapshot every 250 ms, within the 120 s drain bound).
// Workers are the `wrangler deploy --dry-run` bundles served by Miniflare (bench/workers.mjs).
// Socket.IO clients connect with `transports: ['websocket']` (the transport a session upgrades to;
// polling is exercised by the tests), authenticated by ?token=; a user may hold 10 Socket.IO
// sockets per room, so N/10 users are created.
//
// `npm run bench` runs it after the autocannon scenarios against the same API and bare workers
// (`socketioFanout()`); `npm run bench:socketio` runs it alone, starting its own workers.
//   BENCH_SIO_CLIENTS=100,1000   BENCH_SIO_ROUNDS=10   BENCH_SIO_JOIN_BUDGET=300 (seconds)
//   BENCH_SIO_TARGETS=sio,plain,bare,node (a subset, e.g. to time one target's join)
//   Every wait is bounded: 30 s per socket's join and 300 s for all N of a target, 60 s per
//   round, 120 s for the room to empty between targets.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Server } from "socket.io";
import { io } from "socket.io-client";
import { apiBindings, applyMigrations, bundle, insertUser, readApiConfig, root, serve, userRow, writeBaselineConfig } from "./workers.mjs";

const CLIENTS = (process.env.BENCH_SIO_CLIENTS ?? "100,1000").split(",").map(Number);
const ROUNDS = Number(process.env.BENCH_SIO_ROUNDS ?? 10);
/** Which targets run (sio, plain, bare, node); all by default. */
const TARGETS = (process.env.BENCH_SIO_TARGETS ?? "sio,plain,bare,node").split(",").map((t) => t.trim());
const JOIN_TIMEOUT_MS = 30_000;
const ROUND_TIMEOUT_MS = 60_000;
const DRAIN_TIMEOUT_MS = 120_000;
/** All N sockets of one target must have joined within this (BENCH_SIO_JOIN_BUDGET seconds). */
const JOIN_BUDGET_MS = Number(process.env.BENCH_SIO_JOIN_BUDGET ?? 300) * 1000;
const LOCATION = "main";
const SKU = "SIO-BENCH-0001";

/**
 * Opens `clients` sockets with `open(onEvent)` (50 at a time), then runs `rounds` triggers one
 * after another, each waiting until every socket has seen one more event. Returns the join time
 * (ms), msgs/s and p50/p99 of trigger → last socket (ms).
 */
async function measure({ clients, rounds, open, trigger, drained }) {
  const counts = new Array(clients).fill(0);
  let waiting = null;
  const closers = [];
  try {
    const joinStarted = performance.now();
    for (let i = 0; i < clients; i += 50) {
      if (performance.now() - joinStarted > JOIN_BUDGET_MS)
        throw new Error(`only ${closers.length}/${clients} joined within the ${JOIN_BUDGET_MS / 1000} s join budget`);
      const batch = await Promise.allSettled(
        Array.from({ length: Math.min(50, clients - i) }, (_, k) =>
          open(i + k, () => {
            counts[i + k]++;
            waiting?.();
          }),
        ),
      );
      for (const r of batch) if (r.status === "fulfilled") closers.push(r.value);
      const failed = batch.find((r) => r.status === "rejected");
      if (failed) throw new Error(`after ${closers.length} joined: ${failed.reason instanceof Error ? failed.reason.message : failed.reason}`);
    }
    const joinMs = performance.now() - joinStarted;
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
    // Leave: all N sockets close at once; timed until the room lists nobody (targets with a room check).
    let leaveMs = null;
    if (drained) {
      const leaveStarted = performance.now();
      for (const close of closers.splice(0)) close();
      try {
        await drained();
        leaveMs = performance.now() - leaveStarted;
      } catch {
        leaveMs = Number.POSITIVE_INFINITY; // not empty within the drain bound
      }
    }
    return { joinMs, rps: (clients * rounds) / elapsed, p50: pct(50), p99: pct(99), leaveMs };
  } finally {
    for (const close of closers) close();
  }
}

/** A socket.io-client socket that has joined the inventory room; resolves with its closer. */
function sioClient(url, query, onEvent) {
  return new Promise((resolve, reject) => {
    const socket = io(url, { path: "/ws/socket.io", transports: ["websocket"], query, reconnection: false, forceNew: true, timeout: JOIN_TIMEOUT_MS });
    const fail = (err) => {
      clearTimeout(timer);
      socket.disconnect();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error(`socket.io client did not join within ${JOIN_TIMEOUT_MS / 1000} s`)), JOIN_TIMEOUT_MS);
    socket.on("connect_error", fail);
    socket.on("connect", () => socket.emit("join_inventory_room", { room: "inventory_management" }));
    socket.once("room_joined", () => {
      clearTimeout(timer);
      resolve(() => socket.disconnect());
    });
    socket.on("inventory_changed", () => onEvent());
  });
}

/** A plain WebSocket, open once `isJoined(message)` (or at open when null); `isEvent(message)` says which messages count. */
function wsClient(url, isJoined, isEvent, onEvent) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => {
      ws.close();
      reject(new Error(`WebSocket ${url.replace(/token=[^&]+/, "token=…")} did not join within ${JOIN_TIMEOUT_MS / 1000} s`));
    }, JOIN_TIMEOUT_MS);
    const joined = () => {
      clearTimeout(timer);
      resolve(() => ws.close(1000, "bench done"));
    };
    ws.addEventListener("message", (e) => {
      const m = JSON.parse(String(e.data));
      if (isJoined?.(m)) joined();
      if (isEvent(m)) onEvent();
    });
    ws.addEventListener("open", () => {
      if (!isJoined) joined();
    });
    ws.addEventListener("error", () => {
      clearTimeout(timer);
      reject(new Error("WebSocket failed"));
    });
  });
}

async function json(res, expected) {
  const text = await res.text();
  if (res.status !== expected) throw new Error(`${res.url} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** The socket.io Node server RM365 stands for: one room, presence as deltas, a POST emits. */
async function startReference() {
  const http = createServer((req, res) => {
    if (req.method === "POST" && req.url === "/emit") {
      ioServer.to("inventory_management").emit("inventory_changed", { sku: SKU, update_type: "adjustment", new_value: 1, timestamp: new Date().toISOString() });
      res.writeHead(201).end("{}");
    } else res.writeHead(404).end();
  });
  const ioServer = new Server(http, { path: "/ws/socket.io", transports: ["polling", "websocket"] });
  const users = new Map();
  ioServer.on("connection", (socket) => {
    socket.on("join_inventory_room", () => {
      socket.join("inventory_management");
      const me = { user_id: socket.id, username: socket.id };
      users.set(socket.id, me);
      socket.to("inventory_management").emit("user_joined", me);
      socket.emit("room_joined", { user: me, users: [...users.values()] });
    });
    socket.on("disconnect", () => {
      const me = users.get(socket.id);
      users.delete(socket.id);
      if (me) socket.to("inventory_management").emit("user_left", me);
    });
  });
  await new Promise((resolve) => http.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${http.address().port}`, stop: () => new Promise((resolve) => ioServer.close(() => resolve())) };
}

/**
 * The Socket.IO fan-out section of `npm run bench`: the API (`apiUrl`, signed in as an admin with
 * `adminToken`) and the bare worker (`bareUrl`) are already running. Prints one line per target
 * and N, then the ratios; returns `{ rows, failures }`.
 */
export async function socketioFanout({ apiUrl, bareUrl, adminToken, clients = CLIENTS, rounds = ROUNDS }) {
  const wsBase = apiUrl.replace(/^http/, "ws");
  const post = (path, token, body) =>
    fetch(`${apiUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
  const login = async (username, password) => (await json(await post("/api/v1/auth/login", "", { username, password }), 200)).access_token;
  const item = await post("/api/v1/inventory/items", adminToken, { sku: SKU, name: "Bench", location: LOCATION, quantity: 0 });
  if (item.status !== 201 && item.status !== 409) await json(item, 201);
  const maxClients = Math.max(...clients);
  console.log(`• creating ${Math.ceil(maxClients / 10)} users (10 Socket.IO sockets per user per room) …`);
  const tokens = [];
  const suffix = Date.now().toString(36);
  for (let u = 0; u < Math.ceil(maxClients / 10); u++) {
    const username = `sio-bench-${suffix}-${u}`;
    await json(await post("/api/v1/users", adminToken, { username, password: `${username}-password`, role: "operator", allowed_tabs: ["inventory"] }), 201);
    tokens.push(await login(username, `${username}-password`));
  }
  const adjust = () => post(`/api/v1/inventory/items/${SKU}/adjustments`, adminToken, { delta: 1, reason: "fan-out" }).then((res) => json(res, 201));
  const reference = await startReference();

  // A run's N sockets leave with N presence changes; the next run starts once the room is empty.
  const drain = async () => {
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const users = await new Promise((resolve) => {
        const ws = new WebSocket(`${wsBase}/api/v1/inventory/rooms/${LOCATION}/ws?token=${adminToken}`);
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
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`the inventory room did not empty within ${DRAIN_TIMEOUT_MS / 1000} s`);
  };

  const targets = [
    ["sio", "floorline Socket.IO (inventory room)", (i, on) => sioClient(apiUrl, { token: tokens[Math.floor(i / 10)] }, on), adjust],
    [
      "plain",
      "floorline plain WebSocket (same room)",
      (i, on) =>
        wsClient(
          `${wsBase}/api/v1/inventory/rooms/${LOCATION}/ws?token=${tokens[Math.floor(i / 10)]}`,
          (m) => m.type === "snapshot",
          (m) => m.type === "inventory_changed",
          on,
        ),
      adjust,
    ],
    [
      "bare",
      "bare Durable Object (broadcast only)",
      (_i, on) => wsClient(`${bareUrl.replace(/^http/, "ws")}/ws/lines/sio-room`, null, (m) => m.type === "andon_event", on),
      () =>
        fetch(`${bareUrl}/api/v1/andon/events`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ line_id: "sio-room" }),
        }).then((r) => json(r, 201)),
    ],
    [
      "node",
      "socket.io Node server (reference)",
      (_i, on) => sioClient(reference.url, {}, on),
      () => fetch(`${reference.url}/emit`, { method: "POST" }).then((r) => json(r, 201)),
    ],
  ];

  console.log(`\nSocket.IO fan-out (issue 16): ${rounds} rounds; join = N sockets connect and join (50 at a time); event → last client`);
  const rows = [];
  const failures = [];
  try {
    for (const n of clients) {
      console.log(`N=${n}`);
      const byTarget = {};
      for (const [key, label, open, trigger] of targets.filter(([key]) => TARGETS.includes(key))) {
        try {
          if (key === "sio" || key === "plain") await drain();
          const r = await measure({ clients: n, rounds, open, trigger, drained: key === "sio" || key === "plain" ? drain : undefined });
          byTarget[key] = r;
          rows.push({ clients: n, target: key, label, ...r });
          console.log(
            `  ${label.padEnd(40)} join ${(r.joinMs / 1000).toFixed(2).padStart(7)} s   ${r.rps.toFixed(0).padStart(7)} msg/s   p50 ${r.p50.toFixed(1).padStart(7)} ms   p99 ${r.p99.toFixed(1).padStart(7)} ms${r.leaveMs === null ? "" : r.leaveMs === Number.POSITIVE_INFINITY ? `   leave > ${DRAIN_TIMEOUT_MS / 1000} s` : `   leave ${(r.leaveMs / 1000).toFixed(2).padStart(7)} s`}`,
          );
        } catch (err) {
          const failure = `Socket.IO fan-out N=${n} ${label}: ${err instanceof Error ? err.message : err}`;
          failures.push(failure);
          console.log(`  ${label.padEnd(40)} failed: ${err instanceof Error ? err.message : err}`);
        }
      }
      const sio = byTarget.sio;
      if (sio) {
        const ratio = (key, name) => {
          const other = byTarget[key];
          if (!other) return `  ${name.padEnd(40)} —`;
          return `  ${name.padEnd(40)} msg/s ${(other.rps / sio.rps).toFixed(2)}×   p99 ${(sio.p99 / other.p99).toFixed(2)}×   join ${(sio.joinMs / other.joinMs).toFixed(2)}×`;
        };
        console.log("  ratios (the other ÷ Socket.IO for msg/s; Socket.IO ÷ the other for p99 and join time):");
        console.log(ratio("plain", "plain WebSocket ÷ Socket.IO"));
        console.log(ratio("bare", "bare Durable Object ÷ Socket.IO"));
        console.log(ratio("node", "socket.io Node ÷ Socket.IO"));
      }
    }
  } finally {
    await reference.stop();
  }
  return { rows, failures };
}

/** `npm run bench:socketio`: its own API and bare worker, then `socketioFanout()`. */
async function standalone() {
  const tmp = mkdtempSync(join(tmpdir(), "floorline-sio-bench-"));
  const stops = [];
  const ADMIN = { username: "sio-bench-admin", password: "sio-bench-password-1", role: "admin" };
  const VARS = { JWT_SECRET: "bench-only-jwt-secret-0123456789abcdef-0123456789", ENVIRONMENT: "production", LOGIN_RATE_LIMIT_PER_USERNAME: "100000000" };
  let code = 1;
  try {
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
    const res = await fetch(`${api.url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: ADMIN.username, password: ADMIN.password }),
    });
    const adminToken = (await json(res, 200)).access_token;
    const { failures } = await socketioFanout({ apiUrl: api.url, bareUrl: bare.url, adminToken });
    code = failures.length ? 1 : 0;
  } catch (error) {
    console.error(`\n✗ bench failed: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
  } finally {
    await Promise.allSettled(stops.map((stop) => stop()));
    rmSync(tmp, { recursive: true, force: true });
  }
  process.exit(code);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await standalone();
