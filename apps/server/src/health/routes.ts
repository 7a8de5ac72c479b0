import { createHash, timingSafeEqual } from 'node:crypto';
import { AppVersion, Health, Ready } from '@openwaba/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config } from '../config.ts';
import type { Database } from '../db/client.ts';
import { migrationStatus } from '../db/migrate.ts';
import type { JobQueue } from '../jobs/queue.ts';
import type { Metrics } from '../lib/metrics.ts';
import { graphVersionWarning } from '../whatsapp/graph-versions.ts';
import { appVersion } from './version.ts';

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Whether `Authorization` carries the metrics token. Compared as digests in constant time: `===`
 * stops at the first differing character, and how long it took would tell a patient caller how
 * much of their guess was right.
 */
function hasToken(authorization: string | undefined, token: string) {
  const m = /^bearer\s+(.+)$/i.exec(authorization ?? '');
  return m ? timingSafeEqual(digest(m[1]!.trim()), digest(token)) : false;
}

export const healthRoutes =
  (deps: { database: Database; jobs: JobQueue; metrics: Metrics; config: Config }): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/healthz',
      {
        // Probes are logged at debug, like every GET outside the API (lib/log.ts).
        schema: { tags: ['ops'], summary: 'The process is up', response: { 200: Health } },
      },
      async () => {
        const warning = graphVersionWarning(deps.config.META_GRAPH_VERSION);
        return { status: 'ok' as const, ...(warning ? { warnings: [warning] } : {}) };
      },
    );

    app.get(
      '/readyz',
      {
        schema: {
          tags: ['ops'],
          summary: 'The database is reachable and migrated, and the job system is healthy',
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
        const jobs = deps.jobs.health();
        const ready = database === 'up' && migrations.applied >= migrations.expected && jobs.ok;
        return reply
          .code(ready ? 200 : 503)
          .send({ status: ready ? 'ready' : 'not_ready', database, migrations, jobs });
      },
    );

    // Prometheus. With METRICS_TOKEN set it needs that bearer token; without, only this machine may read it.
    app.get('/metrics', { schema: { hide: true } }, async (req, reply) => {
      const token = deps.config.METRICS_TOKEN;
      const allowed = token
        ? hasToken(req.headers.authorization, token)
        : LOOPBACK.test(req.socket.remoteAddress ?? '');
      if (!allowed) return reply.code(404).send({ error: { code: 'NOT_FOUND', message: 'Not found' } });
      for (const [queue, n] of Object.entries(await deps.jobs.depths().catch(() => ({})))) {
        deps.metrics.jobsQueued.set({ queue }, n);
      }
      return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
    });
  };

/**
 * What is running, for monitoring and the dashboard's footer and About card. Public, like /healthz:
 * versions only, never a path or a setting beyond the Graph API version.
 */
export const versionRoutes =
  (deps: { config: Config }): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/api/v1/version',
      {
        config: { access: 'public' },
        schema: {
          tags: ['ops'],
          summary: "openwaba's version and commit, and the Graph API version it calls Meta with",
          response: { 200: AppVersion },
        },
      },
      async () => ({
        ...appVersion(),
        graph_api_version: deps.config.META_GRAPH_VERSION,
      }),
    );
  };
