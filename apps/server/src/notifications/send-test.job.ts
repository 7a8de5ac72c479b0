import { z } from 'zod';
import { defineJob, type JobContext } from '../jobs/queue.ts';
import type { NotificationService } from './service.ts';

export interface SendTestNotificationDeps {
  notifications: Pick<NotificationService, 'notify'>;
}

/** "Send a test notification" in Settings: runs on a worker, so it also proves the worker → browser path. */
export const sendTestNotification = defineJob({
  id: 'notifications.send-test',
  payload: z.object({ orgId: z.uuid(), userId: z.uuid() }),
  retry: { limit: 3, delaySeconds: 5, backoff: true },
  async handler(p, ctx: JobContext<SendTestNotificationDeps>) {
    const [n] = await ctx.deps.notifications.notify(
      { orgId: p.orgId, userIds: [p.userId] },
      {
        type: 'test',
        title: 'Test notification',
        message: 'Notifications reach you live. This one was sent by a background worker.',
        actionUrl: '/settings/notifications',
      },
    );
    return { notification_id: n?.id };
  },
});
