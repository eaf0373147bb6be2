import type { Context } from "hono";
import type { AppEnv } from "../types";
import { type Config, getConfig } from "./config";
import { log } from "./logging";
import { principalKey } from "./principal";

/** Which requests get a log line (REQUEST_LOG, REQUEST_LOG_SLOW_MS, REQUEST_LOG_SAMPLE_RATE). */
export interface RequestLogPolicy {
  /** Every request (development and test by default). */
  all: boolean;
  /** A 2xx slower than this (ms) is always logged. */
  slowMs: number;
  /** Share of the other requests (fast 2xx) logged. */
  sampleRate: number;
}

/** The policy a configuration sets. */
export function requestLogPolicy(config: Pick<Config, "ENVIRONMENT" | "REQUEST_LOG" | "REQUEST_LOG_SLOW_MS" | "REQUEST_LOG_SAMPLE_RATE">): RequestLogPolicy {
  const mode = config.REQUEST_LOG ?? (config.ENVIRONMENT === "development" || config.ENVIRONMENT === "test" ? "all" : "sampled");
  return { all: mode === "all", slowMs: config.REQUEST_LOG_SLOW_MS, sampleRate: config.REQUEST_LOG_SAMPLE_RATE };
}

/**
 * Whether a request gets its log line: always when the policy logs all, the status is not 2xx
 * (every error, redirect, upgrade) or it was slow; otherwise with probability `sampleRate`.
 * Returns the sample rate the line was kept at (`undefined`: not a sample), or false.
 */
export function logDecision(policy: RequestLogPolicy, status: number, durationMs: number, random: () => number = Math.random): number | undefined | false {
  if (policy.all || status < 200 || status >= 300 || durationMs > policy.slowMs) return undefined;
  return policy.sampleRate > 0 && random() < policy.sampleRate ? policy.sampleRate : false;
}

// A bad configuration logs everything: the request log must not fail a request, nor hide errors.
const LOG_ALL: RequestLogPolicy = { all: true, slowMs: 0, sampleRate: 1 };
const policies = new WeakMap<object, RequestLogPolicy>();
function policyOf(env: object): RequestLogPolicy {
  let policy = policies.get(env);
  if (!policy) {
    try {
      policy = requestLogPolicy(getConfig(env));
    } catch {
      policy = LOG_ALL;
    }
    policies.set(env, policy);
  }
  return policy;
}

/**
 * The request's log line (lib/platform.ts calls it once the answer exists): id, method, path,
 * status, duration since `started` and who called. In production (REQUEST_LOG=sampled) only
 * every non-2xx, every slow request and a sample of the rest: the line was ~10 % of an
 * authenticated read's CPU (bench/README.md, issue 20), and the platform's own invocation logs
 * already record every request's status and duration.
 */
export function logRequest(c: Context<AppEnv>, started: number): void {
  const status = c.res.status;
  const durationMs = Date.now() - started;
  const sample = logDecision(policyOf(c.env), status, durationMs);
  if (sample === false) return;
  const principal = c.get("principal");
  log(status >= 500 ? "error" : status >= 400 ? "warn" : "info", "request", {
    requestId: c.get("requestId"),
    method: c.req.method,
    path: c.req.path,
    status,
    durationMs,
    principal: principal ? principalKey(principal) : null,
    ...(sample === undefined ? {} : { sample }),
  });
}
