/**
 * The isolate's memory for uploads: how many requests may receive a body at once
 * (`uploadAdmission`), and how many of them may hold full-size part buffers (`uploadMemory`).
 *
 * receiveUpload() (./receive.ts) keeps two part buffers per request. They stay small (at most
 * 1 MiB) while the request's files fit in them; the moment a file needs more, the buffers grow
 * to PART_BYTES (5 MiB) each, and the request first takes one slot here, covering both. A
 * Worker isolate has 128 MB shared by every request it serves, and local workerd does not
 * enforce that limit, so this cap is what keeps concurrent large uploads from exhausting it
 * (which would crash every request in the isolate).
 *
 * A request that finds no slot waits, first come first served, and its body is not read
 * meanwhile (backpressure on the client). Past `waitMs` it fails with a 503 and Retry-After.
 *
 * Slots are only ever taken by the waiting request's own code, in its own request context: a
 * release wakes the next waiters, and each takes a free slot when it runs. Handing a slot to a
 * waiter whose request context had already ended (a continuation the runtime cancels) would lose
 * the slot for the isolate's lifetime; this way an unclaimed slot simply stays free.
 */
import { AppError } from "../errors";

/**
 * Large uploads one isolate receives at once. Each costs its two 5 MiB part buffers (10 MiB),
 * plus the runtime's own copy of the part in flight to R2 and the body's chunks: budget about
 * 15 MiB, so 4 take about 60 MiB of the isolate's 128 MB. The rest is left to the bundle and
 * every other request (JSON handlers, small uploads with their up to 1 MiB buffers, the
 * requests waiting here). 5 would pass 75 MiB: too close to the limit for the runtime's own
 * copies we cannot see.
 */
export const MAX_LARGE_UPLOADS = 4;

/** How long a large upload waits for a slot before it is refused (ms): long enough to ride out a burst. */
export const LARGE_UPLOAD_WAIT_MS = 20_000;

/**
 * Requests that may wait for a slot at once; one more is refused at once. A waiting request
 * holds up to 1 MiB of small buffers and a body chunk: 16 cost about 18 MiB, inside the
 * headroom MAX_LARGE_UPLOADS leaves.
 */
export const MAX_LARGE_UPLOADS_WAITING = 16;

/** The Retry-After, in seconds, of a refused large upload: about the time a slot-holder's next parts take. */
export const LARGE_UPLOAD_RETRY_AFTER_SECONDS = 10;

/** One held slot. `release()` gives it back; calling it again does nothing. */
export interface UploadSlot {
  release(): void;
}

/** A slot whose `give` runs on the first `release()` only. */
export function slotOf(give: () => void): UploadSlot {
  let held = true;
  return {
    release: () => {
      if (!held) return;
      held = false;
      give();
    },
  };
}

export interface UploadMemoryOptions {
  /** Slots (default MAX_LARGE_UPLOADS). */
  slots?: number;
  /** Default wait for a slot, in ms (default LARGE_UPLOAD_WAIT_MS). */
  waitMs?: number;
  /** Most requests waiting at once (default MAX_LARGE_UPLOADS_WAITING). */
  maxWaiting?: number;
  /** What the 503 says is busy (default "large uploads"). */
  what?: string;
}

/** The 503 of an upload that found no slot in time (or no place in the queue); `what`: "large uploads" or "uploads". */
export const uploadsBusy = (retryAfter: number, what = "large uploads") => {
  const message = `Too many ${what} are being received at once; retry in ${retryAfter} seconds`;
  return new AppError("SERVICE_UNAVAILABLE", message, { retryAfter, details: [{ path: "body", message, code: "uploads_busy" }] });
};

/** A request waiting for a slot: woken by a release, or by its own timer at its deadline. */
class Waiter {
  #wake: ((woken: boolean) => void) | undefined;

  constructor(readonly deadline: number) {}

  /** Resolves true when woken, false once the deadline has passed. */
  next(): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const woken = new Promise<boolean>((resolve) => {
      this.#wake = resolve;
      timer = setTimeout(() => resolve(false), Math.max(0, this.deadline - Date.now()));
    });
    // Cleared here, in the waiter's own request context (a timer belongs to the request that set it).
    return woken.finally(() => {
      clearTimeout(timer);
      this.#wake = undefined;
    });
  }

  wake(): void {
    this.#wake?.(true);
  }
}

/** A counting semaphore with a bounded FIFO queue and a bounded wait. */
export class UploadMemory {
  readonly slots: number;
  readonly maxWaiting: number;
  /** The wait `acquire()` uses when given none, in ms. Settable (tests shorten it). */
  waitMs: number;
  retryAfterSeconds = LARGE_UPLOAD_RETRY_AFTER_SECONDS;
  readonly what: string;
  #free: number;
  readonly #queue: Waiter[] = [];

  constructor(options: UploadMemoryOptions = {}) {
    this.slots = options.slots ?? MAX_LARGE_UPLOADS;
    this.waitMs = options.waitMs ?? LARGE_UPLOAD_WAIT_MS;
    this.maxWaiting = options.maxWaiting ?? MAX_LARGE_UPLOADS_WAITING;
    this.what = options.what ?? "large uploads";
    if (!Number.isSafeInteger(this.slots) || this.slots < 1 || !Number.isSafeInteger(this.maxWaiting) || this.maxWaiting < 0) {
      throw new Error("UploadMemory: slots must be a positive integer and maxWaiting a non-negative one");
    }
    this.#free = this.slots;
  }

  /** Slots not held by anyone. */
  get free(): number {
    return this.#free;
  }

  /** Requests waiting for a slot. */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * A slot: at once when one is free and nobody waits, else after the requests ahead of this one,
   * within `waitMs`; rejects with a 503 (uploadsBusy) past it, or at once when the queue is full.
   * A rejected or timed-out request holds no slot and has left the queue.
   */
  async acquire(waitMs: number = this.waitMs): Promise<UploadSlot> {
    this.#prune();
    if (this.#free > 0 && this.#queue.length === 0) return this.#take();
    if (this.#queue.length >= this.maxWaiting) throw uploadsBusy(this.retryAfterSeconds, this.what);
    const waiter = new Waiter(Date.now() + Math.max(0, waitMs));
    this.#queue.push(waiter);
    try {
      for (;;) {
        const woken = await waiter.next();
        // Woken with nothing free (another request took it first): wait on, until the deadline.
        // At the deadline a slot nobody claimed is still taken rather than refused.
        if (this.#free > 0) return this.#take();
        if (!woken) throw uploadsBusy(this.retryAfterSeconds, this.what);
      }
    } finally {
      const at = this.#queue.indexOf(waiter);
      if (at !== -1) this.#queue.splice(at, 1);
      this.#wakeNext();
    }
  }

  #take(): UploadSlot {
    this.#free--;
    return slotOf(() => {
      this.#free++;
      this.#wakeNext();
    });
  }

  /** Wakes as many waiters, from the front, as there are free slots. */
  #wakeNext(): void {
    this.#prune();
    const n = Math.min(this.#free, this.#queue.length);
    for (let i = 0; i < n; i++) this.#queue[i]?.wake();
  }

  /**
   * Drops waiters past their deadline: a live one removes itself when its timer fires, so one
   * still queued belongs to a request whose context ended (its continuations never run). Dropping
   * a live one early is harmless: it takes a slot only in its own code.
   */
  #prune(): void {
    const now = Date.now();
    for (let i = this.#queue.length - 1; i >= 0; i--) {
      if ((this.#queue[i]?.deadline ?? 0) < now) this.#queue.splice(i, 1);
    }
  }
}

/** This isolate's pool: every receiveUpload() in the isolate shares it. */
export const uploadMemory = new UploadMemory();

/**
 * Uploads one isolate receives at once, whatever their size: each holds its two part buffers
 * while they are small (up to 1 MiB each) and a body chunk, about 2.5 MiB. Of these, at most
 * MAX_LARGE_UPLOADS also hold full-size buffers (`uploadMemory`): 8 × 2.5 + 4 × 15 = 80 MiB at
 * worst, leaving the rest of the isolate's 128 MB to the bundle and every other request.
 */
export const MAX_UPLOADS = 12;

/** Uploads that may wait for admission at once (their bodies unread: they hold no buffer). */
export const MAX_UPLOADS_WAITING = 64;

/** Admission of every receiveUpload() in the isolate (a slot from the body's first byte to the receive's end). */
export const uploadAdmission = new UploadMemory({ slots: MAX_UPLOADS, maxWaiting: MAX_UPLOADS_WAITING, what: "uploads" });

/**
 * Uploads one sender (a user; an API key counts for its creator) may have in an isolate at once,
 * waiting for admission or receiving. Without it one account could take every admission (a
 * client sending 64 KiB per 30 s keeps one for up to UPLOAD_MAX_MS) and every place in the queue.
 * A third of MAX_UPLOADS: the seeds' clients send one file request at a time.
 */
export const MAX_UPLOADS_PER_SENDER = 4;

/** The Retry-After, in seconds, of an upload refused because its sender has MAX_UPLOADS_PER_SENDER in progress. */
export const SENDER_RETRY_AFTER_SECONDS = 10;

/** Uploads in progress per sender, in this isolate. Holds only senders with one in progress. */
export class SenderPlaces {
  readonly #held = new Map<string, number>();

  constructor(readonly max = MAX_UPLOADS_PER_SENDER) {}

  /** A place for one more upload of `sender`, or a 429 when it has `max` in progress. `release()` gives it back once. */
  take(sender: string): UploadSlot {
    const now = this.#held.get(sender) ?? 0;
    if (now >= this.max) {
      const message = `You already have ${this.max} uploads in progress; retry in ${SENDER_RETRY_AFTER_SECONDS} seconds, when one has finished`;
      throw new AppError("RATE_LIMITED", message, {
        retryAfter: SENDER_RETRY_AFTER_SECONDS,
        details: [{ path: "body", message, code: "uploads_in_progress" }],
      });
    }
    this.#held.set(sender, now + 1);
    return slotOf(() => {
      const left = (this.#held.get(sender) ?? 1) - 1;
      if (left > 0) this.#held.set(sender, left);
      else this.#held.delete(sender);
    });
  }

  /** Uploads `sender` has in progress (or, without one, every sender's). */
  held(sender?: string): number {
    if (sender !== undefined) return this.#held.get(sender) ?? 0;
    let all = 0;
    for (const n of this.#held.values()) all += n;
    return all;
  }
}

/** This isolate's places per sender: every receiveUpload() takes one before its admission. */
export const uploadSenders = new SenderPlaces();

/**
 * One of `sender`'s places (429 past MAX_UPLOADS_PER_SENDER), then one of the isolate's upload
 * admissions (waits with the body unread, or the pool's 503): one slot that gives both back,
 * once. Every upload takes it before reading its body (receiveUpload, the legacy-file upload).
 * `waitUntil` keeps a client that goes while it waits from leaving a dead waiter: the wait still
 * ends in the request's code, which gives the slot back.
 */
export async function admitUpload(sender: string, waitUntil?: (promise: Promise<unknown>) => void): Promise<UploadSlot> {
  const place = uploadSenders.take(sender);
  try {
    const admitted = uploadAdmission.acquire();
    waitUntil?.(
      admitted.then(
        () => undefined,
        () => undefined,
      ),
    );
    const slot = await admitted;
    return slotOf(() => {
      slot.release();
      place.release();
    });
  } catch (err) {
    place.release();
    throw err;
  }
}
