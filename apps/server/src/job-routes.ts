import { JobListQuery, JobPage, JobParams, Ok } from '@openwaba/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { actorOf, recordAudit } from './audit/service.ts';
import type { JobQueue } from './jobs/queue.ts';
import { authOf } from './lib/http.ts';

/**
 * Admins see their organisation's background jobs and run a failed one again. Beside `job-list.ts`
 * (not in jobs/, which knows no domain): a retry is audited, in the retry's transaction.
 */
export const jobRoutes =
  (deps: { jobs: JobQueue }): FastifyPluginAsyncZod =>
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
        await deps.jobs.retry(ctx.orgId, req.params.queue, req.params.id, (tx) =>
          recordAudit(tx, actorOf(ctx), {
            action: 'job.retry',
            entityType: 'job',
            entityId: req.params.id,
            after: { queue: req.params.queue },
          }),
        );
        return { ok: true as const };
      },
    );
  };
