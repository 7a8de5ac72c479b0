import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NUMBER, startSimulator } from '../test/helpers.ts';

type Harness = Awaited<ReturnType<typeof startSimulator>>;
let h: Harness;

const proof = (token: string, secret: string) => createHmac('sha256', secret).update(token).digest('hex');
const OTHER = {
  phone_number_id: '3000002',
  waba_id: '4000002',
  display_phone_number: '+1 555 030 0002',
  access_token: 'token-of-another-app',
  app_secret: 'secret-of-another-app',
  app_id: '777000111222333',
};

beforeAll(async () => {
  h = await startSimulator();
  h.sim.addNumber(OTHER);
});
afterAll(() => h.sim.close());

describe('tokens belong to Meta apps', () => {
  it('appsecret_proof made with the token’s own app secret is accepted', async () => {
    const path = `/v23.0/${NUMBER.phone_number_id}?appsecret_proof=${proof(NUMBER.access_token, NUMBER.app_secret)}`;
    expect((await h.graph('GET', path)).status).toBe(200);
  });

  it('a proof made with another app’s secret is refused as Meta does (100, GraphMethodException)', async () => {
    const path = `/v23.0/${NUMBER.phone_number_id}?appsecret_proof=${proof(NUMBER.access_token, OTHER.app_secret)}`;
    const r = await h.graph('GET', path);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({
      message: 'Invalid appsecret_proof provided in the API argument',
      type: 'GraphMethodException',
      code: 100,
    });
    expect(r.body.error.fbtrace_id).toEqual(expect.any(String));
    // Any call checks a proof that is given, sends too.
    const send = await h.graph('POST', `/v23.0/${NUMBER.phone_number_id}/messages?appsecret_proof=bad`, {
      messaging_product: 'whatsapp',
      to: '16505550001',
      type: 'text',
      text: { body: 'x' },
    });
    expect(send.body.error?.code).toBe(100);
  });

  it('debug_token names the app a token belongs to', async () => {
    const r = await h.graph(
      'GET',
      `/v23.0/debug_token?input_token=${OTHER.access_token}&appsecret_proof=${proof(OTHER.access_token, OTHER.app_secret)}`,
      undefined,
      OTHER.access_token,
    );
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({
      app_id: OTHER.app_id,
      type: 'SYSTEM_USER',
      is_valid: true,
      expires_at: 0,
      scopes: expect.arrayContaining(['whatsapp_business_messaging', 'whatsapp_business_management']),
      granular_scopes: expect.arrayContaining([
        { scope: 'whatsapp_business_messaging', target_ids: [OTHER.waba_id] },
      ]),
    });
    // Without an app id of its own, a number's app id is derived from its secret: stable, digits.
    const mine = await h.graph('GET', `/v23.0/debug_token?input_token=${NUMBER.access_token}`);
    expect(mine.body.data.app_id).toMatch(/^\d{15}$/);
    expect(
      (await h.graph('GET', `/v23.0/debug_token?input_token=${NUMBER.access_token}`)).body.data.app_id,
    ).toBe(mine.body.data.app_id);
    expect(mine.body.data.app_id).not.toBe(OTHER.app_id);
  });

  it('debug_token of an unknown token answers is_valid false with the 190 error; of another app’s token, 100', async () => {
    const bad = await h.graph('GET', '/v23.0/debug_token?input_token=nonsense');
    expect(bad.status).toBe(200);
    expect(bad.body.data).toMatchObject({ is_valid: false, error: { code: 190 } });
    const foreign = await h.graph('GET', `/v23.0/debug_token?input_token=${OTHER.access_token}`);
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.code).toBe(100);
    const missing = await h.graph('GET', '/v23.0/debug_token');
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe(100);
  });

  it('a number added without an app secret takes any proof (the simulator cannot know that app’s secret)', async () => {
    h.sim.addNumber({
      phone_number_id: '3000003',
      waba_id: '4000003',
      display_phone_number: '+1 555 030 0003',
      access_token: 'token-without-app-secret',
    });
    const r = await h.graph(
      'GET',
      `/v23.0/3000003?appsecret_proof=${proof('token-without-app-secret', 'anything')}`,
      undefined,
      'token-without-app-secret',
    );
    expect(r.status).toBe(200);
  });
});
