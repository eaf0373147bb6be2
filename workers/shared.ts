import type { z } from "zod";
import { describeError, log } from "../src/lib/logging";

export interface QueueMessageLike {
  readonly id: string;
  readonly body: unknown;
  readonly attempts: number;
  ack(): void;
  retry(options?: QueueRetryOptions): void;
}

export interface DeadLetterPolicy<T> {
  /** Deliveries of a message: the first plus the queue's `max_retries`. */
  maxAttempts: number;
  /**
   * Called when the last delivery failed, before the queue dead-letters the message: marks its
   * job `failed` with the reason (src/lib/jobs.ts `deadLetterReason`), so no job is left in
   * progress. Errors here are logged; the message is dead-lettered regardless.
   */
  onDeadLetter(message: T, attempts: number, err: unknown): Promise<void>;
}

/**
 * Drives one queue batch: each message is parsed with the queue's schema and handled on its
 * own, so one bad message never fails the batch. A message that does not parse, or whose
 * handler throws, is retried; after `max_retries` the queue moves it to its dead-letter queue,
 * and `deadLetter.onDeadLetter` first records the failure on its job.
 */
export async function consumeBatch<T>(
  queue: string,
  messages: readonly QueueMessageLike[],
  schema: z.ZodType<T>,
  handle: (message: T, meta: { id: string; attempts: number }) => Promise<void>,
  deadLetter?: DeadLetterPolicy<T>,
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
      if (deadLetter && msg.attempts >= deadLetter.maxAttempts) {
        await deadLetter
          .onDeadLetter(parsed.data, msg.attempts, err)
          .catch((e: unknown) => log("error", "dead-lettered job could not be marked failed", { queue, messageId: msg.id, ...describeError(e) }));
      }
      msg.retry({ delaySeconds: Math.min(300, 2 ** msg.attempts * 5) });
    }
  }
}
