/**
 * A socket's budgets as plain functions (no runtime imports, so Node tests can read the limits):
 * the token buckets, their refill, the cooldown a rate close leaves, and why a new socket is
 * refused. The rooms keep a budget in each socket's attachment and carry a closed socket's to
 * its user's next one (room.ts).
 */

/**
 * A socket's budgets, as token buckets: client messages (one token each), and bytes of resync
 * (replays and snapshots) the room sends it. Kept in the attachment, so hibernation, which
 * re-runs the constructor, does not refill them.
 */
export interface Budget {
  /** Message tokens left (refill `MESSAGE_REFILL_PER_S`, at most `MESSAGE_BURST`). */
  messages: number;
  /** Resync bytes left; may go below zero after one large resync, which then waits for refill. */
  resyncBytes: number;
  /** When the buckets were last refilled (epoch ms). */
  at: number;
  /**
   * Until when (epoch ms) the user's new sockets are refused: set when a socket is closed for its
   * message rate (`RATE_CLOSE_COOLDOWN_S`). Kept apart from the bucket, which refills meanwhile,
   * so the socket let in after the cooldown has the tokens a client's resubscribe needs.
   */
  cooldownUntil?: number;
}

/**
 * Per-socket limits (see the README's security section). A socket that sends faster than
 * `MESSAGE_REFILL_PER_S` for longer than `MESSAGE_BURST` messages is closed with 1008; one that
 * asks for a resync while its resync budget is spent is closed with 1013 (try again later).
 * Pings answered by the runtime's auto-response never reach the room and cost nothing.
 */
export const MESSAGE_BURST = 30;
export const MESSAGE_REFILL_PER_S = 10;
/**
 * Seconds a user waits after a socket of theirs is closed for its message rate: the user's next
 * socket in the room (which carries the closed one's budget) is refused at its connect until
 * then, rather than a tenth of a second later when one token has refilled. The bucket refills
 * during the cooldown as always, so the socket let in after it starts with 30 tokens.
 */
export const RATE_CLOSE_COOLDOWN_S = 5;
export const RESYNC_BURST_BYTES = 256 * 1024;
export const RESYNC_REFILL_BYTES_PER_S = 64 * 1024;
export const fullBudget = (now: number): Budget => ({ messages: MESSAGE_BURST, resyncBytes: RESYNC_BURST_BYTES, at: now });

// A count that is not a finite number (never written, but NaN would pass every `<` check) counts as spent.
const finite = (value: number): number => (Number.isFinite(value) ? value : 0);

/** The budget at `now`: refilled for the time since `at`, its cooldown kept while it runs (see `Budget`). */
export function refilled(budget: Budget | undefined, now: number): Budget {
  if (!budget) return fullBudget(now);
  // An unreadable refill time refills nothing.
  const seconds = Number.isFinite(budget.at) ? Math.max(0, now - budget.at) / 1000 : 0;
  const next: Budget = {
    messages: Math.min(MESSAGE_BURST, finite(budget.messages) + seconds * MESSAGE_REFILL_PER_S),
    resyncBytes: Math.min(RESYNC_BURST_BYTES, finite(budget.resyncBytes) + seconds * RESYNC_REFILL_BYTES_PER_S),
    at: now,
  };
  const until = budget.cooldownUntil;
  // A cooldown that has run out is dropped; none lasts longer than its length from now (a clock
  // that went back, or an unreadable value, cannot make it longer or endless).
  if (until !== undefined && !(until <= now))
    next.cooldownUntil = Number.isFinite(until) ? Math.min(until, now + RATE_CLOSE_COOLDOWN_S * 1000) : now + RATE_CLOSE_COOLDOWN_S * 1000;
  return next;
}

/** Each bucket at the lower of the two, the later cooldown (both `refilled` to the same instant first). */
export function lowerBudget(a: Budget, b: Budget): Budget {
  const lower: Budget = { messages: Math.min(a.messages, b.messages), resyncBytes: Math.min(a.resyncBytes, b.resyncBytes), at: Math.max(a.at, b.at) };
  const cooldownUntil = Math.max(a.cooldownUntil ?? 0, b.cooldownUntil ?? 0);
  if (cooldownUntil > 0) lower.cooldownUntil = cooldownUntil;
  return lower;
}

/**
 * Why a user's new socket is refused (closed with 1013 before any room work), or null: a
 * cooldown after a rate close, no message token, or the resync budget overdrawn.
 */
export function startRefusal(budget: Budget): string | null {
  if (budget.cooldownUntil !== undefined && budget.cooldownUntil > budget.at) return "Message rate exceeded; reconnect later";
  if (budget.messages < 1) return "Message rate exceeded; reconnect later";
  if (budget.resyncBytes <= 0) return "Resync budget exceeded; reconnect later";
  return null;
}

/** The budget a socket closed for its message rate carries out: its user owes the cooldown from now (`at`). */
export const withCooldown = (budget: Budget): Budget => ({ ...budget, cooldownUntil: budget.at + RATE_CLOSE_COOLDOWN_S * 1000 });
