import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, settings, type TestApp } from '../helpers.ts';
import { connectNumber, startSimulator } from './connect-number.ts';
import {
  META_FIXTURES,
  META_FIXTURES_DIR,
  type MetaFixtureName,
  metaChange,
  metaEnvelope,
  metaFixture,
} from './meta-fixtures.ts';
import { deliverWebhook } from './webhooks.ts';

type Json = Record<string, unknown>;
const change = (name: MetaFixtureName, o = {}) => metaChange(name, o).value as Json & { messages: Json[] };

describe('Meta webhook fixtures', () => {
  it('one event per file: one entry, one change; every file is listed and every listed name has a file', () => {
    const files = readdirSync(META_FIXTURES_DIR)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.replace(/\.json$/, ''))
      .sort();
    expect(files).toEqual([...META_FIXTURES].sort());
    for (const name of META_FIXTURES) {
      const body = metaFixture(name);
      expect(body.object, name).toBe('whatsapp_business_account');
      expect(body.entry, name).toHaveLength(1);
      expect(body.entry[0]!.changes, name).toHaveLength(1);
    }
  });

  it('overrides land on the ids, phones and timestamps Meta sends, and nothing else changes', () => {
    const o = {
      wabaId: '900',
      phoneNumberId: '901',
      displayPhone: '15550000901',
      waId: '447700900123',
      name: 'Ines',
      wamid: 'wamid.X1',
      timestamp: 1_700_000_123,
    };
    const body = metaFixture('message-text', { ...o, message: { text: { body: 'Olá' } } });
    expect(body.entry[0]!.id).toBe('900');
    expect(body.entry[0]).not.toHaveProperty('time');
    const v = body.entry[0]!.changes[0]!.value as Json;
    expect(v.metadata).toEqual({ display_phone_number: '15550000901', phone_number_id: '901' });
    expect(v.contacts).toEqual([{ profile: { name: 'Ines' }, wa_id: '447700900123' }]);
    expect(v.messages).toEqual([
      { from: '447700900123', id: 'wamid.X1', timestamp: '1700000123', type: 'text', text: { body: 'Olá' } },
    ]);
    const status = change('status-failed', o).statuses as Json[];
    expect(status[0]).toMatchObject({
      id: 'wamid.X1',
      recipient_id: '447700900123',
      timestamp: '1700000123',
    });
    expect((status[0]!.errors as Json[])[0]).toMatchObject({ code: 131026 });
    const notice = metaFixture('template-status-approved', { ...o, value: { message_template_id: 7 } });
    expect(notice.entry[0]).toMatchObject({ id: '900', time: 1_700_000_123 });
    expect(notice.entry[0]!.changes[0]!.value).toMatchObject({ event: 'APPROVED', message_template_id: 7 });
    expect(change('phone-number-quality-update', o).display_phone_number).toBe('15550000901');
    expect(change('user-preferences-stop', o).user_preferences).toEqual([
      expect.objectContaining({ wa_id: '447700900123', value: 'stop', timestamp: 1_700_000_123 }),
    ]);
  });

  it('timestamps default to now; `messages` repeats the fixture message; each load is a fresh copy', () => {
    const now = Math.floor(Date.now() / 1000);
    const several = change('message-text', {
      messages: [{ id: 'wamid.A' }, { id: 'wamid.B', text: { body: 'second' } }],
    });
    expect(several.messages.map((m) => [m.id, (m.text as Json).body, m.type])).toEqual([
      ['wamid.A', 'Hi! Is this still available?', 'text'],
      ['wamid.B', 'second', 'text'],
    ]);
    expect(Number(several.messages[0]!.timestamp)).toBeGreaterThanOrEqual(now);
    (change('message-text').messages[0]!.text as Json).body = 'changed';
    expect((change('message-text').messages[0]!.text as Json).body).toBe('Hi! Is this still available?');
    expect(
      metaEnvelope('5', [metaChange('message-text'), metaChange('status-read')]).entry[0]!.changes,
    ).toHaveLength(2);
  });
});

describe(`Meta webhook fixtures through the server on ${settings.backend}`, () => {
  const NUM = {
    phone_number_id: '9300001',
    waba_id: '9400001',
    display_phone_number: '+1 555 093 0001',
    access_token: 'tok-fixtures-1',
  };
  const SECRET = 'fixtures-app-secret';
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  let t: TestApp;

  beforeAll(async () => {
    sim = await startSimulator({ seed: 93 }, [NUM]);
    t = await createTestApp({ META_GRAPH_URL: sim.url });
    await connectNumber(await t.owner(), NUM, { appSecret: SECRET });
  });
  afterAll(async () => {
    await t.close();
    await sim.close();
  });

  it('each fixture, pointed at a connected number, is routed and processed as its kind', async () => {
    // What each kind counts: a customer's message is stored, a status of a message we never sent is
    // parked for later, a template or account notice (and a marketing preference) is recorded as an update.
    const counted = (name: MetaFixtureName) =>
      name.startsWith('message-')
        ? { messages: 1, statuses: 0, updates: 0 }
        : name.startsWith('status-')
          ? { messages: 0, statuses: 1, parked: 1, updates: 0 }
          : { messages: 0, statuses: 0, updates: 1 };
    for (const [i, name] of META_FIXTURES.entries()) {
      const { eventId, result } = await deliverWebhook(
        t,
        metaFixture(name, {
          wabaId: NUM.waba_id,
          phoneNumberId: NUM.phone_number_id,
          displayPhone: '15550930001',
          wamid: `wamid.FIXTURE${i}`,
        }),
        SECRET,
      );
      const [ev] = await t.database.query<{ state: string }>(
        'select state from webhook_events where id = $1',
        [eventId],
      );
      expect(ev!.state, name).toBe('processed');
      expect(result, name).toMatchObject({ ...counted(name), unroutable: [], foreign: [] });
    }
  });
});
