import { type SQL, sql } from 'drizzle-orm';
import { statusRankSql } from '../messages/status-rank.ts';
import { acceptedMinute } from './throughput-sql.ts';

/**
 * What the rollups count of a message (its "fact"), computed from the message row. Reads the messages
 * domain's `messages` (as billing's spend does), the conversation's contact for the country and the
 * organisation's timezone; writes nothing there.
 *
 * - day and hour: in the organisation's timezone, of the message's creation — an outbound message
 *   when it was recorded (queued), a customer's message when they sent it. A status arriving days
 *   later moves the figures of the day the message was created.
 * - accepted (the report's "sent"): Meta accepted it (it has a wamid); failed messages accepted first
 *   count in both sent and failed.
 * - state: 1 sent, 2 delivered, 3 read (or played), 4 failed; 0 pending.
 * - replied (outbound accepted by Meta): the customer's next message in the conversation came within 24 hours and before any
 *   later message of ours that Meta accepted (one still queued, or refused, never reached them); an outbound message
 *   is replied to once however many messages answer it.
 * - cost: the expected cost of a message Meta accepted and did not fail, 0 when Meta said it was not
 *   billable (billing's rule, less the queued ones).
 * - minute: outbound accepted by Meta, the minute it was accepted (throughput-sql.ts).
 * - watch: outbound, still on the send queue (no wamid, not failed): every fold checks whether it has left,
 *   because leaving the queue writes no status event.
 * - tags: the contact's tags when the message was first folded, kept on every refold (`tagsNow`, docs/adr/0029).
 */
const FACT_COLUMNS = [
  'message_id',
  'org_id',
  'number_id',
  'day',
  'hour',
  'direction',
  'template',
  'language',
  'category',
  'country',
  'accepted',
  'state',
  'replied',
  'error_code',
  'cost',
  'minute',
  'watch',
  'tags',
] as const;

export const factColumns = (prefix = '', omit: readonly string[] = []) =>
  sql.raw(
    FACT_COLUMNS.filter((c) => !omit.includes(c))
      .map((c) => `${prefix}${c}`)
      .join(', '),
  );

/** An upsert's `set` of every fact column but the key, from the row that conflicted. */
export const factUpdates = sql.raw(
  FACT_COLUMNS.slice(1)
    .map((c) => `${c} = excluded.${c}`)
    .join(', '),
);

/**
 * The columns whose change moves the rollups: all but the key, `watch` and `tags` (kept from the
 * first fold, so never different on a refold).
 */
const COMPARED = FACT_COLUMNS.filter((c) => c !== 'message_id' && c !== 'watch' && c !== 'tags');
const compared = (p: string) => sql.raw(`(${COMPARED.map((c) => `${p}.${c}`).join(', ')})`);
export const factChanged = (a: string, b: string) => sql`${compared(a)} is distinct from ${compared(b)}`;

/**
 * Customers' timestamps are whole seconds (WhatsApp's), ours are not: times are compared to the
 * second, and within the same second the order messages were recorded in (`seq`) decides.
 */
const sec = (x: string) => sql.raw(`date_trunc('second', ${x}.sent_at)`);
const replied = sql`exists (
  select 1 from messages i
  where i.conversation_id = m.conversation_id and i.direction = 'in'
    and i.sent_at >= ${sec('m')} and i.sent_at < ${sec('m')} + interval '24 hours 1 second'
    and (${sec('i')} > ${sec('m')} or i.seq > m.seq)
    and not exists (select 1 from messages o where o.conversation_id = m.conversation_id and o.direction = 'out'
                    and o.wamid is not null and o.id <> m.id and o.sent_at >= ${sec('m')} and o.sent_at < ${sec('i')} + interval '1 second'
                    and (${sec('o')} > ${sec('m')} or o.seq > m.seq)))`;

/**
 * The tags a contact carries now, in order: one index lookup (contact_tags' key starts with the contact).
 * Facts take them when a message is first folded (and on a rebuild), not on later refolds.
 */
export const tagsNow = (contactId: string) =>
  sql`array(select tg.tag_id from contact_tags tg where tg.contact_id = ${sql.raw(contactId)} order by tg.tag_id)`;

/**
 * The facts of the messages `where` selects (a condition on `m`, the messages row): every fact column
 * but `tags`, and the conversation's `contact_id` to take them from (`tagsNow`).
 */
export const factsOf = (where: SQL) => sql`
  select m.id as message_id, v.contact_id, m.org_id, m.number_id, lt.at::date as day, extract(hour from lt.at)::int as hour,
         m.direction,
         case when m.type = 'template' then coalesce(m.content->'template'->>'name', '') else '' end as template,
         case when m.type = 'template' then coalesce(m.content->'template'->'language'->>'code', '') else '' end as language,
         case when m.direction = 'out' then coalesce(m.pricing_category, m.cost_category, '') else '' end as category,
         coalesce(ct.country, '') as country,
         (m.direction = 'out' and m.wamid is not null) as accepted,
         case when m.direction = 'out' then ${statusRankSql(sql`m.status`)} else 0 end as state,
         (m.direction = 'out' and m.wamid is not null and ${replied}) as replied,
         case when m.direction = 'out' and m.status = 'failed' then coalesce(m.error->>'code', 'unknown') else '' end as error_code,
         (case when m.direction = 'out' and m.wamid is not null and m.status is distinct from 'failed'
                    and m.pricing_billable is not false then coalesce(m.cost_expected, 0) else 0 end)::numeric(14, 6) as cost,
         ${acceptedMinute} as minute,
         (m.direction = 'out' and m.wamid is null and m.status is distinct from 'failed') as watch
  from messages m
  left join org_settings s on s.org_id = m.org_id
  left join conversations v on v.id = m.conversation_id
  left join contacts ct on ct.id = v.contact_id
  cross join lateral (
    select (case when m.direction = 'out' then m.created_at else m.sent_at end) at time zone coalesce(s.timezone, 'UTC') as at
  ) lt
  where ${where}`;

/**
 * Adds `rows` (facts with a `sign` column: 1 counted, -1 uncounted) to the rollups. Each is a
 * data-modifying CTE of the caller's statement, so one statement moves facts and rollups together.
 */
const COUNTED = ['attempted', 'sent', 'delivered', 'read', 'failed', 'inbound', 'replied', 'paid', 'cost'];
const counted = sql.raw(COUNTED.join(', '));
const added = sql.raw(COUNTED.map((c) => `${c} = x.${c} + excluded.${c}`).join(', '));
const sums = sql`sum(sign * (accepted or state = 4)::int), sum(sign * accepted::int), sum(sign * (state in (2, 3))::int),
  sum(sign * (state = 3)::int), sum(sign * (state = 4)::int), sum(sign * (direction = 'in')::int),
  sum(sign * replied::int), sum(sign * (accepted and state <> 4)::int), sum(sign * cost)`;

/** The rollups the fold and the rebuild write (the rebuild empties them for the days it recomputes). */
/** The rollups of the messages of contacts carrying a tag, each keyed by organisation and tag first. */
export const TAG_ROLLUPS = [
  'report_tag_numbers',
  'report_tag_templates',
  'report_tag_failures',
  'report_tag_hourly',
  'report_tag_spend',
] as const;

export const ROLLUP_TABLES = [
  'report_daily',
  'report_daily_numbers',
  'report_daily_templates',
  'report_daily_failures',
  'report_hourly',
  'report_hourly_all',
  'report_spend_daily',
  'report_spend_all',
  ...TAG_ROLLUPS,
] as const;

export function rollupWrites(rows: string) {
  const r = sql.raw(rows);
  // The same rows once per tag they carry that still exists (none for a message whose contact had no tag;
  // a deleted tag's figures were dropped with it: forgetTagRollups).
  const t = sql.raw(`${rows}_tagged`);
  return sql`
  ${t} as (select x.*, g.tag_id from ${r} x cross join unnest(x.tags) as g(tag_id)
           where exists (select 1 from tags tg where tg.id = g.tag_id)),
  t1 as (
    insert into report_tag_numbers as x (org_id, tag_id, day, number_id, direction, ${counted})
    select org_id, tag_id, day, number_id, direction, ${sums}
    from ${t} group by 1, 2, 3, 4, 5
    on conflict (org_id, tag_id, day, number_id, direction) do update set ${added}),
  t2 as (
    insert into report_tag_templates as x (org_id, tag_id, day, number_id, template, language, ${counted})
    select org_id, tag_id, day, number_id, template, language, ${sums}
    from ${t} where direction = 'out' and template <> '' group by 1, 2, 3, 4, 5, 6
    on conflict (org_id, tag_id, day, number_id, template, language) do update set ${added}),
  t3 as (
    insert into report_tag_failures as x (org_id, tag_id, day, number_id, template, language, error_code, failed)
    select org_id, tag_id, day, number_id, template, language, error_code, sum(sign)
    from ${t} where state = 4 group by 1, 2, 3, 4, 5, 6, 7
    on conflict (org_id, tag_id, day, number_id, template, language, error_code) do update set
      failed = x.failed + excluded.failed),
  t4 as (
    insert into report_tag_hourly as x (org_id, tag_id, day, hour, number_id, direction, messages)
    select org_id, tag_id, day, hour, number_id, direction, sum(sign)
    from ${t} where direction = 'in' or accepted group by 1, 2, 3, 4, 5, 6
    on conflict (org_id, tag_id, day, hour, number_id, direction) do update set messages = x.messages + excluded.messages),
  t5 as (
    insert into report_tag_spend as x (org_id, tag_id, day, number_id, category, country, messages, cost)
    select org_id, tag_id, day, number_id, category, country, sum(sign), sum(sign * cost)
    from ${t} where direction = 'out' and accepted and state <> 4 group by 1, 2, 3, 4, 5, 6
    on conflict (org_id, tag_id, day, number_id, category, country) do update set
      messages = x.messages + excluded.messages, cost = x.cost + excluded.cost),
  d1 as (
    insert into report_daily as x (org_id, day, number_id, template, language, category, direction, ${counted})
    select org_id, day, number_id, template, language, category, direction, ${sums}
    from ${r} group by 1, 2, 3, 4, 5, 6, 7
    on conflict (org_id, day, number_id, template, language, category, direction) do update set ${added}),
  d5 as (
    insert into report_daily_numbers as x (org_id, day, number_id, direction, ${counted})
    select org_id, day, number_id, direction, ${sums}
    from ${r} group by 1, 2, 3, 4
    on conflict (org_id, day, number_id, direction) do update set ${added}),
  d6 as (
    insert into report_daily_templates as x (org_id, day, template, language, ${counted})
    select org_id, day, template, language, ${sums}
    from ${r} where direction = 'out' and template <> '' group by 1, 2, 3, 4
    on conflict (org_id, day, template, language) do update set ${added}),
  d2 as (
    insert into report_daily_failures as x (org_id, day, number_id, template, language, category, error_code, failed)
    select org_id, day, number_id, template, language, category, error_code, sum(sign)
    from ${r} where state = 4 group by 1, 2, 3, 4, 5, 6, 7
    on conflict (org_id, day, number_id, template, language, category, error_code) do update set
      failed = x.failed + excluded.failed),
  d3 as (
    insert into report_hourly as x (org_id, day, hour, number_id, direction, messages)
    select org_id, day, hour, number_id, direction, sum(sign)
    from ${r} where direction = 'in' or accepted group by 1, 2, 3, 4, 5
    on conflict (org_id, day, hour, number_id, direction) do update set messages = x.messages + excluded.messages),
  d4 as (
    insert into report_spend_daily as x (org_id, day, number_id, category, country, messages, cost)
    select org_id, day, number_id, category, country, sum(sign), sum(sign * cost)
    from ${r} where direction = 'out' and accepted and state <> 4 group by 1, 2, 3, 4, 5
    on conflict (org_id, day, number_id, category, country) do update set
      messages = x.messages + excluded.messages, cost = x.cost + excluded.cost),
  d7 as (
    insert into report_hourly_all as x (org_id, day, hour, direction, messages)
    select org_id, day, hour, direction, sum(sign)
    from ${r} where direction = 'in' or accepted group by 1, 2, 3, 4
    on conflict (org_id, day, hour, direction) do update set messages = x.messages + excluded.messages),
  d8 as (
    insert into report_spend_all as x (org_id, day, category, country, messages, cost)
    select org_id, day, category, country, sum(sign), sum(sign * cost)
    from ${r} where direction = 'out' and accepted and state <> 4 group by 1, 2, 3, 4
    on conflict (org_id, day, category, country) do update set
      messages = x.messages + excluded.messages, cost = x.cost + excluded.cost)`;
}
