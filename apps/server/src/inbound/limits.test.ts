import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, settings, type TestApp } from '../../test/helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

describe(`webhook body limits on ${settings.backend}`, () => {
  it('an oversize body is refused with 413 before anything is stored', async () => {
    const body = `{"object":"whatsapp_business_account","pad":"${'x'.repeat(11 * 1024 * 1024)}"}`;
    const res = await t.app.inject({
      method: 'POST',
      url: '/webhooks/whatsapp',
      payload: body,
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=00' },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('PAYLOAD_TOO_LARGE');
    const [row] = await t.database.query<{ n: string }>('select count(*) as n from webhook_events');
    expect(Number(row!.n)).toBe(0);
  });
});
