import type { DomainEvent } from '@openwaba/contracts';
import { sql } from 'drizzle-orm';
import type { ConsentService } from '../contacts/consent.ts';
import { identityKey, linkIdentities, upsertContacts } from '../contacts/upsert.ts';
import { openConversations, recordReferrals } from '../conversations/writes.ts';
import type { Tx } from '../db/client.ts';
import { type OnCommit, queryRows } from '../db/tx.ts';
import type { DomainEventEmitter } from '../events/domain-events.ts';
import type { MediaService } from '../media/service.ts';
import { insertInboundMessages } from '../messages/repo.ts';
import type { InboundMessage } from './normalize.ts';
import { type EventPlan, type NumberRow, tally } from './plan.ts';

export const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Applies the customer messages of planned events (see `applyMessages`). */
export function createMessageApplier(deps: {
  media: MediaService;
  consent: ConsentService;
  /**
   * Emits `consent.opted_out` when a customer opts out by keyword (the confirmation reply follows),
   * and `message.received` for every new customer message (automation).
   */
  domainEvents: DomainEventEmitter;
}) {
  const { media, consent, domainEvents } = deps;

  /**
   * Every inbound message of the planned events, set-based: duplicates are filtered first (Meta
   * redelivers; the unique (number_id, wamid) constraint stays the guarantee when copies race), then
   * one upsert of contacts (per organisation: `upsertContacts`, the contacts domain's), one of
   * conversations, one insert of messages (messages repo) that also
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
    type Incoming = { plan: EventPlan; number: NumberRow; m: InboundMessage; ord: number; key: string };
    const incoming: Incoming[] = [];
    for (const plan of plans) {
      for (const { number, change } of plan.changes) {
        for (const m of change.messages) {
          incoming.push({ plan, number, m, ord: incoming.length, key: `${number.id} ${m.wamid}` });
        }
      }
    }
    if (!incoming.length) return;
    const known = new Set(
      (
        await queryRows<{ k: string }>(
          tx,
          sql`select m.number_id::text || ' ' || m.wamid as k
              from json_to_recordset(${JSON.stringify(incoming.map((i) => ({ n: i.number.id, w: i.m.wamid })))}::json) as x(n uuid, w text)
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
    // Who wrote: a phone, a BSUID (a username customer), or both — resolved to the contact's address
    // (linking the two, and re-keying on a phone or BSUID change), which keys everything below.
    const orgs = [...new Set(fresh.map((i) => i.number.orgId))].sort(cmp);
    for (const orgId of orgs) {
      const list = fresh.filter((i) => i.number.orgId === orgId);
      const identities = list.map(({ m }) => ({
        phone: m.phone,
        userId: m.userId,
        parentUserId: m.parentUserId,
        change: m.identityChange,
      }));
      const address = await linkIdentities(tx, orgId, identities);
      for (const i of list) i.m = { ...i.m, from: address.get(identityKey(i.m)) ?? i.m.from };
    }
    fresh.sort((a, b) => cmp(a.number.orgId, b.number.orgId) || cmp(a.m.from, b.m.from) || a.ord - b.ord);

    // Contacts: one statement per organisation (a batch rarely spans more than one), in (org, wa_id)
    // order; the latest name and user id win, the latest inbound time.
    const contactOf = new Map<string, string>();
    const byOrg = new Map<string, Incoming[]>();
    for (const i of fresh) byOrg.set(i.number.orgId, [...(byOrg.get(i.number.orgId) ?? []), i]);
    for (const [orgId, list] of byOrg) {
      const rows = list.map(({ m }) => ({
        waId: m.from,
        name: m.name,
        // A system message's sender is the customer before the change: their old BSUID is not kept.
        userId: m.identityChange ? null : m.userId,
        username: m.username,
        parentUserId: m.parentUserId,
        lastInboundAt: m.sentAtMs,
      }));
      for (const c of await upsertContacts(tx, orgId, rows, { existing: 'inbound' })) {
        contactOf.set(`${orgId} ${c.wa_id}`, c.id);
      }
    }
    const convRows = new Map<
      string,
      { org_id: string; number_id: string; contact_id: string; wa_id: string }
    >();
    for (const i of fresh) {
      const contactId = contactOf.get(`${i.number.orgId} ${i.m.from}`)!;
      convRows.set(`${i.number.id} ${i.m.from}`, {
        org_id: i.number.orgId,
        number_id: i.number.id,
        contact_id: contactId,
        wa_id: i.m.from,
      });
    }
    const convList = [...convRows.values()].sort(
      (a, b) => cmp(a.org_id, b.org_id) || cmp(a.wa_id, b.wa_id) || cmp(a.number_id, b.number_id),
    );
    const waOf = new Map(convList.map((v) => [v.contact_id, v.wa_id]));
    const convs = (
      await openConversations(
        tx,
        convList.map(({ wa_id: _, ...v }) => v),
      )
    ).map((r) => ({ ...r, wa_id: waOf.get(r.contact_id)! }));
    const convOf = new Map(convs.map((r) => [`${r.number_id} ${r.wa_id}`, r]));
    const stored = await insertInboundMessages(
      tx,
      fresh.map((i, ord) => ({
        ord,
        org_id: i.number.orgId,
        number_id: i.number.id,
        conversation_id: convOf.get(`${i.number.id} ${i.m.from}`)!.conversation_id,
        wamid: i.m.wamid,
        type: i.m.type,
        content: i.m.raw,
        context_wamid: i.m.contextWamid,
        sent_at: new Date(i.m.sentAtMs).toISOString(),
      })),
    );
    const messageOf = new Map(stored.map((r) => [`${r.number_id} ${r.wamid}`, r.id]));
    const touched = new Map<string, string>();
    const referrals = new Map<string, { id: string; referral: unknown; at: string }>();
    for (const i of fresh) {
      const messageId = messageOf.get(i.key);
      messageOf.delete(i.key); // a second copy of the same wamid in this batch is a duplicate
      if (!messageId) {
        tally(i.plan, i.number.orgId, 'duplicates');
        continue;
      }
      tally(i.plan, i.number.orgId, 'messages');
      const { orgId } = i.number;
      const { from } = i.m;
      const conv = convOf.get(`${i.number.id} ${from}`)!;
      // A Click-to-WhatsApp ad or post: the conversation's first referral opens the free window.
      if (i.m.referral && !referrals.has(conv.conversation_id)) {
        referrals.set(conv.conversation_id, {
          id: conv.conversation_id,
          referral: i.m.referral,
          at: new Date(i.m.sentAtMs).toISOString(),
        });
      }
      const mediaFileId = await media.recordPending(tx, {
        orgId,
        numberId: i.number.id,
        messageId,
        type: i.m.type,
        payload: i.m.raw,
      });
      if (mediaFileId) onCommit(() => media.schedule(orgId, mediaFileId));
      // STOP / START: consent changes with the message that carries it, in this transaction.
      let changed: 'opt_in' | 'opt_out' | null = null;
      if (i.m.said !== null) {
        changed = await consent.applyKeyword(tx, onCommit, {
          orgId,
          contactId: conv.contact_id,
          waId: from,
          messageId,
          text: i.m.said,
        });
        if (changed === 'opt_out') {
          domainEvents.emit(onCommit, 'consent.opted_out', {
            orgId,
            numberId: i.number.id,
            contactId: conv.contact_id,
          });
        }
      }
      // The customer's own message (never an echo, history or our outbound): automation reacts.
      domainEvents.emit(onCommit, 'message.received', {
        orgId,
        numberId: i.number.id,
        contactId: conv.contact_id,
        conversationId: conv.conversation_id,
        messageId,
        consent: changed,
      });
      touched.set(conv.conversation_id, orgId);
      publish(orgId, {
        type: 'message.received',
        conversation_id: conv.conversation_id,
        data: { message_id: messageId, conversation_id: conv.conversation_id, contact_id: conv.contact_id },
      });
    }
    await recordReferrals(tx, [...referrals.values()]);
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
