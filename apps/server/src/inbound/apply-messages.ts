import type { DomainEvent } from '@openwaba/contracts';
import { sql } from 'drizzle-orm';
import type { ConsentService } from '../contacts/consent.ts';
import type { Tx } from '../db/client.ts';
import { type OnCommit, queryRows } from '../db/tx.ts';
import type { DomainEventEmitter } from '../events/domain-events.ts';
import type { MediaService } from '../media/service.ts';
import { insertInboundMessages } from '../messages/repo.ts';
import { type EventPlan, epochMsOf, type Json, type NumberRow, note, objectsOf, tally } from './plan.ts';

export const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Applies the customer messages of planned events (see `applyMessages`). */
export function createMessageApplier(deps: {
  media: MediaService;
  consent: ConsentService;
  /** Emits `consent.opted_out` when a customer opts out by keyword (the confirmation reply follows). */
  domainEvents: DomainEventEmitter;
}) {
  const { media, consent, domainEvents } = deps;

  /**
   * Every inbound message of the planned events, set-based: duplicates are filtered first (Meta
   * redelivers; the unique (number_id, wamid) constraint stays the guarantee when copies race), then
   * one upsert of contacts, one of conversations, one insert of messages (messages repo) that also
   * moves each conversation's 24 h window and unread count. Customers are touched in a fixed order
   * (org, wa_id) so concurrent batches over the same customers do not deadlock (a deadlock that still
   * happens fails the batch, whose events are then processed one by one: processing is idempotent).
   * One customer's messages keep Meta's order (their arrival order, `messages.seq`).
   */
  async function applyMessages(
    tx: Tx,
    onCommit: OnCommit,
    plans: EventPlan[],
    publish: (orgId: string, e: DomainEvent) => void,
  ) {
    type Incoming = { plan: EventPlan; number: NumberRow; m: Json; profile?: Json; ord: number; key: string };
    const incoming: Incoming[] = [];
    for (const plan of plans) {
      for (const { number, value } of plan.changes) {
        const profiles = new Map(objectsOf(value.contacts).map((c) => [String(c.wa_id ?? ''), c]));
        for (const m of objectsOf(value.messages)) {
          if (!m?.from || !m.id) note(plan, [number.orgId], 'skipped', 'message without from/id');
          else
            incoming.push({
              plan,
              number,
              m,
              profile: profiles.get(String(m.from)),
              ord: incoming.length,
              key: `${number.id} ${String(m.id)}`,
            });
        }
      }
    }
    if (!incoming.length) return;
    const known = new Set(
      (
        await queryRows<{ k: string }>(
          tx,
          sql`select m.number_id::text || ' ' || m.wamid as k
              from json_to_recordset(${JSON.stringify(incoming.map((i) => ({ n: i.number.id, w: String(i.m.id) })))}::json) as x(n uuid, w text)
              join messages m on m.number_id = x.n and m.wamid = x.w`,
        )
      ).map((r) => r.k),
    );
    const fresh: Incoming[] = [];
    for (const i of incoming) {
      if (known.has(i.key)) {
        tally(i.plan, i.number.orgId, 'duplicates');
        continue;
      }
      // A second copy in this batch: it would conflict with the first; counted as a duplicate below.
      known.add(i.key);
      fresh.push(i);
    }
    if (!fresh.length) return;
    fresh.sort(
      (a, b) =>
        cmp(a.number.orgId, b.number.orgId) || cmp(String(a.m.from), String(b.m.from)) || a.ord - b.ord,
    );
    const sentAtOf = (m: Json) => epochMsOf(m.timestamp);

    // Contacts: one row per customer; the latest name and user id win, the latest inbound time.
    const contactRows = new Map<
      string,
      { org_id: string; wa_id: string; name: string | null; user_id: string | null; at: number }
    >();
    const convRows = new Map<string, { org_id: string; number_id: string; wa_id: string }>();
    for (const i of fresh) {
      const from = String(i.m.from);
      const name = (i.profile?.profile as Json | undefined)?.name;
      const userId = i.profile?.user_id;
      const ck = `${i.number.orgId} ${from}`;
      const c = contactRows.get(ck);
      const at = sentAtOf(i.m);
      if (!c) {
        contactRows.set(ck, {
          org_id: i.number.orgId,
          wa_id: from,
          name: typeof name === 'string' ? name : null,
          user_id: typeof userId === 'string' ? userId : null,
          at,
        });
      } else {
        if (typeof name === 'string') c.name = name;
        if (typeof userId === 'string') c.user_id = userId;
        c.at = Math.max(c.at, at);
      }
      convRows.set(`${i.number.id} ${from}`, { org_id: i.number.orgId, number_id: i.number.id, wa_id: from });
    }
    const convList = [...convRows.values()].sort(
      (a, b) => cmp(a.org_id, b.org_id) || cmp(a.wa_id, b.wa_id) || cmp(a.number_id, b.number_id),
    );
    const convs = await queryRows<{
      conversation_id: string;
      number_id: string;
      contact_id: string;
      wa_id: string;
    }>(
      tx,
      sql`
      with ci as (
        select * from json_to_recordset(${JSON.stringify(
          [...contactRows.values()].map((c, ord) => ({ ...c, ord, at: new Date(c.at).toISOString() })),
        )}::json) as x(ord int, org_id uuid, wa_id text, name text, user_id text, at timestamptz)
      ), c as (
        insert into contacts (org_id, wa_id, name, user_id, last_inbound_at)
        select org_id, wa_id, name, user_id, at from ci order by ord
        on conflict (org_id, wa_id) do update set name = coalesce(excluded.name, contacts.name), user_id = coalesce(excluded.user_id, contacts.user_id),
          last_inbound_at = greatest(contacts.last_inbound_at, excluded.last_inbound_at), updated_at = now()
        returning id, org_id, wa_id
      ), vi as (
        select * from json_to_recordset(${JSON.stringify(convList.map((v, ord) => ({ ...v, ord })))}::json)
          as x(ord int, org_id uuid, number_id uuid, wa_id text)
      ), v as (
        insert into conversations (org_id, number_id, contact_id)
        select vi.org_id, vi.number_id, c.id from vi join c on c.org_id = vi.org_id and c.wa_id = vi.wa_id order by vi.ord
        on conflict (number_id, contact_id) do update set updated_at = now()
        returning id, number_id, contact_id
      )
      select v.id as conversation_id, v.number_id, v.contact_id, c.wa_id from v join c on c.id = v.contact_id`,
    );
    const convOf = new Map(convs.map((r) => [`${r.number_id} ${r.wa_id}`, r]));
    const stored = await insertInboundMessages(
      tx,
      fresh.map((i, ord) => {
        const context = i.m.context as Json | undefined;
        return {
          ord,
          org_id: i.number.orgId,
          number_id: i.number.id,
          conversation_id: convOf.get(`${i.number.id} ${String(i.m.from)}`)!.conversation_id,
          wamid: String(i.m.id),
          type: String(i.m.type ?? 'unknown'),
          content: i.m,
          context_wamid: typeof context?.id === 'string' ? context.id : null,
          sent_at: new Date(sentAtOf(i.m)).toISOString(),
        };
      }),
    );
    const messageOf = new Map(stored.map((r) => [`${r.number_id} ${r.wamid}`, r.id]));
    const touched = new Map<string, string>();
    for (const i of fresh) {
      const messageId = messageOf.get(i.key);
      messageOf.delete(i.key); // a second copy of the same wamid in this batch is a duplicate
      if (!messageId) {
        tally(i.plan, i.number.orgId, 'duplicates');
        continue;
      }
      tally(i.plan, i.number.orgId, 'messages');
      const { orgId } = i.number;
      const from = String(i.m.from);
      const conv = convOf.get(`${i.number.id} ${from}`)!;
      const mediaFileId = await media.recordPending(tx, {
        orgId,
        numberId: i.number.id,
        messageId,
        type: String(i.m.type ?? ''),
        payload: i.m,
      });
      if (mediaFileId) onCommit(() => media.schedule(orgId, mediaFileId));
      // STOP / START: consent changes with the message that carries it, in this transaction.
      const said =
        i.m.type === 'text' ? (i.m.text as Json | undefined)?.body : (i.m.button as Json | undefined)?.text;
      if (typeof said === 'string') {
        const changed = await consent.applyKeyword(tx, onCommit, {
          orgId,
          contactId: conv.contact_id,
          waId: from,
          messageId,
          text: said,
        });
        if (changed === 'opt_out') {
          domainEvents.emit(onCommit, 'consent.opted_out', {
            orgId,
            numberId: i.number.id,
            contactId: conv.contact_id,
          });
        }
      }
      touched.set(conv.conversation_id, orgId);
      publish(orgId, {
        type: 'message.received',
        conversation_id: conv.conversation_id,
        data: { message_id: messageId, conversation_id: conv.conversation_id, contact_id: conv.contact_id },
      });
    }
    for (const [id, orgId] of touched) {
      publish(orgId, {
        type: 'conversation.updated',
        conversation_id: id,
        data: { conversation_id: id, fields: ['last_message_at', 'unread_count'] },
      });
    }
  }

  return applyMessages;
}
