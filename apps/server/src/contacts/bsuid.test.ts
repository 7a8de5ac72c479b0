import type { Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNumber, startSimulator } from '../../test/helpers/connect-number.ts';
import { until } from '../../test/helpers/until.ts';
import { deliverWebhook } from '../../test/helpers/webhooks.ts';
import { createTestApp, settings, type TestApp, type TestClient } from '../../test/helpers.ts';
import { envelope } from '../inbound/test-kit.ts';

/**
 * Customers known by a business-scoped user id (BSUID) and a username, with or without a phone
 * (Meta's /business-scoped-user-ids): inbound without `from`, linking, re-keying on a change, sending
 * by `recipient`, statuses by `recipient_user_id`, consent and search — end to end with the simulator.
 * The hand-made webhooks follow Meta's documented payloads.
 */

const WABA = '8400001';
const SECRET = 'bsuid-secret';
const NUM = {
  phone_number_id: '8400101',
  waba_id: WABA,
  display_phone_number: '+1 202 555 0888',
  access_token: 'tok-bsuid-main-1',
};
const DISPLAY = '12025550888';

let sim: Simulator;
let t: TestApp;
let owner: TestClient;
let numberId: string;
let stopWorker: () => Promise<void>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  sim = await startSimulator({ seed: 21, customers: { reply_rate: 0, stop_rate: 0 } }, [NUM]);
  sim.addTemplate({
    waba_id: WABA,
    name: 'login_code',
    language: 'en_US',
    category: 'AUTHENTICATION',
    components: [{ type: 'BODY', text: '{{1}} is your code.', example: { body_text: [['123456']] } }],
  });
  sim.addTemplate({
    waba_id: WABA,
    name: 'order_ready',
    language: 'en_US',
    category: 'UTILITY',
    components: [{ type: 'BODY', text: 'Your order {{1}} is ready.', example: { body_text: [['A-1']] } }],
  });
  t = await createTestApp({ META_GRAPH_URL: sim.url });
  owner = await t.owner();
  numberId = await connectNumber(owner, NUM, { appSecret: SECRET, displayName: 'BSUID line' });
  const appUrl = await t.app.listen({ port: 0, host: '127.0.0.1' });
  sim.updateNumber(NUM.phone_number_id, { webhook_url: `${appUrl}/webhooks/whatsapp`, app_secret: SECRET });
  await t.app.services.templates.sync(t.orgId);
  t.app.services.sender.start();
  let running = true;
  const worker = (async () => {
    while (running) {
      await t.app.services.inbound.processPending().catch(() => {});
      await sleep(50);
    }
  })();
  stopWorker = async () => {
    running = false;
    await worker;
  };
});
afterAll(async () => {
  await stopWorker?.();
  await t?.close();
  await sim?.close();
});

type Json = Record<string, unknown>;
const ts = () => String(Math.floor(Date.now() / 1000));
let seq = 0;
const wamid = () => `wamid.BSUID${Date.now()}${++seq}`;

/** A `messages` webhook as Meta documents it for BSUIDs: contacts with user_id (wa_id only when shared). */
function inbound(
  who: { phone?: string; userId?: string; username?: string; name?: string },
  message: Json,
  opts: { contacts?: boolean } = {},
) {
  const contact = {
    profile: { name: who.name ?? 'Customer', ...(who.username ? { username: who.username } : {}) },
    ...(who.phone ? { wa_id: who.phone } : {}),
    ...(who.userId ? { user_id: who.userId } : {}),
  };
  return envelope(WABA, [
    {
      field: 'messages',
      value: {
        messaging_product: 'whatsapp',
        metadata: { display_phone_number: DISPLAY, phone_number_id: NUM.phone_number_id },
        ...(opts.contacts === false ? {} : { contacts: [contact] }),
        messages: [
          {
            ...(who.phone ? { from: who.phone } : {}),
            ...(who.userId ? { from_user_id: who.userId } : {}),
            id: wamid(),
            timestamp: ts(),
            ...message,
          },
        ],
      },
    },
  ]);
}
const text = (body: string) => ({ type: 'text', text: { body } });
/**
 * Delivers like Meta and waits until every stored event is processed (here, or by the worker loop):
 * the simulator posts statuses meanwhile, so the newest event id need not be this one.
 */
const deliver = async (payload: unknown) => {
  const r = await deliverWebhook(t, payload, SECRET);
  await until('the events processed', async () => {
    const rows = await t.database.query<{ state: string; error: string | null }>(
      "select state, error from webhook_events where state in ('pending', 'failed')",
    );
    const failed = rows.find((e) => e.state === 'failed');
    if (failed) throw new Error(`event failed: ${failed.error}`);
    return rows.length === 0;
  });
  return r;
};

const contactsWhere = (where: string, params: unknown[]) =>
  t.database.query<{
    id: string;
    wa_id: string;
    phone: string | null;
    user_id: string | null;
    username: string | null;
  }>(`select id, wa_id, phone, user_id, username from contacts where ${where} order by created_at`, params);
const conversationsOf = (contactId: string) =>
  t.database.query<{ id: string; n: number }>(
    `select c.id, (select count(*)::int from messages m where m.conversation_id = c.id) as n
     from conversations c where c.contact_id = $1`,
    [contactId],
  );

describe(`customers by business-scoped user id, on ${settings.backend}`, () => {
  it('a username customer without a phone is in the inbox and in Contacts under their username; a batch with them is processed whole', async () => {
    const U = 'US.13491208655302741918';
    // Meta's documented shape: no wa_id, no from — user_id, from_user_id, the username.
    const body = inbound({ userId: U, username: 'ana.silva', name: 'Ana' }, text('Hi, is my order ready?'));
    // …in one POST with a customer who has a phone: both are processed.
    const other = inbound({ phone: '12025551001', userId: 'US.2222', name: 'Ben' }, text('Hello'));
    body.entry[0]!.changes.push(other.entry[0]!.changes[0]!);
    await deliver(body);
    const [c] = await contactsWhere('user_id = $1', [U]);
    expect(c).toMatchObject({ wa_id: U, phone: null, username: 'ana.silva' });
    expect(await contactsWhere('wa_id = $1', ['12025551001'])).toHaveLength(1);

    const contact = (await owner.get(`/api/v1/contacts/${c!.id}`)).json();
    expect(contact).toMatchObject({ phone: null, wa_id: U, user_id: U, username: 'ana.silva', name: 'Ana' });
    const list = (await owner.get('/api/v1/conversations?limit=50')).json().data as {
      contact: { id: string; username: string | null };
    }[];
    expect(list.find((x) => x.contact.id === c!.id)?.contact.username).toBe('ana.silva');
    // Search finds them by username (as shown, with @) and by BSUID, in Contacts and the inbox.
    for (const q of ['@ana.silva', 'ana.sil', U]) {
      const found = (await owner.get(`/api/v1/contacts?q=${encodeURIComponent(q)}`)).json().data as {
        id: string;
      }[];
      expect(
        found.map((x) => x.id),
        q,
      ).toContain(c!.id);
    }
    const inbox = (await owner.get('/api/v1/conversations?search=ana.silva')).json().data as {
      contact: { id: string };
    }[];
    expect(inbox.map((x) => x.contact.id)).toContain(c!.id);
  });

  it('a message that brings the phone of a BSUID-only contact links it: same contact, same conversation', async () => {
    const U = 'US.3333000111';
    await deliver(inbound({ userId: U, username: 'chen.w' }, text('first, no phone')));
    const [before] = await contactsWhere('user_id = $1', [U]);
    const [conv] = await conversationsOf(before!.id);
    await deliver(inbound({ phone: '12025551002', userId: U, username: 'chen.w' }, text('now with phone')));
    const after = await contactsWhere('user_id = $1', [U]);
    expect(after).toEqual([
      { id: before!.id, wa_id: '12025551002', phone: '+12025551002', user_id: U, username: 'chen.w' },
    ]);
    expect(await conversationsOf(before!.id)).toEqual([{ id: conv!.id, n: 2 }]);
    // Later messages by BSUID alone land there too.
    await deliver(inbound({ userId: U }, text('again without phone')));
    expect(await conversationsOf(before!.id)).toEqual([{ id: conv!.id, n: 3 }]);
  });

  it('two contacts of one person (one by phone, one by BSUID) are merged when a message names both', async () => {
    const P = '12025551003';
    const U = 'US.4444000222';
    await deliver(inbound({ phone: P }, text('by phone')));
    await deliver(inbound({ userId: U }, text('by username')));
    await deliver(inbound({ userId: U }, text('by username again')));
    const [byPhone] = await contactsWhere('wa_id = $1', [P]);
    const [byUser] = await contactsWhere('wa_id = $1', [U]);
    const tag = (await owner.post('/api/v1/tags', { name: 'vip-merge' })).json().id as string;
    expect((await owner.patch(`/api/v1/contacts/${byUser!.id}`, { tag_ids: [tag] })).statusCode).toBe(200);

    await deliver(inbound({ phone: P, userId: U }, text('both')));
    const left = await contactsWhere('wa_id = $1 or user_id = $2 or wa_id = $2', [P, U]);
    expect(left).toEqual([{ id: byPhone!.id, wa_id: P, phone: `+${P}`, user_id: U, username: null }]);
    // One conversation with every message, and the tag kept.
    expect(await conversationsOf(byPhone!.id)).toMatchObject([{ n: 4 }]);
    const merged = (await owner.get(`/api/v1/contacts/${byPhone!.id}`)).json();
    expect(merged.tags.map((x: { id: string }) => x.id)).toEqual([tag]);
  });

  it('a user-id change and a phone change (system messages) re-key the contact and keep its conversation', async () => {
    const U1 = 'US.5555000333';
    const U2 = 'US.5555000999';
    await deliver(inbound({ userId: U1, username: 'dee' }, text('hello')));
    const [c] = await contactsWhere('user_id = $1', [U1]);
    const [conv] = await conversationsOf(c!.id);
    // Meta's system message: no contacts array; the new BSUID in system.user_id.
    await deliver(
      inbound(
        { userId: U1 },
        {
          type: 'system',
          system: { body: 'User dee changed their user ID', user_id: U2, type: 'user_changed_user_id' },
        },
        { contacts: false },
      ),
    );
    expect(await contactsWhere('id = $1', [c!.id])).toMatchObject([{ wa_id: U2, user_id: U2 }]);
    await deliver(inbound({ userId: U2 }, text('after the change')));
    expect(await conversationsOf(c!.id)).toEqual([{ id: conv!.id, n: 3 }]);

    // A phone change: `from` the old phone, the new one in system.wa_id.
    const P1 = '12025551004';
    const P2 = '12025551005';
    await deliver(inbound({ phone: P1 }, text('old phone')));
    const [p] = await contactsWhere('wa_id = $1', [P1]);
    await deliver(
      inbound(
        { phone: P1 },
        {
          type: 'system',
          system: { body: `User changed from ${P1} to ${P2}`, wa_id: P2, type: 'user_changed_number' },
        },
        { contacts: false },
      ),
    );
    await deliver(inbound({ phone: P2 }, text('new phone')));
    expect(await contactsWhere('id = $1', [p!.id])).toMatchObject([{ wa_id: P2, phone: `+${P2}` }]);
    expect(await conversationsOf(p!.id)).toMatchObject([{ n: 3 }]);
  });

  it('replies go to `recipient` (the BSUID), statuses come back by recipient_user_id; authentication templates are refused up front', async () => {
    // A simulated username customer writes (the simulator hides their phone, as Meta does).
    const wa = '818012349901';
    const who = sim.setCustomer(wa, { username: 'kenji.t' });
    sim.customerSend(NUM.phone_number_id, wa, 'text', { text: 'Can I pick it up today?' });
    const c = await until(
      'the username customer',
      async () => (await contactsWhere('user_id = $1', [who.user_id]))[0],
    );
    expect(c).toMatchObject({ wa_id: who.user_id, phone: null, username: 'kenji.t' });
    const [conv] = await conversationsOf(c.id);

    const res = await owner.post(`/api/v1/conversations/${conv!.id}/reply`, {
      content: { type: 'text', text: { body: 'Yes, after 3pm.' } },
    });
    expect(res.statusCode, res.body).toBe(202);
    const sent = await until('the send', async () =>
      sim.sentMessages().find((m) => (m.body as Json).recipient === who.user_id),
    );
    expect(sent.body).not.toHaveProperty('to');
    // The simulator's statuses name the recipient by recipient_user_id only; the message moves on.
    const messageId = res.json().message_id as string;
    await until('delivered', async () => {
      const [m] = await t.database.query<{ status: string }>('select status from messages where id = $1', [
        messageId,
      ]);
      return m && ['delivered', 'read'].includes(m.status);
    });
    const [ev] = await t.database.query<{ payload: Json }>(
      `select e.payload from message_status_events e
       join messages m on m.wamid = e.wamid and m.number_id = e.number_id
       where m.id = $1 order by e.id limit 1`,
      [messageId],
    );
    expect(ev!.payload).toMatchObject({ recipient_user_id: who.user_id });
    expect(ev!.payload).not.toHaveProperty('recipient_id');

    // Authentication templates need a phone: a clear 409 before anything is queued.
    const auth = await owner.post(`/api/v1/conversations/${conv!.id}/reply`, {
      content: {
        type: 'template',
        template: {
          name: 'login_code',
          language: { code: 'en_US' },
          components: [{ type: 'body', parameters: [{ type: 'text', text: '123456' }] }],
        },
      },
    });
    expect(auth.statusCode, auth.body).toBe(409);
    expect(auth.json().error).toMatchObject({
      code: 'CONFLICT',
      details: { reason: 'authentication_template_needs_phone' },
    });
    expect(auth.json().error.message).toMatch(/phone number/);

    // Asking for the phone number: Meta's request_contact_info message, through the normal path.
    const ask = await owner.post(`/api/v1/conversations/${conv!.id}/reply`, {
      content: {
        type: 'interactive',
        interactive: {
          type: 'request_contact_info',
          body: { text: 'Could you share your phone number?' },
          action: { name: 'request_contact_info' },
        },
      },
    });
    expect(ask.statusCode, ask.body).toBe(202);
    await until('the request', async () =>
      sim
        .sentMessages()
        .find((m) => (m.body as Json).recipient === who.user_id && (m.body as Json).type === 'interactive'),
    );
    // The customer shares it (a contacts message, origin contact_request): the contact gets the phone.
    sim.customerSend(NUM.phone_number_id, wa, 'contact_request', {});
    await until('the phone linked', async () => {
      const [x] = await contactsWhere('id = $1', [c.id]);
      return x?.wa_id === wa && x.user_id === who.user_id;
    });
    expect(await conversationsOf(c.id)).toMatchObject([{ id: conv!.id }]);
  });

  it('STOP and START by a username customer change their consent (the ledger keyed by their BSUID)', async () => {
    const U = 'US.6666000444';
    await deliver(inbound({ userId: U, username: 'stop.me' }, text('STOP')));
    const [c] = await contactsWhere('user_id = $1', [U]);
    expect((await owner.get(`/api/v1/contacts/${c!.id}`)).json().consent.state).toBe('opted_out');
    const [row] = await t.database.query<{ wa_id: string; kind: string }>(
      'select wa_id, kind from opt_in_events where contact_id = $1 order by id desc limit 1',
      [c!.id],
    );
    expect(row).toEqual({ wa_id: U, kind: 'opt_out' });
    await deliver(inbound({ userId: U }, text('START')));
    expect((await owner.get(`/api/v1/contacts/${c!.id}`)).json().consent.state).toBe('opted_in');
    // Linked to a phone later, the contact keeps its consent.
    await deliver(inbound({ phone: '12025551006', userId: U }, text('hi')));
    expect((await owner.get(`/api/v1/contacts/${c!.id}`)).json()).toMatchObject({
      phone: '+12025551006',
      consent: { state: 'opted_in' },
    });
  });

  it('a campaign audience may name customers by BSUID: linked ones go to their phone, one customer once', async () => {
    const P = '12025551007';
    const U = 'US.7777000555';
    await deliver(inbound({ phone: P, userId: U }, text('hi')));
    const tpl = ((await owner.get('/api/v1/templates')).json().data as { id: string; name: string }[]).find(
      (x) => x.name === 'order_ready',
    )!;
    const res = await owner.post('/api/v1/campaigns', {
      name: 'By BSUID',
      number_id: numberId,
      audience: {
        kind: 'recipients',
        recipients: [{ phone: U }, { phone: 'US.8888000666' }, { phone: `+${P}` }, { phone: 'not.a.bsuid' }],
      },
      templates: [{ template_id: tpl.id, mapping: { 'body.1': { fixed: 'X-1' } } }],
    });
    expect(res.statusCode, res.body).toBe(201);
    const rows = (await owner.get(`/api/v1/campaigns/${res.json().id}/recipients?limit=50`)).json().data as {
      phone: string | null;
      state: string;
      reason: string | null;
    }[];
    expect(rows.map((r) => [r.phone, r.state === 'invalid' ? r.reason?.split(':')[0] : 'ok'])).toEqual([
      [`+${P}`, 'ok'],
      ['US.8888000666', 'ok'],
      [null, 'duplicate'],
      [null, 'phone'],
    ]);
    // The new BSUID is a contact known only by it.
    expect(await contactsWhere('wa_id = $1', ['US.8888000666'])).toMatchObject([
      { phone: null, user_id: 'US.8888000666' },
    ]);
  });

  it('a contact can be created by BSUID; one linked to a phone already is a 409', async () => {
    const created = await owner.post('/api/v1/contacts', { phone: 'US.9999000777', name: 'By id' });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ phone: null, wa_id: 'US.9999000777', user_id: 'US.9999000777' });
    await deliver(inbound({ phone: '12025551008', userId: 'US.9999000888' }, text('hi')));
    const again = await owner.post('/api/v1/contacts', { phone: 'US.9999000888' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.message).toMatch(/user id US\.9999000888 already exists/);
  });
});
