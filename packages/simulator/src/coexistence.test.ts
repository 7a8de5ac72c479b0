import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Loose, NUMBER, startReceiver, startSimulator } from '../test/helpers.ts';

/**
 * Coexistence webhooks (the WhatsApp Business app and the API on one number), the typing indicator
 * and the fidelity fixes client libraries need, against fixtures written from Meta's documented
 * examples (test/fixtures/meta).
 */
type Harness = Awaited<ReturnType<typeof startSimulator>>;
let h: Harness;
beforeAll(async () => {
  h = await startSimulator();
});
afterAll(() => h.sim.close());

const fixture = (name: string): Loose =>
  JSON.parse(readFileSync(new URL(`../test/fixtures/meta/${name}.json`, import.meta.url), 'utf8'));

/** Key paths below `value` (array items merged): the shape a consumer depends on. */
function shape(v: unknown, prefix = '', out = new Set<string>()): Set<string> {
  if (v === null || typeof v !== 'object') return out;
  for (const item of Array.isArray(v) ? v : [v]) {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) continue;
    for (const [k, x] of Object.entries(item)) {
      out.add(`${prefix}${k}`);
      shape(x, `${prefix}${k}.`, out);
    }
  }
  return out;
}

const emit = (kind: string, params: Record<string, unknown> = {}) =>
  h.control('POST', '/_sim/events', {
    kind,
    phone_number_id: NUMBER.phone_number_id,
    wa_id: '16505551234',
    params,
  });

describe('coexistence webhooks are shaped like Meta’s documented examples', () => {
  it.each([
    ['echo', 'smb_message_echoes'],
    ['history', 'history'],
    ['app_contact', 'smb_app_state_sync'],
  ])('%s → %s', async (kind, field) => {
    const documented = fixture(field).entry[0].changes[0];
    const r = await emit(kind);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.field).toBe(documented.field);
    const missing = [...shape(documented.value)].filter((p) => !shape(r.body.value).has(p));
    expect(missing).toEqual([]);
  });

  it('history: the customer’s message, then the business’s answer (with `to`), older than now', async () => {
    const r = await emit('history', { days_ago: 10, phase: 1, progress: 40 });
    const [chunk] = r.body.value.history;
    expect(chunk.metadata).toEqual({ phase: 1, chunk_order: 1, progress: 40 });
    const [thread] = chunk.threads;
    expect(thread.id).toBe('16505551234');
    const [fromCustomer, fromBusiness] = thread.messages;
    expect(fromCustomer.from).toBe('16505551234');
    expect(fromCustomer.to).toBeUndefined();
    expect(fromBusiness).toMatchObject({ from: '15550100001', to: '16505551234' });
    expect(Number(fromCustomer.timestamp)).toBeLessThan(Date.now() / 1000 - 9 * 86_400);
    const declined = await emit('history_declined');
    expect(declined.body.value.history[0].errors[0].code).toBe(2593109);
  });

  it('app contact removed: no name, the phone and the action', async () => {
    const r = await emit('app_contact', { action: 'remove' });
    expect(r.body.value.state_sync[0]).toMatchObject({
      type: 'contact',
      action: 'remove',
      contact: { phone_number: '16505551234' },
    });
    expect(r.body.value.state_sync[0].contact.full_name).toBeUndefined();
  });
});

describe('a coexistence number', () => {
  it('shows is_on_biz_app and accepts at most 20 msg/s (Meta fixes its throughput)', async () => {
    const add = await h.control('POST', '/_sim/numbers', {
      phone_number_id: '3100001',
      waba_id: '3200001',
      display_phone_number: '+1 555 031 0001',
      access_token: 'token-coex-3100001',
      throughput_mps: 1000,
      is_on_biz_app: true,
    });
    expect(add.status).toBe(201);
    const info = await h.graph('GET', '/v25.0/3100001?fields=is_on_biz_app', undefined, 'token-coex-3100001');
    expect(info.body).toEqual({ id: '3100001', is_on_biz_app: true });
    const sends = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        h.graph(
          'POST',
          '/v25.0/3100001/messages',
          {
            messaging_product: 'whatsapp',
            to: `1650555300${String(i).padStart(2, '0')}`,
            type: 'text',
            text: { body: 'hi' },
          },
          'token-coex-3100001',
        ),
      ),
    );
    const throttled = sends.filter((r) => r.body.error?.code === 130429).length;
    // A burst of a tenth of a second's worth (2) goes; the rest of an instant burst of 20 is refused.
    expect(throttled).toBeGreaterThanOrEqual(15);
  });
});

describe('Graph fidelity for client libraries', () => {
  it('a typing indicator is a read with typing_indicator {type: text}; the simulator records it', async () => {
    const inbound = await h.control('POST', '/_sim/customers/16505551234/messages', {
      phone_number_id: NUMBER.phone_number_id,
      type: 'text',
    });
    const wamid = inbound.body.id;
    const read = (extra: Record<string, unknown>, version = 'v25.0') =>
      h.graph('POST', `/${version}/${NUMBER.phone_number_id}/messages`, {
        messaging_product: 'whatsapp',
        status: 'read',
        message_id: wamid,
        ...extra,
      });
    expect((await read({ typing_indicator: { type: 'text' } })).body).toEqual({ success: true });
    expect((await read({ typing_indicator: { type: 'text' } }, 'v23.0')).body).toEqual({ success: true });
    expect(h.sim.inboundMessage(wamid)).toMatchObject({ read: true, typing: 2 });
    const bad = await read({ typing_indicator: { type: 'audio' } });
    expect(bad.status).toBe(400);
  });

  it('any vXX.0 version path is served; another shape is Meta’s error 100', async () => {
    for (const v of ['v23.0', 'v25.0', 'v27.0']) {
      expect((await h.graph('GET', `/${v}/${NUMBER.phone_number_id}`)).status).toBe(200);
    }
    expect((await h.graph('GET', `/latest/${NUMBER.phone_number_id}`)).body.error.code).toBe(100);
  });

  it('media upload takes messaging_product from the query string, as Graph does', async () => {
    const upload = async (query: string, withField: boolean) => {
      const form = new FormData();
      if (withField) form.set('messaging_product', 'whatsapp');
      form.set('type', 'image/jpeg');
      form.set('file', new Blob([new Uint8Array(100)], { type: 'image/jpeg' }), 'a.jpg');
      const res = await fetch(`${h.sim.url}/v25.0/${NUMBER.phone_number_id}/media${query}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${NUMBER.access_token}` },
        body: form,
      });
      return { status: res.status, body: (await res.json()) as Loose };
    };
    const inQuery = await upload('?messaging_product=whatsapp', false);
    expect(inQuery.status).toBe(200);
    expect(inQuery.body.id).toMatch(/^\d+$/);
    expect((await upload('', true)).status).toBe(200);
    const neither = await upload('', false);
    expect(neither.body.error.code).toBe(131008);
  });

  it('webhook batching: a window of 0 with one change per POST sends each change alone', async () => {
    const rx = await startReceiver();
    const sim = await startSimulator({ webhook_batch_ms: 0, webhook_max_batch: 1 }, rx.url);
    try {
      for (let i = 0; i < 3; i++) {
        await sim.control('POST', '/_sim/events', {
          kind: 'text',
          phone_number_id: NUMBER.phone_number_id,
          wa_id: `1650555100${i}`,
        });
      }
      await sim.sim.settle();
      expect(rx.received).toHaveLength(3);
      expect(rx.received.every((r) => r.body.entry[0]!.changes.length === 1)).toBe(true);
    } finally {
      await sim.sim.close();
      await rx.close();
    }
  });
});
