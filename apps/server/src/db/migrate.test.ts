import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, settings } from '../../test/helpers.ts';
import { expectedMigrations, migrationStatus, runMigrations } from './migrate.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe(`migrations on ${settings.backend}`, () => {
  it('apply from nothing, report status, and are idempotent', async () => {
    const t = await createTestDatabase({ migrate: false });
    cleanups.push(t.drop);
    expect(await migrationStatus(t.database)).toEqual({ applied: 0, expected: expectedMigrations() });
    expect(await runMigrations(t.database)).toEqual({
      applied: expectedMigrations(),
      expected: expectedMigrations(),
    });
    expect(await runMigrations(t.database)).toEqual({
      applied: expectedMigrations(),
      expected: expectedMigrations(),
    });
    const tables = await t.database.query<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = 'public' order by table_name",
    );
    expect(tables.map((r) => r.table_name)).toEqual(
      expect.arrayContaining([
        'orgs',
        'org_settings',
        'users',
        'memberships',
        'invitations',
        'sessions',
        'refresh_tokens',
      ]),
    );
  });

  it('two processes starting together both succeed and apply each migration once', async () => {
    const t = await createTestDatabase({ migrate: false });
    cleanups.push(t.drop);
    // On PostgreSQL, separate pools stand in for separate processes; PGlite is one connection.
    const handles =
      settings.backend === 'pg'
        ? [t.database, t.connect(), t.connect(), t.connect()]
        : [t.database, t.database];
    const results = await Promise.all(handles.map((h) => runMigrations(h)));
    for (const r of results)
      expect(r).toEqual({ applied: expectedMigrations(), expected: expectedMigrations() });
    const rows = await t.database.query<{ n: string }>(
      'select count(*) as n from drizzle.__drizzle_migrations',
    );
    expect(Number(rows[0]!.n)).toBe(expectedMigrations());
  });
});
