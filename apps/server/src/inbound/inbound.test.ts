import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNumber, startSimulator } from '../../test/helpers/connect-number.ts';
import { metaFixture } from '../../test/helpers/meta-fixtures.ts';
import { createTestApp, settings, type TestApp } from '../../test/helpers.ts';
import { post } from './test-kit.ts';

const FIXTURES = fileURLToPath(new URL('../../../../../shared/fixtures/meta/pywa/', import.meta.url));
const NUM = {
  phone_number_id: '1000001',
  waba_id: '2000001',
  display_phone_number: '+1 555 010 0001',
  access_token: 'token-valid-0001',
};
const APP_SECRET = 'inbound-app-secret-1';
const VERIFY = 'inbound-verify-token-1';

let sim: Simulator;
let t: TestApp;
let numberId: string;

beforeAll(async () => {
  sim = await startSimulator({ seed: 9 }, [NUM]);
  t = await createTestApp({ META_GRAPH_URL: sim.url });
  numberId = await connectNumber(await t.owner(), NUM, {
    appSecret: APP_SECRET,
    displayName: 'Inbound',
    verifyToken: VERIFY,
  });
});
afterAll(async () => {
  await t.close();
  await sim.close();
});

const count = async (table: string, where = 'true') =>
  Number((await t.database.query<{ n: string }>(`select count(*) as n from ${table} where ${where}`))[0]!.n);

/** POSTs like Meta: ASCII-escaped JSON signed with the app secret. Returns the stored event id. */
const deliver = (payload: unknown, secret = APP_SECRET) => post(t, payload, secret);

/** Points a fixture at our number, as Meta would for it. */
function retarget(fixture: Record<string, unknown>): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(fixture));
  for (const e of copy.entry) {
    e.id = NUM.waba_id;
    for (const c of e.changes) if (c.value?.metadata) c.value.metadata.phone_number_id = NUM.phone_number_id;
  }
  return copy;
}

const inboundText = (wamid: string, from = '16505550001', text = 'Hello') =>
  metaFixture('message-text', {
    wabaId: NUM.waba_id,
    phoneNumberId: NUM.phone_number_id,
    displayPhone: '15550100001',
    waId: from,
    name: 'Ana',
    wamid,
    message: { text: { body: text } },
  });

describe(`webhook ingestion on ${settings.backend}`, () => {
  it('answers Meta’s verification handshake only with a number’s verify token', async () => {
    const ok = await t.app.inject(
      `/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${VERIFY}&hub.challenge=1158201444`,
    );
    expect([ok.statusCode, ok.body]).toEqual([200, '1158201444']);
    expect(
      (await t.app.inject('/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1'))
        .statusCode,
    ).toBe(403);
  });

  it('refuses a missing or wrong signature and stores nothing', async () => {
    const before = await count('webhook_events');
    const body = JSON.stringify(inboundText('wamid.UNSIGNED'));
    const none = await t.app.inject({
      method: 'POST',
      url: '/webhooks/whatsapp',
      payload: body,
      headers: { 'content-type': 'application/json' },
    });
    expect(none.statusCode).toBe(401);
    const { res } = await deliver(inboundText('wamid.WRONG'), 'another-secret-entirely');
    expect(res.statusCode).toBe(401);
    expect(await count('webhook_events')).toBe(before);
  });

  it('stores a signed body that is not JSON as unparseable and answers 200 (Meta must not retry it)', async () => {
    const raw = '{"object": "whatsapp_business_account", broken';
    const sig = (await import('../whatsapp/signature.ts')).signBody(raw, APP_SECRET);
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/whatsapp',
      payload: raw,
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': sig },
    });
    expect(res.statusCode).toBe(200);
    const [row] = await t.database.query<{ id: string }>('select max(id) as id from webhook_events');
    await t.app.services.inbound.processEvent(Number(row!.id));
    const [ev] = await t.database.query<{ state: string }>('select state from webhook_events where id = $1', [
      row!.id,
    ]);
    expect(ev!.state).toBe('unparseable');
  });

  it('a text message creates the contact, the conversation with its 24 h window, and the message', async () => {
    const { res, eventId } = await deliver(inboundText('wamid.FIRST', '16505550009', 'Olá ☕'));
    expect(res.statusCode).toBe(200);
    const r = await t.app.services.inbound.processEvent(eventId);
    expect(r).toMatchObject({ messages: 1, duplicates: 0 });
    const [conv] = await t.database.query<{
      unread_count: number;
      window_expires_at: Date;
      last_inbound_at: Date;
    }>(
      `select c.* from conversations c join contacts k on k.id = c.contact_id where k.wa_id = '16505550009'`,
    );
    expect(conv!.unread_count).toBe(1);
    expect(new Date(conv!.window_expires_at).getTime() - new Date(conv!.last_inbound_at).getTime()).toBe(
      86_400_000,
    );
    const [msg] = await t.database.query<{ type: string; content: { text: { body: string } } }>(
      `select * from messages where wamid = 'wamid.FIRST'`,
    );
    expect(msg!.type).toBe('text');
    expect(msg!.content.text.body).toBe('Olá ☕');
    const page = await t.app.services.events.page({ orgId: t.orgId, userId: t.ownerId }, 0, 1000);
    expect(page.data.some((e) => e.event.type === 'message.received')).toBe(true);
  });

  it('the same messages delivered three times, concurrently, are stored once', async () => {
    const n = 200;
    const events: number[] = [];
    for (let i = 0; i < n; i++) {
      const p = inboundText(`wamid.DUP${i}`, `1650556${String(i % 50).padStart(4, '0')}`, `m${i}`);
      for (let k = 0; k < 3; k++) events.push((await deliver(p)).eventId);
    }
    const results = await Promise.all(events.map((id) => t.app.services.inbound.processEvent(id)));
    expect(results.reduce((a, r) => a + r.messages, 0)).toBe(n);
    expect(results.reduce((a, r) => a + r.duplicates, 0)).toBe(2 * n);
    expect(await count('messages', `wamid like 'wamid.DUP%'`)).toBe(n);
    const [c] = await t.database.query<{ total: string }>(
      `select sum(unread_count) as total from conversations c join contacts k on k.id = c.contact_id where k.wa_id like '1650556%'`,
    );
    expect(Number(c!.total)).toBe(n);
  });

  it('statuses never go backwards, failed is final, and a status before its message is parked', async () => {
    const ranks = { sent: 1, delivered: 2, read: 3, failed: 4 } as const;
    const n = 60;
    const [conv] = await t.database.query<{ id: string }>('select id from conversations limit 1');
    for (let i = 0; i < n; i++) {
      await t.database.query(
        `insert into messages (org_id, number_id, conversation_id, direction, wamid, type, content, status, sent_at) values ($1, $2, $3, 'out', $4, 'text', '{}', null, now())`,
        [t.orgId, numberId, conv!.id, `wamid.OUT${i}`],
      );
    }
    const expected = new Map<string, string>();
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < n; i++) {
      const chosen = (['sent', 'delivered', 'read', 'failed'] as const).filter(() => rnd() < 0.7);
      if (!chosen.length) chosen.push('sent');
      const shuffled = [...chosen].sort(() => rnd() - 0.5);
      expected.set(
        `wamid.OUT${i}`,
        chosen.reduce((a, b) => (ranks[b] > ranks[a] ? b : a)),
      );
      for (const [k, status] of shuffled.entries()) {
        const payload = metaFixture(`status-${status}`, {
          wabaId: NUM.waba_id,
          phoneNumberId: NUM.phone_number_id,
          wamid: `wamid.OUT${i}`,
          timestamp: 1700000000 + k,
        });
        await t.app.services.inbound.processEvent((await deliver(payload)).eventId);
      }
    }
    const rows = await t.database.query<{ wamid: string; status: string; error: { code: number } | null }>(
      `select wamid, status, error from messages where wamid like 'wamid.OUT%'`,
    );
    for (const r of rows) {
      expect(r.status, r.wamid).toBe(expected.get(r.wamid));
      if (r.status === 'failed') expect(r.error?.code).toBe(131026);
    }
    const parked = await t.app.services.inbound.processEvent(
      (
        await deliver(
          metaFixture('status-delivered', {
            wabaId: NUM.waba_id,
            phoneNumberId: NUM.phone_number_id,
            wamid: 'wamid.NOT-YET',
            timestamp: 1700000000,
          }),
        )
      ).eventId,
    );
    expect(parked.parked).toBe(1);
    expect(await count('message_status_events', `wamid = 'wamid.NOT-YET' and not applied`)).toBe(1);
  });
});

describe.skipIf(!existsSync(FIXTURES))(
  `every pywa fixture is ingested without error on ${settings.backend}`,
  () => {
    const cases: [string, Record<string, unknown>][] = [];
    if (existsSync(FIXTURES)) {
      for (const f of readdirSync(FIXTURES).filter((x) => x.endsWith('.json'))) {
        for (const [name, ex] of Object.entries(
          JSON.parse(readFileSync(`${FIXTURES}${f}`, 'utf8')) as Record<string, Record<string, unknown>>,
        )) {
          if (ex.entry) cases.push([`${f}#${name}`, ex]);
        }
      }
    }
    it.each(cases)('%s', async (name, original) => {
      // pywa reuses ids such as wamid.xyzxyz across fixtures; make each fixture's messages its own.
      const fixture = JSON.parse(
        JSON.stringify(original).replaceAll('"id":"wamid.', `"id":"wamid.${name.replace(/\W/g, '')}.`),
      );
      const { res, eventId } = await deliver(retarget(fixture));
      expect(res.statusCode).toBe(200);
      const r = await t.app.services.inbound.processEvent(eventId);
      expect(r.unroutable).toEqual([]);
      const [ev] = await t.database.query<{ state: string }>(
        'select state from webhook_events where id = $1',
        [eventId],
      );
      expect(ev!.state).toBe('processed');
      const change = (
        fixture.entry as {
          changes: { field: string; value: { messages?: { id: string; type: string }[] } }[];
        }[]
      )[0]!.changes[0]!;
      for (const m of change.value.messages ?? []) {
        if (!m.id) continue;
        const rows = await t.database.query<{ type: string }>('select type from messages where wamid = $1', [
          m.id,
        ]);
        expect(rows.map((x) => x.type)).toContain(m.type);
      }
    });
  },
);

describe(`conversation and message read APIs on ${settings.backend}`, () => {
  it('lists conversations newest first with a preview, filters, searches and pages', async () => {
    const owner = await t.owner();
    await t.app.services.inbound.processEvent(
      (await deliver(inboundText('wamid.LATEST', '447700900777', 'Newest of all'))).eventId,
    );
    const first = (await owner.get('/api/v1/conversations?limit=5')).json();
    expect(first.data).toHaveLength(5);
    expect(first.data[0]).toMatchObject({
      contact: { wa_id: '447700900777', name: 'Ana' },
      unread_count: 1,
      last_message: { type: 'text', direction: 'in', preview: 'Newest of all' },
    });
    expect(first.data[0].window_expires_at).toBeTruthy();
    const second = (await owner.get(`/api/v1/conversations?limit=5&before=${first.next_cursor}`)).json();
    const ids = new Set([...first.data, ...second.data].map((c: { id: string }) => c.id));
    expect(ids.size).toBe(first.data.length + second.data.length);
    const found = (await owner.get('/api/v1/conversations?search=900777')).json();
    expect(found.data.map((c: { contact: { wa_id: string } }) => c.contact.wa_id)).toEqual(['447700900777']);
    expect(
      (await owner.get(`/api/v1/conversations?number_id=${numberId}&unread=true&limit=100`)).json().data
        .length,
    ).toBeGreaterThan(1);
    expect((await owner.get('/api/v1/conversations?before=nonsense')).statusCode).toBe(400);
    expect((await owner.get('/api/v1/conversations?search=%25')).json().data).toEqual([]);
  });

  it('lists a conversation’s messages newest first; other organisations get 404', async () => {
    const owner = await t.owner();
    const conv = (await owner.get('/api/v1/conversations?search=16505560001')).json().data[0];
    const page = (await owner.get(`/api/v1/conversations/${conv.id}/messages?limit=2`)).json();
    expect(page.data).toHaveLength(2);
    expect(Date.parse(page.data[0].sent_at)).toBeGreaterThanOrEqual(Date.parse(page.data[1].sent_at));
    const rest = (
      await owner.get(`/api/v1/conversations/${conv.id}/messages?before=${page.next_cursor}`)
    ).json();
    expect(rest.data.every((m: { direction: string }) => m.direction === 'in')).toBe(true);
    const other = await t.app.services.orgs.setupOwner({
      email: 'conv-other@example.com',
      password: 'other password 12',
      orgName: 'Other',
    });
    expect(other.orgId).toBeTruthy();
    const c = t.client();
    await c.login('conv-other@example.com', 'other password 12');
    expect((await c.get(`/api/v1/conversations/${conv.id}/messages`)).statusCode).toBe(404);
    expect((await c.get('/api/v1/conversations')).json().data).toEqual([]);
  });
});

describe(`webhook events admin view and replay on ${settings.backend}`, () => {
  it('lists this organisation’s events with their result, and replays one without duplicating', async () => {
    const { eventId } = await deliver(inboundText('wamid.REPLAY', '447700900888', 'replay me'));
    await t.app.services.inbound.processEvent(eventId);
    const owner = await t.owner();
    const list = (await owner.get('/api/v1/webhook-events?limit=5')).json();
    expect(list.data[0]).toMatchObject({ id: eventId, state: 'processed', result: { messages: 1 } });
    expect(list.data[0].raw).toContain('wamid.REPLAY');
    const replay = await owner.post(`/api/v1/webhook-events/${eventId}/replay`);
    expect(replay.statusCode).toBe(200);
    expect(replay.json().result).toMatchObject({ messages: 0, duplicates: 1 });
    expect(await count('messages', `wamid = 'wamid.REPLAY'`)).toBe(1);
    expect((await owner.get('/api/v1/audit?action=webhook_event.replay')).json().data).toHaveLength(1);
    const viewer = await t.member('viewer');
    expect((await viewer.get('/api/v1/webhook-events')).statusCode).toBe(403);
    const other = await t.app.services.orgs.setupOwner({
      email: 'wh-other@example.com',
      password: 'other password 12',
      orgName: 'Other',
    });
    expect(other.orgId).toBeTruthy();
    const c = t.client();
    await c.login('wh-other@example.com', 'other password 12');
    expect((await c.get('/api/v1/webhook-events')).json().data).toEqual([]);
    expect((await c.post(`/api/v1/webhook-events/${eventId}/replay`)).statusCode).toBe(404);
    expect((await owner.post('/api/v1/webhook-events/abc/replay')).statusCode).toBe(400);
  });
});
