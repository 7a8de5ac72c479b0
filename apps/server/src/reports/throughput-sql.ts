import { type SQL, sql } from 'drizzle-orm';

/**
 * Throughput reached (docs/reports.md): per number per day, the most messages Meta accepted for the
 * number in one minute (÷ 60: msg/s). A message's acceptance time is `messages.sent_at` once it has
 * a wamid (the sender sets both when Meta answers; a customer's-phone echo carries Meta's time).
 * Facts keep the minute (organisation's timezone); `report_number_minutes` counts per minute and
 * `report_number_peaks` keeps each day's busiest minute, so the report reads one row per number a day.
 */

/** The fact's `minute`: of an outbound message Meta accepted (`m`, with `s` the org's settings). */
export const acceptedMinute: SQL = sql`case when m.direction = 'out' and m.wamid is not null
    then date_trunc('minute', m.sent_at at time zone coalesce(s.timezone, 'UTC')) end`;

export const THROUGHPUT_TABLES = ['report_number_minutes', 'report_number_peaks'] as const;

/**
 * CTEs adding `rows` (facts with a `sign`) to the minute counts, and raising the day's peak to the
 * minutes' new counts. A peak only rises here (an accepted message stays accepted, at its minute);
 * the rebuild recomputes it.
 */
export function throughputWrites(rows: string) {
  const r = sql.raw(rows);
  return sql`
  p1 as (
    insert into report_number_minutes as x (org_id, number_id, minute, day, accepted)
    select org_id, number_id, minute, minute::date, sum(sign) from ${r} where minute is not null
    group by 1, 2, 3 having sum(sign) <> 0
    on conflict (org_id, number_id, minute) do update set accepted = x.accepted + excluded.accepted
    returning org_id, number_id, day, accepted),
  p2 as (
    insert into report_number_peaks as x (org_id, day, number_id, peak)
    select org_id, day, number_id, max(accepted) from p1 group by 1, 2, 3
    on conflict (org_id, day, number_id) do update set peak = greatest(x.peak, excluded.peak))`;
}
