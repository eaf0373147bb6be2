/**
 * WebSocket test helpers. Every wait has a timeout, so a test that expects a message or a close
 * that never comes fails instead of hanging.
 */
import { exports } from "cloudflare:workers";
import { vi } from "vitest";
import type { Json } from "./helpers";

/** How a test reaches the Worker: `exports.default.fetch` or an `app.fetch` built with `extend`. */
export type Fetch = (request: Request) => Promise<Response>;

export const DEFAULT_WAIT_MS = 2000;

export interface CloseInfo {
  code: number;
  reason: string;
}

/** A received message: MS5's envelope; `data` is walked like any parsed JSON in tests. */
export interface WsMessage {
  type?: string;
  seq?: number;
  timestamp?: string;
  data?: Json;
  [key: string]: unknown;
}

type Waiter = { match: (m: WsMessage) => boolean; resolve: (m: WsMessage) => void };

/**
 * A client socket that buffers everything it receives from the moment it is accepted, so no
 * message is missed between awaits. `next()` takes the first buffered (or future) message that
 * matches, leaving the others for later calls.
 */
export class TestSocket {
  readonly #buffer: WsMessage[] = [];
  #waiters: Waiter[] = [];
  #closeInfo: CloseInfo | undefined;
  #onClose: ((info: CloseInfo) => void)[] = [];

  constructor(readonly ws: WebSocket) {
    ws.addEventListener("message", (event) => {
      const text = typeof event.data === "string" ? event.data : new TextDecoder().decode(event.data);
      let message: WsMessage;
      try {
        message = JSON.parse(text) as WsMessage;
      } catch {
        message = { unparsed: text };
      }
      const i = this.#waiters.findIndex((w) => w.match(message));
      const waiter = this.#waiters[i];
      if (waiter) {
        this.#waiters.splice(i, 1);
        waiter.resolve(message);
      } else {
        this.#buffer.push(message);
      }
    });
    ws.addEventListener("close", (event) => {
      this.#closeInfo = { code: event.code, reason: event.reason };
      for (const done of this.#onClose) done(this.#closeInfo);
      this.#onClose = [];
    });
    ws.accept();
  }

  /** The next message (of `type`, or matching `match`), failing after `ms`. */
  next(match?: string | ((m: WsMessage) => boolean), ms = DEFAULT_WAIT_MS): Promise<WsMessage> {
    const test = match === undefined ? () => true : typeof match === "string" ? (m: WsMessage) => m.type === match : match;
    const i = this.#buffer.findIndex(test);
    const found = this.#buffer[i];
    if (found) {
      this.#buffer.splice(i, 1);
      return Promise.resolve(found);
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match: test,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        const seen = this.#buffer.map((m) => m.type).join(", ") || "nothing";
        reject(new Error(`no ${typeof match === "string" ? `'${match}' ` : ""}message within ${ms} ms (buffered: ${seen})`));
      }, ms);
      this.#waiters.push(waiter);
    });
  }

  /** Messages received and not yet taken by `next()`. */
  pending(): readonly WsMessage[] {
    return this.#buffer;
  }

  /** Resolves with the close code and reason, failing after `ms`. */
  closed(ms = DEFAULT_WAIT_MS): Promise<CloseInfo> {
    if (this.#closeInfo) return Promise.resolve(this.#closeInfo);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`socket not closed within ${ms} ms`)), ms);
      this.#onClose.push((info) => {
        clearTimeout(timer);
        resolve(info);
      });
    });
  }

  /** Sends a value as JSON, or a string/bytes as they are. */
  send(value: unknown): void {
    this.ws.send(
      typeof value === "string" || value instanceof ArrayBuffer || ArrayBuffer.isView(value) ? (value as string | ArrayBuffer) : JSON.stringify(value),
    );
  }

  close(code = 1000, reason = "done"): void {
    try {
      this.ws.close(code, reason);
    } catch {
      /* already closed */
    }
  }
}

export interface UpgradeOptions {
  token?: string;
  headers?: Record<string, string>;
  fetch?: Fetch;
}

/**
 * Opens a WebSocket to `path` the way a tablet does (`Upgrade: websocket`, `?token=`). Fails
 * unless the answer is a 101 with a socket; the socket may still be closed at once (1008).
 */
export async function openSocket(path: string, opts: UpgradeOptions = {}): Promise<TestSocket> {
  const url = new URL(`http://localhost${path}`);
  if (opts.token !== undefined) url.searchParams.set("token", opts.token);
  const headers = new Headers(opts.headers);
  headers.set("upgrade", "websocket");
  const fetcher: Fetch = opts.fetch ?? ((req) => exports.default.fetch(req));
  const res = await withTimeout(fetcher(new Request(url, { headers })), DEFAULT_WAIT_MS, `upgrade of ${path}`);
  if (res.status !== 101 || !res.webSocket) throw new Error(`expected a 101 with a WebSocket from ${path}, got ${res.status}: ${await res.text()}`);
  return new TestSocket(res.webSocket);
}

/** Rejects if `promise` has not settled within `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Waits until `check` returns true (`vi.waitUntil`), failing after `ms` (for effects with no message). */
export async function eventually(check: () => Promise<boolean> | boolean, ms = DEFAULT_WAIT_MS, what = "condition"): Promise<void> {
  try {
    await vi.waitUntil(check, { timeout: ms, interval: 20 });
  } catch (cause) {
    throw new Error(`${what} not met within ${ms} ms`, { cause });
  }
}
