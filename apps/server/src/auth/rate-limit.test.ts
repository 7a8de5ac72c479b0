import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, settings, type TestApp, TestClient } from '../../test/helpers.ts';
import { buildApp } from '../app.ts';

/**
 * API rate limits through HTTP: per person, per API key and per organisation, counted in the
 * database so two app instances on one database (two api processes) share one count.
 */
let t: TestApp;
const LIMITS = { RATE_LIMIT_PER_MINUTE: '5', RATE_LIMIT_ORG_PER_MINUTE: '12' };

beforeAll(async () => {
  t = await createTestApp(LIMITS);
});
afterAll(() => t.close());

/** Waits for a fresh minute window if the current one ends within 20 s (the counts would reset mid-test). */
async function freshWindow() {
  const s = new Date().getSeconds();
  if (s >= 40) await new Promise((r) => setTimeout(r, (61 - s) * 1000));
}

describe(`API rate limits on ${settings.backend}`, () => {
  it('counts per person, per key and per organisation, shared by processes; 429 with Retry-After', async () => {
    const owner = await t.owner();
    const agent = await t.member('agent', 'agent-limits@example.com');
    const { key } = (
      await owner.post('/api/v1/api-keys', { name: 'Script', scopes: ['contacts.read'] })
    ).json();
    // A second process on the same database.
    const other = await buildApp({
      config: t.config,
      database: t.database,
      appSecret: t.config.APP_SECRET!,
      logger: false,
    });
    const agentThere = new TestClient(other);
    agentThere.cookies.clear();
    for (const [k, v] of agent.cookies) agentThere.cookies.set(k, v);

    // The owner, signed in a second time, works in another organisation.
    const elsewhere = await t.owner();
    const orgB = await elsewhere.post('/api/v1/orgs', { name: 'Limits Other' });
    expect((await elsewhere.post('/api/v1/me/org', { org_id: orgB.json().id })).statusCode).toBe(200);

    await freshWindow();
    await t.database.query('delete from rate_limit_hits');
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await (i % 2 ? agentThere : agent).get('/api/v1/contacts');
      expect(res.statusCode, res.body).toBe(200);
      seen.push(String(res.headers.ratelimit));
    }
    expect(seen[0]).toMatch(/^limit=5, remaining=4, reset=\d+$/);
    expect(seen[4]).toMatch(/^limit=5, remaining=0, reset=\d+$/);
    const limited = await agentThere.get('/api/v1/contacts');
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error).toMatchObject({
      code: 'RATE_LIMITED',
      details: { scope: 'principal', limit: 5 },
    });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.headers['ratelimit-policy']).toBe('5;w=60');

    // A key counts on its own; the owner too; the organisation's 12 are then used up.
    const withKey = () =>
      t.client('10.8.0.1').request('GET', '/api/v1/contacts', undefined, { authorization: `Bearer ${key}` });
    for (let i = 0; i < 3; i++) expect((await withKey()).statusCode).toBe(200);
    for (let i = 0; i < 3; i++) expect((await owner.get('/api/v1/contacts')).statusCode).toBe(200);
    // 5 + 1 (refused, still counted) + 3 + 3 = 12: the next is over the organisation's limit.
    const org = await withKey();
    expect(org.statusCode).toBe(429);
    expect(org.json().error.details.scope).toBe('organisation');
    // Another organisation is not affected: the owner uses the 2 left of their own 5 there.
    expect((await elsewhere.get('/api/v1/contacts')).statusCode).toBe(200);
    expect((await elsewhere.get('/api/v1/contacts')).statusCode).toBe(200);
    const own = await elsewhere.get('/api/v1/contacts');
    expect(own.statusCode).toBe(429);
    expect(own.json().error.details.scope).toBe('principal');
    await other.close();
  });
});
