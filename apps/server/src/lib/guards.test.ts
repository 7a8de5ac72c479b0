import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, OWNER, type TestApp, type TestClient } from '../../test/helpers.ts';

let t: TestApp;
let owner: TestClient;
beforeAll(async () => {
  t = await createTestApp();
  owner = await t.owner();
});
afterAll(() => t.close());

/** The client address the server recorded for a fresh session signed in with these headers. */
async function sessionIp(app: TestApp, remote: string, headers: Record<string, string>) {
  const c = app.client(remote);
  const res = await c.request(
    'POST',
    '/api/v1/auth/login',
    { email: OWNER.email, password: OWNER.password },
    headers,
  );
  expect(res.statusCode, res.body).toBe(200);
  const sessions = (await c.get('/api/v1/me/sessions')).json().data as { ip: string; current: boolean }[];
  return sessions.find((s) => s.current)?.ip;
}

describe('client address (TRUST_PROXY)', () => {
  it('ignores X-Forwarded-For by default: the socket address is the client', async () => {
    expect(await sessionIp(t, '10.7.0.1', { 'x-forwarded-for': '203.0.113.9' })).toBe('10.7.0.1');
  });

  it('believes the header only from the listed proxies, or for the given number of hops', async () => {
    const listed = await createTestApp({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' });
    const hops = await createTestApp({ TRUST_PROXY: '1' });
    try {
      expect(await sessionIp(listed, '10.7.0.1', { 'x-forwarded-for': '203.0.113.9' })).toBe('203.0.113.9');
      // Not from a listed proxy: the header is the client's own claim.
      expect(await sessionIp(listed, '192.0.2.50', { 'x-forwarded-for': '203.0.113.9' })).toBe('192.0.2.50');
      // One proxy hop: the address it saw, not what the client wrote before it.
      expect(await sessionIp(hops, '10.7.0.1', { 'x-forwarded-for': '198.51.100.1, 203.0.113.9' })).toBe(
        '203.0.113.9',
      );
    } finally {
      await listed.close();
      await hops.close();
    }
  });
});

describe('cross-site requests (CSRF)', () => {
  it('refuses a cookie-authenticated change sent from another site, and changes nothing', async () => {
    const before = (await owner.get('/api/v1/org')).json().name;
    const crossSite: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site', origin: 'https://sub.localhost.example' },
      { origin: 'null' },
    ];
    for (const headers of crossSite) {
      const res = await owner.request('PATCH', '/api/v1/org', { name: 'Pwned' }, headers);
      expect(res.statusCode, JSON.stringify(headers)).toBe(403);
      expect(res.json().error.code).toBe('FORBIDDEN');
    }
    expect((await owner.get('/api/v1/org')).json().name).toBe(before);
    // Signing someone in to the attacker's account from another site (login CSRF) is refused too.
    const login = await t.client().request(
      'POST',
      '/api/v1/auth/login',
      { email: OWNER.email, password: OWNER.password },
      {
        origin: 'https://evil.example',
      },
    );
    expect(login.statusCode).toBe(403);
  });

  it('lets the dashboard, non-browser clients and bearer tokens through', async () => {
    const host = 'openwaba.test:8080';
    const ok: Record<string, string>[] = [
      { 'sec-fetch-site': 'same-origin', origin: `http://${host}` },
      { 'sec-fetch-site': 'none' },
      { origin: t.config.publicUrl },
      { origin: `http://${host}`, host },
      {},
    ];
    for (const headers of ok) {
      const res = await owner.request('PATCH', '/api/v1/org', { name: 'Acme' }, headers);
      expect(res.statusCode, JSON.stringify(headers)).toBe(200);
    }
    const bearer = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/org',
      headers: {
        authorization: `Bearer ${owner.cookies.get('ow_access')}`,
        origin: 'https://elsewhere.example',
      },
      payload: { name: 'Acme' },
    });
    expect(bearer.statusCode).toBe(200);
  });
});

describe('content types', () => {
  it('JSON routes refuse anything but JSON (415), even routes that take no body', async () => {
    const cases: [string, string][] = [
      ['POST', '/api/v1/auth/logout'],
      ['POST', '/api/v1/notifications/read-all'],
      ['POST', `/api/v1/campaigns/${randomUUID()}/pause`],
      ['POST', '/api/v1/orgs'],
      ['DELETE', `/api/v1/me/sessions/${randomUUID()}`],
    ];
    for (const [method, url] of cases) {
      for (const type of [
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
      ]) {
        const res = await owner.request(method as 'POST', url, '', { 'content-type': type });
        expect(res.statusCode, `${method} ${url} ${type}`).toBe(415);
        expect(res.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      }
    }
    expect((await owner.get('/api/v1/me')).statusCode).toBe(200);
  });

  it('raw-body routes still take their files, and Meta’s webhook its JSON', async () => {
    const csv = await owner.request(
      'POST',
      '/api/v1/contacts/imports?filename=a.csv',
      'Name,Phone\nA,+447400123456\n',
      {
        'content-type': 'text/csv',
      },
    );
    expect(csv.statusCode, csv.body).toBe(201);
    const hook = await t.client().request('POST', '/webhooks/whatsapp', '{"object":"x"}', {
      'content-type': 'application/json',
    });
    expect(hook.statusCode).toBe(401);
  });
});

describe('security headers', () => {
  it('every response has a strict CSP; no HSTS over plain http', async () => {
    for (const url of ['/', '/login', '/api/v1/me', '/docs/static/index.html']) {
      const res = await t.client().get(url);
      const csp = String(res.headers['content-security-policy']);
      expect(csp, url).toContain("script-src 'self';");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("default-src 'self'");
      expect(csp).not.toContain('unsafe-eval');
      // Only Swagger UI's injected <style> is let in, and only on /docs.
      if (!url.startsWith('/docs')) expect(csp).not.toContain('unsafe-inline');
      expect(res.headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('HSTS when PUBLIC_URL is https', async () => {
    const secure = await createTestApp({ PUBLIC_URL: 'https://chat.example.com' });
    try {
      const res = await secure.client().get('/healthz');
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d{7,}/);
    } finally {
      await secure.close();
    }
  });
});
