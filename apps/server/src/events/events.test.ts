import type { DomainEvent } from '@openwaba/contracts';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, settings, type TestApp } from '../../test/helpers.ts';
import { orgs } from '../db/schema.ts';
import { transaction } from '../db/tx.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const count = async () =>
  Number(
    (
      await t.database.query<{ n: string }>('select count(*) as n from events where org_id = $1', [t.orgId])
    )[0]!.n,
  );

describe(`domain events on ${settings.backend}`, () => {
  it('are published only after the transaction commits, and not at all when it rolls back', async () => {
    const before = await count();
    let seenInside = -1;
    await expect(
      transaction(t.database.db, async (tx, onCommit) => {
        await tx.update(orgs).set({ name: 'Rolled back' }).where(eq(orgs.id, t.orgId));
        onCommit(() =>
          t.app.services.events.publish(t.orgId, [{ type: 'org.updated', data: { fields: ['name'] } }]),
        );
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await count()).toBe(before);

    await transaction(t.database.db, async (tx, onCommit) => {
      await tx.update(orgs).set({ name: 'Committed' }).where(eq(orgs.id, t.orgId));
      onCommit(() =>
        t.app.services.events.publish(t.orgId, [{ type: 'org.updated', data: { fields: ['name'] } }]),
      );
      const rows = (await tx.execute(
        sql`select count(*)::int as n from events where org_id = ${t.orgId}`,
      )) as unknown as {
        rows: { n: number }[];
      };
      seenInside = Number(rows.rows[0]!.n);
    });
    expect(seenInside).toBe(before);
    expect(await count()).toBe(before + 1);
  });

  it('get gapless, increasing ids per organisation under concurrent publishers', async () => {
    const start = (await t.app.services.events.page({ orgId: t.orgId, userId: t.ownerId }, 0, 1)).last_id;
    const ids = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        t.app.services.events.publish(t.orgId, [{ type: 'org.updated', data: { fields: [`c${i}`] } }]),
      ),
    );
    expect([...ids].sort((a, b) => a! - b!)).toEqual(Array.from({ length: 30 }, (_, i) => start + 1 + i));
    const page = await t.app.services.events.page({ orgId: t.orgId, userId: t.ownerId }, start, 1000);
    expect(page.data.map((e) => e.id)).toEqual(Array.from({ length: 30 }, (_, i) => start + 1 + i));
    expect(page.last_id).toBe(start + 30);
  });

  it('an invalid event is refused (logged), never stored', async () => {
    const before = await count();
    const bogus = { type: 'org.exploded', data: {} } as unknown as DomainEvent;
    expect(await t.app.services.events.publish(t.orgId, [bogus])).toBeUndefined();
    expect(await count()).toBe(before);
  });

  it('GET /api/v1/events validates its query and pages', async () => {
    const owner = await t.owner();
    expect((await owner.get('/api/v1/events')).statusCode).toBe(400);
    expect((await owner.get('/api/v1/events?since=-1')).statusCode).toBe(400);
    const r = await owner.get('/api/v1/events?since=0&limit=5');
    expect(r.statusCode).toBe(200);
    expect(r.json().data).toHaveLength(5);
    expect(r.json().last_id).toBe(r.json().data[4].id);
    expect((await t.client().get('/api/v1/events?since=0')).statusCode).toBe(401);
  });

  it('old events are purged by the retention job handler', async () => {
    await t.database.query(`update events set created_at = now() - interval '100 hours' where org_id = $1`, [
      t.orgId,
    ]);
    await t.app.services.events.publish(t.orgId, [{ type: 'org.updated', data: { fields: ['fresh'] } }]);
    const deleted = await t.app.services.events.purgeOlderThan(72);
    expect(deleted).toBeGreaterThan(30);
    expect(await count()).toBe(1);
  });
});
