/**
 * A socket's budget as plain functions (src/rooms/room.ts): the refill, the cooldown a rate close
 * leaves, and the refusal a new socket gets. The rooms' own tests drive them over sockets
 * (test/production/line-room-rights.test.ts, test/socketio/socketio.test.ts).
 */
import { describe, expect, it } from "vitest";
import { type Budget, MESSAGE_BURST, RATE_CLOSE_COOLDOWN_S, RESYNC_BURST_BYTES, refilled, startRefusal } from "../../src/rooms/budget";

const COOLDOWN_MS = RATE_CLOSE_COOLDOWN_S * 1000;
const t0 = 1_800_000_000_000;
const spent = (extra: Partial<Budget> = {}): Budget => ({ messages: 0.4, resyncBytes: RESYNC_BURST_BYTES, at: t0, ...extra });

describe("room budgets", () => {
  it("a rate close's cooldown refuses new sockets until it ends, while the bucket refills; then it is dropped", () => {
    const closed = spent({ cooldownUntil: t0 + COOLDOWN_MS });
    const during = refilled(closed, t0 + 2_000);
    expect(during.messages).toBeCloseTo(20.4);
    expect(startRefusal(during)).toBe("Message rate exceeded; reconnect later");
    const after = refilled(closed, t0 + COOLDOWN_MS + 1);
    expect(after).toEqual({ messages: MESSAGE_BURST, resyncBytes: RESYNC_BURST_BYTES, at: t0 + COOLDOWN_MS + 1 });
    expect(startRefusal(after)).toBeNull();
  });

  it("without a cooldown, a new socket is refused only while no token or no resync budget is left", () => {
    expect(startRefusal(refilled(spent(), t0 + 50))).toBe("Message rate exceeded; reconnect later");
    expect(startRefusal(refilled(spent(), t0 + 100))).toBeNull();
    expect(startRefusal(refilled({ messages: MESSAGE_BURST, resyncBytes: -70_000, at: t0 }, t0 + 1_000))).toBe("Resync budget exceeded; reconnect later");
    expect(startRefusal(refilled({ messages: MESSAGE_BURST, resyncBytes: -70_000, at: t0 }, t0 + 1_200))).toBeNull();
  });

  it("no cooldown outlasts its length from now: a clock that went back, or an unreadable value, cannot make it longer or endless", () => {
    // Written at t0 + 60 s by a clock that was ahead; read at t0.
    expect(refilled(spent({ cooldownUntil: t0 + 60_000 + COOLDOWN_MS }), t0).cooldownUntil).toBe(t0 + COOLDOWN_MS);
    expect(refilled(spent({ cooldownUntil: Number.POSITIVE_INFINITY }), t0).cooldownUntil).toBe(t0 + COOLDOWN_MS);
    expect(refilled(spent({ cooldownUntil: Number.NaN }), t0).cooldownUntil).toBe(t0 + COOLDOWN_MS);
  });

  it("unreadable counts or refill times count as spent, never as a full bucket", () => {
    const later = t0 + 60_000;
    expect(refilled({ messages: Number.NaN, resyncBytes: Number.NaN, at: t0 }, t0)).toMatchObject({ messages: 0, resyncBytes: 0 });
    expect(refilled({ messages: 0, resyncBytes: 0, at: Number.NaN }, later)).toEqual({ messages: 0, resyncBytes: 0, at: later });
    expect(startRefusal(refilled({ messages: 0, resyncBytes: 0, at: Number.NaN }, later))).not.toBeNull();
  });
});
