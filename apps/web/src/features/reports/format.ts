/** How the reports write their figures. */
export const count = (n: number) => n.toLocaleString('en-GB');

/** A rate (0–1) as a percentage: "87.5 %". */
export const pct = (r: number) => `${(r * 100).toLocaleString('en-GB', { maximumFractionDigits: 1 })} %`;

export function money(v: number, currency: string | null) {
  if (!currency) return v.toLocaleString('en-GB', { maximumFractionDigits: 4 });
  try {
    return v.toLocaleString('en-GB', { style: 'currency', currency, maximumFractionDigits: 2 });
  } catch {
    return `${v.toFixed(2)} ${currency}`;
  }
}

/** A relative change in words, never by colour alone: "up 12 %", "down 3 %", "no change", "new". */
export function changeText(change: number | null, current: number): string {
  if (change === null) return current === 0 ? 'no change' : 'new this period';
  const p = Math.round(Math.abs(change) * 100);
  if (p === 0) return 'no change';
  return `${change > 0 ? 'up' : 'down'} ${p.toLocaleString('en-GB')} %`;
}

export const seconds = (s: number | null) => {
  if (s === null) return '—';
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toLocaleString('en-GB', { maximumFractionDigits: 1 })} h`;
};

/** A duration in words: "45 s", "4 min 10 s", "2 h 5 min", "3 d 4 h"; "—" when there was none. */
export function duration(s: number | null): string {
  if (s === null) return '—';
  const t = Math.round(s);
  if (t < 60) return `${t} s`;
  const part = (a: number, ua: string, b: number, ub: string) => (b ? `${a} ${ua} ${b} ${ub}` : `${a} ${ua}`);
  if (t < 3600) return part(Math.floor(t / 60), 'min', t % 60, 's');
  if (t < 86_400) return part(Math.floor(t / 3600), 'h', Math.floor((t % 3600) / 60), 'min');
  return part(Math.floor(t / 86_400), 'd', Math.floor((t % 86_400) / 3600), 'h');
}

/** "6 Dec 2026, 14:45" for an instant, in the browser's timezone. */
export const when = (iso: string) =>
  new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });

/** "6 Dec" for a day YYYY-MM-DD (the day itself, no time zone shift). */
export const shortDay = (day: string) =>
  new Date(`${day}T00:00:00Z`).toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'short',
    timeZone: 'UTC',
  });
