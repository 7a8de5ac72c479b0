import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestApp,
  settings,
  type TestApp,
  type TestClient,
} from '../../../../../apps/server/test/helpers.ts';
import { OpenwabaApi } from '../../credentials/OpenwabaApi.credentials.ts';
import { createN8nHarness } from '../../testing/n8n-harness.ts';
import { OpenwabaTrigger } from './OpenwabaTrigger.node.ts';

/**
 * The trigger, activated as n8n activates it, against a live openwaba: it registers its endpoint
 * through the API, openwaba's worker delivers signed events to the harness's webhook server, and the
 * node verifies, filters and emits them. n8n on the same machine: 127.0.0.1 is on the allow-list.
 */
let t: TestApp;
let owner: TestClient;
let baseUrl: string;
let key: string;
let n8n: ReturnType<typeof createN8nHarness>;
const trigger = new OpenwabaTrigger();

const endpoint = (id: string) => owner.get(`/api/v1/webhooks/endpoints/${id}`);
const publish = (events: Parameters<TestApp['app']['services']['events']['publish']>[1]) =>
  t.app.services.events.publish(t.orgId, events);
/** One fan-out pass and every delivery due: what openwaba's webhook worker does on its own. */
async function deliver() {
  await t.app.services.webhooks.fanOutNow();
  await t.app.services.webhooks.deliverDue();
}
/** The endpoint a trigger registered for its URL (n8n's static data of the node). */
const registered = (a: { url: string; staticData: Record<string, unknown> }) =>
  (a.staticData.endpoints as Record<string, { id: string; secret: string }> | undefined)?.[a.url];
const contactCreated = () => ({ type: 'contact.created' as const, data: { contact_id: randomUUID() } });

beforeAll(async () => {
  t = await createTestApp({ FETCH_ALLOW_PRIVATE: '127.0.0.1', WEBHOOK_TIMEOUT_MS: '5000' });
  baseUrl = await t.app.listen({ host: '127.0.0.1', port: 0 });
  owner = await t.owner();
  key = (
    await owner.post('/api/v1/api-keys', { name: 'n8n triggers', scopes: ['integrations.manage'] })
  ).json().key;
  n8n = createN8nHarness(new OpenwabaApi(), { baseUrl, apiKey: key });
});
afterAll(async () => {
  await n8n?.close();
  await t?.close();
});

describe(`the openwaba n8n trigger on ${settings.backend}`, () => {
  it('lists the event types from openwaba, with their descriptions', async () => {
    const types = await n8n.loadOptions(trigger, 'getEventTypes');
    expect(types).toContainEqual({
      name: 'message.received',
      value: 'message.received',
      description: expect.any(String),
    });
    expect(types.map((x) => x.value)).not.toContain('notification.created');
  });

  it('registers its endpoint on activation, emits each signed event once, refuses forgeries, removes it on deactivation', async () => {
    const a = await n8n.activate(trigger, { events: ['contact.created'] });
    const id = registered(a)!.id;
    expect(registered(a)!.secret).toMatch(/^whsec_/);
    const ep = (await endpoint(id)).json();
    expect(ep).toMatchObject({
      url: a.url,
      event_types: ['contact.created'],
      ordered: false,
      status: 'active',
      description: 'n8n: Harness workflow → openwaba Trigger',
    });
    expect(await a.checkExists()).toBe(true);

    // An event openwaba delivers: signed, verified, one workflow run with { id, type, timestamp, data }.
    const created = contactCreated();
    await publish([created, { type: 'conversation.updated', data: { conversation_id: randomUUID() } }]);
    await deliver();
    expect(a.emitted).toEqual([
      [
        {
          id: expect.any(String),
          type: 'contact.created',
          timestamp: expect.any(String),
          data: created.data,
        },
      ],
    ]);
    expect(a.answers).toEqual([200]);
    const eventId = a.emitted[0]![0]!.id as string;

    // openwaba resends it (a replay): the same webhook-id, acknowledged, no second run.
    const [delivery] = (await owner.get(`/api/v1/webhooks/endpoints/${id}/deliveries`)).json().data;
    expect(delivery).toMatchObject({ event_id: eventId, state: 'succeeded' });
    const replay = await owner.post(`/api/v1/webhooks/deliveries/${delivery.id}/replay`, {});
    expect(replay.statusCode, replay.body).toBeLessThan(300);
    await deliver();
    expect(a.answers).toEqual([200, 200]);
    expect(a.emitted).toHaveLength(1);

    // Forged, altered, stale or unsigned: 401, nothing runs.
    const body = JSON.stringify({ type: 'contact.created', timestamp: new Date().toISOString(), data: {} });
    const secret = registered(a)!.secret;
    const sign = (s: string, at: Date, payload = body, msgId = `evt_${randomUUID()}`) => ({
      'webhook-id': msgId,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(s).sign(msgId, at, payload),
    });
    const post = (headers: Record<string, string>, payload = body) =>
      fetch(a.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: payload,
      });
    const forged = `whsec_${Buffer.from('not the secret at all, 32 bytes!').toString('base64')}`;
    for (const [headers, payload] of [
      [sign(forged, new Date()), body],
      [sign(secret, new Date()), body.replace('contact.created', 'contact.deleted')],
      [sign(secret, new Date(Date.now() - 10 * 60_000)), body],
      [{}, body],
    ] as const) {
      const res = await post(headers, payload);
      expect(res.status).toBe(401);
    }
    expect(a.emitted).toHaveLength(1);
    // A correctly signed event of a type the trigger did not choose: acknowledged, ignored.
    const other = JSON.stringify({ type: 'job.failed', timestamp: new Date().toISOString(), data: {} });
    const ignored = await post(sign(secret, new Date(), other), other);
    expect(ignored.status).toBe(200);
    expect(await ignored.json()).toEqual({ received: true, ignored: 'not listening for job.failed' });
    expect(a.emitted).toHaveLength(1);

    // "Send test event" reaches the trigger whatever it chose.
    const test = await owner.post(`/api/v1/webhooks/endpoints/${id}/test`, {});
    expect(test.statusCode, test.body).toBeLessThan(300);
    await deliver();
    expect(a.emitted.at(-1)).toEqual([expect.objectContaining({ type: 'webhook.test' })]);

    expect(await a.deactivate()).toBe(true);
    expect((await endpoint(id)).statusCode).toBe(404);
    expect(a.staticData).toEqual({});
  });

  it('two workflows: two endpoints, each event once per trigger; changed settings replace the endpoint', async () => {
    const a = await n8n.activate(trigger, { events: ['contact.created'] });
    const b = await n8n.activate(trigger, {
      events: ['contact.created', 'conversation.updated'],
      options: { ordered: true },
    });
    expect(registered(a)!.id).not.toBe(registered(b)!.id);
    expect((await endpoint(registered(b)!.id)).json()).toMatchObject({
      url: b.url,
      ordered: true,
      event_types: expect.arrayContaining(['contact.created', 'conversation.updated']),
    });
    const created = contactCreated();
    const updated = { type: 'conversation.updated' as const, data: { conversation_id: randomUUID() } };
    await publish([created, updated]);
    await deliver();
    expect(a.emitted.map((run) => run.map((e) => e.type))).toEqual([['contact.created']]);
    expect(
      b.emitted
        .flat()
        .map((e) => e.type)
        .sort(),
    ).toEqual(['contact.created', 'conversation.updated']);
    // The same event reached both, under the same id.
    expect(b.emitted.flat().find((e) => e.type === 'contact.created')!.id).toBe(a.emitted[0]![0]!.id);

    // The same node activated again, its events changed meanwhile: the old endpoint is replaced, not
    // left behind; unchanged, it is kept.
    const old = registered(a)!.id;
    const same = await n8n.activate(
      trigger,
      { events: ['contact.created'] },
      { staticData: a.staticData, webhookId: a.webhookId },
    );
    expect(registered(same)!.id).toBe(old);
    const again = await n8n.activate(
      trigger,
      { events: ['conversation.updated'] },
      { staticData: a.staticData, webhookId: a.webhookId },
    );
    expect(registered(again)!.id).not.toBe(old);
    expect((await endpoint(old)).statusCode).toBe(404);
    await again.deactivate();
    await b.deactivate();
    expect((await owner.get('/api/v1/webhooks/endpoints')).json().data).toEqual([]);
  });

  it("the editor's test listener beside the active workflow: each URL its endpoint, neither disturbs the other", async () => {
    const production = await n8n.activate(trigger, { events: ['contact.created'] });
    // n8n registers the test URL with the same node's static data while the workflow is active.
    const test = await n8n.activate(
      trigger,
      { events: ['contact.created'] },
      { staticData: production.staticData },
    );
    expect(registered(test)!.id).not.toBe(registered(production)!.id);
    expect((await endpoint(registered(production)!.id)).statusCode).toBe(200);
    await publish([contactCreated()]);
    await deliver();
    expect(production.emitted).toHaveLength(1);
    expect(test.emitted).toHaveLength(1);
    // The test listener ends: only its endpoint goes.
    const productionId = registered(production)!.id;
    await test.deactivate();
    expect((await endpoint(productionId)).statusCode).toBe(200);
    expect(registered(production)!.id).toBe(productionId);
    await publish([contactCreated()]);
    await deliver();
    expect(production.emitted).toHaveLength(2);
    await production.deactivate();
    expect(production.staticData).toEqual({});
  });

  it("activation fails with openwaba's own words when the key lacks integrations.manage", async () => {
    const narrow = (
      await owner.post('/api/v1/api-keys', { name: 'no hooks', scopes: ['contacts.read'] })
    ).json().key;
    const other = createN8nHarness(new OpenwabaApi(), { baseUrl, apiKey: narrow });
    const err = await other.activate(trigger, { events: ['contact.created'] }).catch((e) => e);
    expect(err.message).toBe('This API key lacks the scope integrations.manage');
    // The drop-down still offers the events (the package's own list).
    expect((await other.loadOptions(trigger, 'getEventTypes')).map((x) => x.value)).toContain(
      'contact.created',
    );
    await other.close();
  });
});
