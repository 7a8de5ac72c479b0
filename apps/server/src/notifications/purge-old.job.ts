import { z } from 'zod';
import { defineJob, type JobContext } from '../jobs/queue.ts';
import type { NotificationService } from './service.ts';

export interface PurgeOldNotificationsDeps {
  notifications: Pick<NotificationService, 'purgeOlderThan'>;
}

/** Notifications older than 30 days are deleted every night. */
export const purgeOldNotifications = defineJob({
  id: 'notifications.purge-old',
  payload: z.object({}).loose(),
  cron: '17 3 * * *',
  retry: { limit: 2, delaySeconds: 300, backoff: true },
  async handler(_p, ctx: JobContext<PurgeOldNotificationsDeps>) {
    return { deleted: await ctx.deps.notifications.purgeOlderThan(30) };
  },
});
