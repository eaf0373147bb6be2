// Andon latency while another socket floods the line's room (issue 14, hole 4). One watcher
// socket (the tablet) is on a line; each round POSTs a critical andon and times POST → watcher.
// Measured twice: with the line quiet, then while a second socket (same user: any signed-in
// user with line:read may do this) sends bursts of `subscribe` with a recent `last_seq`, each of
// which would make the room replay up to the whole replay log. When the room closes the flooder
// (its message or resync budget, 1008/1013) it reconnects and floods again, for the whole phase.
//
// Reported as a load() result for report.mjs (rps = andons per second, p50/p99 = the flood
// phase), plus `quiet` and `ratio` (flood p99 ÷ quiet p99; target ≤ 1.5).
import { openClient } from "./fanout.mjs";

const ROUND_TIMEOUT_MS = 30_000;
/** Events put in the replay log first, so each replay is as large as the log allows (~256 × 1.3 KB). */
const PRELOAD_EVENTS = 256;
const BURST = 300;

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

/**
 * `post(description)` raises an andon and resolves to its id; `wsUrl` is the line's socket URL
 * (with its token). Returns the flood phase as a load() result, with `quiet`, `ratio`, and what
 * the flooder achieved (`flood`: bursts sent, closes by code, bytes it received).
 */
export async function floodLatency({ wsUrl, post, rounds }) {
  for (let i = 0; i < PRELOAD_EVENTS; i++) await post(`preload ${i} ${"x".repeat(1000)}`);
  const watcher = await openClient(wsUrl);
  // When each andon reached the watcher, and who waits for one that has not yet.
  const arrivals = new Map();
  const waiting = new Map();
  let lastSeq = 0;
  watcher.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data));
    if (typeof message.seq === "number") lastSeq = Math.max(lastSeq, message.seq);
    if (typeof message.data?.seq === "number") lastSeq = Math.max(lastSeq, message.data.seq);
    if (message.type !== "andon_event" || message.data?.action !== "created") return;
    const at = performance.now();
    arrivals.set(message.data.id, at);
    waiting.get(message.data.id)?.(at);
  });
  // The reply carries the room's sequence number: the flooder's `last_seq` is recent.
  watcher.send(JSON.stringify({ type: "subscribe", subscription_type: "andon" }));

  const measure = async (phase) => {
    const latencies = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      const id = await post(`${phase} ${r}`);
      const at =
        arrivals.get(id) ??
        (await new Promise((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`${phase} round ${r}: the andon did not reach the watcher within ${ROUND_TIMEOUT_MS} ms`)),
            ROUND_TIMEOUT_MS,
          );
          waiting.set(id, (when) => {
            clearTimeout(timer);
            resolve(when);
          });
        }));
      waiting.delete(id);
      latencies.push(at - t0);
      // A short pause, so the rounds spread over the flood.
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return latencies;
  };

  try {
    const quiet = await measure("quiet");

    const flood = { bursts: 0, closes: {}, bytes: 0, running: true };
    const flooder = (async () => {
      while (flood.running) {
        let ws;
        try {
          ws = await openClient(wsUrl);
        } catch {
          continue;
        }
        const closed = new Promise((resolve) => ws.addEventListener("close", (event) => resolve(event.code)));
        ws.addEventListener("message", (event) => {
          flood.bytes += String(event.data).length;
        });
        const since = Math.max(0, lastSeq - 255);
        const subscribe = JSON.stringify({ type: "subscribe", subscription_type: "line", last_seq: since });
        for (let i = 0; i < BURST && ws.readyState === WebSocket.OPEN; i++) ws.send(subscribe);
        flood.bursts++;
        const code = await Promise.race([closed, new Promise((resolve) => setTimeout(() => resolve("open"), 2000))]);
        flood.closes[code] = (flood.closes[code] ?? 0) + 1;
        if (code === "open") ws.close(1000, "next burst");
      }
    })();
    let flooded;
    try {
      // Let the first burst land before timing.
      await new Promise((resolve) => setTimeout(resolve, 100));
      flooded = await measure("flood");
    } finally {
      flood.running = false;
      await flooder;
    }

    const elapsed = flooded.reduce((a, b) => a + b, 0) / 1000;
    const quietP99 = percentile(quiet, 99);
    const floodP99 = percentile(flooded, 99);
    return {
      rps: rounds / elapsed,
      p50: percentile(flooded, 50),
      p99: floodP99,
      quiet: { p50: percentile(quiet, 50), p99: quietP99 },
      ratio: floodP99 / quietP99,
      flood,
      requests: rounds * 2,
      duration: elapsed,
      statusCodes: { 201: rounds * 2 },
      non2xx: 0,
      errors: 0,
      timeouts: 0,
      d1: { queries: null, waits: null },
    };
  } finally {
    watcher.close(1000, "bench done");
  }
}
