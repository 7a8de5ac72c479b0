import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, settings } from '../../test/helpers.ts';
import type { Database } from '../db/client.ts';
import { transaction } from '../db/tx.ts';
import { upsertContacts } from './repo.ts';

let test: Awaited<ReturnType<typeof createTestDatabase>>;
let database: Database;
let orgId: string;
let otherOrg: string;

beforeAll(async () => {
  test = await createTestDatabase();
  database = test.database;
  [orgId, otherOrg] = (
    await database.query<{ id: string }>(`insert into orgs (name) values ('A'), ('B') returning id`)
  ).map((r) => r.id) as [string, string];
}, 60_000);
afterAll(() => test.drop());

const read = (waId: string, org = orgId) =>
  database
    .query<{
      name: string | null;
      user_id: string | null;
      country: string | null;
      fields: unknown;
      last_inbound_at: Date | null;
      updated_at: Date;
    }>(
      'select name, user_id, country, fields, last_inbound_at, updated_at from contacts where org_id = $1 and wa_id = $2',
      [org, waId],
    )
    .then((r) => r[0]);
const byWa = <T extends { wa_id: string }>(rows: T[]) =>
  Object.fromEntries(rows.map(({ wa_id, ...r }) => [wa_id, r]));

describe(`upsertContacts on ${settings.backend}`, () => {
  it('keep (an audience, a create): creates the missing, reads back the others untouched, once per phone', async () => {
    const first = await upsertContacts(database.db, orgId, [
      { waId: '447700900001', name: 'Ana', country: 'GB', fields: { tier: 'gold' } },
    ]);
    expect(first).toMatchObject([
      { wa_id: '447700900001', name: 'Ana', fields: { tier: 'gold' }, created: true },
    ]);
    const rows = await upsertContacts(database.db, orgId, [
      { waId: '447700900001', name: 'Someone else' },
      { waId: '447700900002' },
      { waId: '447700900002' },
    ]);
    expect(byWa(rows)).toEqual({
      '447700900001': { id: first[0]!.id, name: 'Ana', fields: { tier: 'gold' }, created: false },
      '447700900002': { id: expect.any(String), name: null, fields: {}, created: true },
    });
    expect(await read('447700900001')).toMatchObject({ name: 'Ana', country: 'GB' });
    // The same phone in another organisation is another contact.
    const [other] = await upsertContacts(database.db, otherOrg, [{ waId: '447700900001' }]);
    expect(other).toMatchObject({ created: true, name: null });
    expect(other!.id).not.toBe(first[0]!.id);
    expect(await upsertContacts(database.db, orgId, [])).toEqual([]);
  });

  it('inbound (a customer wrote): the profile refreshed when given, the inbound time only moves forward', async () => {
    const t0 = Date.parse('2030-01-01T10:00:00Z');
    const [c] = await upsertContacts(
      database.db,
      orgId,
      [{ waId: '447700900010', name: 'Bo', userId: 'US.1', lastInboundAt: t0 }],
      { existing: 'inbound' },
    );
    expect(c).toMatchObject({ created: true, name: 'Bo' });
    // Several messages of one customer in one batch: the later non-null values win, the latest time.
    const rows = await upsertContacts(
      database.db,
      orgId,
      [
        { waId: '447700900010', name: 'Bob', userId: null, lastInboundAt: t0 + 60_000 },
        { waId: '447700900010', name: null, lastInboundAt: t0 - 60_000 },
      ],
      { existing: 'inbound' },
    );
    expect(rows).toMatchObject([{ id: c!.id, name: 'Bob', created: false }]);
    expect(await read('447700900010')).toMatchObject({
      name: 'Bob',
      user_id: 'US.1',
      last_inbound_at: new Date(t0 + 60_000),
    });
    await upsertContacts(database.db, orgId, [{ waId: '447700900010', lastInboundAt: t0 }], {
      existing: 'inbound',
    });
    expect((await read('447700900010'))!.last_inbound_at).toEqual(new Date(t0 + 60_000));
  });

  it('lock (a send to a phone): an existing contact keeps every value, a new one gets its country', async () => {
    await upsertContacts(database.db, orgId, [{ waId: '447700900020', name: 'Cy' }]);
    const before = await read('447700900020');
    const rows = await transaction(database.db, (tx) =>
      upsertContacts(
        tx,
        orgId,
        [
          { waId: '447700900020', country: 'GB' },
          { waId: '447700900021', country: 'GB' },
        ],
        { existing: 'lock' },
      ),
    );
    expect(byWa(rows)).toMatchObject({
      '447700900020': { name: 'Cy', created: false },
      '447700900021': { name: null, created: true },
    });
    expect(await read('447700900020')).toEqual(before);
    expect(await read('447700900021')).toMatchObject({ country: 'GB' });
  });

  it.runIf(settings.backend === 'pg')(
    'keep: a phone another transaction creates meanwhile is read back once it commits',
    async () => {
      const other = test.connect();
      let release!: () => void;
      const held = new Promise<void>((r) => {
        release = r;
      });
      let inserted!: () => void;
      const started = new Promise<void>((r) => {
        inserted = r;
      });
      // Another process creates the phone and holds its transaction open.
      const creating = transaction(other.db, async (tx) => {
        const [c] = await upsertContacts(tx, orgId, [{ waId: '447700900030', name: 'Di' }]);
        inserted();
        await held;
        return c!;
      });
      await started;
      const upserting = upsertContacts(database.db, orgId, [
        { waId: '447700900031' },
        { waId: '447700900030' },
      ]);
      await new Promise((r) => setTimeout(r, 200));
      release();
      const created = await creating;
      expect(byWa(await upserting)).toEqual({
        '447700900030': { id: created.id, name: 'Di', fields: {}, created: false },
        '447700900031': { id: expect.any(String), name: null, fields: {}, created: true },
      });
    },
  );
});
