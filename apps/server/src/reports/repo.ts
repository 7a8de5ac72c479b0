import { type SQL, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { queryRows, transaction } from '../db/tx.ts';
import {
  factChanged,
  factColumns,
  factsOf,
  factUpdates,
  ROLLUP_TABLES,
  rollupWrites,
  TAG_ROLLUPS,
  tagsNow,
} from './fold-sql.ts';
import { THROUGHPUT_TABLES, throughputWrites } from './throughput-sql.ts';

/**
 * Every write to the reports domain's tables (`report_message_facts`, the rollups `report_daily`,
 * `report_daily_failures`, `report_hourly`, `report_spend_daily`, the per-tag `report_tag_*`, and
 * `report_state`), and the reads of new messages and status events the fold needs (docs/adr/0026, 0029).
 */

interface FoldState {
  seq_low: number;
  seq_mark: number;
  seq_high: number;
  event_low: number;
  event_mark: number;
  event_high: number;
  rotate: boolean;
  rebuilding: boolean;
  xid_mark: string | null;
}

/** Late commits: a message whose insert committed this long after a later one is still folded. */
const MESSAGE_WINDOW_SECONDS = 15;
/**
 * A parked status is remembered this long (the sender's late-parked sweep applies those up to
 * 10 minutes old: messages/reconcile.ts).
 */
const PARKED_MINUTES = 15;

/**
 * Moves the facts of the messages `ids` to what the messages say now, and the rollups by the
 * difference (one statement). Returns how many facts changed.
 */
async function refold(tx: Tx, ids: string[]) {
  if (!ids.length) return 0;
  const cols = factColumns();
  const [r] = await queryRows<{ changed: number }>(
    tx,
    sql`
    with src as materialized (${factsOf(sql`m.id = any(${sql.param(ids)}::uuid[])`)}),
    old as materialized (select ${cols} from report_message_facts where message_id in (select message_id from src)),
    -- A message keeps the tags of its first fold; only a new one looks its contact's up.
    chg as materialized (
      select ${factColumns('s.', ['tags'])}, coalesce(o.tags, ${tagsNow('s.contact_id')}) as tags
      from src s left join old o on o.message_id = s.message_id
      where o.message_id is null or ${factChanged('o', 's')} or o.watch <> s.watch),
    delta as (
      select 1 as sign, ${cols} from chg
      union all
      select -1 as sign, ${cols} from old where message_id in (select message_id from chg)),
    up as (
      insert into report_message_facts (${cols}) select ${cols} from chg
      on conflict (message_id) do update set ${factUpdates}),
    ${rollupWrites('delta')},
    ${throughputWrites('delta')}
    select count(*)::int as changed from chg`,
  );
  return r?.changed ?? 0;
}

/**
 * One fold: the messages recorded since the last (a window behind, for inserts that committed late),
 * the messages whose statuses arrived since, those still on the send queue, and the outbound messages
 * new customer messages reply to. Skipped when another fold or a rebuild holds the state row.
 * `more`: a batch was full.
 */
export async function foldOnce(
  db: Db,
  batch: number,
  /** More folding in the same transaction, given the messages seen for the first time (agents-fold.ts). */
  also?: (tx: Tx, fresh: string[]) => Promise<unknown>,
) {
  return transaction(db, async (tx) => {
    const [st] = await queryRows<FoldState>(
      tx,
      sql`select seq_low, seq_mark, seq_high, event_low, event_mark, event_high,
                 rotated_at < now() - make_interval(secs => ${MESSAGE_WINDOW_SECONDS}) as rotate,
                 rebuild_started_at is not null as rebuilding, xid_mark
          from report_state where id = 'fold' for update skip locked`,
    );
    if (!st) return { changed: 0, more: false, skipped: true };
    // The fold's one statement has many small parts: compiling it (PostgreSQL's JIT, once the
    // planner's estimates pass jit_above_cost) took seconds a fold, running it takes milliseconds.
    await tx.execute(sql`set local jit = off`);
    const settling = await settlingIds(tx);
    const fresh = await queryRows<{ id: string; seq: number; settled: boolean }>(
      tx,
      sql`select m.id, m.seq, m.created_at < now() - make_interval(secs => ${MESSAGE_WINDOW_SECONDS}) as settled
          from messages m
          where m.seq > ${st.seq_low}
            and not exists (select 1 from report_message_facts f where f.message_id = m.id)
          order by m.seq limit ${batch}`,
    );
    const events = await queryRows<{ id: number; message_id: string | null; applied: boolean }>(
      tx,
      sql`select e.id, m.id as message_id, e.applied from message_status_events e
          left join messages m on m.number_id = e.number_id and m.wamid = e.wamid
          where e.id > ${st.event_low} order by e.id limit ${batch}`,
    );
    // Queued messages that left the queue (accepted or failed), or were deleted unsent.
    const watched = await queryRows<{ message_id: string; gone: boolean }>(
      tx,
      sql`select f.message_id, m.id is null as gone from report_message_facts f
          left join messages m on m.id = f.message_id
          where f.watch and (m.id is null or m.wamid is not null or m.status = 'failed')`,
    );
    // Replies: a new message, or one of ours leaving the queue, can change whether our messages of the
    // 24 hours before it in its conversation were replied to (a customer's answers one; ours, once Meta
    // accepted it, ends the reply window of those before).
    // (Messages a long-open transaction inserted, found by the settling pass, are new here too.)
    const firstSeen = [...new Set([...fresh.map((m) => m.id), ...settling.late])];
    const moved = [...firstSeen, ...watched.filter((w) => !w.gone).map((w) => w.message_id)];
    const answered = moved.length
      ? await queryRows<{ id: string }>(
          tx,
          sql`select o.id from messages x
              join messages o on o.conversation_id = x.conversation_id and o.direction = 'out' and o.id <> x.id
                and o.sent_at >= date_trunc('second', x.sent_at) - interval '24 hours 1 second'
                and o.sent_at < date_trunc('second', x.sent_at) + interval '1 second'
              where x.id = any(${sql.param(moved)}::uuid[])`,
        )
      : [];
    const ids = new Set<string>();
    for (const m of fresh) ids.add(m.id);
    for (const e of events) if (e.message_id) ids.add(e.message_id);
    for (const o of answered) ids.add(o.id);
    for (const w of watched) if (!w.gone) ids.add(w.message_id);
    for (const id of [...settling.applied, ...settling.late]) ids.add(id);
    // Statuses parked (their send not recorded yet): applied later with no new event, so remembered.
    const parked = events.filter((e) => !e.applied).map((e) => e.id);
    if (parked.length)
      await tx.execute(sql`insert into report_parked_events (event_id)
        select unnest(${sql.param(parked)}::bigint[]) on conflict do nothing`);
    const changed = await refold(tx, [...ids]);
    // A queued message deleted before it went (a campaign stopped; or purged): its fact goes, and
    // whatever it counted with it.
    const gone = watched.filter((w) => w.gone).map((w) => w.message_id);
    if (gone.length)
      await tx.execute(sql`
        with gone as (
          delete from report_message_facts f where f.watch
            and f.message_id = any(${sql.param(gone)}::uuid[])
            and not exists (select 1 from messages m where m.id = f.message_id)
          returning ${factColumns('f.')}),
        delta as (select -1 as sign, ${factColumns()} from gone),
        ${rollupWrites('delta')}
        select 1`);
    if (also) await also(tx, firstSeen);
    const seqHigh = Math.max(st.seq_high, ...fresh.map((m) => Number(m.seq)));
    const eventHigh = Math.max(st.event_high, ...events.map((e) => Number(e.id)));
    // Statuses: re-read from the previous fold's mark (one fold behind); messages: up to a window of
    // MESSAGE_WINDOW_SECONDS behind. Both never move backwards; a full batch moves the low end on.
    const eventFull = events.length >= batch;
    // Catching up on a backlog (a full batch of old messages): everything below its first message is
    // folded, so the next step starts there rather than re-reading the window.
    const first = fresh[0];
    const backlog = fresh.length >= batch && first?.settled ? Number(first.seq) - 1 : 0;
    const seqLow = Math.max(Number(st.rotate ? st.seq_mark : st.seq_low), backlog);
    if (st.rotate && seqLow > Number(st.seq_low) && st.xid_mark !== null)
      // Transactions older than the last rotation and still open may hold messages below the new low
      // mark: their range is read again when they end.
      await tx.execute(sql`insert into report_open_inserts (xid, seq_from, seq_to)
        select x::text, ${st.seq_low}, ${seqLow} from pg_snapshot_xip(pg_current_snapshot()) x
        where x < ${st.xid_mark}::xid8 and x is distinct from pg_current_xact_id_if_assigned()
        on conflict do nothing`);
    await tx.execute(sql`update report_state set
        seq_high = ${seqHigh},
        seq_low = ${seqLow}, seq_mark = ${st.rotate ? seqHigh : Math.max(Number(st.seq_mark), backlog)},
        rotated_at = case when ${st.rotate} then now() else rotated_at end,
        xid_mark = case when ${st.rotate} then pg_snapshot_xmax(pg_current_snapshot())::text else xid_mark end,
        event_high = ${eventHigh},
        event_low = ${eventFull ? eventHigh : st.event_mark}, event_mark = ${eventHigh},
        folded_at = now()
      where id = 'fold'`);
    return { changed, more: fresh.length >= batch || eventFull, skipped: false };
  });
}

/**
 * The settling pass (docs/adr/0026): messages whose figures moved with no row the fold reads by its
 * marks. (1) Parked statuses applied since (by the send being recorded, or by the sender's late-parked
 * sweep): their message; the parked ones too old to be applied are forgotten. (2) Messages inserted by
 * a transaction that stayed open past the message window: when it ends, the range of sequence numbers
 * it may hold is read again for messages without a fact. Both read a handful of rows.
 */
async function settlingIds(tx: Tx) {
  const applied = await queryRows<{ event_id: number; message_id: string | null; done: boolean }>(
    tx,
    sql`select p.event_id, m.id as message_id,
               (e.id is null or e.applied or e.created_at < now() - make_interval(mins => ${PARKED_MINUTES})) as done
        from report_parked_events p
        left join message_status_events e on e.id = p.event_id
        left join messages m on e.applied and m.number_id = e.number_id and m.wamid = e.wamid`,
  );
  const done = applied.filter((a) => a.done).map((a) => a.event_id);
  if (done.length)
    await tx.execute(
      sql`delete from report_parked_events where event_id = any(${sql.param(done)}::bigint[])`,
    );
  const ended = await queryRows<{ xid: string; seq_from: number; seq_to: number; committed: boolean }>(
    tx,
    sql`delete from report_open_inserts
        where pg_xact_status(xid::xid8) is distinct from 'in progress'
        returning xid, seq_from, seq_to, pg_xact_status(xid::xid8) is distinct from 'aborted' as committed`,
  );
  const late = [];
  for (const r of ended.filter((e) => e.committed))
    late.push(
      ...(await queryRows<{ id: string }>(
        tx,
        sql`select m.id from messages m where m.seq > ${r.seq_from} and m.seq <= ${r.seq_to}
            and not exists (select 1 from report_message_facts f where f.message_id = m.id)`,
      )),
    );
  return {
    /** Messages whose parked status was applied since. */
    applied: applied.filter((a) => a.message_id).map((a) => a.message_id!),
    /** Messages seen for the first time: inserted by a transaction that stayed open long. */
    late: late.map((l) => l.id),
  };
}

/**
 * Forgets a deleted tag's figures: its rows in the tag rollups (each keyed by organisation and tag
 * first). Facts keep the id among their tags; the fold adds nothing more under a tag that is gone.
 */
export async function forgetTagRollups(db: Db, orgId: string, tagId: string) {
  await transaction(db, async (tx) => {
    for (const table of TAG_ROLLUPS)
      await tx.execute(sql`delete from ${sql.raw(table)} where org_id = ${orgId} and tag_id = ${tagId}`);
  });
}

/** Claims the rebuild (one at a time); false when one is running (a claim older than 6 hours is stale). */
export async function claimRebuild(db: Db) {
  const rows = await queryRows<{ id: string }>(
    db,
    sql`update report_state set rebuild_started_at = now()
        where id = 'fold' and (rebuild_started_at is null or rebuild_started_at < now() - interval '6 hours')
        returning id`,
  );
  return rows.length > 0;
}

export async function releaseRebuild(db: Db) {
  await db.execute(sql`update report_state set rebuild_started_at = null where id = 'fold'`);
}

/**
 * Recomputes the facts of every message still kept (of one organisation, or all) created on or after
 * `from` (a day in the organisation's timezone; all when null), then the rollups of those days from
 * the facts. Facts of messages purged since stay as they were: the rebuild never loses history.
 * Waits for a running fold (it holds the state row).
 */
export async function rebuildRollups(db: Db, orgId: string | null, from: string | null) {
  return transaction(db, async (tx) => {
    await tx.execute(sql`select 1 from report_state where id = 'fold' for update`);
    const org: SQL = orgId ? sql`and org_id = ${orgId}` : sql``;
    const mOrg: SQL = orgId ? sql`m.org_id = ${orgId}` : sql`true`;
    // A day earlier in UTC than `from` covers every timezone; the exact day is filtered below.
    const mFrom: SQL = from
      ? sql`and (case when m.direction = 'out' then m.created_at else m.sent_at end) >= (${from}::date - 1)::timestamptz`
      : sql``;
    const cols = factColumns();
    const fromDay: SQL = from ? sql`and day >= ${from}::date` : sql``;
    const [r] = await queryRows<{ facts: number }>(
      tx,
      sql`with src as (${factsOf(sql`${mOrg} ${mFrom}`)}),
          -- A rebuild takes every kept message's tags anew: its contact's tags now (docs/adr/0029).
          up as (insert into report_message_facts (${cols})
                 select ${factColumns('s.', ['tags'])}, ${tagsNow('s.contact_id')} from src s where true ${fromDay}
                 on conflict (message_id) do update set ${factUpdates}
                 returning 1)
          select count(*)::int as facts from up`,
    );
    // A full rebuild counted every message its snapshot saw: the fold goes on from there (a window
    // behind the newest, for inserts still in flight), rather than re-reading everything.
    if (!orgId && !from)
      await tx.execute(sql`
        with top as (select coalesce(max(seq), 0) as mx from messages),
        safe as (select coalesce((select seq from messages where created_at < now() - make_interval(secs => ${MESSAGE_WINDOW_SECONDS})
                                  order by seq desc limit 1), 0) as sx)
        update report_state set seq_high = greatest(seq_high, top.mx), seq_mark = greatest(seq_mark, safe.sx),
          seq_low = greatest(seq_low, safe.sx), rotated_at = now()
        from top, safe where id = 'fold'`);
    for (const t of [...ROLLUP_TABLES, ...THROUGHPUT_TABLES])
      await tx.execute(sql`delete from ${sql.raw(t)} where true ${org} ${fromDay}`);
    await tx.execute(sql`
      with delta as (select 1 as sign, ${cols} from report_message_facts where true ${org} ${fromDay}),
      ${rollupWrites('delta')}
      select 1`);
    // Throughput belongs to the day of acceptance (a message queued the day before may count there).
    await tx.execute(sql`
      with delta as (select 1 as sign, ${cols} from report_message_facts
                     where minute is not null ${org} ${from ? sql`and minute >= ${from}::date::timestamp` : sql``}),
      ${throughputWrites('delta')}
      select 1`);
    return { facts: r?.facts ?? 0 };
  });
}

// ---- Reads of the rollups ---------------------------------------------------------------------

/** A range of days of one organisation, optionally one number and one contact tag. */
export interface RollupScope {
  from: string;
  to: string;
  numberId?: string | undefined;
  /** The figures of messages whose contact carried the tag when first folded: the `report_tag_*` rollups. */
  tagId?: string | undefined;
}

const scoped = (orgId: string, q: RollupScope) =>
  sql`org_id = ${orgId} and day between ${q.from}::date and ${q.to}::date
      ${q.numberId ? sql`and number_id = ${q.numberId}` : sql``}
      ${q.tagId ? sql`and tag_id = ${q.tagId}` : sql``}`;

/** The rollup a read uses: the tag's when a tag is asked, else the number's or the whole organisation's. */
const rollup = (q: RollupScope, tables: { tag: string; number: string; all?: string }) =>
  sql.raw(q.tagId ? tables.tag : q.numberId || !tables.all ? tables.number : tables.all);

const countsOf = sql`coalesce(sum(attempted), 0)::int as attempted, coalesce(sum(sent), 0)::int as sent,
  coalesce(sum(delivered), 0)::int as delivered, coalesce(sum(read), 0)::int as read,
  coalesce(sum(failed), 0)::int as failed, coalesce(sum(inbound), 0)::int as inbound,
  coalesce(sum(replied), 0)::int as replied, coalesce(sum(cost), 0)::float8 as spend`;

export interface Counts {
  attempted: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  inbound: number;
  replied: number;
  spend: number;
}

/** The range's counts summed, from the per-number rollup (few rows a day, not one per template). */
export async function totals(db: Db, orgId: string, q: RollupScope) {
  const [r] = await queryRows<Counts>(
    db,
    sql`select ${countsOf} from ${rollup(q, { tag: 'report_tag_numbers', number: 'report_daily_numbers' })}
        where ${scoped(orgId, q)}`,
  );
  return r!;
}

export function dailySeries(db: Db, orgId: string, q: RollupScope) {
  return queryRows<Counts & { day: string }>(
    db,
    sql`select to_char(day, 'YYYY-MM-DD') as day, ${countsOf}
        from ${rollup(q, { tag: 'report_tag_numbers', number: 'report_daily_numbers' })} where ${scoped(orgId, q)}
        group by day order by day`,
  );
}

export function hourly(db: Db, orgId: string, q: RollupScope) {
  return queryRows<{ hour: number; inbound: number; outbound: number }>(
    db,
    sql`select hour, coalesce(sum(messages) filter (where direction = 'in'), 0)::int as inbound,
               coalesce(sum(messages) filter (where direction = 'out'), 0)::int as outbound
        from ${rollup(q, { tag: 'report_tag_hourly', number: 'report_hourly', all: 'report_hourly_all' })}
        where ${scoped(orgId, q)}
        group by hour order by hour`,
  );
}

export function failuresBy(db: Db, orgId: string, q: RollupScope, limit: number) {
  return queryRows<{ template: string; language: string; code: string; count: number }>(
    db,
    sql`select template, language, error_code as code, sum(failed)::int as count
        from ${rollup(q, { tag: 'report_tag_failures', number: 'report_daily_failures' })} where ${scoped(orgId, q)}
        group by 1, 2, 3 having sum(failed) > 0 order by 4 desc, 3 limit ${limit}`,
  );
}

export function topFailures(db: Db, orgId: string, q: RollupScope, limit: number) {
  return queryRows<{ code: string; count: number }>(
    db,
    sql`select error_code as code, sum(failed)::int as count
        from ${rollup(q, { tag: 'report_tag_failures', number: 'report_daily_failures' })} where ${scoped(orgId, q)}
        group by 1 having sum(failed) > 0 order by 2 desc, 1 limit ${limit}`,
  );
}

/** Per number per day, or per week (from Monday, the first week cut to the range). */
export function perNumberPeriod(db: Db, orgId: string, q: RollupScope, group: 'day' | 'week') {
  return queryRows<Counts & { day: string; number_id: string }>(
    db,
    sql`select to_char(p, 'YYYY-MM-DD') as day, number_id, ${countsOf}
        from (select ${periodOf(q, group)} as p, * from ${rollup(q, { tag: 'report_tag_numbers', number: 'report_daily_numbers' })}
              where ${scoped(orgId, q)}) x
        group by p, number_id order by p, number_id`,
  );
}

/**
 * Each number's busiest minute (messages Meta accepted) per day or week: the number's, whatever
 * contact tag the report is narrowed to (a throughput is the number's, not a tag's).
 */
export function peaksPerPeriod(db: Db, orgId: string, q: RollupScope, group: 'day' | 'week') {
  const numberOnly = { ...q, tagId: undefined };
  return queryRows<{ day: string; number_id: string; peak: number }>(
    db,
    sql`select to_char(p, 'YYYY-MM-DD') as day, number_id, max(peak)::int as peak
        from (select ${periodOf(q, group)} as p, number_id, peak from report_number_peaks
              where ${scoped(orgId, numberOnly)}) x
        group by p, number_id`,
  );
}

/** A rollup row's period: its day, or its week's Monday (the first week cut to the range). */
export const periodOf = (q: RollupScope, group: 'day' | 'week') =>
  group === 'week' ? sql`greatest(date_trunc('week', day)::date, ${q.from}::date)` : sql`day`;

export function perTemplate(db: Db, orgId: string, q: RollupScope) {
  return queryRows<Counts & { template: string; language: string }>(
    db,
    // A tag: its template rollup; one number: its rows of the finest rollup; every number: the rollup
    // summed over numbers.
    q.tagId
      ? sql`select template, language, ${countsOf} from report_tag_templates where ${scoped(orgId, q)}
            group by 1, 2 order by sum(sent) desc, 1, 2`
      : q.numberId
        ? sql`select template, language, ${countsOf} from report_daily
            where ${scoped(orgId, q)} and direction = 'out' and template <> ''
            group by 1, 2 order by sum(sent) desc, 1, 2`
        : sql`select template, language, ${countsOf} from report_daily_templates where ${scoped(orgId, q)}
            group by 1, 2 order by sum(sent) desc, 1, 2`,
  );
}

export function spendBy(
  db: Db,
  orgId: string,
  q: RollupScope,
  by: 'number_id' | 'category' | 'country' | 'day',
) {
  // Per number: the daily rollup per number; else the spend rollup (summed over numbers unless one is asked).
  if (by === 'number_id')
    return queryRows<{ key: string; messages: number; spend: number }>(
      db,
      sql`select number_id::text as key, sum(paid)::int as messages, sum(cost)::float8 as spend
          from ${rollup(q, { tag: 'report_tag_numbers', number: 'report_daily_numbers' })}
          where ${scoped(orgId, q)} and direction = 'out'
          group by 1 having sum(paid) <> 0 or sum(cost) <> 0 order by 1`,
    );
  const key =
    by === 'day' ? sql`to_char(day, 'YYYY-MM-DD')` : sql`coalesce(nullif(${sql.raw(by)}, ''), 'unknown')`;
  return queryRows<{ key: string; messages: number; spend: number }>(
    db,
    sql`select ${key} as key, sum(messages)::int as messages, sum(cost)::float8 as spend
        from ${rollup(q, { tag: 'report_tag_spend', number: 'report_spend_daily', all: 'report_spend_all' })}
        where ${scoped(orgId, q)} group by 1 having sum(messages) <> 0 or sum(cost) <> 0 order by 1`,
  );
}

// ---- Reads of other domains' tables (read-only, through their indexes) -----------------------

/** Of a contact carrying the tag now (contact_tags' primary key), when one is asked. */
const carries = (contactId: SQL, tagId: string | undefined) =>
  tagId
    ? sql`and exists (select 1 from contact_tags tg where tg.contact_id = ${contactId} and tg.tag_id = ${tagId})`
    : sql``;

/**
 * Contacts created and consent events (opt-in, opt-out) between two days of the organisation's
 * timezone, and the conversations open now: counted where they live (contacts, the consent ledger,
 * conversations), each through an index on the organisation and time; with a tag, of the contacts
 * carrying it now (one primary-key lookup per row counted).
 */
export async function audienceCounts(db: Db, orgId: string, q: RollupScope, tz: string) {
  const start = sql`(${q.from}::date::timestamp at time zone ${tz})`;
  const end = sql`((${q.to}::date + 1)::timestamp at time zone ${tz})`;
  const tagged = (c: string) => carries(sql.raw(c), q.tagId);
  const [r] = await queryRows<{ new_contacts: number; opt_ins: number; opt_outs: number }>(
    db,
    sql`select (select count(*) from contacts c where org_id = ${orgId} and created_at >= ${start} and created_at < ${end}
                  ${tagged('c.id')})::int as new_contacts,
               (select count(*) from opt_in_events e where org_id = ${orgId} and kind = 'opt_in'
                  and created_at >= ${start} and created_at < ${end} ${tagged('e.contact_id')})::int as opt_ins,
               (select count(*) from opt_in_events e where org_id = ${orgId} and kind = 'opt_out'
                  and created_at >= ${start} and created_at < ${end} ${tagged('e.contact_id')})::int as opt_outs`,
  );
  return r!;
}

/**
 * Templates' quality: each one's rating now (the templates domain's catalogue, the latest row of a
 * name and language), and the changes Meta announced between two days of the organisation's timezone
 * (its stored quality notices); with a WABA, that account's only. Read-only, by the organisation's keys.
 */
export function templateQualityNow(db: Db, orgId: string, wabaId: string | null) {
  return queryRows<{ template: string; language: string; quality_score: string | null }>(
    db,
    sql`select distinct on (name, language) name as template, language, quality_score from templates
        where org_id = ${orgId} ${wabaId ? sql`and waba_id = ${wabaId}` : sql``}
        order by name, language, updated_at desc`,
  );
}

export function templateQualityChanges(
  db: Db,
  orgId: string,
  q: RollupScope,
  tz: string,
  wabaId: string | null,
) {
  const start = sql`(${q.from}::date::timestamp at time zone ${tz})`;
  const end = sql`((${q.to}::date + 1)::timestamp at time zone ${tz})`;
  return queryRows<{ at: Date; template: string; language: string; from: string | null; to: string }>(
    db,
    sql`select created_at as at, coalesce(payload->>'message_template_name', '') as template,
               coalesce(payload->>'message_template_language', '') as language,
               payload->>'previous_quality_score' as from, payload->>'new_quality_score' as to
        from meta_updates
        where org_id = ${orgId} and field = 'message_template_quality_update'
          and created_at >= ${start} and created_at < ${end} and payload->>'new_quality_score' is not null
          ${wabaId ? sql`and waba_id = ${wabaId}` : sql``}
        order by created_at, id`,
  );
}

export async function openConversations(db: Db, orgId: string, q: Pick<RollupScope, 'numberId' | 'tagId'>) {
  const [r] = await queryRows<{ n: number }>(
    db,
    sql`select count(*)::int as n from conversations v where org_id = ${orgId} and status = 'open'
        ${q.numberId ? sql`and number_id = ${q.numberId}` : sql``} ${carries(sql`v.contact_id`, q.tagId)}`,
  );
  return r?.n ?? 0;
}
