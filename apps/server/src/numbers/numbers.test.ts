import type { Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../test/helpers/connect-number.ts';
import { createTestApp, settings, type TestApp, type TestClient } from '../../test/helpers.ts';

let sim: Simulator;
let t: TestApp;
let owner: TestClient;
const SIM_NUMBER = {
  phone_number_id: '1000001',
  waba_id: '2000001',
  display_phone_number: '+1 555 010 0001',
  verified_name: 'Corner Bakery',
  access_token: 'token-valid-0001',
  quality_rating: 'GREEN' as const,
  messaging_limit_tier: 'TIER_2K' as const,
  app_secret: 'app-secret-0001',
  app_id: '555000111222333',
};
const body = {
  display_name: 'Main line',
  phone_number_id: SIM_NUMBER.phone_number_id,
  waba_id: SIM_NUMBER.waba_id,
  access_token: SIM_NUMBER.access_token,
  app_secret: 'app-secret-0001',
  verify_token: 'verify-token-0001',
};

beforeAll(async () => {
  sim = await startSimulator({ seed: 5 }, [
    SIM_NUMBER,
    {
      ...SIM_NUMBER,
      phone_number_id: '1000002',
      display_phone_number: '+1 555 010 0002',
      access_token: 'token-valid-0002',
    },
  ]);
  t = await createTestApp({ META_GRAPH_URL: sim.url });
  owner = await t.owner();
});
afterAll(async () => {
  await t.close();
  await sim.close();
});

describe(`numbers on ${settings.backend}`, () => {
  it('connects a number after asking Meta; secrets are sealed and never returned', async () => {
    const res = await owner.post('/api/v1/numbers', body);
    expect(res.statusCode, res.body).toBe(201);
    const n = res.json();
    expect(n).toMatchObject({
      display_name: 'Main line',
      status: 'active',
      has_access_token: true,
      health: {
        verified_name: 'Corner Bakery',
        quality_rating: 'GREEN',
        messaging_limit_tier: 'TIER_2K',
        throughput_level: 'STANDARD',
      },
    });
    expect(res.body).not.toContain(body.access_token);
    expect(res.body).not.toContain(body.app_secret);
    const rows = await t.database.query<Record<string, string>>('select * from numbers where id = $1', [
      n.id,
    ]);
    const stored = JSON.stringify(rows[0]);
    for (const secret of [body.access_token, body.app_secret, body.verify_token])
      expect(stored).not.toContain(secret);
    expect(
      t.app.services.numbers.credentials({
        phoneNumberId: rows[0]!.phone_number_id!,
        accessTokenSealed: rows[0]!.access_token_sealed!,
        appSecretSealed: rows[0]!.app_secret_sealed!,
        verifyTokenSealed: rows[0]!.verify_token_sealed!,
      } as never),
    ).toMatchObject({ accessToken: body.access_token, appSecret: body.app_secret });
    // The token's Meta app, as debug_token named it (the proof was made with the secret given).
    expect(n.app_id).toBe(SIM_NUMBER.app_id);
    expect(rows[0]!.app_id).toBe(SIM_NUMBER.app_id);
    const audit = (await owner.get('/api/v1/audit?action=number.create')).json().data[0];
    expect(JSON.stringify(audit)).not.toContain(body.access_token);
    expect(audit.after).toMatchObject({ display_name: 'Main line', phone_number_id: '1000001' });
  });

  it('shows Meta’s answer when the connection is refused, and refuses duplicates and bad input', async () => {
    const bad = await owner.post('/api/v1/numbers', {
      ...body,
      phone_number_id: '1000002',
      access_token: 'not-the-right-token',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/Meta refused the connection/);
    expect(bad.json().error.details.meta).toMatchObject({ code: 190, kind: 'token' });
    const wrongWaba = await owner.post('/api/v1/numbers', {
      ...body,
      phone_number_id: '1000002',
      access_token: 'token-valid-0002',
      waba_id: '9999999',
    });
    expect(wrongWaba.statusCode).toBe(400);
    expect((await owner.post('/api/v1/numbers', body)).statusCode).toBe(409);
    const invalid = await owner.post('/api/v1/numbers', {
      ...body,
      phone_number_id: 'abc',
      access_token: 'x',
    });
    expect(invalid.statusCode).toBe(400);
    expect((await owner.post('/api/v1/numbers', { ...body, extra: 1 })).statusCode).toBe(400);
    expect((await owner.get('/api/v1/numbers')).json().data).toHaveLength(1);
  });

  it('refuses an app secret of another Meta app than the token’s, when connecting and when editing', async () => {
    const other = await owner.post('/api/v1/numbers', {
      ...body,
      phone_number_id: '1000002',
      access_token: 'token-valid-0002',
      app_secret: 'secret-of-another-app',
    });
    expect(other.statusCode).toBe(400);
    expect(other.json().error.message).toBe(
      'The app secret is not the secret of the Meta app this access token belongs to',
    );
    expect(other.json().error.details.meta).toMatchObject({ code: 100 });
    expect((await owner.get('/api/v1/numbers')).json().data).toHaveLength(1);

    const [n] = (await owner.get('/api/v1/numbers')).json().data;
    const edit = await owner.patch(`/api/v1/numbers/${n.id}`, { app_secret: 'secret-of-another-app' });
    expect(edit.statusCode).toBe(400);
    const [row] = await t.database.query<Record<string, string>>('select * from numbers where id = $1', [
      n.id,
    ]);
    const stored = t.app.services.numbers.credentials({
      phoneNumberId: row!.phone_number_id!,
      accessTokenSealed: row!.access_token_sealed!,
      appSecretSealed: row!.app_secret_sealed!,
      verifyTokenSealed: row!.verify_token_sealed!,
    } as never);
    expect(stored.appSecret).toBe(body.app_secret);
    // Its own secret again is fine (checked with Meta too).
    expect((await owner.patch(`/api/v1/numbers/${n.id}`, { app_secret: body.app_secret })).statusCode).toBe(
      200,
    );
  });

  it('a token error stops the number and tells the admins; a new token brings it back', async () => {
    const [n] = (await owner.get('/api/v1/numbers')).json().data;
    sim.updateNumber(SIM_NUMBER.phone_number_id, { token_status: 'expired' });
    const test = await owner.post(`/api/v1/numbers/${n.id}/test`);
    expect(test.json()).toMatchObject({ ok: false, error: { code: 190, kind: 'token' } });
    const after = (await owner.get(`/api/v1/numbers/${n.id}`)).json();
    expect(after.status).toBe('inactive');
    expect(after.inactive_reason).toMatch(/190\/463/);
    const note = (await owner.get('/api/v1/notifications?limit=1')).json().data[0];
    expect(note).toMatchObject({ type: 'number.inactive', action_url: '/settings/numbers' });

    sim.updateNumber(SIM_NUMBER.phone_number_id, {
      token_status: 'valid',
      access_token: 'token-renewed-0001',
    });
    const renewed = await owner.patch(`/api/v1/numbers/${n.id}`, {
      access_token: 'token-renewed-0001',
      display_name: 'Main line (renewed)',
    });
    expect(renewed.statusCode, renewed.body).toBe(200);
    expect(renewed.json()).toMatchObject({
      status: 'active',
      inactive_reason: null,
      display_name: 'Main line (renewed)',
    });
    expect((await owner.post(`/api/v1/numbers/${n.id}/test`)).json()).toMatchObject({
      ok: true,
      health: { verified_name: 'Corner Bakery' },
    });
    const history = await t.app.services.numbers.healthHistoryOf({ orgId: t.orgId }, n.id);
    expect(history.map((h) => h.source)).toEqual(['connect', 'test']);
  });

  it('the health job records what Meta reports now', async () => {
    sim.updateNumber(SIM_NUMBER.phone_number_id, { quality_rating: 'YELLOW' });
    const [row] = await t.app.services.numbers.allActive();
    expect((await t.app.services.numbers.refreshHealth(row!, 'cron')).health?.quality_rating).toBe('YELLOW');
    const [n] = (await owner.get('/api/v1/numbers')).json().data;
    expect(n.health.quality_rating).toBe('YELLOW');
  });

  it('is invisible to other organisations and to roles without the permission', async () => {
    const [n] = (await owner.get('/api/v1/numbers')).json().data;
    const other = await t.app.services.orgs.setupOwner({
      email: 'num-other@example.com',
      password: 'other password 12',
      orgName: 'Other',
    });
    expect(other.orgId).toBeTruthy();
    const c = t.client();
    await c.login('num-other@example.com', 'other password 12');
    expect((await c.get(`/api/v1/numbers/${n.id}`)).statusCode).toBe(404);
    expect((await c.patch(`/api/v1/numbers/${n.id}`, { display_name: 'x' })).statusCode).toBe(404);
    expect((await c.get('/api/v1/numbers')).json().data).toEqual([]);
    const viewer = await t.member('viewer');
    expect((await viewer.get('/api/v1/numbers')).statusCode).toBe(200);
    expect((await viewer.post('/api/v1/numbers', body)).statusCode).toBe(403);
  });

  it('disconnects a number, confirming what goes with it', async () => {
    const [n] = (await owner.get('/api/v1/numbers')).json().data;
    const counts = (await owner.get(`/api/v1/numbers/${n.id}/deletion`)).json();
    expect((await owner.request('DELETE', `/api/v1/numbers/${n.id}`, { confirm: counts })).statusCode).toBe(
      200,
    );
    expect((await owner.get('/api/v1/numbers')).json().data).toEqual([]);
    expect((await owner.get('/api/v1/audit?action=number.delete')).json().data).toHaveLength(1);
  });
});
