import type { HoursStatus } from '@openwaba/contracts';
import { Icon } from '../../components/icons.tsx';
import { Badge } from '../../components/ui.tsx';
import { useHoursStatus } from './queries.ts';

/** "Mon 09:00" in the schedule's own zone; with the date when it is more than a week away. */
function when(iso: string, zone: string): string {
  const d = new Date(iso);
  const far = d.getTime() - Date.now() > 6 * 86_400_000;
  try {
    return d.toLocaleString('en-GB', {
      timeZone: zone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      ...(far ? { day: 'numeric', month: 'short' } : {}),
    });
  } catch {
    return d.toLocaleString();
  }
}

/** "Open now", "Closed · opens Mon 09:00", "Closed (Christmas) · opens …". */
export function hoursLabel(s: HoursStatus): string {
  if (s.open) return 'Open now';
  const why = s.closure ? ` (${s.closure})` : '';
  return s.next_change_at ? `Closed${why} · opens ${when(s.next_change_at, s.timezone)}` : `Closed${why}`;
}

/** The schedule's name, and when an open one closes. */
const closesTitle = (s: HoursStatus) =>
  [s.schedule_name, s.open && s.next_change_at ? `closes ${when(s.next_change_at, s.timezone)}` : null]
    .filter(Boolean)
    .join(' · ');

/**
 * The business hours that apply to a number (or team), as a small badge; nothing when no schedule
 * applies (always open) or while it is unknown.
 */
export function HoursBadge({
  numberId,
  teamId,
}: {
  numberId?: string | undefined;
  teamId?: string | undefined;
}) {
  const q = useHoursStatus(
    { ...(numberId ? { number_id: numberId } : {}), ...(teamId ? { team_id: teamId } : {}) },
    Boolean(numberId || teamId),
  );
  const s = q.data;
  if (!s || s.schedule_id === null) return null;
  return (
    <Badge tone={s.open ? 'green' : 'amber'} className="shrink-0">
      <Icon name="clock" className="h-3.5 w-3.5" />
      <span className="sr-only">Business hours: </span>
      <span data-testid="hours-badge" title={closesTitle(s)}>
        {hoursLabel(s)}
      </span>
    </Badge>
  );
}
