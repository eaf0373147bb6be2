/**
 * Issue 18 item 7: a STEP that can never convert (no solid geometry, or not STEP at all) fails on
 * its first delivery, with no retry, and `/model` answers that at once: 422 naming the reason on
 * the Part Management surface (the seed's 500 "Model conversion failed" came after four retries).
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import occtWasm from "occt-import-js/dist/occt-import-js.wasm";
import { describe, expect, it } from "vitest";
import { ConvertMessage } from "../../../src/queues/messages";
import { convertStep } from "../../../workers/convert/job";
import { consumeBatch } from "../../../workers/shared";
import { call } from "../../helpers";
import { createPart, keyCall, newKey } from "./client";

/** A STEP file that parses but holds no shape: a header and one lone point. */
const NO_SOLIDS = `ISO-10303-21;
HEADER;
FILE_DESCRIPTION(('no solids'),'2;1');
FILE_NAME('empty.stp','2026-12-03T00:00:00',(''),(''),'','','');
FILE_SCHEMA(('AUTOMOTIVE_DESIGN { 1 0 10303 214 1 1 1 1 }'));
ENDSEC;
DATA;
#1=CARTESIAN_POINT('',(0.,0.,0.));
ENDSEC;
END-ISO-10303-21;
`;

async function consumeFirstDelivery(partId: number) {
  const job = await env.DB.prepare("select job_id, step_key from conversion_jobs where part_id = ?").bind(partId).first<{ job_id: string; step_key: string }>();
  if (!job) throw new Error("no job recorded");
  const body = { type: "convert_step" as const, partId, jobId: job.job_id, stepKey: job.step_key, requestId: "test" };
  const batch = createMessageBatch("floorline-convert", [{ id: crypto.randomUUID(), timestamp: new Date(), attempts: 1, body }]);
  const ctx = createExecutionContext();
  await consumeBatch(batch.queue, batch.messages, ConvertMessage, async (message, meta) => {
    if (message.type === "convert_step") await convertStep({ db: env.DB, files: env.FILES, wasm: occtWasm, now: () => new Date() }, message, meta);
  });
  return getQueueResult(batch, ctx);
}

describe("a STEP that can never convert (issue 18.7)", () => {
  it.each([
    // OpenCascade finds no shape to transfer in it: either reason names the file, not a retry.
    { name: "no-solids.stp", text: NO_SOLIDS, reason: /no solid geometry|could not be read as a STEP model/ },
    // Passes the upload's sniffing (it starts like STEP) but is not one.
    { name: "broken.step", text: "ISO-10303-21;\nHEADER;\nthis is not a STEP model\n", reason: /could not be read as a STEP model/ },
  ])(
    "$name fails on its first delivery (no retry) and /model answers 422 naming why",
    async ({ name, text, reason }) => {
      const key = await newKey();
      const part = await createPart(key);
      const form = new FormData();
      form.append("file", new File([text], name));
      const up = await call(`/api/parts/${part.id}/upload`, { method: "POST", body: form, headers: { "x-api-key": key } });
      expect(up.status, JSON.stringify(up.json)).toBe(201);

      const result = await consumeFirstDelivery(Number(part.id));
      expect(result.retryMessages).toEqual([]);
      expect(result.explicitAcks).toHaveLength(1);

      const model = await keyCall(key, `/api/parts/${part.id}/model`);
      expect(model.status).toBe(422);
      expect(String(model.json.error)).toMatch(reason);
      const job = await keyCall(key, `/api/v1/parts/${part.id}/conversion`);
      expect(job.json).toMatchObject({ state: "failed", attempts: 1 });
    },
    60_000,
  );
});
