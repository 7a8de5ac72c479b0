import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../test/helpers/connect-number.ts';
import { until } from '../../test/helpers/until.ts';
import { createTestApp, settings, type TestApp, type TestClient } from '../../test/helpers.ts';
import { connectSimNumber, customerWrites, type SimNumber } from '../../test/inbound.ts';

/**
 * Outbound webhooks end to end: endpoints through the HTTP API, events from the outbox fanned out
 * and delivered to a real receiver on 127.0.0.1 (allowed by FETCH_ALLOW_PRIVATE for this file),
 * every delivery verified with the reference `standardwebhooks` library. Time is the worker's
 * injected clock, moved forward instead of waited for.
 */

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

let t: TestApp;
let owner: TestClient;
let server: Server;
let base: string;
let num: SimNumber;
let clockOffsetMs = 0;
const received: Received[] = [];
/** Paths answering something else than 200: a status, or a list of statuses consumed in turn. */
const answers = new Map<string, number | number[]>();
const delays = new Map<string, number>();
const inFlight = new Map<string, number>();
const maxInFlight = new Map<string, number>();
/** What the guard's DNS says (the SSRF-at-delivery test flips a name to a private address). */
const dns = new Map<string, string>([['hooks.example.com', '93.184.216.34']]);

const hits = (path: string) => received.filter((r) => r.path === path);
const secretOf = async (id: string) =>
  (await owner.get(`/api/v1/webhooks/endpoints/${id}/secret`)).json().secret as string;
const verify = (r: Received, secret: string) =>
  new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as {
    type: string;
    timestamp: string;
    data: Record<string, unknown>;
  };

async function createEndpoint(body: Record<string, unknown>) {
  const res = await owner.post('/api/v1/webhooks/endpoints', body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; secret: string; url: string };
}

/** Publishes domain events as a service would after a commit. */
const publish = (events: Parameters<TestApp['app']['services']['events']['publish']>[1]) =>
  t.app.services.events.publish(t.orgId, events);
const contactCreated = () => ({ type: 'contact.created' as const, data: { contact_id: randomUUID() } });

/** One fan-out pass and every delivery due at the worker's clock. */
async function deliver() {
  await t.app.services.webhooks.fanOutNow();
  await t.app.services.webhooks.deliverDue();
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const path = req.url ?? '/';
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ path, headers: req.headers, body, at: Date.now() });
      const key = `${path}|${JSON.parse(body || '{}').data?.conversation_id ?? ''}`;
      inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
      maxInFlight.set(key, Math.max(maxInFlight.get(key) ?? 0, inFlight.get(key)!));
      const delay = delays.get(path);
      if (delay) await new Promise((r) => setTimeout(r, delay));
      inFlight.set(key, inFlight.get(key)! - 1);
      const a = answers.get(path);
      const status = Array.isArray(a) ? (a.shift() ?? 200) : (a ?? 200);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(`answer ${status} from ${path}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sim = await startSimulator({
    seed: 7,
    customers: { deliver_rate: 1, read_rate: 0, reply_rate: 0, stop_rate: 0, undeliverable_rate: 0 },
  });
  t = await createTestApp(
    { FETCH_ALLOW_PRIVATE: '127.0.0.1', WEBHOOK_TIMEOUT_MS: '5000', META_GRAPH_URL: sim.url },
    {
      clock: () => new Date(Date.now() + clockOffsetMs),
      lookup: async (host) => {
        const address = dns.get(host);
        if (!address) throw new Error(`ENOTFOUND ${host}`);
        return [{ address, family: 4 }];
      },
    },
  );
  owner = await t.owner();
  num = await connectSimNumber(
    owner,
    { phoneNumberId: '1090001', wabaId: '2090001', secret: 'app-secret-hooks' },
    sim,
  );
});
afterAll(async () => {
  await t?.close();
  await num?.sim.close();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

describe(`Outbound webhooks on ${settings.backend}`, () => {
  it('refuses bad endpoints with a clear 400 and creates nothing; keys need integrations.manage', async () => {
    for (const [body, says] of [
      [{ url: 'http://10.1.2.3/hook', event_types: ['message.received'] }, 'private'],
      [{ url: 'http://192.168.0.10:5678/webhook', event_types: ['message.received'] }, 'private'],
      [{ url: 'http://localhost:5678/webhook', event_types: ['message.received'] }, 'local network'],
      [{ url: 'http://169.254.169.254/latest', event_types: ['message.received'] }, 'link-local'],
      [{ url: 'http://[::ffff:10.0.0.1]/x', event_types: ['message.received'] }, 'private'],
      [{ url: 'ftp://files.example.com/x', event_types: ['message.received'] }, 'http or https'],
      [{ url: 'https://nowhere.example.net/x', event_types: ['message.received'] }, 'could not be resolved'],
      [{ url: 'not a url', event_types: ['message.received'] }, 'url'],
      [{ url: `${base}/x`, event_types: ['message.nope'] }, 'event_types'],
      [{ url: `${base}/x`, event_types: [] }, 'at least one'],
      [{ url: `${base}/x`, event_types: ['message.received', 'message.received'] }, 'unique'],
      [{ url: `${base}/x`, event_types: ['notification.created'] }, 'event_types'],
      [{ url: `${base}/x`, event_types: ['message.received'], max_concurrency: 0 }, 'max_concurrency'],
      [{ url: `${base}/x`, event_types: ['message.received'], extra: true }, 'extra'],
    ] as const) {
      const res = await owner.post('/api/v1/webhooks/endpoints', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.body).toContain(says);
    }
    expect((await owner.get('/api/v1/webhooks/endpoints')).json().data).toEqual([]);
    const agent = await t.member('agent', 'agent-hooks@example.com');
    expect((await agent.get('/api/v1/webhooks/endpoints')).statusCode).toBe(403);

    const { key, id: keyId } = (
      await owner.post('/api/v1/api-keys', { name: 'n8n', scopes: ['integrations.manage'] })
    ).json();
    const withKey = (method: 'GET' | 'POST', url: string, body?: unknown) =>
      t.client('10.9.0.2').request(method, url, body, { authorization: `Bearer ${key}` });
    expect((await withKey('GET', '/api/v1/webhooks/event-types')).json().data).toContainEqual(
      expect.objectContaining({ type: 'conversation.assigned' }),
    );
    expect((await withKey('GET', '/api/v1/webhooks/endpoints')).statusCode).toBe(200);
    await t.database.query(`update api_keys set expires_at = now() - interval '1 minute' where id = $1`, [
      keyId,
    ]);
    expect((await withKey('GET', '/api/v1/webhooks/endpoints')).statusCode).toBe(401);
    await t.database.query('update api_keys set expires_at = null where id = $1', [keyId]);
    await owner.post(`/api/v1/api-keys/${keyId}/revoke`, {});
    expect(
      (
        await withKey('POST', '/api/v1/webhooks/endpoints', {
          url: `${base}/k`,
          event_types: ['message.received'],
        })
      ).statusCode,
    ).toBe(401);
    expect((await owner.get('/api/v1/webhooks/endpoints')).json().data).toEqual([]);
  });

  it('creates, shows the secret once, reveals, updates, rotates and deletes; audited, sealed at rest', async () => {
    const created = await createEndpoint({
      url: `${base}/crud`,
      description: 'CRM',
      event_types: ['contact.created', 'contact.opted_out'],
    });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(created).toMatchObject({
      status: 'active',
      ordered: false,
      max_concurrency: 10,
      secret_prefix: created.secret.slice(0, 12),
      stats: { pending: 0, dead_24h: 0, succeeded_24h: 0 },
    });
    const list = await owner.get('/api/v1/webhooks/endpoints');
    expect(list.body).not.toContain(created.secret);
    expect(await secretOf(created.id)).toBe(created.secret);
    const stored = await t.database.query('select * from webhook_endpoints');
    expect(JSON.stringify(stored)).not.toContain(created.secret.slice(6));

    const patched = await owner.patch(`/api/v1/webhooks/endpoints/${created.id}`, {
      description: 'CRM (prod)',
      status: 'paused',
    });
    expect(patched.json()).toMatchObject({ description: 'CRM (prod)', status: 'paused' });
    expect(
      (await owner.patch(`/api/v1/webhooks/endpoints/${created.id}`, { url: 'http://10.0.0.9/' })).statusCode,
    ).toBe(400);
    expect(
      (await owner.patch(`/api/v1/webhooks/endpoints/${created.id}`, { status: 'disabled' })).statusCode,
    ).toBe(400);

    const rotated = (await owner.post(`/api/v1/webhooks/endpoints/${created.id}/rotate-secret`, {})).json();
    expect(rotated.secret).not.toBe(created.secret);
    expect(Date.parse(rotated.previous_secret_expires_at)).toBeGreaterThan(Date.now() + 23 * 3_600_000);

    expect((await owner.delete(`/api/v1/webhooks/endpoints/${created.id}`)).statusCode).toBe(200);
    expect((await owner.get(`/api/v1/webhooks/endpoints/${created.id}`)).statusCode).toBe(404);
    const audit = await t.database.query<{ action: string; after: unknown; before: unknown }>(
      `select action, after, before from audit_log where entity_type = 'webhook_endpoint' order by id`,
    );
    expect(audit.map((a) => a.action)).toEqual([
      'webhook_endpoint.created',
      'webhook_endpoint.updated',
      'webhook_endpoint.secret_rotated',
      'webhook_endpoint.deleted',
    ]);
    expect(JSON.stringify(audit)).not.toContain(rotated.secret);
  });

  it('delivers a customer’s message as message.received, signed, with a stable id; the log and replay', async () => {
    const ep = await createEndpoint({ url: `${base}/inbox`, event_types: ['message.received'] });
    await customerWrites(t, num, '15550001111', 'Where is my order?');
    await deliver();
    const [r] = hits('/inbox');
    expect(r).toBeDefined();
    const body = verify(r!, ep.secret);
    expect(body.type).toBe('message.received');
    expect(body.data).toMatchObject({ message_id: expect.any(String), conversation_id: expect.any(String) });
    expect(Date.parse(body.timestamp)).toBeGreaterThan(Date.now() - 60_000);
    const eventId = r!.headers['webhook-id'] as string;
    expect(eventId).toMatch(/^evt_[0-9a-f]{32}_\d+$/);

    const page = (await owner.get(`/api/v1/webhooks/endpoints/${ep.id}/deliveries`)).json();
    expect(page.data).toEqual([
      expect.objectContaining({ event_id: eventId, state: 'succeeded', attempts: 1, last_status_code: 200 }),
    ]);
    const detail = (await owner.get(`/api/v1/webhooks/deliveries/${page.data[0].id}`)).json();
    expect(detail.payload).toEqual(body);
    expect(detail.attempts_log).toEqual([
      expect.objectContaining({ status_code: 200, response_excerpt: 'answer 200 from /inbox', error: null }),
    ]);

    // Fanned out once: a second pass makes nothing new.
    await deliver();
    expect(hits('/inbox')).toHaveLength(1);
    const replayed = await owner.post(`/api/v1/webhooks/deliveries/${page.data[0].id}/replay`, {});
    expect(replayed.json()).toMatchObject({ state: 'pending', attempts: 0 });
    await deliver();
    expect(hits('/inbox').map((x) => x.headers['webhook-id'])).toEqual([eventId, eventId]);
    verify(hits('/inbox')[1]!, ep.secret);
    await owner.patch(`/api/v1/webhooks/endpoints/${ep.id}`, { status: 'paused' });
  });

  it('retries after a 500 on the schedule, then succeeds; 410 disables at once', async () => {
    const ep = await createEndpoint({ url: `${base}/flaky`, event_types: ['contact.created'] });
    answers.set('/flaky', [500]);
    await publish([contactCreated()]);
    await deliver();
    const [d] = (await owner.get(`/api/v1/webhooks/endpoints/${ep.id}/deliveries`)).json().data;
    expect(d).toMatchObject({ state: 'retrying', attempts: 1, last_status_code: 500 });
    const wait = Date.parse(d.next_attempt_at) - Date.now();
    expect(wait).toBeGreaterThan(4000);
    expect(wait).toBeLessThan(6000);
    await deliver();
    expect(hits('/flaky')).toHaveLength(1);
    clockOffsetMs += 6000;
    await deliver();
    expect(hits('/flaky')).toHaveLength(2);
    const detail = (await owner.get(`/api/v1/webhooks/deliveries/${d.id}`)).json();
    expect(detail).toMatchObject({ state: 'succeeded', attempts: 2 });
    expect(detail.attempts_log.map((a: { status_code: number }) => a.status_code)).toEqual([500, 200]);
    for (const r of hits('/flaky')) verify(r, ep.secret);
    await owner.patch(`/api/v1/webhooks/endpoints/${ep.id}`, { status: 'paused' });

    const gone = await createEndpoint({ url: `${base}/gone`, event_types: ['contact.created'] });
    answers.set('/gone', 410);
    await publish([contactCreated(), contactCreated()]);
    await deliver();
    const after = (await owner.get(`/api/v1/webhooks/endpoints/${gone.id}`)).json();
    expect(after).toMatchObject({ status: 'disabled', disabled_reason: expect.stringContaining('410') });
    const states = (await owner.get(`/api/v1/webhooks/endpoints/${gone.id}/deliveries`)).json().data;
    expect(states.map((s: { state: string }) => s.state)).toEqual(['dead', 'dead']);
    const notes = (await owner.get('/api/v1/notifications')).json().data;
    expect(notes).toContainEqual(expect.objectContaining({ type: 'webhook.disabled' }));
    // Re-enabling does not resend what failed.
    await owner.patch(`/api/v1/webhooks/endpoints/${gone.id}`, { status: 'active' });
    answers.delete('/gone');
    const before = hits('/gone').length;
    await deliver();
    expect(hits('/gone')).toHaveLength(before);
    await owner.patch(`/api/v1/webhooks/endpoints/${gone.id}`, { status: 'paused' });
  });

  it('disables an endpoint failing for three days and tells the admins; dead after the schedule', async () => {
    const ep = await createEndpoint({ url: `${base}/down`, event_types: ['contact.created'] });
    answers.set('/down', 503);
    await publish([contactCreated()]);
    await deliver();
    expect((await owner.get(`/api/v1/webhooks/endpoints/${ep.id}`)).json()).toMatchObject({
      status: 'active',
      failing_since: expect.any(String),
    });
    // Each retry when due, hours apart, until past the 72 hours.
    for (let i = 0; i < 12; i++) {
      clockOffsetMs += 10 * 3_600_000;
      await deliver();
    }
    const after = (await owner.get(`/api/v1/webhooks/endpoints/${ep.id}`)).json();
    expect(after).toMatchObject({ status: 'disabled', disabled_reason: expect.stringContaining('72 hours') });
    const [d] = (await owner.get(`/api/v1/webhooks/endpoints/${ep.id}/deliveries`)).json().data;
    expect(d.state).toBe('dead');
    const notes = (await owner.get('/api/v1/notifications')).json().data;
    expect(notes.filter((n: { type: string }) => n.type === 'webhook.disabled')).toHaveLength(2);
    clockOffsetMs = 0;
  });

  it('signs with both secrets during a rotation overlap, then with the new one only', async () => {
    const ep = await createEndpoint({ url: `${base}/rotate`, event_types: ['contact.created'] });
    const next = (
      await owner.post(`/api/v1/webhooks/endpoints/${ep.id}/rotate-secret`, { overlap_hours: 24 })
    ).json();
    await publish([contactCreated()]);
    await deliver();
    const [overlap] = hits('/rotate');
    expect((overlap!.headers['webhook-signature'] as string).split(' ')).toHaveLength(2);
    verify(overlap!, ep.secret);
    verify(overlap!, next.secret);
    const last = (
      await owner.post(`/api/v1/webhooks/endpoints/${ep.id}/rotate-secret`, { overlap_hours: 0 })
    ).json();
    expect(last.previous_secret_expires_at).toBeNull();
    await publish([contactCreated()]);
    await deliver();
    const after = hits('/rotate')[1]!;
    verify(after, last.secret);
    expect(() => verify(after, next.secret)).toThrow();
    await owner.patch(`/api/v1/webhooks/endpoints/${ep.id}`, { status: 'paused' });
  });

  it('sends a test event now, replays a range, and refuses a name that now resolves privately', async () => {
    const ep = await createEndpoint({ url: `${base}/range`, event_types: ['contact.created'] });
    const test = await owner.post(`/api/v1/webhooks/endpoints/${ep.id}/test`, {});
    expect(test.statusCode, test.body).toBe(200);
    expect(test.json()).toMatchObject({
      event_type: 'webhook.test',
      state: 'succeeded',
      last_status_code: 200,
    });
    expect(verify(hits('/range')[0]!, ep.secret).type).toBe('webhook.test');

    const since = new Date(Date.now() - 1000).toISOString();
    await publish([contactCreated(), contactCreated(), contactCreated()]);
    await deliver();
    expect(hits('/range')).toHaveLength(4);
    const bad = await owner.post(`/api/v1/webhooks/endpoints/${ep.id}/replay`, {
      since,
      until: '2000-01-01T00:00:00Z',
    });
    expect(bad.statusCode).toBe(400);
    expect((await owner.post(`/api/v1/webhooks/endpoints/${ep.id}/replay`, { since })).json()).toEqual({
      replayed: 0,
    });
    const all = await owner.post(`/api/v1/webhooks/endpoints/${ep.id}/replay`, { since, state: 'all' });
    expect(all.json()).toEqual({ replayed: 4 });
    await deliver();
    const ids = hits('/range').map((r) => r.headers['webhook-id']);
    expect(ids).toHaveLength(8);
    expect(new Set(ids).size).toBe(4);
    await owner.patch(`/api/v1/webhooks/endpoints/${ep.id}`, { status: 'paused' });

    // Saved while the name was public; at delivery it resolves to a private address: refused, logged.
    const ssrf = await createEndpoint({
      url: 'https://hooks.example.com/in',
      event_types: ['contact.created'],
    });
    dns.set('hooks.example.com', '10.0.0.7');
    await publish([contactCreated()]);
    await deliver();
    const [d] = (await owner.get(`/api/v1/webhooks/endpoints/${ssrf.id}/deliveries`)).json().data;
    expect(d, JSON.stringify(d)).toMatchObject({ state: 'retrying', last_status_code: null });
    expect(d.last_error).toMatch(/refused: .*10\.0\.0\.7.*private/);
    await owner.patch(`/api/v1/webhooks/endpoints/${ssrf.id}`, { status: 'paused' });
  });

  it('keeps organisations apart: another one neither sees nor changes these endpoints, nor gets their events', async () => {
    const mine = await createEndpoint({ url: `${base}/mine`, event_types: ['contact.created'] });
    await publish([contactCreated()]);
    await deliver();
    const [delivery] = (await owner.get(`/api/v1/webhooks/endpoints/${mine.id}/deliveries`)).json().data;
    const other = await t.app.services.orgs.setupOwner({
      email: 'other-hooks@example.com',
      password: 'other password 123',
      orgName: 'Other',
    });
    const them = t.client('10.7.0.1');
    await them.login('other-hooks@example.com', 'other password 123');
    expect((await them.get('/api/v1/webhooks/endpoints')).json().data).toEqual([]);
    for (const [method, url, body] of [
      ['GET', `/api/v1/webhooks/endpoints/${mine.id}`],
      ['PATCH', `/api/v1/webhooks/endpoints/${mine.id}`, { status: 'paused' }],
      ['GET', `/api/v1/webhooks/endpoints/${mine.id}/secret`],
      ['POST', `/api/v1/webhooks/endpoints/${mine.id}/rotate-secret`, {}],
      ['POST', `/api/v1/webhooks/endpoints/${mine.id}/test`, {}],
      ['GET', `/api/v1/webhooks/endpoints/${mine.id}/deliveries`],
      [
        'POST',
        `/api/v1/webhooks/endpoints/${mine.id}/replay`,
        { since: '2020-01-01T00:00:00Z', state: 'all' },
      ],
      ['GET', `/api/v1/webhooks/deliveries/${delivery.id}`],
      ['POST', `/api/v1/webhooks/deliveries/${delivery.id}/replay`, {}],
      ['DELETE', `/api/v1/webhooks/endpoints/${mine.id}`],
    ] as const) {
      const res = await them.request(method, url, body);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    // Their events go to their endpoints only.
    const before = hits('/mine').length;
    await t.app.services.events.publish(other.orgId, [contactCreated()]);
    await deliver();
    expect(hits('/mine')).toHaveLength(before);
    expect((await owner.get(`/api/v1/webhooks/endpoints/${mine.id}`)).json()).toMatchObject({
      status: 'active',
      secret_prefix: mine.secret.slice(0, 12),
    });
    await owner.patch(`/api/v1/webhooks/endpoints/${mine.id}`, { status: 'paused' });
  });

  it('paused endpoints get nothing new; the log is purged after WEBHOOK_RETENTION_DAYS', async () => {
    // Every endpoint above is paused or disabled by now.
    const before = received.length;
    await publish([contactCreated(), contactCreated()]);
    await deliver();
    expect(received).toHaveLength(before);
    const count = async () =>
      Number(
        (await t.database.query<{ n: number }>('select count(*)::int as n from webhook_deliveries'))[0]!.n,
      );
    const all = await count();
    await t.database.query(
      `update webhook_deliveries set created_at = now() - interval '31 days'
       where id = (select id from webhook_deliveries where state = 'succeeded' order by created_at limit 1)`,
    );
    expect(await t.app.services.webhooks.purgeOld()).toBe(1);
    expect(await count()).toBe(all - 1);
  });

  it('the worker: events in order per conversation when asked; a slow endpoint never delays a fast one', async () => {
    const ordered = await createEndpoint({
      url: `${base}/ordered`,
      event_types: ['conversation.updated'],
      ordered: true,
    });
    const fast = await createEndpoint({ url: `${base}/fast`, event_types: ['conversation.updated'] });
    const slow = await createEndpoint({
      url: `${base}/slow`,
      event_types: ['conversation.updated'],
      max_concurrency: 2,
    });
    delays.set('/ordered', 30);
    delays.set('/slow', 3000);
    const convs = [randomUUID(), randomUUID()];
    await t.app.services.webhooks.start({ pollMs: 100 });
    const started = Date.now();
    for (let i = 0; i < 10; i++) {
      await publish([
        { type: 'conversation.updated', data: { conversation_id: convs[i % 2]!, fields: [`f${i}`] } },
      ]);
    }
    await until('the fast endpoint has all 10', () => hits('/fast').length === 10, 10_000);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(hits('/slow').length).toBeLessThanOrEqual(2);
    await until('the ordered endpoint has all 10', () => hits('/ordered').length === 10, 10_000);
    for (const c of convs) {
      const fields = hits('/ordered')
        .map((r) => verify(r, ordered.secret).data)
        .filter((d) => d.conversation_id === c)
        .map((d) => Number((d.fields as string[])[0]!.slice(1)));
      expect(fields).toEqual([...fields].sort((a, b) => a - b));
      expect(maxInFlight.get(`/ordered|${c}`)).toBe(1);
    }
    expect(maxInFlight.get(`/fast|${convs[0]}`)).toBeGreaterThanOrEqual(1);
    for (const r of hits('/fast')) verify(r, fast.secret);
    expect(slow.id).toBeDefined();
    await t.app.services.webhooks.stop();
  });
});
