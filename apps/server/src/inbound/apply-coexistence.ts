import type { DomainEvent } from '@openwaba/contracts';
import { identityKey, linkIdentities, upsertContacts } from '../contacts/upsert.ts';
import { openConversations } from '../conversations/writes.ts';
import type { Tx } from '../db/client.ts';
import { insertCoexistenceMessages } from '../messages/repo.ts';
import { cmp } from './apply-messages.ts';
import type { CoexistenceMessage } from './normalize.ts';
import { type EventPlan, type NumberRow, note, tally } from './plan.ts';

/**
 * Applies the coexistence changes of planned events (a number shared by the WhatsApp Business app and
 * the API), in the batch's transaction:
 * - `smb_message_echoes`: what the business sent from the app is stored as an outbound message with
 *   source `business_app` (shown so in the thread) — never queued, never sent by us. It moves the
 *   conversation's activity like any message of ours, not its window nor its unread count.
 * - `history`: older messages of both sides are back-filled with their own times (outbound ones as
 *   `business_app`, inbound ones as `history`). Nothing reacts to them: no `message.received`, no
 *   consent keyword, no media download, no unread count, no window; a conversation keeps its place in
 *   the inbox (one that had no message yet is placed at its newest history message, resolved).
 * - `smb_app_state_sync`: an app contact added or edited is created, or its name is updated (the
 *   business's own address book names them); a contact removed from the app keeps everything here
 *   (its history and consent are openwaba's record) — the removal is only noted in the event's result.
 */
export async function applyCoexistence(
  tx: Tx,
  plans: EventPlan[],
  publish: (orgId: string, e: DomainEvent) => void,
) {
  type Item = { plan: EventPlan; number: NumberRow; m: CoexistenceMessage; live: boolean; ord: number };
  const items: Item[] = [];
  for (const plan of plans) {
    for (const { number, change } of plan.coexistence) {
      if (change.field === 'smb_app_state_sync') {
        await applyAppContacts(tx, plan, number, change.contacts, publish);
        continue;
      }
      const live = change.field === 'smb_message_echoes';
      for (const m of change.messages) {
        if (m.customer) items.push({ plan, number, m, live, ord: items.length });
        else note(plan, [number.orgId], 'skipped', `${change.field} message without a customer`);
      }
    }
  }
  if (!items.length) return;
  // A username customer named by BSUID (with or without the phone): resolved to the contact's
  // address like an inbound message's sender, linking the two when both are given.
  for (const orgId of new Set(items.filter((i) => i.m.userId).map((i) => i.number.orgId))) {
    const list = items.filter((i) => i.number.orgId === orgId && i.m.userId);
    const address = await linkIdentities(
      tx,
      orgId,
      list.map(({ m }) => ({ phone: m.phone, userId: m.userId, parentUserId: null, change: null })),
    );
    for (const i of list) i.m = { ...i.m, customer: address.get(identityKey(i.m)) ?? i.m.customer };
  }
  items.sort(
    (a, b) => cmp(a.number.orgId, b.number.orgId) || cmp(a.m.customer, b.m.customer) || a.ord - b.ord,
  );
  const contactOf = new Map<string, string>();
  const byOrg = new Map<string, Item[]>();
  for (const i of items) byOrg.set(i.number.orgId, [...(byOrg.get(i.number.orgId) ?? []), i]);
  for (const [orgId, list] of byOrg) {
    for (const c of await upsertContacts(
      tx,
      orgId,
      // A new contact gets the profile name an echo names; an existing one is left as it is.
      list.map((i) => ({ waId: i.m.customer, name: i.m.name, userId: i.m.userId })),
    )) {
      contactOf.set(`${orgId} ${c.wa_id}`, c.id);
    }
  }
  const pairs = new Map<string, { org_id: string; number_id: string; contact_id: string }>();
  for (const i of items) {
    pairs.set(`${i.number.id} ${i.m.customer}`, {
      org_id: i.number.orgId,
      number_id: i.number.id,
      contact_id: contactOf.get(`${i.number.orgId} ${i.m.customer}`)!,
    });
  }
  const convs = await openConversations(tx, [...pairs.values()]);
  const convOf = new Map(convs.map((r) => [`${r.number_id} ${r.contact_id}`, r.conversation_id]));
  const conversationOf = (i: Item) =>
    convOf.get(`${i.number.id} ${contactOf.get(`${i.number.orgId} ${i.m.customer}`)}`)!;
  const stored = await insertCoexistenceMessages(
    tx,
    items.map((i, ord) => ({
      ord,
      org_id: i.number.orgId,
      number_id: i.number.id,
      conversation_id: conversationOf(i),
      direction: i.m.direction,
      wamid: i.m.wamid,
      type: i.m.type,
      content: i.m.raw,
      status: i.m.direction === 'out' ? (i.m.status ?? 'sent') : null,
      source: i.m.direction === 'out' ? 'business_app' : 'history',
      sent_at: new Date(i.m.sentAtMs).toISOString(),
      live: i.live,
    })),
  );
  const inserted = new Set(stored.map((r) => `${r.number_id} ${r.wamid}`));
  const touched = new Map<string, string>();
  for (const i of items) {
    const key = `${i.number.id} ${i.m.wamid}`;
    if (!inserted.delete(key)) {
      tally(i.plan, i.number.orgId, 'duplicates');
      continue;
    }
    tally(i.plan, i.number.orgId, 'messages');
    touched.set(conversationOf(i), i.number.orgId);
  }
  for (const [id, orgId] of touched) {
    publish(orgId, {
      type: 'conversation.updated',
      conversation_id: id,
      data: { conversation_id: id, fields: ['last_message_at', 'messages'] },
    });
  }
}

async function applyAppContacts(
  tx: Tx,
  plan: EventPlan,
  number: NumberRow,
  contacts: { phone: string; action: 'add' | 'remove'; name: string | null }[],
  publish: (orgId: string, e: DomainEvent) => void,
) {
  const added = contacts.filter((c) => c.action === 'add');
  for (const c of contacts) {
    if (c.action === 'remove')
      note(plan, [number.orgId], 'skipped', `app contact removed: ${c.phone} (kept)`);
  }
  if (!added.length) return;
  // `inbound`: an existing contact's name is refreshed when one is given; nothing else changes.
  const rows = await upsertContacts(
    tx,
    number.orgId,
    added.map((c) => ({ waId: c.phone, name: c.name })),
    { existing: 'inbound' },
  );
  for (const r of rows) {
    tally(plan, number.orgId, 'updates');
    publish(
      number.orgId,
      r.created
        ? { type: 'contact.created', data: { contact_id: r.id } }
        : { type: 'contact.updated', data: { contact_id: r.id, fields: ['name'] } },
    );
  }
}
