import type { DomainEvent } from '@openwaba/contracts';
import { type SQL, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { queryRows } from '../db/tx.ts';
import { cmp } from './apply-messages.ts';
import { type EventPlan, epochMsOf, type Json, objectsOf, tally } from './plan.ts';

const rank = (x: SQL) =>
  sql`case ${x} when 'sent' then 1 when 'delivered' then 2 when 'read' then 3 when 'played' then 3 when 'failed' then 4 else 0 end`;

const STATUS_RANK: Record<string, number> = { sent: 1, delivered: 2, read: 3, played: 3, failed: 4 };

/**
 * Records every status (once: unique by message, status and time) and applies, per message, the
 * best of the batch unless it would move the message backwards (failed is final); a status for a
 * message not recorded yet is parked.
 */
export async function applyStatuses(
  tx: Tx,
  plans: EventPlan[],
  publish: (orgId: string, e: DomainEvent) => void,
) {
  type Incoming = { plan: EventPlan; orgId: string; row: Json; ord: number };
  const list: Incoming[] = [];
  const seen = new Set<string>();
  for (const plan of plans) {
    for (const { number, value } of plan.changes) {
      for (const s of objectsOf(value.statuses)) {
        if (!s?.id || !s.status) continue;
        const occurredAt = new Date(epochMsOf(s.timestamp)).toISOString();
        const key = `${number.id} ${String(s.id)} ${String(s.status)} ${occurredAt}`;
        // A copy within the batch is a duplicate, as the unique constraint would make it.
        if (seen.has(key)) continue;
        seen.add(key);
        list.push({
          plan,
          orgId: number.orgId,
          ord: 0,
          row: {
            number_id: number.id,
            wamid: String(s.id),
            status: String(s.status),
            occurred_at: occurredAt,
            payload: s,
          },
        });
      }
    }
  }
  if (!list.length) return;
  list.sort(
    (a, b) =>
      cmp(String(a.row.number_id), String(b.row.number_id)) || cmp(String(a.row.wamid), String(b.row.wamid)),
  );
  list.forEach((x, ord) => {
    x.ord = ord;
  });
  const recorded = await queryRows<{ id: string; ord: number; message_id: string | null }>(
    tx,
    sql`
    with si as (
      select * from json_to_recordset(${JSON.stringify(list.map((x) => ({ ...x.row, ord: x.ord })))}::json)
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
  const applied: string[] = [];
  const best = new Map<string, Json>();
  for (const r of recorded) {
    const x = list[r.ord]!;
    tally(x.plan, x.orgId, 'statuses');
    if (!r.message_id) {
      tally(x.plan, x.orgId, 'parked');
      continue;
    }
    applied.push(r.id);
    // The same rule as one by one: the highest rank wins (the first of equals), failed is final.
    const prev = best.get(r.message_id);
    const status = String(x.row.status);
    if (!prev || (STATUS_RANK[status] ?? 0) > (STATUS_RANK[String(prev.status)] ?? 0)) {
      best.set(r.message_id, x.row);
    }
  }
  if (!applied.length) return;
  const updates = [...best].map(([messageId, row]) => {
    const payload = row.payload as Json;
    const errors = Array.isArray(payload.errors) ? (payload.errors as Json[]) : [];
    return { message_id: messageId, status: row.status, error: errors.length ? errors[0] : null };
  });
  const updated = await queryRows<{ id: string; conversation_id: string; org_id: string; status: string }>(
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
        and ${rank(sql`m.status`)} < ${rank(sql`best.status`)}
        and m.status is distinct from 'failed'
      returning m.id, m.conversation_id, m.org_id, m.status
    ), app as (
      update message_status_events set applied = true where id = any(${`{${applied.join(',')}}`}::bigint[])
    )
    select id, conversation_id, org_id, status from upd`,
  );
  for (const u of updated) {
    publish(u.org_id, {
      type: 'message.status_updated',
      conversation_id: u.conversation_id,
      data: { message_id: u.id, status: u.status, conversation_id: u.conversation_id },
    });
  }
}

/**
 * Statuses Meta reported before the outbound message was recorded (a fast webhook can beat the
 * send path's commit): applied once the message exists, in the caller's transaction. The send path
 * calls this right after it records a message. Returns the status applied, if any.
 */
export async function applyParkedStatuses(tx: Db | Tx, numberId: string, wamid: string) {
  const parked = await queryRows<{ id: number; status: string; payload: Json }>(
    tx,
    sql`select id, status, payload from message_status_events
        where number_id = ${numberId} and wamid = ${wamid} and not applied order by occurred_at, id for update`,
  );
  if (!parked.length) return undefined;
  // The same rule as live statuses: the highest wins, and failed is final.
  const best =
    parked.find((p) => p.status === 'failed') ??
    parked.reduce((a, b) => ((STATUS_RANK[b.status] ?? 0) >= (STATUS_RANK[a.status] ?? 0) ? b : a));
  const errors = Array.isArray(best.payload.errors) ? (best.payload.errors as Json[]) : [];
  const [updated] = await queryRows<{ id: string; conversation_id: string; status: string }>(
    tx,
    sql`update messages set status = ${best.status}, error = coalesce(${errors.length ? JSON.stringify(errors[0]) : null}::jsonb, error)
        where number_id = ${numberId} and wamid = ${wamid}
          and ${rank(sql`status`)} < ${rank(sql`${best.status}::text`)} and status is distinct from 'failed'
        returning id, conversation_id, status`,
  );
  await tx.execute(
    sql`update message_status_events set applied = true where id in (${sql.join(
      parked.map((p) => sql`${p.id}`),
      sql`, `,
    )})`,
  );
  return updated;
}
