import type { Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNumber, startSimulator } from '../../test/helpers/connect-number.ts';
import { metaFixture } from '../../test/helpers/meta-fixtures.ts';
import { storeWebhook } from '../../test/helpers/webhooks.ts';
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
  sim = await startSimulator({ seed: 11 }, [NUM]);
  t = await createTestApp({ META_GRAPH_URL: sim.url });
  await connectNumber(await t.owner(), NUM, {
    appSecret: 'order-secret',
    displayName: 'Order',
    verifyToken: 'order-verify',
  });
});
afterAll(async () => {
  await t.close();
  await sim.close();
});

describe(`message order on ${settings.backend}`, () => {
  it('messages sent within one second keep their arrival order, across pages', async () => {
    const ts = Math.floor(Date.now() / 1000);
    // Random-looking ids, so neither id nor wamid order can stand in for arrival order.
    const ids = ['wamid.Zq', 'wamid.Aa', 'wamid.Mx', 'wamid.Bc', 'wamid.Yy'];
    const payload = metaFixture('message-text', {
      wabaId: NUM.waba_id,
      phoneNumberId: NUM.phone_number_id,
      displayPhone: '15550700001',
      timestamp: ts,
      messages: ids.map((id, i) => ({ id, text: { body: `part ${i + 1}` } })),
    });
    await storeWebhook(t, payload, 'order-secret');
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
