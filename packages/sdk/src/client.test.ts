import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, OWNER, type TestApp } from '../../../apps/server/test/helpers.ts';
import { ApiError, createClient } from './client.ts';

let t: TestApp;
let base: string;
beforeAll(async () => {
  t = await createTestApp();
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => t.close());

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
