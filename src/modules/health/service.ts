import { Client } from "pg";
import type { Deps } from "../../lib/deps";
import { log } from "../../lib/logging";
import type { ProbeMessage } from "../../queues/messages";

export type ComponentState = "up" | "down";

export interface ComponentHealth {
  status: ComponentState;
  latencyMs: number;
  error?: string;
}

export interface DetailedHealth {
  status: "healthy" | "degraded" | "unhealthy";
  timestamp: string;
  environment: string;
  components: Record<string, ComponentHealth>;
}

const TIMEOUT_MS = 3000;

/** Runs one probe with a timeout, returning its status and latency. Never throws. */
export async function probe(fn: () => Promise<unknown>, timeoutMs = TIMEOUT_MS): Promise<ComponentHealth> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: "up", latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    return { status: "down", latencyMs: Math.round(performance.now() - started), error: err instanceof Error ? err.message : String(err) };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

async function checkHyperdrive(hyperdrive: Hyperdrive): Promise<void> {
  const client = new Client({ connectionString: hyperdrive.connectionString, connectionTimeoutMillis: 2000 });
  client.on("error", () => undefined); // errors after connect surface through the awaited calls
  try {
    await client.connect();
    await client.query("select 1");
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Components whose failure makes the API unusable; the rest only degrade it. */
const CRITICAL = new Set(["d1"]);

/**
 * Probes every binding: D1, R2, each Durable Object namespace (RPC ping), each queue (sends a
 * probe message the consumer acknowledges) and Hyperdrive (`select 1` on the legacy Postgres).
 */
export async function checkAll(deps: Pick<Deps, "d1" | "files" | "rooms" | "queues" | "legacyDb" | "config" | "requestId">): Promise<DetailedHealth> {
  const { d1, files, rooms, queues, requestId } = deps;
  const probeMessage: ProbeMessage = { type: "probe", requestId, sentAt: new Date().toISOString() };
  const entries = await Promise.all(
    Object.entries({
      d1: () => d1.prepare("select 1").first(),
      r2: () => files.head("health/probe"),
      line_room: () => rooms.line.get(rooms.line.idFromName("__health__")).ping(),
      inventory_room: () => rooms.inventory.get(rooms.inventory.idFromName("__health__")).ping(),
      convert_queue: () => queues.convert.send(probeMessage, { contentType: "json" }),
      documents_queue: () => queues.documents.send(probeMessage, { contentType: "json" }),
      hyperdrive: () => checkHyperdrive(deps.legacyDb),
    }).map(async ([name, fn]) => [name, await probe(fn)] as const),
  );
  for (const [name, h] of entries) {
    if (h.error) log("warn", "health probe failed", { requestId, component: name, error: h.error });
  }
  // Probe errors can name hosts or connection details: they go to the log, not the response.
  const components = Object.fromEntries(entries.map(([name, { error: _error, ...h }]) => [name, h]));
  const down = entries.filter(([, h]) => h.status === "down").map(([name]) => name);
  const status = down.some((n) => CRITICAL.has(n)) ? "unhealthy" : down.length > 0 ? "degraded" : "healthy";
  return { status, timestamp: new Date().toISOString(), environment: deps.config.ENVIRONMENT, components };
}
