import { describe, expect, it } from 'vitest';
import { addDays, periodStarts, presetOf, presetRange, todayIn } from './range.ts';

describe('report ranges', () => {
  it('gives each preset its days, months of any length and the new year included', () => {
    expect(presetRange('last7', '2026-03-02')).toEqual({ from: '2026-02-24', to: '2026-03-02' });
    expect(presetRange('last30', '2026-12-06')).toEqual({ from: '2026-11-07', to: '2026-12-06' });
    expect(presetRange('this_month', '2026-12-06')).toEqual({ from: '2026-12-01', to: '2026-12-06' });
    expect(presetRange('last_month', '2026-03-15')).toEqual({ from: '2026-02-01', to: '2026-02-28' });
    expect(presetRange('last_month', '2027-01-03')).toEqual({ from: '2026-12-01', to: '2026-12-31' });
    expect(presetRange('custom', '2026-12-06')).toBeNull();
  });

  it('names the preset of a range, else custom', () => {
    expect(presetOf({ from: '2026-11-07', to: '2026-12-06' }, '2026-12-06')).toBe('last30');
    expect(presetOf({ from: '2026-11-08', to: '2026-12-06' }, '2026-12-06')).toBe('custom');
  });

  it('counts days across a clock change and reads today in the organisation’s zone', () => {
    expect(addDays('2026-03-28', 2)).toBe('2026-03-30');
    const now = new Date('2026-12-06T03:00:00Z');
    expect(todayIn('America/New_York', now)).toBe('2026-12-05');
    expect(todayIn('Asia/Kolkata', now)).toBe('2026-12-06');
    expect(todayIn('Not/AZone', now)).toBe('2026-12-06');
  });

  it('starts weeks on Mondays, the first cut to the range, and lists every day otherwise', () => {
    // 2026-12-01 is a Tuesday.
    expect(periodStarts({ from: '2026-12-01', to: '2026-12-15' }, 'week')).toEqual([
      '2026-12-01',
      '2026-12-07',
      '2026-12-14',
    ]);
    expect(periodStarts({ from: '2026-12-07', to: '2026-12-13' }, 'week')).toEqual(['2026-12-07']);
    const days = periodStarts({ from: '2026-02-27', to: '2026-03-02' }, 'day');
    expect(days).toEqual(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
  });
});
