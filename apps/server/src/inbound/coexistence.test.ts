import type { Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNumber, startSimulator } from '../../test/helpers/connect-number.ts';
import { deliverWebhook } from '../../test/helpers/webhooks.ts';
import { createTestApp, settings, type TestApp, type TestClient } from '../../test/helpers.ts';
import { loadSendRate } from '../messages/number-lease.ts';

/**
 * Coexistence numbers (the WhatsApp Business app and the API on one number), Click-to-WhatsApp
 * referrals, the typing indicator and webhook kinds openwaba does not act on — each through the
 * webhook and the API, with the simulator's events (its fixtures follow Meta's documented examples).
 */
const NUM = {
  phone_number_id: '2100001',
  waba_id: '2200001',
  display_phone_number: '+1 555 021 0001',
  access_token: 'token-coex-0001',
};
const SECRET = 'coexistence-app-secret';

let sim: Simulator;
let t: TestApp;
let owner: TestClient;
let numberId: string;

beforeAll(async () => {
  sim = await startSimulator({ seed: 21 }, [NUM]);
  t = await createTestApp({ META_GRAPH_URL: sim.url });
  owner = await t.owner();
  numberId = await connectNumber(owner, NUM, { appSecret: SECRET, verifyToken: 'coex-verify-token' });
});
afterAll(async () => {
  await t.close();
  await sim.close();
});

type Json = Record<string, unknown>;

/** Has the simulator build an event of `kind` for `waId` and delivers it like Meta; what processing did. */
async function event(kind: string, waId: string, params: Json = {}) {
  const change = sim.emitEvent(kind, { phone_number_id: NUM.phone_number_id, wa_id: waId }, params);
  if (!change) throw new Error(`no ${kind} event`);
  return deliver([change]);
}

const deliver = (changes: unknown[]) =>
  deliverWebhook(t, { object: 'whatsapp_business_account', entry: [{ id: NUM.waba_id, changes }] }, SECRET);

async function conversations(): Promise<Json[]> {
  const res = await owner.get(`/api/v1/conversations?number_id=${numberId}&limit=100`);
  expect(res.statusCode).toBe(200);
  return res.json().data;
}
const conversationOf = async (waId: string) =>
  (await conversations()).find((c) => (c.contact as Json).wa_id === waId);

async function messagesOf(conversationId: string): Promise<Json[]> {
  const res = await owner.get(`/api/v1/conversations/${conversationId}/messages?limit=200`);
  expect(res.statusCode).toBe(200);
  return res.json().data;
}

const storedEvents = async (type: string) =>
  Number(
    (
      await t.database.query<{ n: string }>(
        'select count(*) as n from events where org_id = $1 and type = $2',
        [t.orgId, type],
      )
    )[0]!.n,
  );

describe(`coexistence numbers on ${settings.backend}`, () => {
  it('an echo is an outbound message sent from the WhatsApp Business app: stored, shown so, never queued', async () => {
    await event('text', '16505552001', { text: 'Is the shop open?' });
    const before = (await conversationOf('16505552001'))!;
    expect(before.unread_count).toBe(1);
    const { result } = await event('echo', '16505552001', { text: 'Yes, until 6 pm' });
    expect(result.messages).toBe(1);
    const after = (await conversationOf('16505552001'))!;
    expect(after.unread_count).toBe(1);
    expect(after.last_message).toMatchObject({ direction: 'out' });
    const [echo] = await messagesOf(after.id as string);
    expect(echo).toMatchObject({
      direction: 'out',
      source: 'business_app',
      status: 'sent',
      content: { type: 'text', text: { body: 'Yes, until 6 pm' } },
    });
    const queued = await t.database.query('select 1 from send_queue where message_id = $1', [echo!.id]);
    expect(queued).toHaveLength(0);
    // Meta delivers it again: stored once.
    const change = sim.events().at(-1)!.change;
    expect((await deliver([change])).result).toMatchObject({ messages: 0, duplicates: 1 });
  });

  it('an echo to someone new starts the conversation and names the contact from its profile', async () => {
    sim.setCustomer('16505552002', { name: 'Rosa Díaz' });
    await event('echo', '16505552002', { text: 'Your order is ready for pickup' });
    const started = await conversationOf('16505552002');
    expect(Date.parse(started!.last_message_at as string)).toBeGreaterThan(Date.now() - 60_000);
    expect(started).toMatchObject({
      contact: { wa_id: '16505552002', name: 'Rosa Díaz' },
      status: 'open',
      unread_count: 0,
      window_expires_at: null,
      last_message: { direction: 'out', preview: 'Your order is ready for pickup' },
    });
  });

  it('history back-fills both sides with their own times: no reactions, no unread, no reordering', async () => {
    await event('text', '16505552101', { text: 'older conversation' });
    await new Promise((r) => setTimeout(r, 20));
    await event('text', '16505552102', { text: 'newest conversation' });
    const order = (await conversations()).map((c) => c.id);
    const unreadBefore = await conversationOf('16505552101');
    const received = await storedEvents('message.received');
    const notifications = await t.database.query<{ n: string }>('select count(*) as n from notifications');

    // History for an existing conversation (not the newest) and for a customer with none yet.
    const { result } = await event('history', '16505552101', { days_ago: 30, text: 'Do you ship?' });
    expect(result.messages).toBe(2);
    await event('history', '16505552103', { days_ago: 60 });

    const now = await conversations();
    const ids = now.map((c) => c.id);
    // Conversations that existed keep their order; the new one sits at its history's time (the oldest).
    expect(ids.filter((id) => order.includes(id))).toEqual(order);
    const fresh = now.find((c) => (c.contact as Json).wa_id === '16505552103')!;
    expect(ids.indexOf(fresh.id)).toBeGreaterThan(ids.indexOf(order.at(-1)!) - 0);
    expect(fresh.unread_count).toBe(0);
    // An old chat is no one's work: filed as resolved (the ones that existed keep their status).
    expect(fresh.status).toBe('resolved');
    expect(Date.parse(fresh.last_message_at as string)).toBeLessThan(Date.now() - 59 * 86_400_000);

    const existing = (await conversationOf('16505552101'))!;
    expect(existing.unread_count).toBe(unreadBefore!.unread_count);
    expect(existing.last_message_at).toBe(unreadBefore!.last_message_at);
    expect(existing.window_expires_at).toBe(unreadBefore!.window_expires_at);
    expect(existing.status).toBe(unreadBefore!.status);

    const thread = await messagesOf(existing.id as string);
    const old = thread.filter((m) => Date.parse(m.sent_at as string) < Date.now() - 29 * 86_400_000);
    expect(old.map((m) => [m.direction, m.source])).toEqual([
      ['out', 'business_app'],
      ['in', 'history'],
    ]);
    expect(old[1]!.content).toMatchObject({ text: { body: 'Do you ship?' } });
    // Nothing reacted: no message.received, no notification.
    expect(await storedEvents('message.received')).toBe(received);
    expect((await t.database.query<{ n: string }>('select count(*) as n from notifications'))[0]!.n).toBe(
      notifications[0]!.n,
    );
    // A declined history is stored and processed without error.
    const declined = await event('history_declined', '16505552101');
    expect(declined.result.messages).toBe(0);
  });

  it('echoes and history of a username customer named only by BSUID land on their contact', async () => {
    const bsuid = 'US.21000000000000000042';
    const meta = { display_phone_number: '15550210001', phone_number_id: NUM.phone_number_id };
    const ts = () => String(Math.floor(Date.now() / 1000));
    // The customer writes first, by BSUID and username only (no phone).
    await deliver([
      {
        field: 'messages',
        value: {
          messaging_product: 'whatsapp',
          metadata: meta,
          contacts: [{ profile: { name: 'Kai', username: 'kai.reads' }, user_id: bsuid }],
          messages: [
            {
              from_user_id: bsuid,
              id: 'wamid.COEXBSUID1',
              timestamp: ts(),
              type: 'text',
              text: { body: 'hi' },
            },
          ],
        },
      },
    ]);
    const conv = (await conversationOf(bsuid))!;
    expect(conv).toBeDefined();
    // The owner answers from the app: the echo names the customer by `to_user_id`, no `to`.
    const echo = await deliver([
      {
        field: 'smb_message_echoes',
        value: {
          messaging_product: 'whatsapp',
          metadata: meta,
          message_echoes: [
            {
              from: '15550210001',
              to_user_id: bsuid,
              id: 'wamid.COEXBSUID2',
              timestamp: ts(),
              type: 'text',
              text: { body: 'hello Kai' },
            },
          ],
        },
      },
    ]);
    expect(echo.result).toMatchObject({ messages: 1 });
    // History of the same chat, its thread named by the BSUID.
    const history = await deliver([
      {
        field: 'history',
        value: {
          messaging_product: 'whatsapp',
          metadata: meta,
          history: [
            {
              metadata: { phase: 0, chunk_order: 1, progress: 100 },
              threads: [
                {
                  id: bsuid,
                  messages: [
                    {
                      from_user_id: bsuid,
                      id: 'wamid.COEXBSUID0',
                      timestamp: String(Math.floor(Date.now() / 1000) - 86_400),
                      type: 'text',
                      text: { body: 'an old question' },
                      history_context: { status: 'READ' },
                    },
                  ],
                },
              ],
            },
          ],
        },
      },
    ]);
    expect(history.result).toMatchObject({ messages: 1 });
    const bodies = (await messagesOf(conv.id as string)).map((m) => [
      m.direction,
      m.source,
      (m.content as Json).text,
    ]);
    expect(bodies).toEqual(
      expect.arrayContaining([
        ['in', 'history', { body: 'an old question' }],
        ['out', 'business_app', { body: 'hello Kai' }],
      ]),
    );
    const contacts = await t.database.query<{ n: string }>(
      'select count(*) as n from contacts where org_id = $1 and (user_id = $2 or wa_id = $2)',
      [t.orgId, bsuid],
    );
    expect(Number(contacts[0]!.n)).toBe(1);
  });

  it('app contacts are merged: added or renamed; a removal keeps the contact', async () => {
    const added = await event('app_contact', '16505552201', { name: 'Pablo Morales' });
    expect(added.result.updates).toBe(1);
    const find = async (wa: string) => {
      const res = await owner.get(`/api/v1/contacts?q=${wa}`);
      expect(res.statusCode).toBe(200);
      return (res.json().data as Json[]).find((c) => c.wa_id === wa);
    };
    expect(await find('16505552201')).toMatchObject({ name: 'Pablo Morales' });
    await event('app_contact', '16505552201', { name: 'Pablo M. (VIP)' });
    expect(await find('16505552201')).toMatchObject({ name: 'Pablo M. (VIP)' });
    const removed = await event('app_contact', '16505552201', { action: 'remove' });
    expect(removed.result.skipped).toEqual([
      expect.stringMatching(/app contact removed: 16505552201 \(kept\)/),
    ]);
    expect(await find('16505552201')).toMatchObject({ name: 'Pablo M. (VIP)' });
  });

  it('a coexistence number (Graph is_on_biz_app, or set by hand) is paced at 20 msg/s', async () => {
    const rate = () => loadSendRate(t.database.db, numberId);
    expect((await rate()).ceiling).toBeGreaterThan(20);
    sim.updateNumber(NUM.phone_number_id, { is_on_biz_app: true });
    const test = await owner.post(`/api/v1/numbers/${numberId}/test`);
    expect(test.statusCode).toBe(200);
    expect((await owner.get(`/api/v1/numbers/${numberId}`)).json()).toMatchObject({ coexistence: true });
    const paced = await rate();
    expect(paced.ceiling).toBe(20);
    expect(paced.rate).toBeLessThanOrEqual(20);
    // Set by hand (Meta's word comes back with its next check).
    sim.updateNumber(NUM.phone_number_id, { is_on_biz_app: false });
    await owner.post(`/api/v1/numbers/${numberId}/test`);
    expect((await rate()).ceiling).toBeGreaterThan(20);
    const patch = await owner.patch(`/api/v1/numbers/${numberId}`, { coexistence: true });
    expect(patch.statusCode).toBe(200);
    expect(patch.json().coexistence).toBe(true);
    expect((await rate()).ceiling).toBe(20);
    const bad = await owner.patch(`/api/v1/numbers/${numberId}`, { coexistence: 'yes' });
    expect(bad.statusCode).toBe(400);
    await owner.patch(`/api/v1/numbers/${numberId}`, { coexistence: false });
  });
});

describe(`Click-to-WhatsApp referrals on ${settings.backend}`, () => {
  it('stores the referral on the message and the conversation, with a 72 h free entry window', async () => {
    await event('referral', '16505552301', { text: 'I saw your ad' });
    const conv = (await conversationOf('16505552301'))!;
    expect(conv.referral).toMatchObject({
      source_type: 'ad',
      source_id: '120226305854810726',
      source_url: 'https://fb.me/3cr4Wqqkv',
      headline: 'Summer sale',
      ctwa_clid: expect.stringMatching(/^Aff-/),
    });
    const [message] = await messagesOf(conv.id as string);
    expect(message!.content).toMatchObject({ referral: { ctwa_clid: (conv.referral as Json).ctwa_clid } });
    const freeFor = Date.parse(conv.free_entry_until as string) - Date.parse(message!.sent_at as string);
    expect(freeFor).toBe(72 * 3_600_000);
    // A second referral inside the window keeps the first and its window.
    await event('referral', '16505552301', { text: 'another ad' });
    const again = (await conversationOf('16505552301'))!;
    expect(again.referral).toEqual(conv.referral);
    expect(again.free_entry_until).toBe(conv.free_entry_until);
    // A conversation without a referral has none.
    expect((await conversationOf('16505552001'))!.referral).toBeNull();
  });
});

describe(`typing indicator on ${settings.backend}`, () => {
  it('marks the last message read with a typing indicator, at most every 20 s, only with read receipts on', async () => {
    const sent = sim.customerSend(NUM.phone_number_id, '16505552401', 'text', { text: 'Anyone there?' });
    const change = sim.events().at(-1)!.change;
    await deliver([change]);
    const conv = (await conversationOf('16505552401'))!;
    const typing = () => owner.post(`/api/v1/conversations/${conv.id}/typing`);
    const first = await typing();
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ sent: true, reason: null });
    expect(sim.inboundMessage(sent!.id)).toMatchObject({ read: true, typing: 1 });
    expect((await typing()).json()).toEqual({ sent: false, reason: 'too_soon' });
    expect(sim.inboundMessage(sent!.id)!.typing).toBe(1);

    expect((await owner.patch('/api/v1/org', { settings: { read_receipts: false } })).statusCode).toBe(200);
    const other = sim.customerSend(NUM.phone_number_id, '16505552402', 'text', { text: 'Hello?' });
    await deliver([sim.events().at(-1)!.change]);
    const conv2 = (await conversationOf('16505552402'))!;
    expect((await owner.post(`/api/v1/conversations/${conv2.id}/typing`)).json()).toEqual({
      sent: false,
      reason: 'read_receipts_off',
    });
    expect(sim.inboundMessage(other!.id)!.typing).toBe(0);
    expect((await owner.patch('/api/v1/org', { settings: { read_receipts: true } })).statusCode).toBe(200);

    // Nothing from the customer yet (only history of the business): nothing to mark.
    const unknown = await owner.post('/api/v1/conversations/00000000-0000-4000-8000-000000000000/typing');
    expect(unknown.statusCode).toBe(404);
  });
});

describe(`webhook kinds openwaba does not act on, on ${settings.backend}`, () => {
  const metadata = { display_phone_number: '15550210001', phone_number_id: NUM.phone_number_id };
  const kinds: [string, Json][] = [
    [
      'standby',
      {
        messaging_product: 'whatsapp',
        metadata,
        contacts: [{ profile: { name: 'Ana' }, wa_id: '16505552501' }],
        messages: [
          {
            from: '16505552501',
            id: 'wamid.STANDBY1',
            timestamp: String(Math.floor(Date.now() / 1000)),
            type: 'text',
            text: { body: 'to the business agent' },
          },
        ],
      },
    ],
    [
      'messaging_handovers',
      {
        messaging_product: 'whatsapp',
        metadata,
        type: 'control_passed',
        control_passed: { wa_id: '16505552501', previous_owner: 'business_agent', new_owner: 'app' },
        timestamp: String(Math.floor(Date.now() / 1000)),
      },
    ],
    ['calls', {}],
  ];

  it.each(kinds)(
    '%s is stored, processed without error and shown under webhook events',
    async (field, value) => {
      const change =
        field === 'calls'
          ? sim.emitEvent('call_connect', { phone_number_id: NUM.phone_number_id, wa_id: '16505552501' })!
          : { field, value };
      expect(change.field).toBe(field);
      const { eventId, result } = await deliver([change]);
      expect(result.skipped).toContain(field);
      const res = await owner.get(`/api/v1/webhook-events?from_id=${eventId}&to_id=${eventId}`);
      expect(res.statusCode).toBe(200);
      const [shown] = res.json().data;
      expect(shown).toMatchObject({ id: eventId, state: 'processed', error: null });
      expect(shown.raw).toContain(`"field":"${field}"`);
      // Not a customer message: nothing reached the inbox.
      expect(await conversationOf('16505552501')).toBeUndefined();
    },
  );
});
