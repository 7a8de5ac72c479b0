import { Health, Ready } from '@openwaba/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Database } from '../db/client.ts';
import { migrationStatus } from '../db/migrate.ts';

export const healthRoutes =
  (deps: { database: Database }): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/healthz',
      {
        logLevel: 'warn',
        schema: { tags: ['ops'], summary: 'The process is up', response: { 200: Health } },
      },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/readyz',
      {
        logLevel: 'warn',
        schema: {
          tags: ['ops'],
          summary: 'The database is reachable and migrated',
          response: { 200: Ready, 503: Ready },
        },
      },
      async (_req, reply) => {
        let database: 'up' | 'down' = 'up';
        let migrations = { applied: 0, expected: 0 };
        try {
          await deps.database.query('select 1');
          migrations = await migrationStatus(deps.database);
        } catch {
          database = 'down';
        }
        const ready = database === 'up' && migrations.applied >= migrations.expected;
        return reply
          .code(ready ? 200 : 503)
          .send({ status: ready ? 'ready' : 'not_ready', database, migrations });
      },
    );
  };
