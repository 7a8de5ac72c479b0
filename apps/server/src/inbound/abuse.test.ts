import type { Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../test/helpers/connect-number.ts';
import { createTestApp, settings, type TestApp } from '../../test/helpers.ts';
import { createSecretBox } from '../lib/secret-box.ts';
import { signBody } from '../whatsapp/signature.ts';
import { RELOAD_EVERY_MS } from './app-secrets.ts';
import { WEBHOOK_BODY_LIMIT } from './routes.ts';
import { connectTenant, envelope, messagesChange, post, type Tenant } from './test-kit.ts';

const SECRET = 'abuse-app-secret';
let sim: Simulator;
let t: TestApp;
let good: Tenant;

beforeAll(async () => {
  sim = await startSimulator({ seed: 51 });
  t = await createTestApp({ META_GRAPH_URL: sim.url });
  // A number sealed under a key this server no longer has (APP_SECRET lost), stored first.
  const lost = createSecretBox('a-key-this-server-no-longer-has-00001');
  await t.database.query(
    `insert into numbers (org_id, display_name, phone_number_id, waba_id, access_token_sealed, app_secret_sealed, verify_token_sealed)
     values ($1, 'Lost key', '9100000', '9200000', $2, $3, $4)`,
    [t.orgId, lost.seal('lost-token'), lost.seal('lost-app-secret'), lost.seal('lost-verify-token')],
  );
  good = await connectTenant(t, sim, { phone: '9100001', waba: '9200001', secret: SECRET });
}, 60_000);
afterAll(async () => {
  await t.close();
  await sim.close();
});

const junk = (n: number) =>
  Promise.all(
    Array.from({ length: n }, (_, i) => {
      const raw = `{"object":"whatsapp_business_account","entry":[],"n":${i}}`;
      return t.app.inject({
        method: 'POST',
        url: '/webhooks/whatsapp',
        payload: raw,
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': signBody(raw, 'not-a-secret-we-know'),
        },
      });
    }),
  );
const text = (n: Tenant, id: string) =>
  envelope(n.wabaId, [messagesChange(n, [{ id, from: '16505550900' }])]);

describe(`the webhook endpoint under abuse, on ${settings.backend}`, () => {
  it('refuses a body larger than Meta’s 3 MB with 413 before reading or storing it', async () => {
    const count = async () =>
      (await t.database.query<{ n: string }>('select count(*) as n from webhook_events'))[0]!.n;
    const before = await count();
    const big = `{"object":"whatsapp_business_account","pad":"${'x'.repeat(WEBHOOK_BODY_LIMIT)}"}`;
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/whatsapp',
      payload: big,
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signBody(big, SECRET) },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await count()).toBe(before);
    expect(WEBHOOK_BODY_LIMIT).toBe(3 * 1024 * 1024);
  });

  it('a number whose secrets cannot be decrypted does not break the others: handshake, POST and processing', async () => {
    const hs = await t.app.inject(
      `/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=verify-${good.phoneId}&hub.challenge=42`,
    );
    expect([hs.statusCode, hs.body]).toEqual([200, '42']);
    const wrong = await t.app.inject(
      '/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1',
    );
    expect(wrong.statusCode).toBe(403);
    const { res, eventId } = await post(t, text(good, 'wamid.ABUSE-GOOD'), SECRET);
    expect(res.statusCode).toBe(200);
    expect(await t.app.services.inbound.processEvent(eventId)).toMatchObject({ messages: 1 });
  });

  it('editing a number whose stored secrets cannot be decrypted asks for them again (400, not 500)', async () => {
    const [lostNumber] = await t.database.query<{ id: string }>(
      `select id from numbers where phone_number_id = '9100000'`,
    );
    const owner = await t.owner();
    const res = await owner.patch(`/api/v1/numbers/${lostNumber!.id}`, {
      access_token: 'a-new-access-token',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/stored app secret cannot be decrypted/);
    // Its health check says why instead of failing (the health job goes on to the other numbers).
    const test = await owner.post(`/api/v1/numbers/${lostNumber!.id}/test`);
    expect(test.statusCode).toBe(200);
    expect(test.json()).toMatchObject({ ok: false, error: { code: 'UNREADABLE_TOKEN', kind: 'token' } });
    const all = await t.app.services.numbers.allActive();
    const results = await Promise.all(all.map((n) => t.app.services.numbers.refreshHealth(n, 'cron')));
    expect(results.filter((r) => r.ok).length).toBe(all.length - 1);
  });

  it('only verified POSTs count toward the burst rate that pauses processing', async () => {
    await new Promise((r) => setTimeout(r, 300));
    await junk(100);
    expect(t.app.services.inbound.receivingRate()).toBe(0);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => post(t, text(good, `wamid.ABUSE-RATE${i}`), SECRET)),
    );
    expect(t.app.services.inbound.receivingRate()).toBeGreaterThan(0);
  });

  it('junk does not re-read the numbers per request: a number added by another process verifies within a second', async () => {
    // "Another process" connects a number: this one is not told. A miss just re-read the numbers.
    await junk(5);
    const box = createSecretBox(t.config.APP_SECRET!);
    await t.database.query(
      `insert into numbers (org_id, display_name, phone_number_id, waba_id, access_token_sealed, app_secret_sealed, verify_token_sealed)
       values ($1, 'Elsewhere', '9100002', '9200002', $2, $3, $4)`,
      [t.orgId, box.seal('elsewhere-token'), box.seal('elsewhere-secret'), box.seal('elsewhere-verify')],
    );
    const elsewhere = { phoneId: '9100002', wabaId: '9200002', display: '15550000002' } as Tenant;
    const started = Date.now();
    expect((await post(t, text(elsewhere, 'wamid.ELSEWHERE-0'), 'elsewhere-secret')).res.statusCode).toBe(
      401,
    );
    let status = 401;
    for (let i = 1; status !== 200 && Date.now() - started < 3 * RELOAD_EVERY_MS; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await post(t, text(elsewhere, `wamid.ELSEWHERE-${i}`), 'elsewhere-secret')).res.statusCode;
    }
    expect(status).toBe(200);
  });

  it('a number connected here a moment ago verifies at once, even right after a flood of junk', async () => {
    await junk(50);
    const fresh = await connectTenant(t, sim, { phone: '9100003', waba: '9200003', secret: 'fresh-secret' });
    expect((await post(t, text(fresh, 'wamid.FRESH'), 'fresh-secret')).res.statusCode).toBe(200);
    const hs = await t.app.inject(
      `/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=verify-${fresh.phoneId}&hub.challenge=7`,
    );
    expect(hs.statusCode).toBe(200);
  });
});
