import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/helpers.ts';

const FREE = 5;
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ LOGIN_MAX_FAILURES: String(FREE) }, { poolMax: 20 });
});
afterAll(() => t.close());

describe('the password throttle', () => {
  it('counts parallel wrong guesses atomically: only the free attempts reach the password check', async () => {
    const email = 'parallel@example.com';
    await t.member('agent', email);
    // Opens the pool's connections first, so the guesses below really run side by side.
    await Promise.all(Array.from({ length: 20 }, () => t.client().get('/readyz')));
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        t.client(`10.50.${i}.1`).post('/api/v1/auth/login', { email, password: `wrong-${i}` }),
      ),
    );
    const statuses = results.map((r) => r.statusCode);
    // Exactly the free attempts reached the password check (401); counted after the check instead,
    // parallel guesses all slipped in before the count.
    expect(count(statuses, 401)).toBe(FREE);
    expect(count(statuses, 429)).toBe(60 - FREE);
  });

  it('makes each wait after the free attempts twice as long as the last', async () => {
    const short = await createTestApp({ LOGIN_MAX_FAILURES: '2' }, { throttleFirstWaitSeconds: 3 });
    try {
      const login = (password: string) =>
        short.client('10.51.0.1').post('/api/v1/auth/login', { email: 'nobody@example.com', password });
      expect((await login('a')).statusCode).toBe(401);
      expect((await login('b')).statusCode).toBe(401);
      const first = await login('c');
      expect(first.statusCode).toBe(429);
      const wait = Number(first.headers['retry-after']);
      expect(wait).toBeGreaterThanOrEqual(1);
      expect(wait).toBeLessThanOrEqual(3);
      await new Promise((r) => setTimeout(r, wait * 1000 + 100));
      expect((await login('d')).statusCode).toBe(401);
      const second = await login('e');
      expect(second.statusCode).toBe(429);
      expect(Number(second.headers['retry-after'])).toBeGreaterThan(3);
      expect(Number(second.headers['retry-after'])).toBeLessThanOrEqual(6);
    } finally {
      await short.close();
    }
  });
});

/** Many guesses, `parallel` at a time, each from its own address (a botnet). */
async function guess(
  n: number,
  send: (i: number) => Promise<{ statusCode: number; headers: Record<string, unknown> }>,
) {
  const statuses: number[] = [];
  const retryAfter: number[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, j) => send(i + j)));
    for (const r of batch) {
      statuses.push(r.statusCode);
      if (r.statusCode === 429) retryAfter.push(Number(r.headers['retry-after']));
    }
  }
  return { statuses, retryAfter };
}
const addr = (i: number) => `10.${60 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
const count = (xs: number[], x: number) => xs.filter((s) => s === x).length;

describe('1,000 guesses at one account', () => {
  it('are throttled with Retry-After, and the owner still signs in from their own browser', async () => {
    const email = 'target@example.com';
    const owner = await t.member('admin', email);
    // The owner's browser signed in before: it holds a device cookie for this account.
    expect(owner.cookies.get('ow_device')).toBeDefined();
    const { statuses, retryAfter } = await guess(1000, (i) =>
      t.client(addr(i)).post('/api/v1/auth/login', { email, password: `guess-${i}` }),
    );
    // Only the free attempts reached the password check; every other guess waits.
    expect(count(statuses, 401)).toBe(FREE);
    expect(count(statuses, 429)).toBe(1000 - FREE);
    expect(retryAfter.every((s) => s >= 1)).toBe(true);
    // A browser that never signed in to this account must wait, even with the right password …
    const stranger = await t
      .client('10.99.0.1')
      .post('/api/v1/auth/login', { email, password: 'member password 1' });
    expect(stranger.statusCode).toBe(429);
    // … the owner's own browser is not held back by the attacker's guesses.
    const res = await owner.post('/api/v1/auth/login', { email, password: 'member password 1' });
    expect(res.statusCode, res.body).toBe(200);
  });

  it('a device cookie is for its own account only, and a forged one counts for nothing', async () => {
    const email = 'second-target@example.com';
    const victim = await t.member('agent', email);
    const attacker = await t.member('agent', 'attacker@example.com');
    for (let i = 0; i < FREE; i++) {
      await t.client(addr(5000 + i)).post('/api/v1/auth/login', { email, password: `x-${i}` });
    }
    // The attacker's own device cookie (for their account) does not open the victim's.
    expect(
      (await attacker.post('/api/v1/auth/login', { email, password: 'member password 1' })).statusCode,
    ).toBe(429);
    const forged = t.client('10.99.0.2');
    forged.cookies.set('ow_device', `${'A'.repeat(22)}.${'B'.repeat(24)}`);
    expect(
      (await forged.post('/api/v1/auth/login', { email, password: 'member password 1' })).statusCode,
    ).toBe(429);
    expect(
      (await victim.post('/api/v1/auth/login', { email, password: 'member password 1' })).statusCode,
    ).toBe(200);
  });
});

describe('every password check goes through the throttle', () => {
  it('invitation acceptance: guesses count against the account, and the invitation stays usable', async () => {
    const email = 'invited-victim@example.com';
    await t.member('agent', email);
    // The attacker owns another organisation and invites the victim to it.
    const evil = await t.app.services.orgs.setupOwner({
      email: 'evil@example.com',
      password: 'evil password 1',
      orgName: 'Evil',
    });
    const attacker = t.client('10.98.0.1');
    await attacker.login('evil@example.com', 'evil password 1');
    expect((await attacker.get('/api/v1/me')).json().org.id).toBe(evil.orgId);
    const inv = (await attacker.post('/api/v1/invitations', { email, role: 'viewer' })).json();
    for (let i = 0; i < FREE; i++) {
      const r = await t
        .client(addr(9000 + i))
        .post('/api/v1/invitations/accept', { token: inv.token, password: `guess-${i}` });
      expect(r.statusCode).toBe(400);
    }
    const next = await t
      .client(addr(9100))
      .post('/api/v1/invitations/accept', { token: inv.token, password: 'guess-next' });
    expect(next.statusCode).toBe(429);
    expect(Number(next.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // The same account throttle as sign-in: a sign-in from elsewhere must wait too.
    const login = await t
      .client(addr(9101))
      .post('/api/v1/auth/login', { email, password: 'member password 1' });
    expect(login.statusCode).toBe(429);
    // Wrong guesses did not use the invitation up: it is still there for its rightful owner.
    expect((await t.client().post('/api/v1/invitations/lookup', { token: inv.token })).statusCode).toBe(200);
  });

  it('password change: wrong current passwords are throttled', async () => {
    const email = 'changer@example.com';
    const c = await t.member('viewer', email);
    const statuses: number[] = [];
    for (let i = 0; i <= FREE; i++) {
      const r = await c.post('/api/v1/me/password', {
        current_password: `nope-${i}`,
        new_password: 'a brand new password',
      });
      statuses.push(r.statusCode);
    }
    expect(statuses.slice(0, FREE)).toEqual(Array(FREE).fill(400));
    expect(statuses[FREE]).toBe(429);
    const right = await c.post('/api/v1/me/password', {
      current_password: 'member password 1',
      new_password: 'a brand new password',
    });
    expect(right.statusCode).toBe(429);
    expect(Number(right.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });
});
