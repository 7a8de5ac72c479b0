import type { Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../test/helpers/connect-number.ts';
import { createTestApp, settings, type TestApp } from '../../test/helpers.ts';
import { bodyFor } from './event-views.ts';
import { connectTenant, deliver, envelope, envelopes, messagesChange, type Tenant } from './test-kit.ts';

// An agency: organisations A and C have numbers of one Meta app, so one POST from Meta can carry
// both organisations' customers. Each sees only its own part of it.
const SECRET = 'agency-app-secret';
let sim: Simulator;
let t: TestApp;
let a: Tenant;
let c: Tenant;
let eventId: number;

beforeAll(async () => {
  sim = await startSimulator({ seed: 61 });
  t = await createTestApp({ META_GRAPH_URL: sim.url });
  a = await connectTenant(t, sim, { phone: '7300001', waba: '7400001', secret: SECRET });
  c = await connectTenant(t, sim, { phone: '7300002', waba: '7400002', secret: SECRET, org: 'Client' });
  ({ eventId } = await deliver(
    t,
    envelopes(
      envelope(a.wabaId, [
        messagesChange(a, [{ id: 'wamid.VIEW-A', from: '447700900001', name: 'Alice Ayo' }]),
      ]),
      envelope(c.wabaId, [
        messagesChange(c, [
          { id: 'wamid.VIEW-C1', from: '447700900002', name: 'Carol Chen' },
          { id: 'wamid.VIEW-C2', from: '447700900002', name: 'Carol Chen' },
        ]),
      ]),
    ),
    SECRET,
  ));
}, 60_000);
afterAll(async () => {
  await t.close();
  await sim.close();
});

const listed = async (n: Tenant) =>
  (await n.client.get('/api/v1/webhook-events?limit=10'))
    .json()
    .data.find((e: { id: number }) => e.id === eventId);

describe(`webhook events show each organisation only its own part, on ${settings.backend}`, () => {
  it('the body and the result hold only the caller’s entries and changes', async () => {
    const forA = await listed(a);
    expect(forA.result).toMatchObject({ messages: 1, duplicates: 0 });
    expect(forA.raw).toContain('wamid.VIEW-A');
    expect(forA.raw).toContain(a.phoneId);
    for (const other of ['wamid.VIEW-C', 'Carol', c.phoneId, c.wabaId]) expect(forA.raw).not.toContain(other);
    expect(JSON.parse(forA.raw).entry).toHaveLength(1);

    const forC = await listed(c);
    expect(forC.result).toMatchObject({ messages: 2 });
    expect(forC.raw).toContain('Carol Chen');
    for (const other of ['wamid.VIEW-A', 'Alice', a.phoneId, a.wabaId]) expect(forC.raw).not.toContain(other);
  });

  it('replay answers (and audits) only the caller’s part', async () => {
    const replay = await c.client.post(`/api/v1/webhook-events/${eventId}/replay`);
    expect(replay.statusCode).toBe(200);
    expect(replay.json().result).toMatchObject({ messages: 0, duplicates: 2 });
    const audit = (await c.client.get('/api/v1/audit?action=webhook_event.replay')).json().data[0];
    expect(audit.after).toMatchObject({ duplicates: 2 });
    expect(JSON.stringify(audit)).not.toContain(a.orgId);
    // Nothing was duplicated for anyone.
    const [row] = await t.database.query<{ n: string }>(
      `select count(*) as n from messages where wamid like 'wamid.VIEW-%'`,
    );
    expect(Number(row!.n)).toBe(3);
  });

  it('an organisation whose numbers an event does not name never sees it', async () => {
    const b = await connectTenant(t, sim, {
      phone: '7300003',
      waba: '7400003',
      secret: 'another-app',
      org: 'Bee',
    });
    expect(await listed(b)).toBeUndefined();
    expect((await b.client.post(`/api/v1/webhook-events/${eventId}/replay`)).statusCode).toBe(404);
  });
});

describe('coexistence changes are shown per number, like messages', () => {
  it('a WABA shared by two organisations: each sees only its own number’s echoes, history and app contacts', () => {
    const change = (field: string, phoneId: string, marker: string) => ({
      field,
      value: { metadata: { phone_number_id: phoneId }, marker },
    });
    const raw = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '9900001',
          changes: [
            change('smb_message_echoes', '9910001', 'ECHO-A'),
            change('history', '9910002', 'HISTORY-B'),
            change('smb_app_state_sync', '9910002', 'CONTACTS-B'),
            change('calls', '9910002', 'CALL-WABA'),
          ],
        },
      ],
    });
    const view = bodyFor(raw, { orgId: 'a', phoneIds: new Set(['9910001']), wabaIds: new Set(['9900001']) });
    expect(view).toContain('ECHO-A');
    expect(view).toContain('CALL-WABA');
    expect(view).not.toContain('HISTORY-B');
    expect(view).not.toContain('CONTACTS-B');
  });
});
