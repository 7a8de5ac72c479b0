import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, loadConfig, openConfiguredDatabase } from '@openwaba/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, settings, TestClient } from '../../../server/test/helpers.ts';
import type { Io } from '../output.ts';
import { runCli } from '../program.ts';

const BOSS = { email: 'boss@example.com', password: 'first password 1' };
/** The client address that guesses wrong until the throttle locks it (and the account) out. */
const GUESSER_IP = '10.9.9.9';

let env: Record<string, string>;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  const common = {
    LOG_LEVEL: 'silent',
    APP_SECRET: 'users-cli-test-secret-0123456789abcdef',
    LOGIN_MAX_FAILURES: '2',
  };
  if (settings.backend === 'pg') {
    const db = await createTestDatabase({ migrate: false });
    await db.database.close().catch(() => {});
    env = { ...common, DATABASE_URL: db.url! };
    cleanup = db.drop;
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'openwaba-users-'));
    env = { ...common, DATA_DIR: dir };
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  }
});
afterAll(() => cleanup());

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const code = await runCli(args, io, env);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/**
 * The server on the same database as the CLI, in this process, while the CLI is not running (the
 * embedded database takes one handle at a time): closed before each CLI call, opened again after.
 */
async function withServer<T>(work: (app: Awaited<ReturnType<typeof buildApp>>) => Promise<T>): Promise<T> {
  const config = loadConfig(env);
  const database = await openConfiguredDatabase(config);
  const app = await buildApp({
    config,
    database,
    appSecret: config.APP_SECRET!,
    logger: false,
    throttleFirstWaitSeconds: 600,
  });
  try {
    return await work(app);
  } finally {
    await app.close();
    await database.close();
  }
}

/** A password sign-in, whatever its answer (TestClient.login throws unless it succeeds). */
const signIn = (c: TestClient, email: string, password: string) =>
  c.post('/api/v1/auth/login', { email, password });

describe(`openwaba users on ${settings.backend}`, () => {
  /** The cookies of two sessions signed in before the reset: both must end with it. */
  let before: Map<string, string>[] = [];
  let generated = '';

  it('list names every account with its role in each organisation and its last sign-in', async () => {
    const setup = await cli(['setup', '--email', BOSS.email, '--password', BOSS.password, '--org', 'Acme']);
    expect(setup.code, setup.err).toBe(0);

    const never = await cli(['users', 'list', '--json']);
    expect(never.code, never.err).toBe(0);
    expect(JSON.parse(never.out)).toEqual([
      expect.objectContaining({ email: BOSS.email, last_sign_in_at: null, instance_admin: true }),
    ]);

    await withServer(async (app) => {
      const a = new TestClient(app, '10.0.0.1');
      expect((await signIn(a, BOSS.email, BOSS.password)).statusCode).toBe(200);
      const inv = await a.post('/api/v1/invitations', { email: 'agent@example.com', role: 'agent' });
      expect(inv.statusCode).toBe(201);
      const agent = new TestClient(app, '10.0.0.2');
      const accepted = await agent.post('/api/v1/invitations/accept', {
        token: inv.json().token,
        password: 'agent password 1',
        name: 'Ann Agent',
      });
      expect(accepted.statusCode).toBe(200);
      const b = new TestClient(app, '10.0.0.3');
      expect((await signIn(b, BOSS.email, BOSS.password)).statusCode).toBe(200);
      before = [a.cookies, b.cookies];
      // Someone who forgot the password guesses until the account and their address are locked out.
      const guesser = new TestClient(app, GUESSER_IP);
      for (let i = 0; i < 3; i++) await signIn(guesser, BOSS.email, `wrong guess ${i}`);
      expect((await signIn(guesser, BOSS.email, BOSS.password)).statusCode).toBe(429);
    });

    const list = await cli(['users', 'list', '--json']);
    expect(list.code, list.err).toBe(0);
    const users = JSON.parse(list.out) as {
      email: string;
      name: string;
      last_sign_in_at: string | null;
      orgs: { name: string; role: string }[];
    }[];
    expect(users.map((u) => u.email)).toEqual(['agent@example.com', BOSS.email]);
    expect(users[0]).toMatchObject({ name: 'Ann Agent', orgs: [{ name: 'Acme', role: 'agent' }] });
    expect(users[1]).toMatchObject({ orgs: [{ name: 'Acme', role: 'owner' }] });
    for (const u of users) expect(Date.now() - Date.parse(u.last_sign_in_at!)).toBeLessThan(10 * 60_000);

    const table = await cli(['users', 'list']);
    expect(table.code).toBe(0);
    const [header, ...rows] = table.out.split('\n');
    expect(header).toMatch(/^EMAIL\s+NAME\s+ROLES\s+LAST SIGN-IN$/);
    expect(rows[0]).toMatch(/^agent@example\.com\s+Ann Agent\s+agent of "Acme"\s+\d{4}-\d\d-\d\dT/);
    expect(rows[1]).toContain(`${BOSS.email} (instance admin)`);
    expect(rows[1]).toContain('owner of "Acme"');
  });

  it('reset-password prints a generated password; the old one stops working, sessions end, the lockout lifts', async () => {
    const reset = await cli(['users', 'reset-password', '--email', 'Boss@Example.com', '--json']);
    expect(reset.code, reset.err).toBe(0);
    const result = JSON.parse(reset.out);
    expect(result).toMatchObject({ email: BOSS.email, sessions_revoked: 2, user_id: expect.any(String) });
    expect(result.password).toMatch(/^\S{5}-\S{5}-\S{5}-\S{5}$/);
    generated = result.password;

    await withServer(async (app) => {
      // The sessions signed in before the reset are over.
      for (const jar of before) {
        const c = new TestClient(app, '10.0.0.1');
        for (const [k, v] of jar) c.cookies.set(k, v);
        expect((await c.get('/api/v1/me')).statusCode).toBe(401);
        expect((await c.post('/api/v1/auth/refresh')).statusCode).toBe(401);
      }
      // The old password is refused; the new one signs in, from the address that was locked out too.
      const old = await signIn(new TestClient(app, '10.0.0.4'), BOSS.email, BOSS.password);
      expect(old.statusCode).toBe(401);
      const boss = new TestClient(app, GUESSER_IP);
      expect((await signIn(boss, BOSS.email, generated)).statusCode).toBe(200);
      // The organisation's audit log shows who reset it.
      const audit = await boss.get('/api/v1/audit?action=user.password_reset');
      expect(audit.statusCode).toBe(200);
      expect(audit.json().data).toEqual([
        expect.objectContaining({
          actor_type: 'system',
          actor_label: 'cli',
          action: 'user.password_reset',
          entity_type: 'user',
          entity_id: result.user_id,
          after: { email: BOSS.email, sessions_revoked: 2 },
        }),
      ]);
    });
  });

  it('reset-password --password sets the one given and does not print it', async () => {
    const reset = await cli([
      'users',
      'reset-password',
      '--email',
      BOSS.email,
      '--password',
      'chosen password 2',
    ]);
    expect(reset.code, reset.err).toBe(0);
    expect(reset.out).toContain(`Password of ${BOSS.email} reset; 1 signed-in session(s) ended.`);
    expect(reset.out).not.toContain('chosen password 2');
    expect(reset.out).not.toContain('New password');
    await withServer(async (app) => {
      expect((await signIn(new TestClient(app, '10.0.0.5'), BOSS.email, generated)).statusCode).toBe(401);
      expect(
        (await signIn(new TestClient(app, '10.0.0.6'), BOSS.email, 'chosen password 2')).statusCode,
      ).toBe(200);
    });
  });

  it('an unknown email, a missing --email or a weak password is refused with a message', async () => {
    const unknown = await cli(['users', 'reset-password', '--email', 'nobody@example.com']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toBe(
      'error: No account with email nobody@example.com (`openwaba users list` shows them all)',
    );
    const missing = await cli(['users', 'reset-password']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("required option '--email <email>' not specified");
    const weak = await cli(['users', 'reset-password', '--email', BOSS.email, '--password', 'short']);
    expect(weak.code).toBe(2);
    expect(weak.err).toContain('--password: must be at least 10 characters');
    const bad = await cli(['users', 'reset-password', '--email', 'not-an-email']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--email: must be an email address');
  });
});
