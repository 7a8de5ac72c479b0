import { createSimulator, type Simulator, signWebhookBody } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, OWNER, type TestApp } from '../../../apps/server/test/helpers.ts';
import { ApiError, createClient } from './client.ts';

const NUM = {
  phone_number_id: '1000077',
  waba_id: '2000077',
  display_phone_number: '+1 555 010 0077',
  access_token: 'token-valid-sdk-0077',
};
const APP_SECRET = 'sdk-app-secret-0077';

let sim: Simulator;
let t: TestApp;
let base: string;
beforeAll(async () => {
  sim = await createSimulator({ seed: 77 });
  await sim.listen(0);
  sim.addNumber(NUM);
  t = await createTestApp({ META_GRAPH_URL: sim.url });
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await t.close();
  await sim.close();
});

/** fetch with a cookie jar, as a browser would have. */
function browserFetch() {
  const jar = new Map<string, string>();
  const f: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(input, { ...init, headers });
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';');
      const [name = '', value = ''] = pair.split('=');
      const expired = attrs.some((a) => /max-age=0|expires=thu, 01 jan 1970/i.test(a.trim())) || value === '';
      if (expired) jar.delete(name.trim());
      else jar.set(name.trim(), value);
    }
    return res;
  };
  return { fetch: f, jar };
}

describe('sdk against a real server', () => {
  it('signs in, reads typed data, and refreshes an expired access token transparently', async () => {
    const { fetch, jar } = browserFetch();
    const api = createClient({ baseUrl: base, fetch });
    await api.auth.login({ email: OWNER.email, password: OWNER.password });
    const me = await api.me.get();
    expect(me.role).toBe('owner');
    const oldRefresh = jar.get('ow_refresh');
    jar.delete('ow_access'); // as if it had expired
    expect((await api.members.list()).data).toHaveLength(1);
    expect(jar.get('ow_refresh')).not.toBe(oldRefresh);
  });

  it('shares one refresh between concurrent requests', async () => {
    const { fetch, jar } = browserFetch();
    const api = createClient({ baseUrl: base, fetch });
    await api.auth.login({ email: OWNER.email, password: OWNER.password });
    jar.delete('ow_access');
    const results = await Promise.all([
      api.me.get(),
      api.orgs.current(),
      api.members.list(),
      api.me.sessions(),
    ]);
    expect(results).toHaveLength(4);
    // The session survived: no request was seen as refresh-token reuse.
    expect((await api.me.get()).user.email).toBe(OWNER.email);
  });

  it('me.current: null when signed out, the user when signed in or only refreshable, never a 4xx', async () => {
    const browser = browserFetch();
    const statuses: string[] = [];
    const fetch: typeof globalThis.fetch = async (input, init) => {
      const res = await browser.fetch(input, init);
      statuses.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname} ${res.status}`);
      return res;
    };
    const api = createClient({ baseUrl: base, fetch });
    await expect(api.me.current()).resolves.toBeNull();
    await api.auth.login({ email: OWNER.email, password: OWNER.password });
    await expect(api.me.current()).resolves.toMatchObject({ user: { email: OWNER.email } });
    browser.jar.delete('ow_access'); // expired: refreshed before /me is asked
    await expect(api.me.current()).resolves.toMatchObject({ user: { email: OWNER.email } });
    expect(statuses.slice(-3)).toEqual([
      'GET /api/v1/auth/session 200',
      'POST /api/v1/auth/refresh 200',
      'GET /api/v1/me 200',
    ]);
    await api.auth.logout();
    await expect(api.me.current()).resolves.toBeNull();
    expect(statuses.filter((s) => !s.endsWith(' 200'))).toEqual([]);
  });

  it('throws ApiError with the server code and calls onSignedOut when the session is gone', async () => {
    const { fetch } = browserFetch();
    let signedOut = 0;
    const api = createClient({ baseUrl: base, fetch, onSignedOut: () => signedOut++ });
    const err = await api.auth.login({ email: OWNER.email, password: 'wrong' }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    await api.auth.login({ email: OWNER.email, password: OWNER.password });
    const bad = await api.orgs.update({ settings: { timezone: 'Nowhere/Land' } }).catch((e) => e);
    expect(bad).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    await api.auth.logout();
    await expect(api.me.get()).rejects.toMatchObject({ status: 401 });
    expect(signedOut).toBe(1);
  });
});

describe('sdk: inbox and webhook events', () => {
  it('lists a processed webhook event, replays it without duplicates, and reads the conversation', async () => {
    const { fetch } = browserFetch();
    const api = createClient({ baseUrl: base, fetch });
    await api.auth.login({ email: OWNER.email, password: OWNER.password });
    await api.numbers.create({
      display_name: 'Front desk',
      phone_number_id: NUM.phone_number_id,
      waba_id: NUM.waba_id,
      access_token: NUM.access_token,
      app_secret: APP_SECRET,
      verify_token: 'sdk-verify-token-0077',
    });
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
                metadata: { display_phone_number: '15550100077', phone_number_id: NUM.phone_number_id },
                contacts: [{ profile: { name: 'Ana' }, wa_id: '16505550077' }],
                messages: [
                  {
                    from: '16505550077',
                    id: 'wamid.SDK-1',
                    timestamp: String(Math.floor(Date.now() / 1000)),
                    type: 'text',
                    text: { body: 'Hello from the SDK test' },
                  },
                ],
              },
            },
          ],
        },
      ],
    };
    const { body, signature } = signWebhookBody(payload, APP_SECRET);
    const posted = await globalThis.fetch(`${base}/webhooks/whatsapp`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
    });
    expect(posted.status).toBe(200);
    const [row] = await t.database.query<{ id: string }>('select max(id) as id from webhook_events');
    const eventId = Number(row!.id);
    // What the inbound job does; this test app runs no workers.
    await t.app.services.inbound.processEvent(eventId);

    const { data } = await api.webhookEvents.list();
    expect(data[0]).toMatchObject({
      id: eventId,
      state: 'processed',
      result: { messages: 1, duplicates: 0 },
    });
    expect(JSON.parse(data[0]!.raw)).toEqual(payload);
    expect((await api.webhookEvents.list({ state: 'failed' })).data).toEqual([]);

    const { result } = await api.webhookEvents.replay(eventId);
    expect(result).toMatchObject({ messages: 0, duplicates: 1 });
    await expect(api.webhookEvents.replay(987654)).rejects.toMatchObject({ status: 404, code: 'NOT_FOUND' });

    const convs = await api.conversations.list({ search: 'Ana' });
    expect(convs.data).toHaveLength(1);
    expect(convs.data[0]).toMatchObject({
      contact: { wa_id: '16505550077', name: 'Ana' },
      unread_count: 1,
      last_message: { preview: 'Hello from the SDK test', direction: 'in' },
    });
    const msgs = await api.conversations.messages(convs.data[0]!.id);
    expect(msgs.data).toHaveLength(1);
    expect(msgs.data[0]).toMatchObject({
      type: 'text',
      media: null,
      content: { text: { body: 'Hello from the SDK test' } },
    });
    expect(api.messages.mediaUrl(msgs.data[0]!.id)).toBe(`${base}/api/v1/messages/${msgs.data[0]!.id}/media`);
  });
});

/** Signs `payload` like Meta and POSTs it; the id the server stored it under. */
async function postWebhook(payload: unknown): Promise<number> {
  const { body, signature } = signWebhookBody(payload, APP_SECRET);
  const posted = await globalThis.fetch(`${base}/webhooks/whatsapp`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
  });
  expect(posted.status).toBe(200);
  const [row] = await t.database.query<{ id: string }>('select max(id) as id from webhook_events');
  return Number(row!.id);
}

const statusOf = (wamid: string) => ({
  object: 'whatsapp_business_account',
  entry: [
    {
      id: NUM.waba_id,
      changes: [
        {
          field: 'messages',
          value: {
            messaging_product: 'whatsapp',
            metadata: { display_phone_number: '15550100077', phone_number_id: NUM.phone_number_id },
            statuses: [{ id: wamid, status: 'delivered', timestamp: '1700000000', recipient_id: '1' }],
          },
        },
      ],
    },
  ],
});

const text = async (stream: ReadableStream<Uint8Array>) => new Response(stream).text();

describe('sdk: ranges of webhook events and CSV downloads', () => {
  it('lists webhook events between two ids, newest first; refuses a bad range and a viewer', async () => {
    const { fetch } = browserFetch();
    const api = createClient({ baseUrl: base, fetch });
    await api.auth.login({ email: OWNER.email, password: OWNER.password });
    // The number is connected by the inbox test above.
    const ids: number[] = [];
    for (const n of [1, 2, 3, 4]) {
      const id = await postWebhook(statusOf(`wamid.SDK-RANGE-${n}`));
      // What the inbound job does; this test app runs no workers. An event is listed once processed.
      await t.app.services.inbound.processEvent(id);
      ids.push(id);
    }
    const [a, b, c, d] = ids as [number, number, number, number];

    expect((await api.webhookEvents.list({ from_id: b, to_id: c })).data.map((e) => e.id)).toEqual([c, b]);
    expect((await api.webhookEvents.list({ from_id: b })).data.map((e) => e.id).slice(0, 3)).toEqual([
      d,
      c,
      b,
    ]);
    expect((await api.webhookEvents.list({ to_id: b, limit: 1 })).data.map((e) => e.id)).toEqual([b]);
    expect(
      (await api.webhookEvents.list({ from_id: a, to_id: d, state: 'processed' })).data.map((e) => e.id),
    ).toEqual([d, c, b, a]);
    expect((await api.webhookEvents.list({ from_id: a, to_id: d, state: 'failed' })).data).toEqual([]);

    await expect(api.webhookEvents.list({ from_id: c, to_id: b })).rejects.toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      message: expect.stringContaining('to_id'),
    });
    const bad = await (await t.owner()).get('/api/v1/webhook-events?from_id=abc');
    expect(bad.statusCode).toBe(400);
    const viewer = await t.member('viewer');
    expect((await viewer.get(`/api/v1/webhook-events?from_id=${a}&to_id=${d}`)).statusCode).toBe(403);
  });

  it('downloads the contacts export and an import’s rejected rows as CSV', async () => {
    const { fetch } = browserFetch();
    const api = createClient({ baseUrl: base, fetch });
    await api.auth.login({ email: OWNER.email, password: OWNER.password });
    const file = new Blob(['Name,Mobile\nCsv One,+1 415 555 0171\nNobody,12\n'], { type: 'text/csv' });
    const upload = await api.contacts.imports.upload(file, 'people.csv');
    const options = { mapping: { phone: 'Mobile', name: 'Name' }, add_tags: ['sdk-csv'] };
    await api.contacts.imports.confirm(upload.id, options);
    // What the import job does; this test app runs no workers.
    await t.app.services.contactImports.run(t.orgId, upload.id);
    const done = await api.contacts.imports.get(upload.id);
    expect(done).toMatchObject({ state: 'completed', has_rejects: true, counts: { new: 1, invalid: 1 } });

    const rejects = await text(await api.contacts.imports.rejectsCsv(upload.id));
    expect(rejects.split('\r\n')[0]).toBe('row_number,value,reason');
    expect(rejects).toContain('3,12,');

    const { data: tags } = await api.tags.list();
    const tagId = tags.find((x) => x.name === 'sdk-csv')!.id;
    const csv = await text(await api.contacts.exportCsv({ tag_ids: [tagId] }));
    const lines = csv.trimEnd().split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('+14155550171,Csv One');

    await expect(
      api.contacts.imports.rejectsCsv('00000000-0000-4000-8000-000000000001'),
    ).rejects.toMatchObject({
      status: 404,
    });
  });
});

describe('sdk: templates', () => {
  it('syncs, previews for a contact, quarantines on a category change and releases only when allowed', async () => {
    const { fetch } = browserFetch();
    const api = createClient({ baseUrl: base, fetch });
    await api.auth.login({ email: OWNER.email, password: OWNER.password });
    const seeded = sim.addTemplate({
      waba_id: NUM.waba_id,
      name: 'sdk_order_ready',
      language: 'en_US',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Hi {{1}}, order {{2}} is ready.' }],
    });
    const synced = await api.templates.sync({ waba_id: NUM.waba_id });
    expect(synced).toMatchObject({ wabas: 1, errors: [] });
    expect(synced.created).toBeGreaterThanOrEqual(1);
    const { data } = await api.templates.list({ search: 'sdk_order', usable: true });
    expect(data).toHaveLength(1);
    const t = data[0]!;
    expect(await api.templates.get(t.id)).toMatchObject({ name: 'sdk_order_ready', quarantined: false });

    const contact = await api.contacts.create({ phone: '+1 650 555 0123', name: 'Ana' });
    const preview = await api.templates.render(t.id, {
      contact_id: contact.id,
      mapping: { 'body.1': { contact: 'name' }, 'body.2': { contact: 'field.order' } },
    });
    expect(preview).toMatchObject({ ok: false, missing: [{ key: 'body.2', source: 'contact field.order' }] });
    const fixed = await api.templates.render(t.id, { params: { body: { '1': 'Ana', '2': 'A-17' } } });
    expect(fixed.rendered?.body).toBe('Hi Ana, order A-17 is ready.');

    sim.setTemplateCategory(seeded.id, 'AUTHENTICATION');
    await api.templates.sync();
    const flagged = await api.templates.get(t.id);
    expect(flagged).toMatchObject({ quarantined: true, usable_in_campaigns: false });
    expect((await api.templates.list({ quarantined: true })).data.map((x) => x.id)).toContain(t.id);
    expect((await api.templates.history(t.id)).data[0]).toMatchObject({
      from_category: 'UTILITY',
      to_category: 'AUTHENTICATION',
    });
    await expect(api.templates.unquarantine(t.id)).rejects.toMatchObject({ status: 409, code: 'CONFLICT' });
    sim.setTemplateCategory(seeded.id, 'MARKETING');
    await api.templates.sync();
    expect(await api.templates.unquarantine(t.id)).toMatchObject({
      quarantined: false,
      category: 'MARKETING',
    });

    await api.templates.remove(t.id);
    expect((await api.templates.list({ search: 'sdk_order' })).data).toEqual([]);
    expect((await api.templates.list({ search: 'sdk_order', include_inactive: true })).data[0]).toMatchObject(
      {
        active: false,
      },
    );
  });
});

describe('sdk: privacy', () => {
  it('exports and erases a contact, confirms a bulk delete by its count, previews retention', async () => {
    const { fetch } = browserFetch();
    const api = createClient({ baseUrl: base, fetch });
    await api.auth.login({ email: OWNER.email, password: OWNER.password });
    const c = await api.contacts.create({ phone: '+1 415 555 0142', name: 'Sdk Privacy' });
    const data = await api.contacts.exportData(c.id);
    expect(data.contact).toMatchObject({ id: c.id, name: 'Sdk Privacy' });
    expect(api.contacts.exportDataUrl(c.id)).toBe(`${base}/api/v1/contacts/${c.id}/export`);
    expect(await api.contacts.erase(c.id)).toMatchObject({ erased: true, opt_out_kept: false });
    await expect(api.contacts.get(c.id)).rejects.toMatchObject({ status: 404 });

    await api.contacts.create({ phone: '+1 415 555 0143', name: 'Sdk Bulk' });
    const err = await api.contacts
      .bulk({ action: 'delete', filter: { q: 'Sdk Bulk' }, confirm_count: 5 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 409, code: 'CONFLICT', details: { count: 1 } });
    expect(
      await api.contacts.bulk({ action: 'delete', filter: { q: 'Sdk Bulk' }, confirm_count: 1 }),
    ).toEqual({
      matched: 1,
      affected: 1,
    });

    const preview = await api.retention.preview({ days: 30 });
    expect(preview).toMatchObject({ retention_days: 30, counts: { messages: expect.any(Number) } });
  });
});
