import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/helpers.ts';
import { redactUrl, resolveLogFormat } from './log.ts';

const lines: string[] = [];
let t: TestApp;
beforeAll(async () => {
  // At debug: the quiet request lines (files, probes, polling) are written too, and must be redacted.
  t = await createTestApp({ LOG_LEVEL: 'debug' }, { logStream: { write: (line) => lines.push(line) } });
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

describe('request lines', () => {
  const json: string[] = [];
  const pretty: string[] = [];
  let j: TestApp;
  let p: TestApp;
  beforeAll(async () => {
    j = await createTestApp(
      { LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
      { logStream: { write: (l) => json.push(l) } },
    );
    p = await createTestApp(
      { LOG_LEVEL: 'info', LOG_FORMAT: 'pretty' },
      { logStream: { write: (l) => pretty.push(l) } },
    );
  });
  afterAll(() => Promise.all([j?.close(), p?.close()]));

  /** What one request adds to a log. */
  async function linesOf(app: TestApp, log: string[], url: string, signedIn = false) {
    const c = signedIn ? await app.owner() : app.client();
    const from = log.length;
    await c.get(url);
    // The completion line is written when the response finishes, which may follow inject's answer.
    await new Promise((r) => setTimeout(r, 20));
    return log.slice(from).join('');
  }

  it('are JSON with LOG_FORMAT=json: API requests at info, files, probes and polling at debug', async () => {
    const api = await linesOf(j, json, '/api/v1/me');
    const parsed = api
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(parsed.map((l) => [l.level, l.msg])).toEqual([
      [30, 'incoming request'],
      [30, 'request completed'],
    ]);
    expect(parsed[0].req).toMatchObject({ method: 'GET', url: '/api/v1/me' });
    expect(parsed[1].res).toMatchObject({ statusCode: 401 });
    for (const quiet of ['/healthz', '/readyz', '/index.html', '/docs']) {
      expect(await linesOf(j, json, quiet), quiet).toBe('');
    }
    expect(await linesOf(j, json, '/api/v1/notifications/unread-count', true)).not.toContain('unread-count');
    expect(await linesOf(j, json, '/api/v1/events?since=0', true)).not.toContain('/api/v1/events');
    // …and they are there at debug (the app of the first tests).
    const debug = await linesOf(t, lines, '/healthz');
    expect(
      debug
        .trim()
        .split('\n')
        .map((l) => [JSON.parse(l).level, JSON.parse(l).msg]),
    ).toEqual([
      [20, 'incoming request'],
      [20, 'request completed'],
    ]);
  });

  it('are one readable line per request with LOG_FORMAT=pretty', async () => {
    const api = await linesOf(p, pretty, '/api/v1/me?access_token=secret-in-url');
    expect(api.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        /^\[\d\d:\d\d:\d\d\] INFO: GET \/api\/v1\/me\?access_token=\[redacted\] 401 \d+ ms$/,
      ),
    ]);
    expect(await linesOf(p, pretty, '/healthz')).toBe('');
    p.app.log.warn({ body: { password: 'hunter2-hunter2' } }, 'something odd');
    const warned = pretty.at(-1)!;
    expect(warned).toMatch(/^\[\d\d:\d\d:\d\d\] WARN: something odd\n/);
    expect(warned).not.toContain('hunter2-hunter2');
  });

  it('LOG_FORMAT=auto is readable on a terminal and JSON elsewhere; json and pretty force one', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });
});
