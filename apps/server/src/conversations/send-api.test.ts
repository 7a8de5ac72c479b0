import type { Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNumber, startSimulator } from '../../test/helpers/connect-number.ts';
import { metaEnvelope } from '../../test/helpers/meta-fixtures.ts';
import { until } from '../../test/helpers/until.ts';
import { deliverWebhook } from '../../test/helpers/webhooks.ts';
import { createTestApp, settings, type TestApp, type TestClient } from '../../test/helpers.ts';

/** Sending from code (`POST /api/v1/messages` with an API key) and `Idempotency-Key` on creating POSTs. */
const WABA = '8824001';
const NUM = {
  phone_number_id: '8824101',
  waba_id: WABA,
  display_phone_number: '+1 555 082 4101',
  access_token: 'tok-send-api',
  throughput_mps: 80,
};
const SECRET = 'send-api-secret';
const CUSTOMER = '12025571234';

let sim: Simulator;
let t: TestApp;
let owner: TestClient;
let key: string;
let numberId: string;

const api = (
  method: 'GET' | 'POST' | 'PUT',
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
) => t.client('10.9.1.1').request(method, url, body, { authorization: `Bearer ${key}`, ...headers });

beforeAll(async () => {
  sim = await startSimulator(
    {
      seed: 24,
      customers: { deliver_rate: 1, read_rate: 0, reply_rate: 0, stop_rate: 0, undeliverable_rate: 0 },
    },
    [NUM],
  );
  t = await createTestApp({ META_GRAPH_URL: sim.url });
  owner = await t.owner();
  numberId = await connectNumber(owner, NUM, { appSecret: SECRET, verifyToken: 'send-api-verify' });
  t.app.services.sender.start();
  key = (
    await owner.post('/api/v1/api-keys', {
      name: 'Shop backend',
      scopes: ['conversations.read', 'conversations.reply', 'contacts.read', 'contacts.write'],
    })
  ).json().key;
  // The customer writes first: the 24-hour window is open.
  const sent = sim.customerSend(NUM.phone_number_id, CUSTOMER, 'text', { text: 'Where is my order?' })!;
  await deliverWebhook(t, metaEnvelope(WABA, [sent.change]), SECRET);
});
afterAll(async () => {
  await t.close();
  await sim.close();
});

describe(`sending from code on ${settings.backend}`, () => {
  it('sends through the one send path and reports the state by id', async () => {
    const res = await api('POST', '/api/v1/messages', {
      to: { phone: `+${CUSTOMER}` },
      content: { type: 'text', text: { body: 'It ships today.' } },
    });
    expect(res.statusCode, res.body).toBe(202);
    const m = res.json();
    expect(m).toMatchObject({ status: 'pending' });
    const got = await until('the message is sent', async () => {
      const r = (await api('GET', `/api/v1/messages/${m.message_id}`)).json();
      return r.status === 'sent' && r;
    });
    expect(got).toMatchObject({
      direction: 'out',
      source: 'api',
      content: { text: { body: 'It ships today.' } },
    });
    // By contact id and on a named number, too.
    const again = await api('POST', '/api/v1/messages', {
      number_id: numberId,
      to: { contact_id: m.contact_id },
      content: { type: 'text', text: { body: 'Tracking: AB123' } },
    });
    expect(again.statusCode, again.body).toBe(202);
  });

  it('refuses what the send path refuses, and bad input, with a clear 4xx and nothing written', async () => {
    const before = await t.database.query<{ n: number }>(`select count(*)::int as n from messages`);
    const closed = await api('POST', '/api/v1/messages', {
      to: { phone: '+12025559876' },
      content: { type: 'text', text: { body: 'Hello out of the blue' } },
    });
    expect(closed.statusCode, closed.body).toBe(409);
    expect(closed.json().error.code).toBe('WINDOW_CLOSED');
    expect(
      (
        await api('POST', '/api/v1/messages', {
          to: { bsuid: 'US.13491208655302741918' },
          content: { type: 'text', text: { body: 'x' } },
        })
      ).statusCode,
    ).toBe(404);
    for (const body of [
      { to: { phone: `+${CUSTOMER}` } },
      { to: { phone: `+${CUSTOMER}`, bsuid: 'x' }, content: { type: 'text', text: { body: 'x' } } },
      { to: { phone: `+${CUSTOMER}` }, content: { type: 'nope' } },
      { to: { contact_id: 'not-a-uuid' }, content: { type: 'text', text: { body: 'x' } } },
    ])
      expect((await api('POST', '/api/v1/messages', body)).statusCode, JSON.stringify(body)).toBe(400);
    const after = await t.database.query<{ n: number }>(`select count(*)::int as n from messages`);
    expect(after[0]!.n).toBe(before[0]!.n);
    // Without the scope: 403.
    const readOnly = (
      await owner.post('/api/v1/api-keys', { name: 'RO', scopes: ['conversations.read'] })
    ).json().key;
    const refused = await t
      .client()
      .request(
        'POST',
        '/api/v1/messages',
        { to: { phone: `+${CUSTOMER}` }, content: { type: 'text', text: { body: 'x' } } },
        { authorization: `Bearer ${readOnly}` },
      );
    expect(refused.statusCode).toBe(403);
  });

  it('Idempotency-Key: the same request gets the same answer once; another request with the key is a 422', async () => {
    const body = {
      to: { phone: `+${CUSTOMER}` },
      content: { type: 'text', text: { body: 'Your refund is on its way.' } },
    };
    const first = await api('POST', '/api/v1/messages', body, { 'idempotency-key': 'refund-4711' });
    expect(first.statusCode, first.body).toBe(202);
    const second = await api('POST', '/api/v1/messages', body, { 'idempotency-key': 'refund-4711' });
    expect(second.statusCode).toBe(202);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.json()).toEqual(first.json());
    const rows = await t.database.query<{ n: number }>(
      `select count(*)::int as n from messages where content->'text'->>'body' = 'Your refund is on its way.'`,
    );
    expect(rows[0]!.n).toBe(1);
    const other = await api(
      'POST',
      '/api/v1/messages',
      { ...body, content: { type: 'text', text: { body: 'Something else' } } },
      { 'idempotency-key': 'refund-4711' },
    );
    expect(other.statusCode).toBe(422);
    expect(other.json().error.code).toBe('IDEMPOTENCY_MISMATCH');
    // Any creating POST: a contact once.
    const c1 = await api(
      'POST',
      '/api/v1/contacts',
      { phone: '+12025550177', name: 'Once' },
      { 'idempotency-key': 'c-1' },
    );
    const c2 = await api(
      'POST',
      '/api/v1/contacts',
      { phone: '+12025550177', name: 'Once' },
      { 'idempotency-key': 'c-1' },
    );
    expect(c1.statusCode, c1.body).toBe(201);
    expect(c2.statusCode).toBe(201);
    expect(c2.json().id).toBe(c1.json().id);
    // A key is the caller's own: the owner signed in with the same key makes their own request.
    const mine = await owner.request(
      'POST',
      '/api/v1/contacts',
      { phone: '+12025550178', name: 'Mine' },
      { 'idempotency-key': 'c-1' },
    );
    expect(mine.statusCode, mine.body).toBe(201);
    expect(mine.headers['idempotent-replayed']).toBeUndefined();
    // Contacts upsert by phone: created once, then updated.
    const u1 = await api('PUT', '/api/v1/contacts', { phone: '+12025550190', name: 'First' });
    expect(u1.statusCode, u1.body).toBe(201);
    const u2 = await api('PUT', '/api/v1/contacts', { phone: '+1 202 555 0190', name: 'Renamed' });
    expect(u2.statusCode, u2.body).toBe(200);
    expect(u2.json()).toMatchObject({ id: u1.json().id, name: 'Renamed' });
    // A bad key is a 400.
    expect(
      (
        await api(
          'POST',
          '/api/v1/contacts',
          { phone: '+12025550179' },
          { 'idempotency-key': 'x'.repeat(300) },
        )
      ).statusCode,
    ).toBe(400);
  });
});
