import type { MessageContent } from '@openwaba/contracts';
import { type SQL, sql } from 'drizzle-orm';
import { statusPricingOf } from '../billing/status-pricing.ts';
import { markContactsMessaged } from '../contacts/upsert.ts';
import { afterCoexistence, afterInbound, windowOpen } from '../conversations/rules.ts';
import { openChunkConversations } from '../conversations/writes.ts';
import type { Db, Tx } from '../db/client.ts';
import { queryRows } from '../db/tx.ts';
import { bestStatusOf, statusRankSql } from './status-rank.ts';

/**
 * Every write to `messages`, `message_status_events` and `send_queue` (the messages domain owns
 * them). Statements stay set-based: one per batch, never one per message.
 *
 * Tenant rows take `orgId` first. The sender's functions are keyed by number instead: the sender is
 * a worker of the whole install, and a number belongs to one organisation.
 *
 * Campaigns own their recipients; where a recipient moves in the same statement as its message (the
 * send path runs at 1,000 msg/s, so no second round trip), campaigns hand in that part of the
 * statement as a `RecipientsPart`.
 *
 * The sender's statements on `send_queue` (claim, sent, failed, retry, unknown) are in queue-repo.ts.
 */

type Json = Record<string, unknown>;

/**
 * A campaign's part of a messages statement: given the name of the statement's rows, the update of
 * their campaign recipients (see campaigns/repo.ts).
 */
export type RecipientsPart = (rows: SQL) => SQL;

// ---- Recording messages ----------------------------------------------------------------------

/** A customer's message as the webhook planned it (`ord`: the order to insert in). */
export interface InboundMessageRow {
  ord: number;
  org_id: string;
  number_id: string;
  conversation_id: string;
  wamid: string;
  type: string;
  content: unknown;
  context_wamid: string | null;
  sent_at: string;
}

/**
 * Inserts customers' messages (of any organisations: one webhook batch) in one statement; a wamid
 * already stored is skipped (unique (number_id, wamid)). The same statement moves each conversation's
 * 24-hour window, last activity and unread count (conversations/rules.ts), so a batch costs one round trip. Returns the rows
 * inserted.
 */
export async function insertInboundMessages(tx: Tx, rows: InboundMessageRow[]) {
  return queryRows<{ id: string; number_id: string; wamid: string }>(
    tx,
    sql`
      with mi as (
        select * from json_to_recordset(${JSON.stringify(rows)}::json) as x(ord int, org_id uuid, number_id uuid, conversation_id uuid, wamid text, type text, content jsonb,
                        context_wamid text, sent_at timestamptz)
      ), ins as (
        insert into messages (org_id, number_id, conversation_id, direction, wamid, type, content, context_wamid, sent_at)
        select org_id, number_id, conversation_id, 'in', wamid, type, content, context_wamid, sent_at from mi order by ord
        on conflict (number_id, wamid) do nothing
        returning id, number_id, wamid, conversation_id, sent_at, seq
      ), agg as (
        select conversation_id, max(sent_at) as at, count(*)::int as n, max(seq) as seq from ins group by conversation_id
      ), upd as (
        update conversations c set ${afterInbound}
        from agg where c.id = agg.conversation_id
      )
      select id, number_id, wamid from ins`,
  );
}

/** A coexistence number's message: an echo of the WhatsApp Business app, or back-filled history. */
export interface CoexistenceMessageRow {
  ord: number;
  org_id: string;
  number_id: string;
  conversation_id: string;
  direction: 'in' | 'out';
  wamid: string;
  type: string;
  content: unknown;
  status: string | null;
  /** `business_app` (sent from the app, never by us) or `history` (a customer's back-filled message). */
  source: string;
  sent_at: string;
  /** An echo happening now (moves the inbox's order); false for history. */
  live: boolean;
}

/**
 * Inserts a coexistence number's messages in one statement: never queued (the app sent them, or they
 * are history), a wamid already stored skipped. The same statement moves each conversation's activity
 * by `afterCoexistence` (never its window or unread count). Returns the rows inserted.
 */
export async function insertCoexistenceMessages(tx: Tx, rows: CoexistenceMessageRow[]) {
  if (!rows.length) return [];
  return queryRows<{ id: string; number_id: string; wamid: string; conversation_id: string }>(
    tx,
    sql`
      with mi as (
        select * from json_to_recordset(${JSON.stringify(rows)}::json) as x(ord int, org_id uuid, number_id uuid,
          conversation_id uuid, direction text, wamid text, type text, content jsonb, status text, source text,
          sent_at timestamptz, live boolean)
      ), ins as (
        insert into messages (org_id, number_id, conversation_id, direction, wamid, type, content, status, source, sent_at)
        select org_id, number_id, conversation_id, direction, wamid, type, content, status, source, sent_at
        from mi order by ord
        on conflict (number_id, wamid) do nothing
        returning id, number_id, wamid, conversation_id, sent_at
      ), agg as (
        select ins.conversation_id, max(ins.sent_at) as at, bool_or(mi.live) as live
        from ins join mi on mi.number_id = ins.number_id and mi.wamid = ins.wamid
        group by ins.conversation_id
      ), upd as (
        update conversations c set ${afterCoexistence}
        from agg where c.id = agg.conversation_id
      )
      select id, number_id, wamid, conversation_id from ins`,
  );
}

/** One outgoing message to record (`insertOutboundMessages`). */
export interface OutboundRow {
  numberId: string;
  conversationId: string;
  toWaId: string;
  content: MessageContent;
  replyTo: string | null;
  source: string;
  authorUserId: string | null;
  /** The expected cost (billing): amount null when the rate card has none. */
  cost: { amount: number | null; currency: string | null; category: string };
}

/**
 * Records outgoing messages as `pending` in their conversations and puts them on the send queue
 * (people waiting: priority 0), in the given order (the send queue keeps it), in one statement.
 * Returns the message ids in that order.
 */
export async function insertOutboundMessages(tx: Tx, orgId: string, ms: OutboundRow[]): Promise<string[]> {
  const rows = ms.map((m, ord) => ({
    ord,
    number_id: m.numberId,
    conversation_id: m.conversationId,
    to_wa_id: m.toWaId,
    type: m.content.type,
    content: m.content,
    reply_to: m.replyTo,
    source: m.source,
    author_user_id: m.authorUserId,
    cost: m.cost.amount,
    currency: m.cost.currency,
    category: m.cost.category,
  }));
  const ids = await queryRows<{ id: string; ord: number }>(
    tx,
    sql`with x as materialized (
          select gen_random_uuid() as id, x.*
          from json_to_recordset(${JSON.stringify(rows)}::json)
            as x(ord int, number_id uuid, conversation_id uuid, to_wa_id text, type text, content jsonb, reply_to text,
                 source text, author_user_id uuid, cost numeric, currency text, category text)),
        msg as (
          insert into messages (id, org_id, number_id, conversation_id, direction, wamid, type, content, context_wamid,
                                status, sent_at, source, author_user_id, cost_expected, cost_currency, cost_category)
          select id, ${orgId}, number_id, conversation_id, 'out', null, type, content, reply_to, 'pending', now(), source,
                 author_user_id, cost, currency, category
          from x order by ord),
        q as (
          insert into send_queue (org_id, number_id, message_id, to_wa_id, content, reply_to, priority)
          select ${orgId}, number_id, id, to_wa_id, content, reply_to, 0 from x order by ord)
        select id, ord from x order by ord`,
  );
  return ids.map((r) => r.id);
}

/**
 * Records a campaign chunk's messages as `pending` in their conversations and queues them (priority
 * 1, in the campaign's `runOrder`), inside the database: no rows travel through this process.
 * `chunk` selects the recipients (id, wa_id, contact_id, template_index, params). First the chunk's
 * conversations with the number (created, or their activity moved: the message is in them from now
 * on), then one statement for the messages and the queue rows. `fed` is the campaign's part of that
 * statement: it reads `m` (recipient_id, message_id). Joins go through indexes row by row, so a fresh
 * campaign's missing statistics cannot pick a bad plan; rows are queued in recipient order (the join
 * with the prices may reorder them).
 */
export async function insertCampaignChunk(
  tx: Tx,
  orgId: string,
  c: {
    numberId: string;
    campaignId: string;
    runOrder: number;
    templates: { name: string; language: string }[];
  },
  chunk: SQL,
  fed: RecipientsPart,
  /**
   * The expected cost of each message (billing): by template index, the contact's country (`*`:
   * any other) and whether the conversation's window is open.
   */
  pricing: {
    currency: string | null;
    rows: { ti: number; country: string; in_window: boolean; amount: number | null; category: string }[];
  } = { currency: null, rows: [] },
) {
  const names = c.templates.map((t) => t.name);
  const languages = c.templates.map((t) => t.language);
  await openChunkConversations(tx, orgId, c.numberId, chunk);
  await markContactsMessaged(tx, orgId, chunk);
  await tx.execute(sql`
      with p as (
        select * from json_to_recordset(${JSON.stringify(pricing.rows)}::json)
          as x(ti int, country text, in_window boolean, amount numeric, category text)
      ), m as (
        select r.id as recipient_id, r.wa_id, v.id as conversation_id, gen_random_uuid() as message_id,
               jsonb_build_object('type', 'template', 'template', jsonb_build_object(
                 'name', (${sql.param(names)}::text[])[r.template_index + 1],
                 'language', jsonb_build_object('code', (${sql.param(languages)}::text[])[r.template_index + 1]),
                 'components', coalesce(r.params, '[]'::jsonb))) as content,
               coalesce(pc.amount, pd.amount) as cost, coalesce(pc.category, pd.category) as cost_category
        from (${chunk}) r
        join conversations v on v.number_id = ${c.numberId} and v.contact_id = r.contact_id
        left join contacts ct on ct.id = r.contact_id
        left join p pc on pc.ti = r.template_index and pc.country = ct.country and pc.in_window = ${windowOpen('v')}
        left join p pd on pd.ti = r.template_index and pd.country = '*' and pd.in_window = ${windowOpen('v')}),
      msg as (
        insert into messages (id, org_id, number_id, conversation_id, direction, type, content, status, sent_at, source, campaign_id,
                              cost_expected, cost_currency, cost_category)
        select message_id, ${orgId}, ${c.numberId}, conversation_id, 'out', 'template', content, 'pending', now(), 'campaign', ${c.campaignId},
               cost, ${pricing.currency}, cost_category
        from m order by recipient_id),
      q as (
        insert into send_queue (org_id, number_id, message_id, campaign_id, recipient_id, to_wa_id, content, priority, run_order)
        select ${orgId}, ${c.numberId}, message_id, ${c.campaignId}, recipient_id, wa_id, content, 1, ${c.runOrder}
        from m order by recipient_id)
      ${fed(sql`m`)}`);
}

/**
 * Takes a campaign's unsent messages off the queue and deletes them (claims in flight stay): they
 * never happened. `dropped` is the campaign's part: it reads `q` (message_id, recipient_id).
 */
export async function dequeueCampaign(tx: Tx, orgId: string, campaignId: string, dropped: RecipientsPart) {
  await tx.execute(
    sql`with q as (delete from send_queue where org_id = ${orgId} and campaign_id = ${campaignId} and lease_until is null and unknown_since is null
                   returning message_id, recipient_id),
        m as (delete from messages where id in (select message_id from q))
        ${dropped(sql`q`)}`,
  );
}

// ---- Statuses ---------------------------------------------------------------------------------

/** A status webhook entry to record (`ord`: the order to insert in). */
export interface StatusEventRow {
  ord: number;
  number_id: string;
  wamid: string;
  status: string;
  occurred_at: string;
  payload: unknown;
}

/**
 * Records statuses once each (unique by message, status and time): returns those new, each with its
 * message when the message is recorded (a status without one is parked until it is).
 */
export async function insertStatusEvents(tx: Tx, rows: StatusEventRow[]) {
  return queryRows<{ id: string; ord: number; message_id: string | null }>(
    tx,
    sql`
    with si as (
      select * from json_to_recordset(${JSON.stringify(rows)}::json)
        as x(ord int, number_id uuid, wamid text, status text, occurred_at timestamptz, payload jsonb)
    ), ins as (
      insert into message_status_events (number_id, wamid, status, occurred_at, payload)
      select number_id, wamid, status, occurred_at, payload from si order by ord
      on conflict (number_id, wamid, status, occurred_at) do nothing
      returning id, number_id, wamid, status, occurred_at
    )
    select ins.id::text as id, si.ord, m.id as message_id
    from ins join si on si.number_id = ins.number_id and si.wamid = ins.wamid and si.status = ins.status and si.occurred_at = ins.occurred_at
    left join messages m on m.number_id = ins.number_id and m.wamid = ins.wamid
    order by si.ord`,
  );
}

/**
 * Moves messages to their best new status unless that would move one backwards (failed is final),
 * and marks the status events `applied`. Messages are locked in id order (concurrent batches do not
 * deadlock). Returns the messages that moved.
 */
export async function applyMessageStatuses(
  tx: Tx,
  updates: { message_id: string; status: string; error: unknown }[],
  appliedEventIds: string[],
) {
  return queryRows<{ id: string; conversation_id: string; org_id: string; status: string }>(
    tx,
    sql`
    with best as (
      select * from json_to_recordset(${JSON.stringify(updates)}::json) as x(message_id uuid, status text, error jsonb)
    ), locked as (
      select m.id from messages m where m.id in (select message_id from best) order by m.id for update
    ), upd as (
      update messages m set status = best.status, error = coalesce(best.error, m.error)
      from best
      where m.id = best.message_id and m.id in (select id from locked)
        and ${statusRankSql(sql`m.status`)} < ${statusRankSql(sql`best.status`)}
        and m.status is distinct from 'failed'
      returning m.id, m.conversation_id, m.org_id, m.status
    ), app as (
      update message_status_events set applied = true where id = any(${`{${appliedEventIds.join(',')}}`}::bigint[])
    )
    select id, conversation_id, org_id, status from upd`,
  );
}

/** What Meta reported it billed for a message (a status webhook's `pricing`). */
export interface MessagePricing {
  message_id: string;
  billable: boolean | null;
  pricing_model: string | null;
  category: string | null;
  type: string | null;
}

/** Records Meta's billing facts on outbound messages (the latest reported wins; nulls keep what was known). */
export async function recordMessagePricing(tx: Tx, rows: MessagePricing[]) {
  if (!rows.length) return;
  await tx.execute(sql`
    with p as (
      select * from json_to_recordset(${JSON.stringify(rows)}::json)
        as x(message_id uuid, billable boolean, pricing_model text, category text, type text)
    )
    update messages m set pricing_billable = coalesce(p.billable, m.pricing_billable),
      pricing_model = coalesce(p.pricing_model, m.pricing_model),
      pricing_category = coalesce(p.category, m.pricing_category),
      pricing_type = coalesce(p.type, m.pricing_type)
    from p where m.id = p.message_id and m.direction = 'out'`);
}

/**
 * Statuses Meta reported before the outbound message had its wamid (a fast webhook can beat the
 * send path's commit): applied once it has, in the caller's transaction. Returns the message if it
 * moved.
 */
export async function applyParkedStatuses(tx: Db | Tx, numberId: string, wamid: string) {
  const parked = await queryRows<{ id: number; status: string; payload: Json }>(
    tx,
    sql`select id, status, payload from message_status_events
        where number_id = ${numberId} and wamid = ${wamid} and not applied order by occurred_at, id for update`,
  );
  // The same rule as live statuses: the highest wins, and failed is final.
  const best = bestStatusOf(parked);
  if (!best) return undefined;
  const errors = Array.isArray(best.payload.errors) ? (best.payload.errors as Json[]) : [];
  const [updated] = await queryRows<{ id: string; conversation_id: string; status: string }>(
    tx,
    sql`update messages set status = ${best.status}, error = coalesce(${errors.length ? JSON.stringify(errors[0]) : null}::jsonb, error)
        where number_id = ${numberId} and wamid = ${wamid}
          and ${statusRankSql(sql`status`)} < ${statusRankSql(sql`${best.status}::text`)} and status is distinct from 'failed'
        returning id, conversation_id, status`,
  );
  await tx.execute(
    sql`update message_status_events set applied = true where id in (${sql.join(
      parked.map((p) => sql`${p.id}`),
      sql`, `,
    )})`,
  );
  // What Meta billed, as for live statuses: the latest parked status that says.
  const billed = parked
    .map((p) => statusPricingOf(p.payload))
    .filter((b) => b !== null)
    .at(-1);
  if (billed) {
    await tx.execute(
      sql`update messages set pricing_billable = coalesce(${billed.billable}, pricing_billable),
            pricing_model = coalesce(${billed.pricing_model}, pricing_model),
            pricing_category = coalesce(${billed.category}, pricing_category),
            pricing_type = coalesce(${billed.type}, pricing_type)
          where number_id = ${numberId} and wamid = ${wamid} and direction = 'out'`,
    );
  }
  return updated;
}

/**
 * Statuses parked while their send was being recorded (the webhook's transaction and the sender's
 * overlapped, so neither saw the other) whose message has its wamid now.
 */
export function findLateParkedStatuses(db: Db) {
  return queryRows<{ number_id: string; wamid: string }>(
    db,
    sql`select distinct e.number_id, e.wamid from message_status_events e
        where not e.applied and e.created_at between now() - interval '10 minutes' and now() - interval '2 seconds'
          and exists (select 1 from messages m where m.number_id = e.number_id and m.wamid = e.wamid)
        limit 500`,
  );
}
