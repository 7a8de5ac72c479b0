import { z } from 'zod';
import { defineJob } from '../jobs/queue.ts';

/** One organisation's catalogue from Meta (cron, webhooks about unknown templates). */
export const syncTemplates = defineJob({
  id: 'templates.sync',
  payload: z.object({ orgId: z.uuid() }),
  retry: { limit: 3, delaySeconds: 60, backoff: true },
  async handler(p, ctx) {
    return ctx.services.templates.sync(p.orgId);
  },
});
