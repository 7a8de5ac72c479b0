import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../test/helpers/until.ts';
import { createTestDatabase, settings, testConfig } from '../../test/helpers.ts';
import { createServices, type Services } from '../services.ts';

/**
 * Two worker processes (two service sets on two connection pools to one PostgreSQL database) fan out
 * and deliver the same organisation's events at once: every event becomes one delivery per endpoint
 * and reaches each receiver once.
 */
let server: Server;
let base: string;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let workers: Services[] = [];
const got = new Map<string, number>();

beforeAll(async () => {
  if (settings.backend !== 'pg') return;
  server = createServer((req, res) => {
    const key = `${req.url}|${req.headers['webhook-id']}`;
    got.set(key, (got.get(key) ?? 0) + 1);
    req.resume().on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  db = await createTestDatabase({ poolMax: 8 });
  const config = testConfig({ FETCH_ALLOW_PRIVATE: '127.0.0.1', WEBHOOK_BATCH_SIZE: '20' });
  const appSecret = config.APP_SECRET!;
  workers = [
    createServices({ config, database: db.database, appSecret }),
    createServices({ config, database: db.connect(), appSecret }),
  ];
});
afterAll(async () => {
  for (const w of workers) await w.webhooks.stop();
  await db?.drop();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

describe.runIf(settings.backend === 'pg')('webhooks with two worker processes on PostgreSQL', () => {
  it('makes one delivery per event and endpoint, and each receiver gets each event once', async () => {
    const [a, b] = workers as [Services, Services];
    const { orgId, userId } = await a.orgs.setupOwner({
      email: 'multi@example.com',
      password: 'multi password 123',
      orgName: 'Multi',
    });
    const ctx = { orgId, userId, role: 'owner' as const, sessionId: 'test' };
    for (const p of ['/one', '/two'])
      await a.webhooks.create(ctx, {
        url: base + p,
        description: '',
        event_types: ['conversation.updated'],
        ordered: p === '/two',
        max_concurrency: 10,
      });
    await Promise.all([a.webhooks.start({ pollMs: 100 }), b.webhooks.start({ pollMs: 100 })]);
    const convs = Array.from({ length: 5 }, () => randomUUID());
    const N = 300;
    // Published from both processes, in small commits, while both fan out and deliver.
    for (let i = 0; i < N; i += 10) {
      await (i % 20 ? a : b).events.publish(
        orgId,
        Array.from({ length: 10 }, (_, j) => ({
          type: 'conversation.updated' as const,
          data: { conversation_id: convs[(i + j) % 5]!, fields: [String(i + j)] },
        })),
      );
    }
    await until('every event at both endpoints', () => got.size === 2 * N, 30_000);
    expect([...got.values()].every((n) => n === 1)).toBe(true);
    // Outcomes are written a few milliseconds after the answers: wait for the last ones.
    const succeeded = () =>
      db.database.query<{ n: number; events: number }>(
        `select count(*)::int as n, count(distinct event_id)::int as events from webhook_deliveries where state = 'succeeded'`,
      );
    await until('every outcome written', async () => (await succeeded())[0]!.n >= 2 * N, 10_000);
    const [row] = await succeeded();
    expect(row).toEqual({ n: 2 * N, events: N });
  });
});
