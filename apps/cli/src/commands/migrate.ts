import { type Config, openConfiguredDatabase, runMigrations } from '@openwaba/server';
import type { Io } from '../output.ts';

export async function runMigrate(config: Config, io: Io, json: boolean) {
  const database = await openConfiguredDatabase(config);
  try {
    const status = await runMigrations(database);
    if (json) io.out(JSON.stringify({ backend: database.kind, ...status }));
    else
      io.out(
        `Migrations applied: ${status.applied}/${status.expected} (${database.kind === 'pg' ? 'PostgreSQL' : 'embedded'})`,
      );
  } finally {
    await database.close();
  }
}
