import type { Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNumber, startSimulator } from '../../test/helpers/connect-number.ts';
import { metaEnvelope } from '../../test/helpers/meta-fixtures.ts';
import { until } from '../../test/helpers/until.ts';
import { deliverWebhook } from '../../test/helpers/webhooks.ts';
import { createTestApp, settings, type TestApp, type TestClient } from '../../test/helpers.ts';

// Template messages in the inbox, the conversation list and the contact timeline are shown as the
// customer saw them: the catalogue's template filled with the values the message was sent with.
const WABA = '8470001';
const NUM = {
  phone_number_id: '8470101',
  waba_id: WABA,
  display_phone_number: '+1 555 084 7101',
  access_token: 'tok-tpl-msgs',
  throughput_mps: 80,
};
const SECRET = 'tpl-msgs-secret';
const phone = (n: number) => `1202555${String(4700 + n).padStart(4, '0')}`;

let sim: Simulator;
let t: TestApp;
let agent: TestClient;

async function conversationWith(n: number) {
  const sent = sim.customerSend(NUM.phone_number_id, phone(n), 'text', {
    text: 'Hello?',
    name: `Buyer ${n}`,
  })!;
  await deliverWebhook(t, metaEnvelope(WABA, [sent.change]), SECRET);
  const page = (await agent.get(`/api/v1/conversations?search=${phone(n)}`)).json();
  expect(page.data).toHaveLength(1);
  return page.data[0] as { id: string; contact: { id: string } };
}

async function reply(conversationId: string, template: Record<string, unknown>) {
  const res = await agent.post(`/api/v1/conversations/${conversationId}/reply`, {
    content: { type: 'template', template: { language: { code: 'en_US' }, ...template } },
  });
  expect(res.statusCode, res.body).toBe(202);
  const id = res.json().message_id as string;
  // The simulator checks the values against the template as Meta does: the send must be accepted.
  return until('sent', async () => {
    const page = (await agent.get(`/api/v1/conversations/${conversationId}/messages`)).json();
    const m = page.data.find((x: { id: string }) => x.id === id);
    return m?.status === 'sent' && m;
  });
}

beforeAll(async () => {
  sim = await startSimulator(
    {
      seed: 47,
      customers: { deliver_rate: 0, read_rate: 0, reply_rate: 0, stop_rate: 0, undeliverable_rate: 0 },
    },
    [NUM],
  );
  sim.addTemplate({
    waba_id: WABA,
    name: 'fall_promo',
    language: 'en_US',
    category: 'UTILITY',
    components: [
      { type: 'HEADER', format: 'TEXT', text: 'Order {{1}}', example: { header_text: ['A-1'] } },
      {
        type: 'BODY',
        text: 'Hi {{1}}, your order total is {{2}}, due {{3}}.',
        example: { body_text: [['Ana', '$10', 'Friday']] },
      },
      { type: 'FOOTER', text: 'Reply STOP to opt out' },
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'URL', text: 'Track', url: 'https://shop.example/track/{{1}}', example: ['A-1'] },
          { type: 'QUICK_REPLY', text: 'Talk to us' },
          { type: 'PHONE_NUMBER', text: 'Call', phone_number: '+15550783881' },
          { type: 'COPY_CODE', text: 'Copy code', example: 'SAVE10' },
        ],
      },
    ],
  });
  sim.addTemplate({
    waba_id: WABA,
    name: 'invoice_ready',
    language: 'en_US',
    category: 'UTILITY',
    parameter_format: 'NAMED',
    components: [
      { type: 'HEADER', format: 'DOCUMENT', example: { header_handle: ['h'] } },
      {
        type: 'BODY',
        text: 'Dear {{customer}}, invoice {{invoice}} is attached.',
        example: {
          body_text_named_params: [
            { param_name: 'customer', example: 'Ana' },
            { param_name: 'invoice', example: 'F-1' },
          ],
        },
      },
    ],
  });
  t = await createTestApp({ META_GRAPH_URL: sim.url });
  const owner = await t.owner();
  await connectNumber(owner, NUM, { appSecret: SECRET });
  await t.app.services.templates.sync(t.orgId);
  agent = await t.member('agent', 'agent-tpl@example.com');
  t.app.services.sender.start();
});
afterAll(async () => {
  await t.close();
  await sim.close();
});

describe(`template messages as the customer saw them, on ${settings.backend}`, () => {
  it('the thread, the list preview and the contact timeline show the rendered template', async () => {
    const c = await conversationWith(1);
    const m = await reply(c.id, {
      name: 'fall_promo',
      components: [
        { type: 'header', parameters: [{ type: 'text', text: 'B-77' }] },
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Ana' },
            { type: 'currency', currency: { code: 'EUR', amount_1000: 12500, fallback_value: '€12.50' } },
            { type: 'date_time', date_time: { fallback_value: 'Friday 3 October' } },
          ],
        },
        { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'B-77' }] },
        {
          type: 'button',
          sub_type: 'copy_code',
          index: '3',
          parameters: [{ type: 'coupon_code', coupon_code: 'SAVE10' }],
        },
      ],
    });
    expect(m.template).toEqual({
      header: { type: 'text', text: 'Order B-77' },
      body: 'Hi Ana, your order total is €12.50, due Friday 3 October.',
      footer: 'Reply STOP to opt out',
      buttons: [
        { type: 'url', text: 'Track', url: 'https://shop.example/track/B-77' },
        { type: 'quick_reply', text: 'Talk to us' },
        { type: 'phone_number', text: 'Call', phone_number: '+15550783881' },
        { type: 'copy_code', text: 'Copy code', code: 'SAVE10' },
      ],
    });
    // The customer's own message is not a template.
    const page = (await agent.get(`/api/v1/conversations/${c.id}/messages`)).json().data;
    expect(page.find((x: { direction: string }) => x.direction === 'in').template).toBeNull();

    const listed = (await agent.get(`/api/v1/conversations?search=${phone(1)}`)).json().data[0];
    expect(listed.last_message.preview).toBe('Hi Ana, your order total is €12.50, due Friday 3 October.');
    expect((await agent.get(`/api/v1/conversations/${c.id}`)).json().last_message.preview).toBe(
      listed.last_message.preview,
    );
    const timeline = (await agent.get(`/api/v1/contacts/${c.contact.id}/timeline`)).json().data;
    const item = timeline.find((i: { kind: string; message?: { id: string } }) => i.message?.id === m.id);
    expect(item.message.preview).toBe('Hi Ana, your order total is €12.50, due Friday 3 October.');
  });

  it('a campaign send reads the same in its conversation', async () => {
    const owner = await t.owner();
    const tag = (await owner.post('/api/v1/tags', { name: 'render-campaign' })).json();
    const contact = await owner.post('/api/v1/contacts', {
      phone: `+${phone(5)}`,
      name: 'Dee',
      tag_ids: [tag.id],
      opt_in: { source: 'web_form', proof: 'ticked the box' },
    });
    expect(contact.statusCode, contact.body).toBe(201);
    const templates = (await owner.get('/api/v1/templates')).json().data;
    const fixed = (v: string) => ({ fixed: v });
    const created = await owner.post('/api/v1/campaigns', {
      name: 'Rendered in the inbox',
      number_id: (await owner.get('/api/v1/numbers')).json().data[0].id,
      audience: { kind: 'contacts', filter: { tag_ids: [tag.id] } },
      templates: [
        {
          template_id: templates.find((x: { name: string }) => x.name === 'fall_promo').id,
          mapping: {
            'header.1': fixed('D-5'),
            'body.1': { contact: 'name' },
            'body.2': fixed('$3'),
            'body.3': fixed('Monday'),
            'buttons.0': fixed('D-5'),
            'buttons.3': fixed('DEE3'),
          },
        },
      ],
    });
    expect(created.statusCode, created.body).toBe(201);
    const started = await owner.post(`/api/v1/campaigns/${created.json().id}/start`, {});
    expect(started.statusCode, started.body).toBe(200);
    await until(
      'completed',
      async () => (await owner.get(`/api/v1/campaigns/${created.json().id}`)).json().state === 'completed',
    );
    const c = (await agent.get(`/api/v1/conversations?search=${phone(5)}`)).json().data[0];
    expect(c.last_message.preview).toBe('Hi Dee, your order total is $3, due Monday.');
    const [m] = (await agent.get(`/api/v1/conversations/${c.id}/messages`)).json().data;
    expect(m.template).toMatchObject({
      header: { type: 'text', text: 'Order D-5' },
      body: 'Hi Dee, your order total is $3, due Monday.',
      buttons: [
        { type: 'url', url: 'https://shop.example/track/D-5' },
        { type: 'quick_reply' },
        { type: 'phone_number' },
        { type: 'copy_code', code: 'DEE3' },
      ],
    });
  });

  it('named parameters and a document header; still shown after the template is deleted at Meta', async () => {
    const c = await conversationWith(2);
    const m = await reply(c.id, {
      name: 'invoice_ready',
      components: [
        {
          type: 'header',
          parameters: [
            { type: 'document', document: { link: 'https://files.example/f-9.pdf', filename: 'F-9.pdf' } },
          ],
        },
        {
          type: 'body',
          parameters: [
            { type: 'text', parameter_name: 'invoice', text: 'F-9' },
            { type: 'text', parameter_name: 'customer', text: 'Bo' },
          ],
        },
      ],
    });
    expect(m.template).toEqual({
      header: { type: 'document', link: 'https://files.example/f-9.pdf', filename: 'F-9.pdf' },
      body: 'Dear Bo, invoice F-9 is attached.',
      buttons: [],
    });

    // Deleted at Meta, the template stays in the catalogue (inactive): the message reads the same.
    const owner = await t.owner();
    const tpl = (await owner.get('/api/v1/templates'))
      .json()
      .data.find((x: { name: string }) => x.name === 'invoice_ready');
    const del = await owner.delete(`/api/v1/templates/${tpl.id}`);
    expect(del.statusCode, del.body).toBeLessThan(300);
    const again = (await agent.get(`/api/v1/conversations/${c.id}/messages`)).json().data;
    expect(again.find((x: { id: string }) => x.id === m.id).template.body).toBe(
      'Dear Bo, invoice F-9 is attached.',
    );
  });

  it('a template message whose template is not in the catalogue falls back to its name', async () => {
    const c = await conversationWith(3);
    const m = await reply(c.id, {
      name: 'fall_promo',
      components: [
        { type: 'header', parameters: [{ type: 'text', text: 'C-1' }] },
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Cy' },
            { type: 'text', text: '$1' },
            { type: 'text', text: 'today' },
          ],
        },
        { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'C-1' }] },
        {
          type: 'button',
          sub_type: 'copy_code',
          index: '3',
          parameters: [{ type: 'coupon_code', coupon_code: 'X' }],
        },
      ],
    });
    expect(m.template?.body).toBe('Hi Cy, your order total is $1, due today.');
    // The number moves to another WhatsApp Business Account: its old catalogue is not this one's.
    await t.database.query(`update numbers set waba_id = '8479999' where phone_number_id = $1`, [
      NUM.phone_number_id,
    ]);
    try {
      const page = (await agent.get(`/api/v1/conversations/${c.id}/messages`)).json().data;
      const shown = page.find((x: { id: string }) => x.id === m.id);
      expect(shown.template).toBeNull();
      expect(shown.content.template.name).toBe('fall_promo');
      const listed = (await agent.get(`/api/v1/conversations?search=${phone(3)}`)).json().data[0];
      expect(listed.last_message.preview).toBe('fall_promo');
    } finally {
      await t.database.query(`update numbers set waba_id = $1 where phone_number_id = $2`, [
        WABA,
        NUM.phone_number_id,
      ]);
    }
  });
});
