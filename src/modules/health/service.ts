import type { Deps } from "../../lib/deps";
import { log } from "../../lib/logging";
import type { ProbeMessage } from "../../queues/messages";
import { legacyClient } from "../bridge/postgres";

export type ComponentState = "up" | "down";

/** Why a component is down, in words that name no host, port, user or connection string. */
export type DownReason = "timeout" | "unreachable" | "rejected" | "failed";

export interface ComponentHealth {
  status: ComponentState;
  latencyMs: number;
  /** When down: the short reason the response carries. */
  reason?: DownReason;
  /** When down: the full error, for the log only. */
  error?: string;
}

export interface DetailedHealth {
  status: "healthy" | "degraded" | "unhealthy";
  timestamp: string;
  environment: string;
  components: Record<string, ComponentHealth>;
}

const TIMEOUT_MS = 3000;
/** The legacy Postgres gets less than the probe's whole budget to connect, so its client is closed within it. */
const HYPERDRIVE_CONNECT_MS = 2000;

class ProbeTimeout extends Error {}

/** Postgres SQLSTATE classes that mean the server answered and refused: auth (28), no such database (3D), config (08P01…). */
const REJECTED_SQLSTATE = /^(28|3D|08)/;

/** The short reason for a probe's failure (the error itself goes to the log). */
export function downReason(err: unknown): DownReason {
  if (err instanceof ProbeTimeout) return "timeout";
  const code = typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : "";
  const message = err instanceof Error ? err.message : String(err);
  if (REJECTED_SQLSTATE.test(code)) return "rejected";
  if (/timeout|timed out/i.test(message)) return "timeout";
  if (/ECONNREFUSED|ENOTFOUND|ECONNRESET|EHOSTUNREACH|connect|socket|closed|terminated|network/i.test(`${code} ${message}`)) return "unreachable";
  return "failed";
}

/** Runs one probe with a timeout, returning its status and latency. Never throws. */
export async function probe(fn: () => Promise<unknown>, timeoutMs = TIMEOUT_MS): Promise<ComponentHealth> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new ProbeTimeout(`timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: "up", latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    return {
      status: "down",
      latencyMs: Math.round(performance.now() - started),
      reason: downReason(err),
      error: err instanceof Error ? err.message : String(err),
    };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/**
 * `select 1` on the legacy Postgres through the client the bridge imports with (pg over the
 * Workers socket: ../bridge/postgres.ts), so the probe says what an import would meet.
 */
export async function checkHyperdrive(hyperdrive: Pick<Hyperdrive, "connectionString">): Promise<void> {
  const client = legacyClient(hyperdrive.connectionString, { connectionTimeoutMs: HYPERDRIVE_CONNECT_MS, statementTimeoutMs: HYPERDRIVE_CONNECT_MS });
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
  // Probe errors can name hosts or connection details: they go to the log; the response has the short reason.
  const components = Object.fromEntries(entries.map(([name, { error: _error, ...h }]) => [name, h]));
  const down = entries.filter(([, h]) => h.status === "down").map(([name]) => name);
  const status = down.some((n) => CRITICAL.has(n)) ? "unhealthy" : down.length > 0 ? "degraded" : "healthy";
  return { status, timestamp: new Date().toISOString(), environment: deps.config.ENVIRONMENT, components };
}
