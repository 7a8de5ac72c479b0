import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { Database } from './client.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));
// Any fixed 64-bit key works; this one spells "openwaba" loosely.
const MIGRATION_LOCK_KEY = 0x0be_a7ba;

export function expectedMigrations(): number {
  const journal = JSON.parse(readFileSync(`${MIGRATIONS_DIR}/meta/_journal.json`, 'utf8')) as {
    entries: unknown[];
  };
  return journal.entries.length;
}

/**
 * Applies pending migrations. Safe when several processes start together: they queue on an
 * advisory lock and the later ones find nothing left to do.
 */
export async function runMigrations(database: Database): Promise<{ applied: number; expected: number }> {
  await database.withAdvisoryLock(MIGRATION_LOCK_KEY, async (db) => {
    if (database.kind === 'pg')
      await migratePg(db as unknown as NodePgDatabase, { migrationsFolder: MIGRATIONS_DIR });
    else await migratePglite(db as unknown as PgliteDatabase, { migrationsFolder: MIGRATIONS_DIR });
  });
  return migrationStatus(database);
}

export async function migrationStatus(database: Database): Promise<{ applied: number; expected: number }> {
  const expected = expectedMigrations();
  try {
    const rows = await database.query<{ n: string | number }>(
      'select count(*) as n from drizzle.__drizzle_migrations',
    );
    return { applied: Number(rows[0]?.n ?? 0), expected };
  } catch {
    return { applied: 0, expected };
  }
}
