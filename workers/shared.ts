import type { z } from "zod";
import { describeError, log } from "../src/lib/logging";

export interface QueueMessageLike {
  readonly id: string;
  readonly body: unknown;
  readonly attempts: number;
  ack(): void;
  retry(options?: QueueRetryOptions): void;
}

/**
 * Drives one queue batch: each message is parsed with the queue's schema and handled on its
 * own, so one bad message never fails the batch. A message that does not parse, or whose
 * handler throws, is retried; after `max_retries` the queue moves it to its dead-letter queue.
 */
export async function consumeBatch<T>(
  queue: string,
  messages: readonly QueueMessageLike[],
  schema: z.ZodType<T>,
  handle: (message: T, meta: { id: string; attempts: number }) => Promise<void>,
): Promise<void> {
  for (const msg of messages) {
    const parsed = schema.safeParse(msg.body);
    if (!parsed.success) {
      log("error", "queue message rejected", { queue, messageId: msg.id, issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) });
      msg.retry();
      continue;
    }
    try {
      await handle(parsed.data, { id: msg.id, attempts: msg.attempts });
      msg.ack();
    } catch (err) {
      log("error", "queue message failed", { queue, messageId: msg.id, attempts: msg.attempts, ...describeError(err) });
      msg.retry({ delaySeconds: Math.min(300, 2 ** msg.attempts * 5) });
    }
  }
}
