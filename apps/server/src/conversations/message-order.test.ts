import { createSimulator, type Simulator, signWebhookBody } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, settings, type TestApp } from '../../test/helpers.ts';

const NUM = {
  phone_number_id: '7000001',
  waba_id: '7100001',
  display_phone_number: '+1 555 070 0001',
  access_token: 'tok-order-1',
};
let sim: Simulator;
let t: TestApp;

beforeAll(async () => {
  sim = await createSimulator({ seed: 11 });
  await sim.listen(0);
  sim.addNumber(NUM);
  t = await createTestApp({ META_GRAPH_URL: sim.url });
  const res = await (await t.owner()).post('/api/v1/numbers', {
    display_name: 'Order',
    phone_number_id: NUM.phone_number_id,
    waba_id: NUM.waba_id,
    access_token: NUM.access_token,
    app_secret: 'order-secret',
    verify_token: 'order-verify',
  });
  expect(res.statusCode, res.body).toBe(201);
});
afterAll(async () => {
  await t.close();
  await sim.close();
});

describe(`message order on ${settings.backend}`, () => {
  it('messages sent within one second keep their arrival order, across pages', async () => {
    const ts = String(Math.floor(Date.now() / 1000));
    // Random-looking ids, so neither id nor wamid order can stand in for arrival order.
    const ids = ['wamid.Zq', 'wamid.Aa', 'wamid.Mx', 'wamid.Bc', 'wamid.Yy'];
    const payload = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: NUM.waba_id,
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: '15550700001', phone_number_id: NUM.phone_number_id },
                contacts: [{ profile: { name: 'Ola' }, wa_id: '16505550999' }],
                messages: ids.map((id, i) => ({
                  from: '16505550999',
                  id,
                  timestamp: ts,
                  type: 'text',
                  text: { body: `part ${i + 1}` },
                })),
              },
            },
          ],
        },
      ],
    };
    const { body } = signWebhookBody(payload, 'order-secret');
    await t.app.services.inbound.processEvent(
      await t.app.services.inbound.store(Buffer.from(body), { appSecret: 'order-secret' }),
    );
    const owner = await t.owner();
    const conv = (await owner.get('/api/v1/conversations')).json().data[0];
    expect(conv.last_message.preview).toBe('part 5');
    const first = (await owner.get(`/api/v1/conversations/${conv.id}/messages?limit=2`)).json();
    const rest = (
      await owner.get(`/api/v1/conversations/${conv.id}/messages?limit=10&before=${first.next_cursor}`)
    ).json();
    const bodies = [...first.data, ...rest.data].map(
      (m: { content: { text: { body: string } } }) => m.content.text.body,
    );
    expect(bodies).toEqual(['part 5', 'part 4', 'part 3', 'part 2', 'part 1']);
    expect((await owner.get(`/api/v1/conversations/${conv.id}/messages?before=bm9wZQ`)).statusCode).toBe(400);
  });
});
