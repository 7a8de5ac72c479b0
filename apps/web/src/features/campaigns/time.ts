import { useOrg } from '../settings/queries.ts';

/** The organisation's time zone (schedules are given and shown in it); the browser's until it loads. */
export function useOrgTimezone(): string {
  const org = useOrg();
  return org.data?.settings.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** Minutes the zone is ahead of UTC at an instant. */
function offsetMinutes(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(instant));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const asUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return Math.round((asUtc - Math.floor(instant / 1000) * 1000) / 60_000);
}

/** A `datetime-local` value read as a wall-clock time in `timeZone` → an ISO instant. */
export function zonedToIso(local: string, timeZone: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(local);
  if (!m) return new Date(local).toISOString();
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  // Twice: the offset at the guessed instant may differ across a daylight-saving change.
  let t = wall - offsetMinutes(wall, timeZone) * 60_000;
  t = wall - offsetMinutes(t, timeZone) * 60_000;
  return new Date(t).toISOString();
}

/** An instant as the organisation reads it: `1 Dec 2026, 09:00 (Europe/Paris)`. */
export function inZone(iso: string | null | undefined, timeZone: string): string {
  if (!iso) return '—';
  return `${new Date(iso).toLocaleString(undefined, { timeZone, dateStyle: 'medium', timeStyle: 'short' })} (${timeZone})`;
}
