/**
 * A token bucket: `capacity` tokens, refilled at `ratePerSec`. Meta's per-number throughput and the
 * business→user pair rate both behave like one (a sustained rate plus a burst that borrows ahead).
 */
export interface TokenBucket {
  take(now: number): boolean;
  setRate(ratePerSec: number, capacity: number): void;
}

export function createTokenBucket(ratePerSec: number, capacity: number, now: number): TokenBucket {
  let rate = ratePerSec;
  let cap = capacity;
  let tokens = capacity;
  let last = now;
  return {
    take(t) {
      tokens = Math.min(cap, tokens + ((t - last) / 1000) * rate);
      last = t;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    setRate(r, c) {
      rate = r;
      cap = c;
      tokens = Math.min(tokens, c);
    },
  };
}

/** Counts events in the last second (a ring of 10 × 100 ms slots) for "current rate" in stats. */
export interface RateMeter {
  mark(now: number): void;
  perSecond(now: number): number;
}

export function createRateMeter(): RateMeter {
  const slots = new Array<number>(10).fill(0);
  let slotStart = 0;
  const advance = (now: number) => {
    const slot = Math.floor(now / 100);
    if (slot - slotStart >= 10) slots.fill(0);
    else for (let s = slotStart + 1; s <= slot; s++) slots[s % 10] = 0;
    if (slot > slotStart) slotStart = slot;
  };
  return {
    mark(now) {
      advance(now);
      slots[Math.floor(now / 100) % 10]! += 1;
    },
    perSecond(now) {
      advance(now);
      return slots.reduce((a, b) => a + b, 0);
    },
  };
}
