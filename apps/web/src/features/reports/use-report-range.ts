import { useSearchParams } from 'react-router';
import { useOrg } from '../settings/queries.ts';
import { isDay, presetRange, type ReportRange, todayIn } from './range.ts';

/**
 * The range every report tab shows, kept in the address (`?from=&to=&number=&tag=`) so it survives a
 * reload, a tab change and a shared link; the last 30 days of the organisation's timezone by default.
 * Applying a range keeps the address's other parameters (a tab's own filter, Agents' `team`).
 */
export function useReportRange(): {
  range: ReportRange | null;
  today: string | null;
  timezone: string | undefined;
  setRange: (r: ReportRange) => void;
} {
  const [params, setParams] = useSearchParams();
  const org = useOrg();
  const timezone = org.data?.settings.timezone;
  const today = org.data ? todayIn(timezone) : null;
  const from = params.get('from');
  const to = params.get('to');
  const number = params.get('number') ?? undefined;
  const tag = params.get('tag') ?? undefined;
  const fallback = today ? presetRange('last30', today) : null;
  const filters = { ...(number ? { number_id: number } : {}), ...(tag ? { tag_id: tag } : {}) };
  const range: ReportRange | null =
    isDay(from) && isDay(to) ? { from, to, ...filters } : fallback ? { ...fallback, ...filters } : null;
  const setRange = (r: ReportRange) => {
    const next = new URLSearchParams(params);
    next.set('from', r.from);
    next.set('to', r.to);
    if (r.number_id) next.set('number', r.number_id);
    else next.delete('number');
    if (r.tag_id) next.set('tag', r.tag_id);
    else next.delete('tag');
    setParams(next);
  };
  return { range, today, timezone, setRange };
}
