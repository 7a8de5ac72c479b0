import { JobListQuery, JobPage, JobParams, Ok } from '@openwaba/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { actorOf, recordAudit } from '../audit/service.ts';
import type { Db } from '../db/client.ts';
import { authOf } from '../lib/http.ts';
import type { JobQueue } from './queue.ts';

export const jobRoutes =
  (deps: { jobs: JobQueue; db: Db }): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['jobs'];
    app.get(
      '/api/v1/jobs',
      {
        config: { access: 'jobs.manage' },
        schema: {
          tags,
          summary: 'Background jobs of this organisation by state (default: failed)',
          querystring: JobListQuery,
          response: { 200: JobPage },
        },
      },
      async (req) => ({ data: await deps.jobs.list(authOf(req).orgId, req.query) }),
    );

    app.post(
      '/api/v1/jobs/:queue/:id/retry',
      {
        config: { access: 'jobs.manage' },
        schema: { tags, summary: 'Run a failed job again', params: JobParams, response: { 200: Ok } },
      },
      async (req) => {
        const ctx = authOf(req);
        await deps.jobs.retry(ctx.orgId, req.params.queue, req.params.id);
        await recordAudit(deps.db, actorOf(ctx), {
          action: 'job.retry',
          entityType: 'job',
          entityId: req.params.id,
          after: { queue: req.params.queue },
        });
        return { ok: true as const };
      },
    );
  };
