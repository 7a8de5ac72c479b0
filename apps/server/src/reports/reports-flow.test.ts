import type { Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNumber, startSimulator } from '../../test/helpers/connect-number.ts';
import { metaFixture } from '../../test/helpers/meta-fixtures.ts';
import { until } from '../../test/helpers/until.ts';
import { deliverWebhook } from '../../test/helpers/webhooks.ts';
import { createTestApp, settings, type TestApp, type TestClient } from '../../test/helpers.ts';

// The fold follows what the real code writes: a customer's message through the webhook, our reply
// through the one send path and the sender (pending → sent: no status event), Meta's delivered,
// read and failed statuses through the webhook, and the customer's answer (a reply).
const WABA = '8250001';
const NUM = {
  phone_number_id: '8250101',
  waba_id: WABA,
  display_phone_number: '+1 555 082 5101',
  access_token: 'tok-reports',
  throughput_mps: 80,
};
const SECRET = 'reports-secret';
const us = (n: number) => `1202555${String(2500 + n).padStart(4, '0')}`;

let sim: Simulator;
let t: TestApp;
let owner: TestClient;

const fold = () => t.app.services.reports.fold();
const today = () => new Date().toISOString().slice(0, 10);
const overview = async () =>
  (await owner.get(`/api/v1/reports/overview?from=${today()}&to=${today()}`)).json();

async function customerWrites(phone: string, text = 'hello') {
  const body = metaFixture('message-text', {
    wabaId: WABA,
    phoneNumberId: NUM.phone_number_id,
    waId: phone,
    wamid: `wamid.in.${phone}.${Date.now()}.${Math.random()}`,
    message: { text: { body: text } },
  });
  await deliverWebhook(t, body, SECRET);
  const page = (await owner.get(`/api/v1/conversations?search=${phone}`)).json();
  return page.data[0] as { id: string };
}

async function status(
  phone: string,
  wamid: string,
  fixture: 'status-delivered' | 'status-read' | 'status-failed',
) {
  await deliverWebhook(
    t,
    metaFixture(fixture, { wabaId: WABA, phoneNumberId: NUM.phone_number_id, waId: phone, wamid }),
    SECRET,
  );
}

beforeAll(async () => {
  sim = await startSimulator(
    {
      seed: 25,
      customers: { deliver_rate: 0, read_rate: 0, reply_rate: 0, stop_rate: 0, undeliverable_rate: 0 },
    },
    [NUM],
  );
  t = await createTestApp({ META_GRAPH_URL: sim.url });
  owner = await t.owner();
  await connectNumber(owner, NUM, { appSecret: SECRET });
});
afterAll(async () => {
  await t.app.services.sender.stop();
  await t.close();
  await sim.close();
});

describe(`reports follow the real send path and webhooks, on ${settings.backend}`, () => {
  it('counts inbound, sent (no status event), delivered, read, failed by code and replies', async () => {
    const a = await customerWrites(us(1));
    const b = await customerWrites(us(2));
    await fold();
    expect((await overview()).kpis.received.current).toBe(2);

    const replyTo = async (conversationId: string) => {
      const res = await owner.post(`/api/v1/conversations/${conversationId}/reply`, {
        content: { type: 'text', text: { body: 'Thanks!' } },
      });
      expect(res.statusCode, res.body).toBe(202);
      return res.json().message_id as string;
    };
    const m1 = await replyTo(a.id);
    const m2 = await replyTo(b.id);
    await fold();
    // Queued: nothing sent yet.
    expect((await overview()).kpis.sent.current).toBe(0);

    t.app.services.sender.start();
    const wamidOf = (id: string) =>
      until('sent', async () => {
        const [r] = await t.database.query<{ wamid: string | null }>(
          'select wamid from messages where id = $1',
          [id],
        );
        return r?.wamid ?? undefined;
      });
    const w1 = (await wamidOf(m1)) as string;
    const w2 = (await wamidOf(m2)) as string;
    await fold();
    let ov = await overview();
    expect(ov.kpis.sent.current).toBe(2);
    expect(ov.by_hour.reduce((s: number, h: { outbound: number }) => s + h.outbound, 0)).toBe(2);

    await status(us(1), w1, 'status-delivered');
    await status(us(1), w1, 'status-read');
    await status(us(2), w2, 'status-failed');
    await fold();
    ov = await overview();
    expect(ov.kpis.delivery_rate.current).toBe(0.5);
    expect(ov.kpis.read_rate.current).toBe(0.5);
    expect(ov.kpis.failed.current).toBe(1);
    expect(ov.top_failures).toEqual([{ code: '131026', count: 1 }]);

    // The first customer answers: our message to them was replied to.
    await customerWrites(us(1), 'great, thanks');
    await fold();
    ov = await overview();
    expect(ov.kpis.reply_rate.current).toBe(0.5);
    expect(ov.kpis.received.current).toBe(3);
    expect(ov.series).toEqual([{ day: today(), sent: 2, delivered: 1, read: 1, failed: 1, inbound: 3 }]);
    // Folding again changes nothing.
    expect(await fold()).toBe(0);
  });
});
