import { type SQL, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { queryRows } from '../db/tx.ts';
import { FREE_ENTRY_WINDOW, windowOpen } from './rules.ts';

/**
 * Writes to `conversations` made inside other domains' transactions: a customer wrote (inbound), a
 * message is sent (messages), a campaign chunk is queued (the send path), old messages were purged
 * (retention). Other domains reach these through `writes.ts`; the inbox's own changes (assign, status,
 * read, tags) stay in the conversation service.
 */

/**
 * The conversations of (number, contact) pairs, created when missing, for a batch of customers'
 * messages; rows are taken in the given order (callers sort them: concurrent batches lock alike).
 */
export async function openConversations(
  tx: Tx,
  rows: { org_id: string; number_id: string; contact_id: string }[],
) {
  return queryRows<{ conversation_id: string; number_id: string; contact_id: string }>(
    tx,
    sql`
      insert into conversations (org_id, number_id, contact_id)
      select org_id, number_id, contact_id
      from json_to_recordset(${JSON.stringify(rows.map((r, ord) => ({ ...r, ord })))}::json)
        as x(ord int, org_id uuid, number_id uuid, contact_id uuid)
      order by ord
      on conflict (number_id, contact_id) do update set updated_at = now()
      returning id as conversation_id, number_id, contact_id`,
  );
}

/** The conversation a message to this contact goes into (created when missing), and whether its window is open. */
export async function openConversation(tx: Tx, orgId: string, numberId: string, contactId: string) {
  const opened = await openConversationsForSend(tx, orgId, [{ number_id: numberId, contact_id: contactId }]);
  return opened.get(`${numberId} ${contactId}`)!;
}

/**
 * The conversations of (number, contact) pairs (created when missing), each with whether its
 * window is open and whether it is in a free entry-point window (72 h after a Click-to-WhatsApp
 * referral), by "number contact"; locked in (number, contact) order so concurrent batches take them
 * alike.
 */
export async function openConversationsForSend(
  tx: Tx,
  orgId: string,
  pairs: { number_id: string; contact_id: string }[],
) {
  const rows = [...new Map(pairs.map((p) => [`${p.number_id} ${p.contact_id}`, p])).values()].sort(
    (a, b) => a.number_id.localeCompare(b.number_id) || a.contact_id.localeCompare(b.contact_id),
  );
  const out = await queryRows<{
    id: string;
    number_id: string;
    contact_id: string;
    window_open: boolean;
    free_entry: boolean;
  }>(
    tx,
    sql`insert into conversations (org_id, number_id, contact_id)
        select ${orgId}, number_id, contact_id
        from json_to_recordset(${JSON.stringify(rows.map((r, ord) => ({ ...r, ord })))}::json)
          as x(ord int, number_id uuid, contact_id uuid)
        order by ord
        on conflict (number_id, contact_id) do update set updated_at = conversations.updated_at
        returning id, number_id, contact_id, ${windowOpen('conversations')} as window_open,
                  coalesce(conversations.free_entry_until > now(), false) as free_entry`,
  );
  return new Map(
    out.map((c) => [
      `${c.number_id} ${c.contact_id}`,
      { id: c.id, windowOpen: c.window_open, freeEntryPoint: c.free_entry },
    ]),
  );
}

/** Messages of ours went into these conversations: their activity moves (the window does not). */
export async function touchConversations(tx: Tx, ids: string[]) {
  await tx.execute(
    sql`update conversations set last_message_at = now(), updated_at = now()
        where id = any(${sql.param([...new Set(ids)].sort())}::uuid[])`,
  );
}

/**
 * The conversations of a campaign chunk's recipients (`chunk` selects their `contact_id`) with the
 * number: created, or their activity moved (the campaign's message is in them from now on).
 */
export async function openChunkConversations(tx: Tx, orgId: string, numberId: string, chunk: SQL) {
  await tx.execute(sql`
    insert into conversations (org_id, number_id, contact_id, last_message_at)
    select ${orgId}, ${numberId}, r.contact_id, now() from (${chunk}) r
    on conflict (number_id, contact_id) do update set last_message_at = now(), updated_at = now()`);
}

/**
 * A customer came from a Click-to-WhatsApp ad or post (`referral`): the conversation keeps the first
 * referral and the free entry-point window it opened (72 h from the message; a later referral after
 * that window has closed opens a new one). Rows: conversation id, referral, the message's time.
 */
export async function recordReferrals(tx: Tx, rows: { id: string; referral: unknown; at: string }[]) {
  if (!rows.length) return;
  await tx.execute(
    sql`update conversations c set
          referral = case when c.referral is null or c.free_entry_until is null or c.free_entry_until < x.at
                          then x.referral else c.referral end,
          free_entry_until = case when c.free_entry_until is null or c.free_entry_until < x.at
                                  then x.at + ${FREE_ENTRY_WINDOW} else c.free_entry_until end,
          updated_at = now()
        from json_to_recordset(${JSON.stringify(rows)}::json) as x(id uuid, referral jsonb, at timestamptz)
        where c.id = x.id`,
  );
}

/**
 * Locks conversations (in id order: inbound traffic on them waits) before their messages are
 * deleted; call `recountConversations` after.
 */
export async function lockConversations(tx: Tx, ids: string[]) {
  await tx.execute(
    sql`select id from conversations where id = any(${sql.param(ids)}::uuid[]) order by id for update`,
  );
}

/**
 * After some of their messages were deleted: activity, the customer's latest message and unread
 * counted again from the messages left. A window stays as it was unless no customer message is left.
 */
export async function recountConversations(tx: Tx, ids: string[]) {
  await tx.execute(
    sql`update conversations c set
          last_message_at = x.last_at, last_inbound_at = x.in_at, last_inbound_seq = x.in_seq,
          window_expires_at = case when x.in_at is null then null else c.window_expires_at end,
          unread_count = least(c.unread_count, x.inbound)
        from (select v.id,
                (select max(m.sent_at) from messages m where m.conversation_id = v.id) as last_at,
                (select max(m.sent_at) from messages m where m.conversation_id = v.id and m.direction = 'in') as in_at,
                (select max(m.seq) from messages m where m.conversation_id = v.id and m.direction = 'in') as in_seq,
                (select count(*)::int from (select 1 from messages m
                   where m.conversation_id = v.id and m.direction = 'in' limit 10000) y) as inbound
              from unnest(${sql.param(ids)}::uuid[]) as v(id)) x
        where c.id = x.id`,
  );
}

/**
 * Moves one contact's conversations onto another contact of the same organisation (one person known
 * by two identifiers, linked by the contacts domain): a conversation on a number where the other
 * contact has none is re-pointed; where both have one, its messages, notes and tags join the other's
 * (in their arrival order: `messages.seq` is global) and it is deleted. The kept conversations' times
 * and unread counts are recomputed; the 24 h window is the later of the two.
 */
export async function mergeContactConversations(
  tx: Tx,
  orgId: string,
  fromContactId: string,
  toContactId: string,
) {
  await tx.execute(
    sql`update conversations c set contact_id = ${toContactId}, updated_at = now()
        where c.org_id = ${orgId} and c.contact_id = ${fromContactId}
          and not exists (select 1 from conversations o where o.number_id = c.number_id and o.contact_id = ${toContactId})`,
  );
  const pairs = await queryRows<{ from_id: string; to_id: string }>(
    tx,
    sql`select f.id as from_id, t.id as to_id from conversations f
        join conversations t on t.number_id = f.number_id and t.contact_id = ${toContactId}
        where f.org_id = ${orgId} and f.contact_id = ${fromContactId} order by t.id`,
  );
  for (const { from_id, to_id } of pairs) {
    await tx.execute(sql`update messages set conversation_id = ${to_id} where conversation_id = ${from_id}`);
    await tx.execute(
      sql`update conversation_notes set conversation_id = ${to_id} where conversation_id = ${from_id}`,
    );
    await tx.execute(
      sql`update conversation_resolutions set conversation_id = ${to_id} where conversation_id = ${from_id}`,
    );
    await tx.execute(
      sql`insert into conversation_tags (org_id, conversation_id, tag_id)
          select org_id, ${to_id}, tag_id from conversation_tags where conversation_id = ${from_id}
          on conflict do nothing`,
    );
    await tx.execute(
      sql`update conversations t set
            unread_count = t.unread_count + f.unread_count,
            window_expires_at = greatest(t.window_expires_at, f.window_expires_at),
            assignee_id = coalesce(t.assignee_id, f.assignee_id), updated_at = now()
          from conversations f where t.id = ${to_id} and f.id = ${from_id}`,
    );
    await tx.execute(sql`delete from conversations where id = ${from_id}`);
  }
  if (pairs.length)
    await recountConversations(
      tx,
      pairs.map((p) => p.to_id),
    );
}
