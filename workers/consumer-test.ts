import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

interface Consumer {
  queue(batch: MessageBatch, env: Cloudflare.Env, ctx: ExecutionContext): Promise<void>;
}

/**
 * The behaviour every queue consumer shares: probes (sent by /health/detailed) are acked,
 * messages that do not parse are retried, which lands them in the DLQ after max_retries.
 */
export function describeConsumer(name: string, worker: Consumer, queue: string): void {
  describe(`${name} queue consumer`, () => {
    it("acks probes and retries messages it cannot parse", async () => {
      const batch = createMessageBatch(queue, [
        { id: "a", timestamp: new Date(), attempts: 1, body: { type: "probe", requestId: "r1", sentAt: new Date().toISOString() } },
        { id: "b", timestamp: new Date(), attempts: 1, body: { type: "shred-everything" } },
      ]);
      const ctx = createExecutionContext();
      await worker.queue(batch, env, ctx);
      const result = await getQueueResult(batch, ctx);
      expect(result.explicitAcks).toEqual(["a"]);
      expect(result.retryMessages.map((m) => m.msgId)).toEqual(["b"]);
    });
  });
}
