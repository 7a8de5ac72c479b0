import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, settings, type TestApp } from '../../test/helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ METRICS_TOKEN: 'metrics-token-0123456789' });
});
afterAll(() => t.close());

describe(`metrics and readiness on ${settings.backend}`, () => {
  it('exposes HTTP latency, WebSocket, event lag and job metrics to a caller with the token', async () => {
    await (await t.owner()).get('/api/v1/org');
    const denied = await t.app.inject({ url: '/metrics' });
    expect(denied.statusCode).toBe(404);
    const res = await t.app.inject({
      url: '/metrics',
      headers: { authorization: 'Bearer metrics-token-0123456789' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/openwaba_http_request_duration_seconds_bucket\{.*route="\/api\/v1\/org".*\}/);
    for (const name of [
      'openwaba_ws_connections',
      'openwaba_event_delivery_lag_seconds',
      'openwaba_jobs_failed_total',
      'openwaba_jobs_queued',
    ]) {
      expect(res.body).toContain(`# TYPE ${name}`);
    }
  });

  it('the token must match exactly (compared in constant time); the scheme in any case', async () => {
    const as = (authorization: string) => t.app.inject({ url: '/metrics', headers: { authorization } });
    for (const wrong of [
      'Bearer metrics-token-012345678',
      'Bearer metrics-token-0123456789x',
      'Bearer Metrics-token-0123456789',
      'Basic metrics-token-0123456789',
      'Bearer',
    ]) {
      expect((await as(wrong)).statusCode, wrong).toBe(404);
    }
    expect((await as('bearer metrics-token-0123456789')).statusCode).toBe(200);
  });

  it('readiness includes the job system', async () => {
    const r = await t.app.inject({ url: '/readyz' });
    expect(r.statusCode).toBe(200);
    expect(r.json().jobs).toMatchObject({ ok: true });
  });
});
