import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestClient } from '../../test/helpers.ts';

let t: TestApp;
let owner: TestClient;
beforeAll(async () => {
  t = await createTestApp({ BODY_LIMIT_BYTES: '4096' });
  owner = await t.owner();
});
afterAll(() => t.close());

const HOSTILE = [
  "Robert'); DROP TABLE orgs;--",
  '<script>alert(1)</script>',
  '" OR 1=1 --',
  '{{constructor.constructor("alert(1)")()}}',
  '../../etc/passwd',
  'émoji 🎉 and ünïcode',
];

describe('bad input gets a clear 4xx and writes nothing', () => {
  it('malformed JSON → 400', async () => {
    const res = await owner.request('PATCH', '/api/v1/org', '{"name": "x",', {
      'content-type': 'application/json',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(res.json().error.message).toMatch(/JSON/i);
  });

  it('wrong types → 400 naming the field', async () => {
    const res = await owner.post('/api/v1/auth/login', { email: 42, password: ['x'] });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details.map((d: { path: string[] }) => d.path.join('.'))).toEqual([
      'body.email',
      'body.password',
    ]);
  });

  it('unknown fields → 400', async () => {
    const res = await owner.post('/api/v1/invitations', {
      email: 'a@example.com',
      role: 'agent',
      is_admin: true,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain('is_admin');
    expect((await owner.get('/api/v1/invitations')).json().data).toHaveLength(0);
  });

  it('oversize bodies → 413 with the limit from config', async () => {
    const res = await owner.patch('/api/v1/org', { name: 'x'.repeat(5000) });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('unsupported content type → 415', async () => {
    const res = await owner.request('POST', '/api/v1/orgs', 'name=x', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('bad ids in the path → 400, not a database error', async () => {
    const res = await owner.delete('/api/v1/members/not-a-uuid');
    expect(res.statusCode).toBe(400);
  });

  it('control characters in text → 400', async () => {
    const res = await owner.post('/api/v1/orgs', { name: 'bad\u0000name' });
    expect(res.statusCode).toBe(400);
  });

  it.each(HOSTILE)('hostile text %j is stored and returned verbatim as data', async (text) => {
    const res = await owner.post('/api/v1/orgs', { name: text });
    expect(res.statusCode).toBe(201);
    expect(res.json().name).toBe(text.trim());
    expect(res.headers['content-type']).toMatch(/application\/json/);
    const login = await t
      .client('10.7.0.1')
      .post('/api/v1/auth/login', { email: 'a@example.com', password: text });
    expect(login.statusCode).toBe(401);
  });

  it('hostile strings in every field of every body → 4xx, never 500', async () => {
    const routes = t.app.accessTable.filter((r) => r.method !== 'GET');
    for (const r of routes) {
      for (const s of HOSTILE) {
        const body = {
          name: s,
          email: s,
          password: s,
          role: s,
          token: s,
          org_id: s,
          current_password: s,
          new_password: s,
          settings: { timezone: s },
        };
        const url = r.url.replace(/:[A-Za-z]+/g, encodeURIComponent(s));
        const res = await owner.request(r.method as 'POST', url, body);
        expect(res.statusCode, `${r.method} ${r.url} ${s}`).toBeGreaterThanOrEqual(400);
        expect(res.statusCode, `${r.method} ${r.url} ${s}`).toBeLessThan(500);
      }
    }
    expect((await owner.get('/api/v1/me')).statusCode).toBe(200);
  });

  it('unknown routes → 404 in the error shape, with a request id', async () => {
    const res = await owner.get('/api/v1/nothing-here');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      error: { code: 'NOT_FOUND', message: 'No route for GET /api/v1/nothing-here' },
    });
    expect(res.headers['x-request-id']).toBeTruthy();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    const echoed = await t.app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'abc-123' },
    });
    expect(echoed.headers['x-request-id']).toBe('abc-123');
  });
});
