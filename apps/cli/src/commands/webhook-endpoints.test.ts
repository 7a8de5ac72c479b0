import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settings } from '../../../server/test/helpers.ts';
import { type CliServer, startCliServer } from '../../test/cli-server.ts';

let server: CliServer;
let receiver: Server;
let hookUrl: string;
const answer = 500;
const ids: string[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    ids.push(String(req.headers['webhook-id']));
    req.resume().on('end', () => res.writeHead(answer).end());
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  server = await startCliServer({ FETCH_ALLOW_PRIVATE: '127.0.0.1' });
});
afterAll(async () => {
  await server?.close();
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
});

describe(`openwaba webhooks endpoints and deliveries on ${settings.backend}`, () => {
  it('creates, lists, shows deliveries, replays one and a range, deletes; bad input exits with a clear message', async () => {
    const { cli, api } = server;
    const empty = await cli(['webhooks', 'endpoints', 'list']);
    expect(empty.out, empty.err).toMatch(/No webhook endpoints/);
    const noEvents = await cli(['webhooks', 'endpoints', 'create', hookUrl]);
    expect(noEvents.code).toBe(2);
    expect(noEvents.err).toMatch(/--events: .*give the event types/);
    const privateUrl = await cli([
      'webhooks',
      'endpoints',
      'create',
      'http://10.0.0.8/x',
      '--events',
      'message.received',
    ]);
    expect(privateUrl.code).not.toBe(0);
    expect(privateUrl.err).toMatch(/private/);
    const badType = await cli(['webhooks', 'endpoints', 'create', hookUrl, '--events', 'message.nope']);
    expect(badType.code).not.toBe(0);
    expect(badType.err).toMatch(/event_types/);
    expect((await api.webhooks.endpoints.list()).data).toEqual([]);

    const created = await cli([
      'webhooks',
      'endpoints',
      'create',
      hookUrl,
      '--events',
      'contact.created,contact.opted_out',
      '--ordered',
    ]);
    expect(created.code, created.err).toBe(0);
    const id = created.out.match(/endpoint ([0-9a-f-]{36})/)![1]!;
    expect(created.out).toMatch(/whsec_/);
    expect((await api.webhooks.endpoints.get(id)).ordered).toBe(true);
    const list = await cli(['webhooks', 'endpoints', 'list']);
    expect(list.out).toContain(hookUrl);
    expect(list.out).toContain('contact.created,contact.opted_out');

    // A test event the receiver refuses (500): retrying on the schedule, and replayed by hand.
    const test = await api.webhooks.endpoints.test(id);
    expect(test).toMatchObject({ state: 'retrying', last_status_code: 500 });
    const log = await cli(['webhooks', 'deliveries', 'list', id]);
    expect(log.code, log.err).toBe(0);
    expect(log.out).toContain(test.id);
    expect(log.out).toContain('retrying');
    const busy = await cli(['webhooks', 'deliveries', 'replay', test.id]);
    expect(busy.code, busy.err).toBe(0);
    expect(busy.out).toContain(test.event_id);

    const since = new Date(Date.now() - 60_000).toISOString();
    const range = await cli([
      'webhooks',
      'deliveries',
      'replay',
      '--endpoint',
      id,
      '--since',
      since,
      '--all',
    ]);
    expect(range.code, range.err).toBe(0);
    expect(range.out).toMatch(/^\d+ deliver(y|ies) will be sent again/);
    const noSince = await cli(['webhooks', 'deliveries', 'replay', '--endpoint', id]);
    expect(noSince.code).toBe(2);
    expect(noSince.err).toMatch(/--since/);
    const both = await cli(['webhooks', 'deliveries', 'replay', test.id, '--endpoint', id, '--since', since]);
    expect(both.code).toBe(2);
    const badDate = await cli(['webhooks', 'deliveries', 'replay', '--endpoint', id, '--since', 'yesterday']);
    expect(badDate.code).toBe(2);
    expect(badDate.err).toMatch(/--since must be a date/);

    const deleted = await cli(['webhooks', 'endpoints', 'delete', id]);
    expect(deleted.code, deleted.err).toBe(0);
    expect((await api.webhooks.endpoints.list()).data).toEqual([]);
    expect((await cli(['webhooks', 'endpoints', 'delete', id])).code).not.toBe(0);
    expect(ids.length).toBeGreaterThanOrEqual(1);
  });
});
