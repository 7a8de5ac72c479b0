import { describe, expect, it } from 'vitest';
import {
  ceilingFor,
  ceilingOf,
  initialRate,
  RATE_RULES,
  type RateState,
  recordOutcome,
  tick,
} from './rate.ts';

const MIN = 60_000;
const fresh = (level: string | null = null, nowMs = 0) =>
  initialRate({
    throughputLevel: level,
    saved: { rate: null, stableRate: null, day: null },
    today: '2026-11-30',
    nowMs,
  });
function send(s: RateState, n: number, outcome: 'ok' | 'error' | 'throttled' | 'pair', atMs: number) {
  let out = s;
  for (let i = 0; i < n; i++) out = recordOutcome(out, outcome, atMs);
  return out;
}

describe('adaptive send rate', () => {
  it('starts at 60 msg/s, or at the number’s known Meta level', () => {
    expect(fresh().rate).toBe(60);
    expect(fresh().ceiling).toBe(1000);
    expect(fresh('STANDARD')).toMatchObject({ rate: 80, ceiling: 80 });
    expect(fresh('HIGH')).toMatchObject({ rate: 1000, ceiling: 1000 });
    expect(ceilingOf('NOT_APPLICABLE')).toBeNull();
  });

  it('goes up 10% after 5 minutes with under 1% errors, not before and not with more errors', () => {
    let s = fresh();
    s = send(s, 500, 'ok', 4 * MIN);
    expect(s.rate).toBe(60);
    s = send(s, 1, 'ok', 5 * MIN);
    expect(s.rate).toBe(66);
    expect(s.stableRate).toBe(60);
    // The next window: 2% errors → no raise.
    s = send(s, 98, 'ok', 6 * MIN);
    s = send(s, 2, 'error', 7 * MIN);
    s = tick(s, 10 * MIN + 1);
    expect(s.rate).toBe(66);
  });

  it('goes down 20% after 3 consecutive 130429, never below 10; an ok in between resets the count', () => {
    let s = fresh();
    s = send(s, 2, 'throttled', 1000);
    s = send(s, 1, 'ok', 1001);
    s = send(s, 2, 'throttled', 1002);
    expect(s.rate).toBe(60);
    s = send(s, 1, 'throttled', 1003);
    expect(s.rate).toBe(48);
    for (let i = 0; i < 30; i++) s = send(s, 3, 'throttled', 2000 + i);
    expect(s.rate).toBe(RATE_RULES.floor);
  });

  it('throttles of requests in flight together are one event; sends made after a cut count again', () => {
    let s = fresh('HIGH', 0);
    // 60 requests in flight at 1,000 msg/s all come back 130429: one burst, one throttle.
    for (let i = 0; i < 60; i++) s = recordOutcome(s, 'throttled', 1000 + i, 900);
    expect(s).toMatchObject({ rate: 1000, consecutiveThrottles: 1, windowErrors: 60 });
    // Two more, each sent after the one before it was seen: three consecutive → −20%.
    s = recordOutcome(s, 'throttled', 1200, 1100);
    s = recordOutcome(s, 'throttled', 1400, 1300);
    expect(s.rate).toBe(800);
    // Requests made before that cut say nothing about the new rate.
    for (let i = 0; i < 10; i++) s = recordOutcome(s, 'throttled', 1500 + i, 1350);
    expect(s.rate).toBe(800);
    // Sends made after the cut count again.
    s = send(s, 3, 'throttled', 2000);
    expect(s.rate).toBe(640);
  });

  it('never goes above the Meta level or 1,000', () => {
    let s = fresh('STANDARD');
    for (let w = 1; w <= 5; w++) s = send(s, 100, 'ok', w * 5 * MIN);
    expect(s.rate).toBe(80);
    s = initialRate({
      throughputLevel: null,
      saved: { rate: 990, stableRate: 900, day: '2026-11-30' },
      today: '2026-11-30',
      nowMs: 0,
    });
    s = send(s, 100, 'ok', 5 * MIN);
    expect(s.rate).toBe(1000);
  });

  it('a pair-rate error delays the recipient only: the rate and its window do not move', () => {
    const s = send(fresh(), 50, 'pair', 1000);
    expect(s).toMatchObject({ rate: 60, windowSent: 0, windowErrors: 0, consecutiveThrottles: 0 });
  });

  it('carries the rate over within a day; a new day starts at 90% of the last one', () => {
    const saved = { rate: 500, stableRate: 450, day: '2026-11-29' };
    expect(initialRate({ throughputLevel: 'HIGH', saved, today: '2026-11-29', nowMs: 0 })).toMatchObject({
      rate: 500,
      stableRate: 450,
    });
    expect(initialRate({ throughputLevel: 'HIGH', saved, today: '2026-11-30', nowMs: 0 })).toMatchObject({
      rate: 450,
      stableRate: null,
    });
    // A new day's 90% still respects the number's current level.
    expect(initialRate({ throughputLevel: 'STANDARD', saved, today: '2026-11-30', nowMs: 0 }).rate).toBe(80);
  });

  it('a coexistence number is paced at 20 msg/s whatever its level, saved rate or clean windows', () => {
    const saved = { rate: 500, stableRate: 450, day: '2026-11-29' };
    const coex = initialRate({
      throughputLevel: 'HIGH',
      coexistence: true,
      saved,
      today: '2026-11-29',
      nowMs: 0,
    });
    expect(coex).toMatchObject({ rate: 20, ceiling: 20 });
    expect(ceilingFor({ throughputLevel: 'HIGH', coexistence: true })).toBe(20);
    expect(ceilingFor({ throughputLevel: null, coexistence: false })).toBe(1000);
    // Clean windows step up, never past the ceiling.
    let s = coex;
    for (let i = 1; i <= 5; i++)
      s = tick(send(s, 1000, 'ok', i * RATE_RULES.stepUpAfterMs), i * RATE_RULES.stepUpAfterMs + 1);
    expect(s.rate).toBe(20);
  });
});
