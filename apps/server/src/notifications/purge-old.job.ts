import { z } from 'zod';
import { defineJob } from '../jobs/queue.ts';

/** Notifications older than 30 days are deleted every night. */
export const purgeOldNotifications = defineJob({
  id: 'notifications.purge-old',
  payload: z.object({}).loose(),
  cron: '17 3 * * *',
  retry: { limit: 2, delaySeconds: 300, backoff: true },
  async handler(_p, ctx) {
    return { deleted: await ctx.services.notifications.purgeOlderThan(30) };
  },
});
