import type { DomainEvent } from '@openwaba/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cookieHeader,
  createTestApp,
  openSocket,
  settings,
  type TestApp,
  type TestClient,
} from '../../test/helpers.ts';
import { silentLog } from '../lib/log.ts';
import { createMetrics } from '../lib/metrics.ts';
import { createRealtimeHub, type HubSocket } from './hub.ts';

let t: TestApp;
let url: string;
let owner: TestClient;
let otherOrg: { orgId: string; client: TestClient };

const orgUpdated = (n: number): DomainEvent => ({ type: 'org.updated', data: { fields: [`f${n}`] } });
type Frame = Record<string, unknown> & { type: string; id?: number; event?: DomainEvent };
/** Every event received, whether it came alone (`event`) or batched (`events`). */
const eventsOf = (frames: Record<string, unknown>[]) =>
  (frames as Frame[]).flatMap((f) =>
    f.type === 'event'
      ? [f]
      : f.type === 'events'
        ? (f.events as Frame[]).map((e) => ({ ...e, type: 'event' }))
        : [],
  );

beforeAll(async () => {
  t = await createTestApp();
  url = await t.app.listen({ port: 0, host: '127.0.0.1' });
  owner = await t.owner();
  const seeded = await t.app.services.orgs.setupOwner({
    email: 'other@example.com',
    password: 'another password 1',
    orgName: 'Other',
  });
  const c = t.client();
  await c.login('other@example.com', 'another password 1');
  otherOrg = { orgId: seeded.orgId, client: c };
});
afterAll(() => t.close());

describe(`realtime WebSocket on ${settings.backend}`, () => {
  it('refuses a connection without a session, and a cookie session from another origin', async () => {
    await expect(openSocket(url, {})).rejects.toThrow(/HTTP 401/);
    await expect(
      openSocket(url, { cookie: cookieHeader(owner), origin: 'https://evil.example' }),
    ).rejects.toThrow(/HTTP 403/);
    await expect(openSocket(url, { cookie: 'ow_access=not-a-token' })).rejects.toThrow(/HTTP 401/);
  });

  it('streams events of its own organisation only, in id order', async () => {
    const a = await openSocket(url, { cookie: cookieHeader(owner) });
    const b = await openSocket(url, { cookie: cookieHeader(otherOrg.client) });
    a.send({ type: 'subscribe' });
    b.send({ type: 'subscribe' });
    await a.waitFor((f) => f.some((x) => x.type === 'ready'));
    await b.waitFor((f) => f.some((x) => x.type === 'ready'));
    for (let i = 0; i < 5; i++) await t.app.services.events.publish(t.orgId, [orgUpdated(i)]);
    await t.app.services.events.publish(otherOrg.orgId, [orgUpdated(100)]);
    await a.waitFor((f) => eventsOf(f).length === 5);
    await b.waitFor((f) => eventsOf(f).length === 1);
    const ids = eventsOf(a.frames).map((f) => f.id!);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(new Set(ids).size).toBe(5);
    expect(eventsOf(a.frames).map((f) => (f.event as { data: { fields: string[] } }).data.fields[0])).toEqual(
      ['f0', 'f1', 'f2', 'f3', 'f4'],
    );
    expect((eventsOf(b.frames)[0]!.event as { data: { fields: string[] } }).data.fields).toEqual(['f100']);
    await new Promise((r) => setTimeout(r, 100));
    expect(eventsOf(a.frames)).toHaveLength(5);
    a.ws.close();
    b.ws.close();
  });

  it('an org update made through the API reaches the socket after commit', async () => {
    const a = await openSocket(url, { cookie: cookieHeader(owner) });
    a.send({ type: 'subscribe' });
    await a.waitFor((f) => f.some((x) => x.type === 'ready'));
    expect((await owner.patch('/api/v1/org', { name: 'Acme Live' })).statusCode).toBe(200);
    await a.waitFor((f) => eventsOf(f).some((e) => e.event!.type === 'org.updated'));
    a.ws.close();
  });

  it('catches up after a reconnect with no gap and no duplicate', async () => {
    const a = await openSocket(url, { cookie: cookieHeader(owner) });
    a.send({ type: 'subscribe' });
    await a.waitFor((f) => f.some((x) => x.type === 'ready'));
    await t.app.services.events.publish(t.orgId, [orgUpdated(1), orgUpdated(2)]);
    await a.waitFor((f) => eventsOf(f).length === 2);
    const lastSeen = eventsOf(a.frames).at(-1)!.id!;
    a.ws.close();
    await a.closed;
    for (let i = 3; i <= 700; i++) await t.app.services.events.publish(t.orgId, [orgUpdated(i)]);
    const b = await openSocket(url, { cookie: cookieHeader(owner) });
    b.send({ type: 'subscribe', since: lastSeen });
    const live = t.app.services.events.publish(t.orgId, [orgUpdated(701)]);
    await live;
    await b.waitFor((f) => eventsOf(f).length === 699, 15_000);
    const ids = eventsOf(b.frames).map((f) => f.id!);
    expect(ids[0]).toBe(lastSeen + 1);
    expect(ids).toEqual(Array.from({ length: 699 }, (_, i) => lastSeen + 1 + i));
    await new Promise((r) => setTimeout(r, 200));
    expect(eventsOf(b.frames)).toHaveLength(699);
    b.ws.close();
  });

  it('tells a client whose last id is no longer kept to refetch', async () => {
    await t.app.services.events.publish(t.orgId, [orgUpdated(1)]);
    await t.database.query('delete from events where org_id = $1', [t.orgId]);
    await t.app.services.events.publish(t.orgId, [orgUpdated(2)]);
    const a = await openSocket(url, { cookie: cookieHeader(owner) });
    a.send({ type: 'subscribe', since: 1 });
    await a.waitFor((f) => f.some((x) => x.type === 'resync'));
    const resync = a.frames.find((x) => x.type === 'resync') as { last_id: number };
    const rest = await owner.get(`/api/v1/events?since=1`);
    expect(rest.json()).toMatchObject({ resync: true, last_id: resync.last_id, data: [] });
    a.ws.close();
  });

  it('delivers a user’s own events (notifications) to that user only', async () => {
    const viewer = await t.member('viewer');
    const me = (await viewer.get('/api/v1/me')).json();
    const a = await openSocket(url, { cookie: cookieHeader(owner) });
    const v = await openSocket(url, { cookie: cookieHeader(viewer) });
    a.send({ type: 'subscribe' });
    v.send({ type: 'subscribe' });
    await a.waitFor((f) => f.some((x) => x.type === 'ready'));
    await v.waitFor((f) => f.some((x) => x.type === 'ready'));
    await t.app.services.notifications.notify(
      { orgId: t.orgId, userIds: [me.user.id] },
      { type: 'test', title: 'Only for the viewer', message: 'hi' },
    );
    await v.waitFor((f) => eventsOf(f).some((e) => e.event!.type === 'notification.created'));
    await t.app.services.events.publish(t.orgId, [orgUpdated(9)]);
    await a.waitFor((f) => eventsOf(f).some((e) => e.event!.type === 'org.updated'));
    expect(eventsOf(a.frames).some((e) => e.event!.type === 'notification.created')).toBe(false);
    a.ws.close();
    v.ws.close();
  });

  it('answers ping, and closes on a frame that is not valid', async () => {
    const a = await openSocket(url, { cookie: cookieHeader(owner) });
    a.send({ type: 'ping' });
    await a.waitFor((f) => f.some((x) => x.type === 'pong'));
    a.send({ type: 'subscribe', since: -5 });
    const closed = await a.closed;
    expect(closed.code).toBe(4002);
    expect(a.frames.some((x) => x.type === 'error')).toBe(true);
  });

  it('caps the sockets one user holds (WS_MAX_CONNECTIONS_PER_USER), with a clear close', async () => {
    const max = t.config.WS_MAX_CONNECTIONS_PER_USER;
    const busy = await t.member('agent', 'many-tabs@example.com');
    const sockets = [];
    for (let i = 0; i < max; i++) sockets.push(await openSocket(url, { cookie: cookieHeader(busy) }));
    const extra = await openSocket(url, { cookie: cookieHeader(busy) });
    expect(await extra.closed).toEqual({
      code: 4029,
      reason: `too many connections: at most ${max} per user`,
    });
    // Another user is not affected …
    const other = await openSocket(url, { cookie: cookieHeader(owner) });
    other.send({ type: 'ping' });
    await other.waitFor((f) => f.some((x) => x.type === 'pong'));
    other.ws.close();
    // … and a closed socket frees its place.
    sockets[0]!.ws.close();
    await sockets[0]!.closed;
    const again = await openSocket(url, { cookie: cookieHeader(busy) });
    again.send({ type: 'ping' });
    await again.waitFor((f) => f.some((x) => x.type === 'pong'));
    for (const s of [...sockets.slice(1), again]) s.ws.close();
  });

  it('closes the socket when its session is revoked', async () => {
    const c = t.client();
    await c.login('owner@example.com', 'correct horse battery');
    const a = await openSocket(url, { cookie: cookieHeader(c) });
    a.send({ type: 'subscribe' });
    await a.waitFor((f) => f.some((x) => x.type === 'ready'));
    await c.post('/api/v1/auth/logout');
    const hub = createRealtimeHub({
      database: t.database,
      events: t.app.services.events,
      log: silentLog,
      metrics: createMetrics(),
      heartbeatMs: 50,
      sessionAlive: (sub) => t.app.services.auth.sessionAlive(sub),
    });
    // The app's hub checks sessions every WS_HEARTBEAT_SECONDS; a second hub with a short beat shows the rule.
    const fake = fakeSocket();
    const me = (await owner.get('/api/v1/me')).json();
    await hub.start();
    const sub = hub.attach(
      { orgId: t.orgId, userId: me.user.id, sessionId: '00000000-0000-4000-8000-000000000000' },
      fake,
    );
    await hub.subscribe(sub, undefined, {});
    await waitUntil(() => fake.closedWith !== undefined);
    expect(fake.closedWith).toBe(4010);
    await hub.stop();
    a.ws.close();
  });

  it('drops a client that does not keep up instead of buffering for it', async () => {
    const hub = createRealtimeHub({
      database: t.database,
      events: t.app.services.events,
      log: silentLog,
      metrics: createMetrics(),
      maxBufferedBytes: 1000,
      sessionAlive: async () => true,
    });
    await hub.start();
    const slow = fakeSocket();
    const me = (await owner.get('/api/v1/me')).json();
    const sub = hub.attach({ orgId: t.orgId, userId: me.user.id, sessionId: me.session_id }, slow);
    await hub.subscribe(sub, undefined, {});
    slow.buffered = 5000;
    await t.app.services.events.publish(t.orgId, [orgUpdated(1)]);
    await waitUntil(() => slow.closedWith !== undefined);
    expect(slow.closedWith).toBe(4008);
    expect(hub.stats().subscribers).toBe(0);
    await hub.stop();
  });
});

function fakeSocket() {
  const s = {
    buffered: 0,
    sent: [] as string[],
    closedWith: undefined as number | undefined,
    get bufferedAmount() {
      return s.buffered;
    },
    send(d: string | Buffer) {
      s.sent.push(String(d));
    },
    close(code?: number) {
      s.closedWith = code;
    },
    terminate() {
      s.closedWith = -1;
    },
    ping() {},
  };
  return s satisfies HubSocket;
}

async function waitUntil(pred: () => boolean, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
