import type { EventService } from '../events/service.ts';
import type { NotificationService } from '../notifications/service.ts';

/** A job of an organisation failed for good: tell its admins (event + notification). */
export async function reportFailedJob(
  deps: { events: EventService; notifications: NotificationService },
  queue: string,
  job: { id: string; data: unknown },
  err: Error,
) {
  const orgId = (job.data as { orgId?: unknown } | null)?.orgId;
  if (typeof orgId !== 'string') return;
  const error = err.message.slice(0, 500);
  await deps.events.publish(orgId, [{ type: 'job.failed', data: { job_id: job.id, queue, error } }]);
  await deps.notifications.notifyRole(orgId, 'admin', {
    type: 'job.failed',
    title: `A background job failed: ${queue}`,
    message: error,
    actionUrl: '/settings/jobs',
    relatedEntityType: 'job',
    relatedEntityId: job.id,
  });
}
