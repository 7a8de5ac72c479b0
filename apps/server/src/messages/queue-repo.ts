import type { MessageContent } from '@openwaba/contracts';
import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { queryRows, transaction } from '../db/tx.ts';
import { applyParkedStatuses, type RecipientsPart } from './repo.ts';

/**
 * The sender's statements: claiming due sends off `send_queue` and recording what became of them
 * (sent, failed, retried, unknown, released). Keyed by number: the sender is a worker of the whole
 * install, and a number belongs to one organisation. Campaigns hand in their recipients' part of a
 * statement as a `RecipientsPart` (see repo.ts).
 */

/** A send claimed by the sender: its queue row with a new attempt id. */
export interface ClaimedSend {
  id: number;
  org_id: string;
  message_id: string;
  campaign_id: string | null;
  recipient_id: number | null;
  to_wa_id: string;
  content: MessageContent;
  reply_to: string | null;
  attempt_id: string;
  attempts: number;
  priority: number;
  run_order: number;
}

const CLAIMED_COLUMNS = sql`q.id::int as id, q.org_id, q.message_id, q.campaign_id, q.recipient_id::int as recipient_id,
                    q.to_wa_id, q.content, q.reply_to, q.attempt_id, q.attempts, q.priority, q.run_order::float8 as run_order`;

/**
 * Claims up to `limit` due sends of the number, each with a new attempt id, held for `leaseSeconds`:
 * people waiting (priority 0) first, then campaign sends of running campaigns in start order.
 * Campaign sends are read after `cursor` (the last one claimed), so a claim does not wade through the
 * index entries of sends already finished (deleted rows stay in the index until vacuum).
 */
export function claimSends(
  db: Db,
  numberId: string,
  limit: number,
  cursor: { runOrder: number; id: number } | null,
  leaseSeconds: number,
): Promise<ClaimedSend[]> {
  const due = sql`q.number_id = ${numberId} and q.lease_until is null and q.unknown_since is null and q.due_at <= now()`;
  return queryRows<ClaimedSend>(
    db,
    sql`with p0 as (
          select q.id from send_queue q where ${due} and q.priority = 0
          order by q.id limit ${limit} for update skip locked),
        p1 as (
          select q.id, q.run_order from send_queue q
          where ${due} and q.priority = 1
            ${cursor ? sql`and (q.run_order, q.id) > (${cursor.runOrder}::bigint, ${cursor.id}::bigint)` : sql``}
            and exists (select 1 from campaigns k where k.id = q.campaign_id and k.state = 'running')
          order by q.run_order, q.id limit ${limit} for update skip locked),
        c as (select id from p0 union all (select id from p1 order by run_order, id) limit ${limit})
        update send_queue q set lease_until = now() + make_interval(secs => ${leaseSeconds}),
               attempt_id = gen_random_uuid(), attempts = q.attempts + 1
        from c where q.id = c.id
        returning ${CLAIMED_COLUMNS}`,
  );
}

/**
 * Marks sends as accepted by Meta in one statement: the message gets its wamid, the recipient is
 * sent (`recipients` reads `s`: r = recipient id, m = message id, w = wamid, a = attempts), the
 * queue row goes (the
 * conversation's activity moved when the message was queued); statuses that arrived first (parked)
 * are applied after it, each in its own transaction (rare: a status webhook before Meta's answer).
 */
export async function markSent(
  db: Db,
  numberId: string,
  items: { row: ClaimedSend; wamid: string }[],
  recipients: RecipientsPart,
) {
  const rows = items.map((i) => ({
    q: i.row.id,
    m: i.row.message_id,
    r: i.row.recipient_id,
    w: i.wamid,
    a: i.row.attempts,
  }));
  const [res] = await queryRows<{ parked: string[] | null }>(
    db,
    sql`
    with s as (select * from json_to_recordset(${JSON.stringify(rows)}::json) as x(q bigint, m uuid, r bigint, w text, a int)),
    rec as (${recipients(sql`s`)}),
    del as (delete from send_queue q using s where q.id = s.q),
    upd as (update messages m set wamid = s.w, status = case when m.status = 'pending' then 'sent' else m.status end,
                   sent_at = now()
            from s where m.id = s.m)
    select array(select distinct e.wamid from message_status_events e
                 where e.number_id = ${numberId} and not e.applied and e.wamid in (select w from s)) as parked`,
  );
  for (const wamid of res?.parked ?? [])
    await transaction(db, (tx) => applyParkedStatuses(tx, numberId, wamid));
}

/** A send that failed for good: its message fails with Meta's error, its recipient with the reason. */
export interface FailedSend {
  row: ClaimedSend;
  error: Record<string, unknown>;
  reason: string;
}

/**
 * Fails sends in one statement: the message is failed with the error, the queue row goes and the
 * recipient fails (`recipients` reads `f`: r = recipient id, m = message id, e = error, reason,
 * attempts).
 */
export async function failSends(tx: Tx, items: FailedSend[], recipients: RecipientsPart) {
  const rows = items.map((d) => ({
    q: d.row.id,
    m: d.row.message_id,
    r: d.row.recipient_id,
    e: d.error,
    reason: d.reason,
    attempts: d.row.attempts,
  }));
  await tx.execute(sql`
    with f as (select * from json_to_recordset(${JSON.stringify(rows)}::json)
                 as x(q bigint, m uuid, r bigint, e jsonb, reason text, attempts int)),
    msg as (update messages m set status = 'failed', error = f.e from f where m.id = f.m),
    rec as (${recipients(sql`f`)})
    delete from send_queue q using f where q.id = f.q`);
}

/**
 * Puts sends back on the queue after `delayMs`; one that `counts` keeps its attempt, one that does
 * not (the number's throughput refused it, not the recipient) gives it back.
 */
export async function retrySends(tx: Tx, items: { id: number; delayMs: number; counts: boolean }[]) {
  const rows = items.map((i) => ({ q: i.id, ms: i.delayMs, undo: i.counts ? 0 : 1 }));
  await tx.execute(sql`
    update send_queue q set lease_until = null, attempt_id = null, attempts = q.attempts - x.undo,
           due_at = now() + make_interval(secs => x.ms / 1000.0)
    from json_to_recordset(${JSON.stringify(rows)}::json) as x(q bigint, ms int, undo int)
    where q.id = x.q`);
}

/** Sends whose request may or may not have reached Meta: they wait for a status webhook (see `requeueUnknown`). */
export async function markSendsUnknown(tx: Tx, ids: number[]) {
  await tx.execute(sql`
    update send_queue set lease_until = null, unknown_since = now()
    where id = any(${sql.param(ids)}::bigint[])`);
}

/** Gives claimed but unsent rows back to the queue as they were (no attempt was made). */
export async function releaseSends(db: Db | Tx, ids: number[]) {
  if (!ids.length) return;
  await db.execute(sql`
    update send_queue q set lease_until = null, attempt_id = null, attempts = q.attempts - 1
    where id = any(${sql.param(ids)}::bigint[])`);
}

/** Claims a dead worker left (lease ran out) become "unknown": the request may have left. */
export async function expireSendLeases(db: Db) {
  await db.execute(sql`
    update send_queue set lease_until = null, unknown_since = now()
    where lease_until is not null and lease_until < now() - interval '1 second' and attempt_id is not null`);
}

/** Unknown sends whose status webhook arrived (it carries the attempt id): they were sent. */
export function findUnknownSendsAnswered(db: Db) {
  return queryRows<ClaimedSend & { number_id: string; wamid: string }>(
    db,
    sql`select ${CLAIMED_COLUMNS}, q.number_id, e.wamid
        from send_queue q
        join lateral (select e.wamid from message_status_events e
                       where (e.payload->>'biz_opaque_callback_data') = 'ow:' || q.attempt_id::text and not e.applied
                       limit 1) e on true
        where q.unknown_since is not null
        limit 1000`,
  );
}

/**
 * Unknown sends still unanswered after the reconcile window go back to the queue with no attempt id
 * (the next claim gives a new one). Returns them, with the attempts they have used.
 */
export function requeueUnknownSends(db: Db, reconcileWindowSeconds: number) {
  return queryRows<{
    id: number;
    message_id: string;
    recipient_id: number | null;
    attempts: number;
    campaign_id: string | null;
  }>(
    db,
    sql`update send_queue q set unknown_since = null, attempt_id = null, due_at = now()
        where q.unknown_since < now() - make_interval(secs => ${reconcileWindowSeconds})
          -- A status webhook carrying the attempt id that is stored but not processed yet (its worker
          -- died holding the claim, or processing failed and is retried) proves the send was accepted.
          and not exists (select 1 from webhook_events w where w.state in ('pending', 'failed')
                            and strpos(w.raw, 'ow:' || q.attempt_id::text) > 0)
        returning id::int as id, message_id, recipient_id::int as recipient_id, attempts, campaign_id`,
  );
}

/** Sends given up with no outcome: the message fails with the reason and leaves the queue. */
export async function giveUpSends(tx: Tx, items: { id: number; message_id: string }[], reason: string) {
  await tx.execute(sql`update messages set status = 'failed', error = ${JSON.stringify({ title: reason })}::jsonb
                       where id = any(${sql.param(items.map((s) => s.message_id))}::uuid[])`);
  await tx.execute(
    sql`delete from send_queue where id = any(${sql.param(items.map((s) => s.id))}::bigint[])`,
  );
}
