/**
 * A dev worker for the Socket.IO tests, which run in Node with the real socket.io-client: the
 * deploy bundle (`wrangler deploy --dry-run`) served by Miniflare on 127.0.0.1, as the bench does
 * (bench/workers.mjs), with the migrations applied and an administrator inserted.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
// @ts-expect-error: the bench's helpers are plain ES modules without types.
import { apiBindings, applyMigrations, bundle, insertUser, readApiConfig, root, serve, userRow } from "../../bench/workers.mjs";

export const ADMIN = { username: "sio-admin", password: "sio-admin-password-1", role: "admin" };

export interface DevWorker {
  url: string;
  stop(): Promise<void>;
}

type Miniflare = { dispose(): Promise<void> };

export async function startWorker(vars: Record<string, string> = {}): Promise<DevWorker> {
  const tmp = mkdtempSync(join(tmpdir(), "floorline-sio-"));
  const config = readApiConfig(join(root, "wrangler.toml"));
  const built = bundle(join(root, "wrangler.toml"), join(tmp, "bundle"));
  const { env, exports } = apiBindings(config, config.name, {
    JWT_SECRET: "socketio-test-jwt-secret-0123456789abcdef-0123",
    ENVIRONMENT: "development",
    LOGIN_RATE_LIMIT_PER_USERNAME: "1000",
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
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}
