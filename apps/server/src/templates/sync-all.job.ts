import { z } from 'zod';
import { defineJob, type JobContext, type JobQueue } from '../jobs/queue.ts';
import type { TemplateService } from './service.ts';
import { syncTemplates } from './sync.job.ts';

export interface SyncAllTemplatesDeps {
  templates: Pick<TemplateService, 'orgsToSync'>;
  jobs: Pick<JobQueue, 'enqueue'>;
}

/** Every 3 hours: each organisation with an active number gets its catalogue synced. */
export const syncAllTemplates = defineJob({
  id: 'templates.sync-all',
  payload: z.object({}).loose(),
  cron: '17 */3 * * *',
  retry: { limit: 1, delaySeconds: 300, backoff: false },
  async handler(_p, ctx: JobContext<SyncAllTemplatesDeps>) {
    const orgs = await ctx.deps.templates.orgsToSync();
    for (const orgId of orgs) {
      await ctx.deps.jobs
        .enqueue(syncTemplates, { orgId }, { singletonKey: `templates:${orgId}` })
        .catch(() => {});
    }
    return { orgs: orgs.length };
  },
});
