import { z } from 'zod';
import { defineJob } from '../jobs/queue.ts';
import { syncTemplates } from './sync.job.ts';

/** Every 3 hours: each organisation with an active number gets its catalogue synced. */
export const syncAllTemplates = defineJob({
  id: 'templates.sync-all',
  payload: z.object({}).loose(),
  cron: '17 */3 * * *',
  retry: { limit: 1, delaySeconds: 300, backoff: false },
  async handler(_p, ctx) {
    const orgs = await ctx.services.templates.orgsToSync();
    for (const orgId of orgs) {
      await ctx.services.jobs
        .enqueue(syncTemplates, { orgId }, { singletonKey: `templates:${orgId}` })
        .catch(() => {});
    }
    return { orgs: orgs.length };
  },
});
