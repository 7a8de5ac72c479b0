/** Report ranges: days (YYYY-MM-DD) in the organisation's timezone, both ends included. */
export interface ReportRange {
  from: string;
  to: string;
  /** One number, or every number when absent. */
  number_id?: string;
  /** The messages of contacts that carried this tag when counted (not the campaigns report). */
  tag_id?: string;
}

export type Preset = 'last7' | 'last30' | 'this_month' | 'last_month' | 'custom';

export const PRESETS: readonly (readonly [Preset, string])[] = [
  ['last7', 'Last 7 days'],
  ['last30', 'Last 30 days'],
  ['this_month', 'This month'],
  ['last_month', 'Last month'],
  ['custom', 'Custom dates'],
];

/** Today in a time zone, as YYYY-MM-DD (the browser's zone when it is unknown). */
export function todayIn(timeZone: string | undefined, now = new Date()): string {
  try {
    return new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).format(now);
  } catch {
    return now.toISOString().slice(0, 10);
  }
}

/**
 * The first day of each period of a report's range: every day, or (`week`) the range's first day and
 * each Monday after it — the rows the server groups by (weeks from Monday, the first cut to the range).
 */
export function periodStarts(range: { from: string; to: string }, group: 'day' | 'week'): string[] {
  const out: string[] = [];
  for (let day = range.from; day <= range.to; day = addDays(day, 1))
    if (group === 'day' || day === range.from || new Date(`${day}T00:00:00Z`).getUTCDay() === 1)
      out.push(day);
  return out;
}

/** A day moved by `n` days (calendar arithmetic in UTC, so no clock change shifts it). */
export function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** The days a preset covers on the day `today`; null for custom dates. */
export function presetRange(preset: Preset, today: string): { from: string; to: string } | null {
  const month = today.slice(0, 7);
  switch (preset) {
    case 'last7':
      return { from: addDays(today, -6), to: today };
    case 'last30':
      return { from: addDays(today, -29), to: today };
    case 'this_month':
      return { from: `${month}-01`, to: today };
    case 'last_month': {
      const lastDay = addDays(`${month}-01`, -1);
      return { from: `${lastDay.slice(0, 7)}-01`, to: lastDay };
    }
    default:
      return null;
  }
}

/** The preset that gives exactly these days today, else custom. */
export function presetOf(range: { from: string; to: string }, today: string): Preset {
  for (const [p] of PRESETS) {
    const r = presetRange(p, today);
    if (r && r.from === range.from && r.to === range.to) return p;
  }
  return 'custom';
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
export const isDay = (s: string | null | undefined): s is string => !!s && DAY.test(s);
