/** Shared by the file-based importers' tests: upload a legacy file, run an import to its end. */
import { exports } from "cloudflare:workers";
import { expect, vi } from "vitest";
import type { z } from "zod";
import { ImportJob } from "../../src/modules/bridge/schemas";
import { call, freshIp } from "../helpers";

/** POST /api/v1/imports/files with the bytes as the body; returns the answer. */
export async function uploadLegacyFile(token: string, bytes: Uint8Array | string) {
  const body = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  const res = await exports.default.fetch(
    new Request("http://localhost/api/v1/imports/files", {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-length": String(body.length),
        "content-type": "application/octet-stream",
        "cf-connecting-ip": freshIp(),
      },
      body,
    }),
  );
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** Starts an import of `source` from `fileKey` and waits for the queue consumer to finish it. */
export async function importFile(token: string, source: string, fileKey: string): Promise<z.infer<typeof ImportJob>> {
  const started = await call("/api/v1/imports", { token, body: { source, file_key: fileKey }, schema: ImportJob });
  expect(started.status).toBe(202);
  let job = started.json;
  await vi.waitUntil(
    async () => {
      job = (await call(`/api/v1/imports/${started.json.id}`, { token, schema: ImportJob })).json;
      return job.state === "completed" || job.state === "failed";
    },
    { timeout: 240_000, interval: 250 },
  );
  expect(job.error).toBeNull();
  expect(job.state).toBe("completed");
  return job;
}
