/**
 * The adaptive send rate of one number (SPEC F6), shared by every campaign on it. Pure: the sender
 * feeds it outcomes and a clock; tests drive it with a fake one.
 *
 * - Start at the number's Meta throughput when known (80 or 1,000 msg/s), else 60 msg/s; a rate saved
 *   earlier today carries over; the first send of a new day (org timezone) starts at 90% of the
 *   previous day's final rate.
 * - +10% after 5 minutes with under 1% errors; −20% after 3 consecutive 130429 (throughput) errors.
 *   Consecutive means three answers in a row, each to a request made after the previous throttle was
 *   seen: requests already in flight together when Meta throttled are one event (the sender holds
 *   briefly after a throttle), not three, so one burst on a busy network does not cut the rate.
 * - Never below 10 msg/s nor above min(1,000, the number's Meta level); a coexistence number (the
 *   WhatsApp Business app on the same number) never above 20 msg/s, the throughput Meta fixes for it.
 * - A pair-rate error (131056: too many messages to one customer) delays that recipient only.
 */
export const RATE_RULES = {
  start: 60,
  floor: 10,
  max: 1000,
  stepUpAfterMs: 5 * 60_000,
  stepUp: 1.1,
  stepDown: 0.8,
  throttlesToStepDown: 3,
  maxErrorRatio: 0.01,
  newDayFactor: 0.9,
  /** Meta's fixed throughput of a coexistence number (Meta /throughput). */
  coexistence: 20,
} as const;

export type SendOutcome = 'ok' | 'error' | 'throttled' | 'pair';

export interface RateState {
  rate: number;
  ceiling: number;
  /** Start of the current 5-minute observation window. */
  windowStartMs: number;
  windowSent: number;
  windowErrors: number;
  consecutiveThrottles: number;
  /** The last rate held a full window with under 1% errors. */
  stableRate: number | null;
  /** When the rate last went down: throttles of sends made before it say nothing about the new rate. */
  adjustedAtMs: number;
  /** When the last counted throttle was seen: throttles of sends made before it are the same event. */
  lastThrottleAtMs: number;
}

/** Meta's throughput level → messages per second it allows the number. */
export function ceilingOf(throughputLevel: string | null | undefined): number | null {
  switch ((throughputLevel ?? '').toUpperCase()) {
    case 'HIGH':
      return 1000;
    case 'STANDARD':
      return 80;
    default:
      return null;
  }
}

/** The most a number may send a second: its Meta level (or 1,000), 20 for a coexistence number. */
export function ceilingFor(n: { throughputLevel: string | null | undefined; coexistence?: boolean }) {
  const level = ceilingOf(n.throughputLevel) ?? RATE_RULES.max;
  return Math.min(RATE_RULES.max, level, n.coexistence ? RATE_RULES.coexistence : Number.POSITIVE_INFINITY);
}

const clamp = (rate: number, ceiling: number) =>
  Math.max(RATE_RULES.floor, Math.min(ceiling, Math.round(rate)));

/** Where a number starts sending: today's saved rate, 90% of yesterday's, or its Meta level / 60. */
export function initialRate(opts: {
  throughputLevel: string | null | undefined;
  /** A coexistence number: paced at 20 msg/s. */
  coexistence?: boolean;
  saved: { rate: number | null; stableRate: number | null; day: string | null };
  today: string;
  nowMs: number;
}): RateState {
  const level = ceilingOf(opts.throughputLevel);
  const ceiling = ceilingFor(opts);
  const { saved } = opts;
  let rate: number;
  if (saved.rate && saved.day === opts.today) rate = saved.rate;
  else if (saved.rate && saved.day && saved.day < opts.today) rate = saved.rate * RATE_RULES.newDayFactor;
  else rate = level ?? RATE_RULES.start;
  return {
    rate: clamp(rate, ceiling),
    ceiling,
    windowStartMs: opts.nowMs,
    windowSent: 0,
    windowErrors: 0,
    consecutiveThrottles: 0,
    stableRate: saved.day === opts.today ? saved.stableRate : null,
    adjustedAtMs: Number.NEGATIVE_INFINITY,
    lastThrottleAtMs: Number.NEGATIVE_INFINITY,
  };
}

/**
 * The state after the outcome, at `nowMs`, of a send made at `sentAtMs` (default: now). Requests
 * already in flight when the rate went down were paced at the old rate: their throttles are not
 * counted against the new one (many in flight would otherwise cut it again and again). Likewise a
 * throttle of a request made before the last throttle was seen is an error of the window but not a
 * further consecutive throttle: it says nothing the first did not.
 */
export function recordOutcome(
  s: RateState,
  outcome: SendOutcome,
  nowMs: number,
  sentAtMs = nowMs,
): RateState {
  const next = { ...s };
  if (outcome === 'pair') return next; // the recipient is delayed; the number's rate is not at fault
  if (sentAtMs < s.adjustedAtMs) return next;
  next.windowSent++;
  if (outcome === 'throttled') {
    next.windowErrors++;
    if (sentAtMs < s.lastThrottleAtMs) return next;
    next.lastThrottleAtMs = nowMs;
    next.consecutiveThrottles++;
    if (next.consecutiveThrottles >= RATE_RULES.throttlesToStepDown) {
      next.rate = clamp(next.rate * RATE_RULES.stepDown, next.ceiling);
      next.consecutiveThrottles = 0;
      next.windowStartMs = nowMs;
      next.windowSent = 0;
      next.windowErrors = 0;
      next.adjustedAtMs = nowMs;
    }
    return next;
  }
  next.consecutiveThrottles = 0;
  if (outcome === 'error') next.windowErrors++;
  return tick(next, nowMs);
}

/** Closes the observation window when 5 minutes have passed: a clean window raises the rate 10%. */
export function tick(s: RateState, nowMs: number): RateState {
  if (nowMs - s.windowStartMs < RATE_RULES.stepUpAfterMs) return s;
  const next = { ...s, windowStartMs: nowMs, windowSent: 0, windowErrors: 0 };
  if (s.windowSent > 0 && s.windowErrors / s.windowSent < RATE_RULES.maxErrorRatio) {
    next.stableRate = s.rate;
    next.rate = clamp(s.rate * RATE_RULES.stepUp, s.ceiling);
  }
  return next;
}

/** The retry schedule of transient failures: 3 retries, 5 s, 20 s and 45 s after the failure. */
export const RETRY_DELAYS_MS = [5_000, 20_000, 45_000] as const;

/** Delay before a recipient hit by the pair rate (131056) is tried again. */
export const PAIR_RATE_DELAY_MS = 6_000;
