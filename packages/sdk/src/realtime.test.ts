import type { StoredEvent } from '@openwaba/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createTestApp, OWNER, type TestApp } from '../../../apps/server/test/helpers.ts';
import { createClient } from './client.ts';
import { createRealtime, type SocketLike } from './realtime.ts';

let t: TestApp;
let base: string;
let cookie: string;
beforeAll(async () => {
  t = await createTestApp();
  base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: OWNER.email, password: OWNER.password }),
  });
  cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
});
afterAll(() => t.close());

const withCookie: typeof fetch = (input, init) =>
  fetch(input, { ...init, headers: { ...(init?.headers as object), cookie } });
const connect = (u: string) => new WebSocket(u, { headers: { cookie } }) as unknown as SocketLike;
const publish = (n: number) =>
  t.app.services.events.publish(t.orgId, [{ type: 'org.updated', data: { fields: [`sdk${n}`] } }]);

async function until(pred: () => boolean, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('sdk realtime client', () => {
  it('streams events, and after the server drops it, reconnects and resumes with no gap or duplicate', async () => {
    const got: StoredEvent[] = [];
    const statuses: string[] = [];
    const rt = createRealtime({
      url: `${base.replace('http', 'ws')}/ws`,
      connect,
      onEvent: (e) => got.push(e),
      onStatus: (s) => statuses.push(s),
    });
    await until(() => rt.status() === 'live');
    await publish(1);
    await until(() => got.length === 1);
    // Drop every socket on the server side, publish while the client is away, and let it come back.
    for (const client of t.app.websocketServer.clients) client.terminate();
    await publish(2);
    await publish(3);
    await until(() => got.length === 3);
    await publish(4);
    await until(() => got.length === 4);
    expect(got.map((e) => e.id)).toEqual([got[0]!.id, got[0]!.id + 1, got[0]!.id + 2, got[0]!.id + 3]);
    expect(statuses).toContain('connecting');
    expect(rt.lastId()).toBe(got[3]!.id);
    rt.close();
    expect(rt.status()).toBe('closed');
  });

  it('falls back to polling the REST API while the socket cannot connect', async () => {
    const api = createClient({ baseUrl: base, fetch: withCookie });
    const start = (await api.events.since(0, 1000)).last_id;
    const got: StoredEvent[] = [];
    const rt = createRealtime({
      url: 'ws://127.0.0.1:9/ws', // nothing listens there
      connect,
      since: start,
      onEvent: (e) => got.push(e),
      poll: (since) => api.events.since(since),
      pollIntervalMs: 100,
      pollAfterFailures: 1,
      maxBackoffMs: 200,
    });
    await publish(10);
    await publish(11);
    await until(() => got.length === 2);
    expect(rt.status()).toBe('polling');
    expect(got.map((e) => e.id)).toEqual([start + 1, start + 2]);
    rt.close();
  });
});
