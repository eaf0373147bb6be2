// Andon fan-out: N WebSocket clients watch one line; each round POSTs an andon and times how long
// until the LAST client has received its andon_event. Run against the API (token, line room with
// sequence numbers, live state, replay log, floor room) and the bare worker (a bare hibernating
// Durable Object that only broadcasts). Node's global WebSocket (Node 22) is the client.
//
// Reported as a load() result so report.mjs can print it: rps = messages delivered per second per
// room (N × rounds ÷ the time the rounds took), p50/p99 = POST → last client, in ms.

const OPEN_TIMEOUT_MS = 30_000;
const ROUND_TIMEOUT_MS = 30_000;

/** Opens a WebSocket, or rejects after OPEN_TIMEOUT_MS (also used by flood.mjs). */
export function openClient(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => reject(new Error(`WebSocket ${url} did not open within ${OPEN_TIMEOUT_MS} ms`)), OPEN_TIMEOUT_MS);
    ws.addEventListener("open", () => {
      clearTimeout(timer);
      resolve(ws);
    });
    ws.addEventListener("error", () => {
      clearTimeout(timer);
      reject(new Error(`WebSocket ${url} failed to open`));
    });
  });
}

/**
 * Opens `clients` sockets (the i-th to `wsUrl(i)`, or all to `wsUrl` when it is a string), then
 * runs `rounds` andon POSTs (`post()` resolves to the new andon's id) one after another, each
 * waiting for every socket to see that id.
 */
export async function fanout({ wsUrl, post, clients, rounds }) {
  const urlOf = typeof wsUrl === "function" ? wsUrl : () => wsUrl;
  const sockets = [];
  try {
    for (let i = 0; i < clients; i += 50) {
      const batch = await Promise.all(Array.from({ length: Math.min(50, clients - i) }, (_, j) => openClient(urlOf(i + j))));
      sockets.push(...batch);
    }
    // Per andon id: how many sockets have it, and when the last one got it.
    const counts = new Map();
    const completedAt = new Map();
    const waiters = new Map();
    for (const ws of sockets) {
      ws.addEventListener("message", (event) => {
        let message;
        try {
          message = JSON.parse(typeof event.data === "string" ? event.data : "");
        } catch {
          return;
        }
        if (message?.type !== "andon_event") return;
        const id = message.data?.id;
        const n = (counts.get(id) ?? 0) + 1;
        counts.set(id, n);
        if (n === clients) {
          completedAt.set(id, performance.now());
          waiters.get(id)?.();
        }
      });
    }
    const latencies = [];
    const started = performance.now();
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      const id = await post();
      if (!completedAt.has(id)) {
        await new Promise((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`round ${r}: only ${counts.get(id) ?? 0}/${clients} clients got the andon within ${ROUND_TIMEOUT_MS} ms`)),
            ROUND_TIMEOUT_MS,
          );
          waiters.set(id, () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      latencies.push(completedAt.get(id) - t0);
    }
    const elapsed = (performance.now() - started) / 1000;
    const sorted = [...latencies].sort((a, b) => a - b);
    const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
    return {
      rps: (clients * rounds) / elapsed,
      p50: pct(50),
      p99: pct(99),
      requests: rounds,
      duration: elapsed,
      statusCodes: { 201: rounds },
      non2xx: 0,
      errors: 0,
      timeouts: 0,
      d1: { queries: null, waits: null },
    };
  } finally {
    for (const ws of sockets) {
      try {
        ws.close(1000, "bench done");
      } catch {}
    }
  }
}
