import type { Simulator } from '@openwaba/simulator';
import { NodeApiError } from 'n8n-workflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNumber, startSimulator } from '../../../../../apps/server/test/helpers/connect-number.ts';
import { metaEnvelope } from '../../../../../apps/server/test/helpers/meta-fixtures.ts';
import { until } from '../../../../../apps/server/test/helpers/until.ts';
import { deliverWebhook } from '../../../../../apps/server/test/helpers/webhooks.ts';
import {
  createTestApp,
  settings,
  type TestApp,
  type TestClient,
} from '../../../../../apps/server/test/helpers.ts';
import { OpenwabaApi } from '../../credentials/OpenwabaApi.credentials.ts';
import { createN8nHarness } from '../../testing/n8n-harness.ts';
import { Openwaba } from './Openwaba.node.ts';

/** The action node, loaded and run as n8n would, against a live openwaba (HTTP on a port) and the simulator. */
const WABA = '8824201';
const NUM = {
  phone_number_id: '8824301',
  waba_id: WABA,
  display_phone_number: '+1 555 082 4301',
  access_token: 'tok-n8n-node',
  throughput_mps: 80,
};
const SECRET = 'n8n-node-app-secret';
const CUSTOMER = '12025557788';
/** Never wrote: a new contact, opted in by the upsert. */
const SHOPPER = '12025557799';
const SCOPES = [
  'conversations.read',
  'conversations.reply',
  'contacts.read',
  'contacts.write',
  'contacts.manage',
  'campaigns.read',
  'campaigns.manage',
  'members.read',
  'numbers.read',
];

let sim: Simulator;
let t: TestApp;
let owner: TestClient;
let baseUrl: string;
let key: string;
let numberId: string;
let n8n: ReturnType<typeof createN8nHarness>;
const node = new Openwaba();

const run = (params: Record<string, unknown>, opts: { continueOnFail?: boolean } = {}) =>
  n8n.execute(node, params, opts).then((out) => out[0]!.map((item) => item.json));
const sentTo = (phone: string) => sim.sentMessages().filter((m) => m.to === phone);

beforeAll(async () => {
  sim = await startSimulator(
    {
      seed: 2424,
      customers: { deliver_rate: 1, read_rate: 0, reply_rate: 0, stop_rate: 0, undeliverable_rate: 0 },
    },
    [NUM],
  );
  sim.addTemplate({
    waba_id: WABA,
    name: 'order_ready',
    language: 'en_US',
    category: 'UTILITY',
    components: [{ type: 'BODY', text: 'Your order {{1}} is ready.', example: { body_text: [['A-1']] } }],
  });
  t = await createTestApp({ META_GRAPH_URL: sim.url });
  baseUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
  owner = await t.owner();
  numberId = await connectNumber(owner, NUM, { appSecret: SECRET, verifyToken: 'n8n-node-verify' });
  await t.app.services.templates.sync(t.orgId);
  t.app.services.sender.start();
  key = (await owner.post('/api/v1/api-keys', { name: 'n8n', scopes: SCOPES })).json().key;
  n8n = createN8nHarness(new OpenwabaApi(), { baseUrl: `${baseUrl}/`, apiKey: key });
  // The customer writes first: the 24-hour window is open for texts and media.
  const sent = sim.customerSend(NUM.phone_number_id, CUSTOMER, 'text', { text: 'Is my order ready?' })!;
  await deliverWebhook(t, metaEnvelope(WABA, [sent.change]), SECRET);
});
afterAll(async () => {
  await n8n?.close();
  await t?.close();
  await sim?.close();
});

describe(`the openwaba n8n node on ${settings.backend}`, () => {
  it('credential test: a live key passes, an unknown one fails with a clear message', async () => {
    expect(await n8n.testCredential()).toEqual({ status: 'OK', message: 'Connection successful!' });
    const bad = createN8nHarness(new OpenwabaApi(), { baseUrl, apiKey: 'owk_not_a_real_key_000000000000' });
    expect(await bad.testCredential()).toEqual({
      status: 'Error',
      message: 'openwaba does not know this API key (revoked, expired or mistyped)',
    });
  });

  it('contact: upserts by phone (created, then updated) and adds a tag by name, creating it once', async () => {
    const [created] = await run({
      resource: 'contact',
      operation: 'upsert',
      phone: `+${SHOPPER}`,
      additionalFields: { name: 'Ana Lima', optInProof: 'Checkbox at checkout, order A-17' },
    });
    expect(created).toMatchObject({
      phone: `+${SHOPPER}`,
      name: 'Ana Lima',
      consent: { state: 'opted_in', source: 'api' },
    });
    const [updated] = await run({
      resource: 'contact',
      operation: 'upsert',
      phone: SHOPPER,
      additionalFields: { name: 'Ana L.' },
    });
    expect(updated).toMatchObject({ id: created!.id, name: 'Ana L.' });
    // The customer who wrote first is a contact already: the upsert finds them.
    const [known] = await run({ resource: 'contact', operation: 'upsert', phone: `+${CUSTOMER}` });
    expect(known).toMatchObject({ phone: `+${CUSTOMER}`, last_inbound_at: expect.any(String) });

    const add = { resource: 'contact', operation: 'addTag', contactId: created!.id, tag: 'VIP' };
    expect(await run(add)).toEqual([
      { contact_id: created!.id, tag_id: expect.any(String), tag_name: 'VIP', added: true },
    ]);
    // Again, in another case: the same tag, nothing added; no second tag was created.
    const [again] = await run({ ...add, tag: 'vip' });
    expect(again).toMatchObject({ tag_name: 'VIP', added: false });
    const tags = (await owner.get('/api/v1/tags')).json().data;
    expect(tags.filter((x: { name: string }) => x.name.toLowerCase() === 'vip')).toHaveLength(1);
    const contact = (await owner.get(`/api/v1/contacts/${created!.id}`)).json();
    expect(contact.tags.map((x: { name: string }) => x.name)).toEqual(['VIP']);
    // The drop-down lists it.
    expect(await n8n.loadOptions(node, 'getTags')).toContainEqual({ name: 'VIP', value: again!.tag_id });
  });

  it('message: a text, a template with a parameter and an image by link land at Meta through the simulator', async () => {
    const before = sentTo(CUSTOMER).length;
    const [text] = await run({
      resource: 'message',
      operation: 'sendText',
      to: `+${CUSTOMER}`,
      text: 'Your order is ready for pickup.',
    });
    expect(text).toMatchObject({ message_id: expect.any(String), status: 'pending' });
    const [template] = await run({
      resource: 'message',
      operation: 'sendTemplate',
      to: `+${CUSTOMER}`,
      templateName: 'order_ready',
      languageCode: 'en_US',
      bodyParameters: { parameter: [{ text: 'A-17' }] },
      options: { numberId },
    });
    const [image] = await run({
      resource: 'message',
      operation: 'sendMedia',
      recipientType: 'contact_id',
      to: text!.contact_id,
      mediaType: 'image',
      mediaLink: 'https://cdn.example.com/pickup.jpg',
      caption: 'Counter 3',
    });
    await until('the three messages reach Meta', () => sentTo(CUSTOMER).length >= before + 3);
    const bodies = sentTo(CUSTOMER)
      .slice(before)
      .map((m) => m.body as Record<string, unknown>);
    expect(bodies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'text',
          text: expect.objectContaining({ body: 'Your order is ready for pickup.' }),
        }),
        expect.objectContaining({
          type: 'template',
          template: expect.objectContaining({
            name: 'order_ready',
            components: [{ type: 'body', parameters: [{ type: 'text', text: 'A-17' }] }],
          }),
        }),
        expect.objectContaining({
          type: 'image',
          image: expect.objectContaining({
            link: 'https://cdn.example.com/pickup.jpg',
            caption: 'Counter 3',
          }),
        }),
      ]),
    );
    for (const m of [text, template, image])
      expect((await owner.get(`/api/v1/messages/${m!.message_id}`)).json().source).toBe('api');
    // The same Idempotency-Key and body: the first answer again, nothing sent twice.
    const once = {
      resource: 'message',
      operation: 'sendText',
      to: `+${CUSTOMER}`,
      text: 'Order A-17: paid.',
      options: { idempotencyKey: 'order-A-17-paid' },
    };
    const [first] = await run(once);
    const [second] = await run(once);
    expect(second!.message_id).toBe(first!.message_id);
  });

  it('conversation: gets one and assigns it to an agent, then to nobody', async () => {
    const [sent] = await run({
      resource: 'message',
      operation: 'sendText',
      to: `+${CUSTOMER}`,
      text: 'Hello',
    });
    const [conv] = await run({
      resource: 'conversation',
      operation: 'get',
      conversationId: sent!.conversation_id,
    });
    expect(conv).toMatchObject({
      id: sent!.conversation_id,
      contact: expect.objectContaining({ id: sent!.contact_id }),
    });
    const members = await n8n.loadOptions(node, 'getMembers');
    expect(members).toEqual([
      { name: expect.any(String), value: t.ownerId, description: 'owner@example.com' },
    ]);
    const [assigned] = await run({
      resource: 'conversation',
      operation: 'assign',
      conversationId: sent!.conversation_id,
      assignTo: 'agent',
      assigneeId: members[0]!.value,
    });
    expect(assigned).toMatchObject({ assignee: expect.objectContaining({ id: t.ownerId }) });
    const [none] = await run({
      resource: 'conversation',
      operation: 'assign',
      conversationId: sent!.conversation_id,
      assignTo: 'none',
    });
    expect(none).toMatchObject({ assignee: null });
  });

  it('campaign: starts a draft chosen from the drop-down; its template reaches the tagged contact', async () => {
    const tagId = (await owner.get('/api/v1/tags'))
      .json()
      .data.find((x: { name: string }) => x.name === 'VIP').id;
    const templateId = (await owner.get('/api/v1/templates'))
      .json()
      .data.find((x: { name: string }) => x.name === 'order_ready').id;
    const draft = await owner.post('/api/v1/campaigns', {
      name: 'VIP pickup',
      number_id: numberId,
      audience: { kind: 'contacts', filter: { tag_ids: [tagId] } },
      templates: [{ template_id: templateId, mapping: { 'body.1': { fixed: 'VIP-1' } } }],
    });
    expect(draft.statusCode, draft.body).toBe(201);
    expect(await n8n.loadOptions(node, 'getCampaigns')).toEqual([
      { name: 'VIP pickup', value: draft.json().id, description: 'draft' },
    ]);
    const [started] = await run({ resource: 'campaign', operation: 'start', campaignId: draft.json().id });
    expect(started).toMatchObject({ id: draft.json().id, state: expect.stringMatching(/running|completed/) });
    await until('the campaign message reaches Meta', () =>
      sentTo(SHOPPER).some((m) => JSON.stringify(m.body).includes('VIP-1')),
    );
    // Starting it twice is openwaba's refusal, in openwaba's words.
    const again = await run({ resource: 'campaign', operation: 'start', campaignId: draft.json().id }).catch(
      (e) => e,
    );
    expect(again).toBeInstanceOf(NodeApiError);
    expect(again.httpCode).toBe('409');
  });

  it("errors: openwaba's message as a NodeApiError, or an error item with continueOnFail", async () => {
    const badPhone = {
      resource: 'message',
      operation: 'sendText',
      to: 'not a phone',
      text: 'Hi',
    };
    const raw = await fetch(`${baseUrl}/api/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to: { phone: 'not a phone' }, content: { type: 'text', text: { body: 'Hi' } } }),
    });
    const said = (await raw.json()) as { error: { code: string; message: string } };
    expect(raw.status).toBeGreaterThanOrEqual(400);
    expect(raw.status).toBeLessThan(500);

    const err = await run(badPhone).catch((e) => e);
    expect(err).toBeInstanceOf(NodeApiError);
    expect(err.message).toBe(said.error.message);
    expect(err.httpCode).toBe(String(raw.status));
    expect(err.description).toContain(said.error.code);

    const items = await run(badPhone, { continueOnFail: true });
    expect(items).toEqual([
      { error: said.error.message, description: err.description, http_code: String(raw.status) },
    ]);

    // A key without the scope: openwaba says which one is missing.
    const narrow = (
      await owner.post('/api/v1/api-keys', { name: 'read only', scopes: ['contacts.read'] })
    ).json().key;
    const readOnly = createN8nHarness(new OpenwabaApi(), { baseUrl, apiKey: narrow });
    const denied = await readOnly
      .execute(node, { resource: 'contact', operation: 'upsert', phone: `+${CUSTOMER}` })
      .catch((e) => e);
    expect(denied).toBeInstanceOf(NodeApiError);
    expect(denied.message).toBe('This API key lacks the scope contacts.write');
    expect(denied.httpCode).toBe('403');

    // A missing conversation: 404 with openwaba's text, not n8n's generic one.
    const missing = await run({
      resource: 'conversation',
      operation: 'get',
      conversationId: '00000000-0000-4000-8000-000000000000',
    }).catch((e) => e);
    expect(missing).toBeInstanceOf(NodeApiError);
    expect(missing.httpCode).toBe('404');
    expect(missing.message).toMatch(/conversation/i);
  });

  it('drop-downs: active numbers; the event types fall back to the built-in list when the key cannot read them', async () => {
    expect(await n8n.loadOptions(node, 'getNumbers')).toEqual([
      { name: `Sim ${NUM.phone_number_id}`, value: numberId, description: NUM.phone_number_id },
    ]);
    const types = await n8n.loadOptions(node, 'getEventTypes');
    expect(types.map((x) => x.value)).toContain('message.received');
  });
});
