import { z } from 'zod';
import { defineJob } from '../jobs/queue.ts';

/** Events are kept for catch-up only; older ones are deleted every hour. */
export const purgeOldEvents = defineJob({
  id: 'events.purge-old',
  payload: z.object({}).loose(),
  cron: '7 * * * *',
  retry: { limit: 2, delaySeconds: 60, backoff: true },
  async handler(_p, ctx) {
    const deleted = await ctx.services.events.purgeOlderThan(ctx.services.config.EVENTS_RETENTION_HOURS);
    return { deleted };
  },
});
