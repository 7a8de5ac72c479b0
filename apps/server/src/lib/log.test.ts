import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/helpers.ts';
import { redactUrl } from './log.ts';

const lines: string[] = [];
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ LOG_LEVEL: 'info' }, { logStream: { write: (line) => lines.push(line) } });
});
afterAll(() => t.close());

describe('logs never hold secrets', () => {
  it('request lines keep the path but not token values in the query string', async () => {
    const secrets = ['verify-secret-1', 'invite-secret-2', 'access-secret-3', 'refresh-secret-4'];
    await t
      .client()
      .get(`/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${secrets[0]}&hub.challenge=42`);
    await t.client().get(`/accept-invitation?token=${secrets[1]}`);
    await t.client().get(`/api/v1/me?access_token=${secrets[2]}&Refresh_Token=${secrets[3]}&page=2`);
    const log = lines.join('');
    for (const s of secrets) expect(log).not.toContain(s);
    expect(log).toContain(
      '/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=[redacted]&hub.challenge=42',
    );
    expect(log).toContain('/accept-invitation?token=[redacted]');
    expect(log).toContain('page=2');
  });

  it('authorization and cookie headers are redacted wherever they are logged', async () => {
    const c = await t.owner();
    const session = c.cookies.get('ow_access')!;
    t.app.log.warn(
      { req: { headers: { authorization: `Bearer ${session}`, cookie: `ow_access=${session}` } } },
      'x',
    );
    t.app.log.warn({ headers: { authorization: `Bearer ${session}`, cookie: `ow_access=${session}` } }, 'y');
    t.app.log.warn({ body: { password: 'hunter2-hunter2', token: 'tok-secret-5' } }, 'z');
    const log = lines.join('');
    expect(log).not.toContain(session);
    expect(log).not.toContain('hunter2-hunter2');
    expect(log).not.toContain('tok-secret-5');
    expect(log).toContain('[redacted]');
  });

  it('redactUrl leaves URLs without secrets alone', () => {
    expect(redactUrl('/a/b')).toBe('/a/b');
    expect(redactUrl('/a?x=1&y')).toBe('/a?x=1&y');
    expect(redactUrl('/a?api_key=k&q=hi')).toBe('/a?api_key=[redacted]&q=hi');
    expect(redactUrl('/a?hub%2Everify_token=v')).toBe('/a?hub%2Everify_token=[redacted]');
  });
});
