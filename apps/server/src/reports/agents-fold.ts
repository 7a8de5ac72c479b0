import { type SQL, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { queryRows, transaction } from '../db/tx.ts';

/**
 * The agents report's fold (docs/reports.md "Agents and teams", docs/adr/0028): episodes of each
 * conversation followed through customers' messages, agents' replies and resolutions, and the facts
 * they make (a reply, a note, a first response, a resolution) folded into the agents rollups.
 *
 * - An **episode** begins with a customer's message when none is open in the conversation (none yet,
 *   or the last one was resolved before that message) and ends at the next resolution.
 * - Its **first response** is the first reply an agent wrote in the inbox after it began (automated,
 *   AI, campaign and API messages are not agents' replies), credited to the agent who wrote it.
 * - Its **resolution** is credited to the assignee at the time, else to whoever resolved it.
 *
 * Reads the messages, notes and resolutions the conversations and messages domains write; writes only
 * the reports domain's `report_agent_*` tables.
 */

/** Histogram buckets per doubling: bucket b holds [2^(b/8), 2^((b+1)/8)) seconds; -1 under a second. */
export const BUCKETS_PER_DOUBLING = 8;
export const bucketOf = (seconds: number) =>
  seconds < 1 ? -1 : Math.floor(BUCKETS_PER_DOUBLING * Math.log2(seconds));
/** The duration a bucket stands for: its geometric middle (within 4.4 % of every duration in it). */
export const bucketValue = (b: number) => (b < 0 ? 0 : Math.round(2 ** ((b + 0.5) / BUCKETS_PER_DOUBLING)));

/** Notes and resolutions committed this long after a later one are still folded. */
const WINDOW_SECONDS = 30;

interface Ev {
  kind: 'in' | 'reply' | 'note' | 'resolve';
  id: string;
  org_id: string;
  conversation_id: string;
  number_id: string;
  /** Epoch milliseconds. */
  at: number;
  user_id: string | null;
}

interface ConvState {
  open_since: number | null;
  responded: boolean;
  closed_at: number | null;
}

export interface AgentFact {
  kind: 'reply' | 'first_response' | 'note' | 'resolution';
  source_id: string;
  org_id: string;
  conversation_id: string;
  number_id: string;
  user_id: string | null;
  at: number;
  seconds: number | null;
  bucket: number | null;
}

const ORDER = { in: 0, reply: 1, note: 2, resolve: 3 } as const;

/**
 * Applies events (of any conversations; sorted here by time within a conversation) to the episode
 * states, returning the facts they make. Applying an event twice changes nothing: a customer's
 * message before the latest resolution never begins an episode, a resolution before the open
 * episode began does not end it, and facts are keyed by their source.
 */
export function applyEvents(events: Ev[], states: Map<string, ConvState>) {
  const facts: AgentFact[] = [];
  const sorted = [...events].sort(
    (a, b) =>
      a.conversation_id.localeCompare(b.conversation_id) || a.at - b.at || ORDER[a.kind] - ORDER[b.kind],
  );
  const since = (s: ConvState, at: number) => Math.max(0, Math.round((at - s.open_since!) / 1000));
  for (const e of sorted) {
    let s = states.get(e.conversation_id);
    if (!s) {
      s = { open_since: null, responded: false, closed_at: null };
      states.set(e.conversation_id, s);
    }
    const base = {
      source_id: e.id,
      org_id: e.org_id,
      conversation_id: e.conversation_id,
      number_id: e.number_id,
      user_id: e.user_id,
      at: e.at,
    };
    if (e.kind === 'in') {
      if (s.open_since === null && (s.closed_at === null || e.at > s.closed_at)) {
        s.open_since = e.at;
        s.responded = false;
      }
    } else if (e.kind === 'reply') {
      facts.push({ ...base, kind: 'reply', seconds: null, bucket: null });
      if (s.open_since !== null && !s.responded && e.at >= s.open_since) {
        s.responded = true;
        const seconds = since(s, e.at);
        facts.push({ ...base, kind: 'first_response', seconds, bucket: bucketOf(seconds) });
      }
    } else if (e.kind === 'note') {
      facts.push({ ...base, kind: 'note', seconds: null, bucket: null });
    } else {
      const ends = s.open_since !== null && e.at >= s.open_since;
      const seconds = ends ? since(s, e.at) : null;
      facts.push({
        ...base,
        kind: 'resolution',
        seconds,
        bucket: seconds === null ? null : bucketOf(seconds),
      });
      if (ends) {
        s.open_since = null;
        s.responded = false;
      }
      s.closed_at = Math.max(s.closed_at ?? 0, e.at);
    }
  }
  return facts;
}

const epoch = (col: string) => sql.raw(`(extract(epoch from ${col}) * 1000)::float8`);

/** Customers' messages (not back-filled history) and agents' inbox replies among `where` (on `m`). */
const messageEvents = (where: SQL) => sql`
  select case when m.direction = 'in' then 'in' else 'reply' end as kind, m.id::text as id, m.org_id,
         m.conversation_id, m.number_id,
         ${epoch("case when m.direction = 'in' then m.sent_at else m.created_at end")} as at,
         m.author_user_id as user_id
  from messages m
  where (${where})
    and ((m.direction = 'in' and m.source is distinct from 'history')
      or (m.direction = 'out' and m.source = 'inbox' and m.author_user_id is not null))`;

const noteEvents = (where: SQL) => sql`
  select 'note' as kind, n.id::text as id, n.org_id, n.conversation_id, v.number_id,
         ${epoch('n.created_at')} as at, n.author_id as user_id
  from conversation_notes n join conversations v on v.id = n.conversation_id
  where ${where}`;

const resolutionEvents = (where: SQL) => sql`
  select 'resolve' as kind, r.id::text as id, r.org_id, r.conversation_id, r.number_id,
         ${epoch('r.resolved_at')} as at, coalesce(r.assignee_id, r.resolved_by) as user_id
  from conversation_resolutions r
  where ${where}`;

async function loadStates(tx: Tx, ids: string[]) {
  const rows = await queryRows<{
    conversation_id: string;
    open_since: number | null;
    responded: boolean;
    closed_at: number | null;
  }>(
    tx,
    sql`select conversation_id, ${epoch('open_since')} as open_since, responded, ${epoch('closed_at')} as closed_at
        from report_agent_conversations where conversation_id = any(${sql.param(ids)}::uuid[])`,
  );
  return new Map(rows.map((r) => [r.conversation_id, r as ConvState]));
}

async function saveStates(tx: Tx, states: Map<string, ConvState>, orgOf: Map<string, string>) {
  const rows = [...states].map(([id, s]) => ({
    id,
    org_id: orgOf.get(id),
    open_since: s.open_since === null ? null : new Date(s.open_since).toISOString(),
    responded: s.responded,
    closed_at: s.closed_at === null ? null : new Date(s.closed_at).toISOString(),
  }));
  for (let i = 0; i < rows.length; i += 5000)
    await tx.execute(sql`
      insert into report_agent_conversations (conversation_id, org_id, open_since, responded, closed_at)
      select id, org_id, open_since, responded, closed_at
      from json_to_recordset(${JSON.stringify(rows.slice(i, i + 5000))}::json)
        as x(id uuid, org_id uuid, open_since timestamptz, responded boolean, closed_at timestamptz)
      on conflict (conversation_id) do update set open_since = excluded.open_since,
        responded = excluded.responded, closed_at = excluded.closed_at`);
}

/** The facts as rows with their day in the organisation's timezone (a `select` of `x`). */
const factRows = (facts: AgentFact[]) => sql`
  select x.kind, x.source_id, x.org_id, x.conversation_id, x.number_id, x.user_id,
         (to_timestamp(x.at / 1000.0) at time zone coalesce(s.timezone, 'UTC'))::date as day, x.seconds, x.bucket
  from json_to_recordset(${JSON.stringify(facts)}::json)
    as x(kind text, source_id text, org_id uuid, conversation_id uuid, number_id uuid, user_id uuid,
         at float8, seconds int, bucket int)
  left join org_settings s on s.org_id = x.org_id`;

const FACT_COLS = sql.raw(
  'kind, source_id, org_id, conversation_id, number_id, user_id, day, seconds, bucket',
);

/**
 * Adds the rollups of `rows` (a relation of facts with `handled`: 1 when the fact is the agent's
 * first reply or resolution in that conversation that day). Data-modifying CTEs of one statement.
 */
function rollupWrites(rows: string) {
  const r = sql.raw(rows);
  const sums = sql`sum(handled), count(*) filter (where kind = 'reply'), count(*) filter (where kind = 'note'),
    count(*) filter (where kind = 'first_response'),
    coalesce(sum(seconds) filter (where kind = 'first_response'), 0),
    count(*) filter (where kind = 'resolution' and seconds is not null),
    coalesce(sum(seconds) filter (where kind = 'resolution'), 0)`;
  const cols = sql.raw(
    'handled, replies, notes, first_responses, first_response_seconds, resolutions, resolution_seconds',
  );
  const add = sql.raw(
    [
      'handled',
      'replies',
      'notes',
      'first_responses',
      'first_response_seconds',
      'resolutions',
      'resolution_seconds',
    ]
      .map((c) => `${c} = x.${c} + excluded.${c}`)
      .join(', '),
  );
  return sql`
  a1 as (insert into report_agent_daily as x (org_id, day, user_id, number_id, ${cols})
         select org_id, day, user_id, number_id, ${sums} from ${r} where user_id is not null group by 1, 2, 3, 4
         on conflict (org_id, day, user_id, number_id) do update set ${add}),
  a2 as (insert into report_agent_daily_all as x (org_id, day, user_id, ${cols})
         select org_id, day, user_id, ${sums} from ${r} where user_id is not null group by 1, 2, 3
         on conflict (org_id, day, user_id) do update set ${add}),
  a3 as (insert into report_agent_durations as x (org_id, day, user_id, number_id, kind, bucket, n)
         select org_id, day, user_id, number_id, kind, bucket, count(*) from ${r}
         where user_id is not null and bucket is not null group by 1, 2, 3, 4, 5, 6
         on conflict (org_id, day, user_id, number_id, kind, bucket) do update set n = x.n + excluded.n),
  a4 as (insert into report_agent_durations_all as x (org_id, day, user_id, kind, bucket, n)
         select org_id, day, user_id, kind, bucket, count(*) from ${r}
         where user_id is not null and bucket is not null group by 1, 2, 3, 4, 5
         on conflict (org_id, day, user_id, kind, bucket) do update set n = x.n + excluded.n)`;
}

export const AGENT_ROLLUP_TABLES = [
  'report_agent_daily',
  'report_agent_daily_all',
  'report_agent_durations',
  'report_agent_durations_all',
] as const;

/**
 * Records new facts (a fact already recorded is left as it was) and adds them to the rollups, in one
 * statement. A reply or resolution is "handled" when the agent had none in that conversation that
 * day before (the statement sees the facts as they were before it).
 */
async function addFacts(tx: Tx, facts: AgentFact[]) {
  for (let i = 0; i < facts.length; i += 5000) {
    const part = facts.slice(i, i + 5000);
    await tx.execute(sql`
      with src as materialized (${factRows(part)}),
      ins as materialized (insert into report_agent_facts (${FACT_COLS}) select ${FACT_COLS} from src
             on conflict (kind, source_id) do nothing returning ${FACT_COLS}),
      firsts as materialized (
        select distinct on (conversation_id, user_id, day) kind, source_id from ins i
        where kind in ('reply', 'resolution') and user_id is not null
          and not exists (select 1 from report_agent_facts f where f.conversation_id = i.conversation_id
                          and f.user_id = i.user_id and f.day = i.day and f.kind in ('reply', 'resolution'))
        order by conversation_id, user_id, day, kind, source_id),
      delta as (select i.*, (exists (select 1 from firsts h where h.kind = i.kind and h.source_id = i.source_id))::int as handled
                from ins i),
      ${rollupWrites('delta')}
      select 1`);
  }
}

/**
 * One step of the agents fold, inside the message fold's transaction (which holds the reports'
 * state row): `fresh` are the messages the message fold sees for the first time (so each is applied
 * once), with the notes and resolutions recorded since the previous step (a window behind, the
 * ones already counted skipped by their facts).
 */
export async function foldAgents(tx: Tx, fresh: string[]) {
  const [mark] = await queryRows<{ read_at: string | null; now: string }>(
    tx,
    sql`select (select read_at::text from report_agent_marks where id = 'agents') as read_at, now()::text as now`,
  );
  const since = mark?.read_at
    ? sql`(${mark.read_at}::timestamptz - make_interval(secs => ${WINDOW_SECONDS}))`
    : sql`'-infinity'::timestamptz`;
  // One statement at a time: the transaction has one connection.
  const msgs = fresh.length
    ? await queryRows<Ev>(tx, messageEvents(sql`m.id = any(${sql.param(fresh)}::uuid[])`))
    : [];
  const notes = await queryRows<Ev>(
    tx,
    noteEvents(sql`n.created_at > ${since} and not exists (select 1 from report_agent_facts f
                   where f.kind = 'note' and f.source_id = n.id::text)`),
  );
  const resolutions = await queryRows<Ev>(
    tx,
    resolutionEvents(sql`r.resolved_at > ${since} and not exists (select 1 from report_agent_facts f
                         where f.kind = 'resolution' and f.source_id = r.id::text)`),
  );
  const events = [...msgs, ...notes, ...resolutions];
  if (events.length) {
    const orgOf = new Map(events.map((e) => [e.conversation_id, e.org_id]));
    const states = await loadStates(tx, [...orgOf.keys()]);
    const facts = applyEvents(events, states);
    await saveStates(tx, states, orgOf);
    await addFacts(tx, facts);
  }
  await tx.execute(sql`insert into report_agent_marks (id, read_at) values ('agents', ${mark!.now}::timestamptz)
    on conflict (id) do update set read_at = excluded.read_at`);
  return events.length;
}

/**
 * Recomputes the episodes and facts of every conversation (of one organisation, or all) from the
 * messages, notes and resolutions still kept, then the agents rollups of the days from `from` from
 * the facts. Facts whose source is gone (retention) stay as they were; a resolution whose episode's
 * beginning is gone keeps its recorded duration. Holds the reports' state row (folds wait).
 */
export async function rebuildAgents(db: Db, orgId: string | null, from: string | null) {
  return transaction(db, async (tx) => {
    await tx.execute(sql`select 1 from report_state where id = 'fold' for update`);
    await tx.execute(sql`insert into report_agent_marks (id, read_at) values ('agents', now())
      on conflict (id) do update set read_at = excluded.read_at`);
    const org: SQL = orgId ? sql`and org_id = ${orgId}` : sql``;
    const fromDay: SQL = from ? sql`and day >= ${from}::date` : sql``;
    // Facts whose source is still here are recomputed below; the others are the record.
    await tx.execute(sql`delete from report_agent_facts f where true ${org} ${fromDay} and (
      (f.kind in ('reply', 'first_response') and exists (select 1 from messages m where m.id::text = f.source_id))
      or (f.kind = 'note' and exists (select 1 from conversation_notes n where n.id::text = f.source_id))
      or (f.kind = 'resolution' and f.seconds is null
          and exists (select 1 from conversation_resolutions r where r.id::text = f.source_id)))`);
    await tx.execute(sql`delete from report_agent_conversations where true ${org}`);
    let after = '00000000-0000-0000-0000-000000000000';
    let facts = 0;
    for (;;) {
      const convs = await queryRows<{ id: string }>(
        tx,
        sql`select id from conversations where id > ${after}::uuid ${org} order by id limit 2000`,
      );
      if (!convs.length) break;
      after = convs[convs.length - 1]!.id;
      const ids = sql`(${sql.param(convs.map((c) => c.id))}::uuid[])`;
      const events = [
        ...(await queryRows<Ev>(tx, messageEvents(sql`m.conversation_id = any${ids}`))),
        ...(await queryRows<Ev>(tx, noteEvents(sql`n.conversation_id = any${ids}`))),
        ...(await queryRows<Ev>(tx, resolutionEvents(sql`r.conversation_id = any${ids}`))),
      ];
      const states = new Map<string, ConvState>();
      const made = applyEvents(events, states);
      await saveStates(tx, states, new Map(events.map((e) => [e.conversation_id, e.org_id])));
      for (let i = 0; i < made.length; i += 5000)
        await tx.execute(sql`
          with src as (${factRows(made.slice(i, i + 5000))})
          insert into report_agent_facts (${FACT_COLS}) select ${FACT_COLS} from src where true ${fromDay}
          on conflict (kind, source_id) do update set org_id = excluded.org_id,
            conversation_id = excluded.conversation_id, number_id = excluded.number_id, user_id = excluded.user_id,
            day = excluded.day, seconds = coalesce(excluded.seconds, report_agent_facts.seconds),
            bucket = coalesce(excluded.bucket, report_agent_facts.bucket)`);
      facts += made.length;
    }
    for (const t of AGENT_ROLLUP_TABLES)
      await tx.execute(sql`delete from ${sql.raw(t)} where true ${org} ${fromDay}`);
    await tx.execute(sql`
      with f as (select * from report_agent_facts where true ${org} ${fromDay}),
      firsts as (select distinct on (conversation_id, user_id, day) kind, source_id from f
                 where kind in ('reply', 'resolution') and user_id is not null
                 order by conversation_id, user_id, day, kind, source_id),
      delta as (select f.*, (h.source_id is not null)::int as handled from f
                left join firsts h on h.kind = f.kind and h.source_id = f.source_id),
      ${rollupWrites('delta')}
      select 1`);
    return { agentFacts: facts };
  });
}
