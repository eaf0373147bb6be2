/**
 * A dev worker for the Socket.IO tests, which run in Node with the real socket.io-client: the
 * deploy bundle (`wrangler deploy --dry-run`) served by Miniflare on 127.0.0.1, as the bench does
 * (bench/workers.mjs), with the migrations applied and an administrator inserted.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
// @ts-expect-error: the bench's helpers are plain ES modules without types.
import { apiBindings, applyMigrations, bundle, insertUser, readApiConfig, root, serve, userRow } from "../../bench/workers.mjs";
import { createFakeMagento } from "../../workers/fake-magento/fake";

export const ADMIN = { username: "sio-admin", password: "sio-admin-password-1", role: "admin" };

export interface DevWorker {
  url: string;
  stop(): Promise<void>;
}

type Miniflare = { dispose(): Promise<void> };

const MAGENTO_TOKEN = "socketio-test-magento-token";

/** The fake Magento shop (workers/fake-magento) with its demo orders, on an ephemeral loopback port. */
async function startFakeMagento(): Promise<{ url: string; close(): void }> {
  const orders = JSON.parse(readFileSync(join(root, "workers", "fake-magento", "orders.json"), "utf8"));
  const fake = createFakeMagento({ token: MAGENTO_TOKEN, orders });
  const server = createServer(async (req, res) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
    const answer = await fake.fetch(new Request(`http://127.0.0.1${req.url}`, { method: req.method ?? "GET", headers }));
    res.writeHead(answer.status, Object.fromEntries(answer.headers));
    res.end(await answer.text());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

export async function startWorker(vars: Record<string, string> = {}): Promise<DevWorker> {
  const tmp = mkdtempSync(join(tmpdir(), "floorline-sio-"));
  const magento = await startFakeMagento();
  const config = readApiConfig(join(root, "wrangler.toml"));
  const built = bundle(join(root, "wrangler.toml"), join(tmp, "bundle"));
  const { env, exports } = apiBindings(config, config.name, {
    JWT_SECRET: "socketio-test-jwt-secret-0123456789abcdef-0123",
    ENVIRONMENT: "development",
    LOGIN_RATE_LIMIT_PER_USERNAME: "1000",
    MAGENTO_BASE_URL: magento.url,
    MAGENTO_TOKEN,
    ...vars,
  });
  const { mf, url } = (await serve({
    name: config.name,
    bundle: built,
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags,
    env,
    exports,
    stateDir: join(tmp, "state"),
  })) as { mf: Miniflare; url: string };
  await applyMigrations(mf, "DB", join(root, "migrations"));
  await insertUser(mf, "DB", userRow(ADMIN));
  return {
    url,
    async stop() {
      await mf.dispose().catch(() => {});
      magento.close();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}
