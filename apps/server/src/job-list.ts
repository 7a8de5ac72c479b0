import { labelMessage } from './ai/label.job.ts';
import type { AiReplies } from './ai/replies.ts';
import { purgeRateLimits } from './auth/purge-rate-limits.job.ts';
import type { RateLimiter } from './auth/rate-limit.ts';
import type { Chain } from './automation/chain.ts';
import { sweepAutomation } from './automation/sweep.job.ts';
import type { CampaignService } from './campaigns/service.ts';
import { startDueCampaigns } from './campaigns/start-due.job.ts';
import { importContactFile } from './contacts/import/import-file.job.ts';
import { purgeImportUploads } from './contacts/import/purge-uploads.job.ts';
import type { ContactImportService } from './contacts/import/service.ts';
import { purgeOldEvents } from './events/purge-old.job.ts';
import type { EventService } from './events/service.ts';
import { purgeIdempotencyKeys } from './idempotency/purge.job.ts';
import type { Idempotency } from './idempotency/service.ts';
import { processWebhookEvent } from './inbound/process-event.job.ts';
import { processPendingWebhookEvents } from './inbound/process-pending.job.ts';
import type { InboundService } from './inbound/service.ts';
import { type BoundJob, bindJob, type JobQueue } from './jobs/queue.ts';
import { downloadMediaFile } from './media/download-file.job.ts';
import type { MediaService } from './media/service.ts';
import { sweepStalledMedia } from './media/sweep-stalled.job.ts';
import { purgeOldNotifications } from './notifications/purge-old.job.ts';
import { sendTestNotification } from './notifications/send-test.job.ts';
import type { NotificationService } from './notifications/service.ts';
import { refreshNumberHealth } from './numbers/refresh-health.job.ts';
import type { NumberService } from './numbers/service.ts';
import { purgeRetention } from './retention/purge.job.ts';
import type { RetentionService } from './retention/service.ts';
import type { TemplateService } from './templates/service.ts';
import { syncTemplates } from './templates/sync.job.ts';
import { syncAllTemplates } from './templates/sync-all.job.ts';
import { purgeOldDeliveries } from './webhooks/purge-old.job.ts';
import type { WebhookService } from './webhooks/service.ts';

/** The services jobs draw their dependencies from. */
export interface JobServices {
  config: { EVENTS_RETENTION_HOURS: number };
  jobs: JobQueue;
  events: EventService;
  notifications: NotificationService;
  numbers: NumberService;
  inbound: InboundService;
  media: MediaService;
  templates: TemplateService;
  campaigns: CampaignService;
  contactImports: ContactImportService;
  retention: RetentionService;
  automationChain: Chain;
  aiReplies: AiReplies;
  rateLimiter: RateLimiter;
  idempotency: Idempotency;
  webhooks: WebhookService;
}

/** Every job and cron job of the product, each with what it declared it uses. */
export function jobList(s: JobServices): BoundJob[] {
  const { jobs, events, notifications, numbers, inbound, media, templates, campaigns, retention } = s;
  return [
    bindJob(purgeOldEvents, { events, retentionHours: s.config.EVENTS_RETENTION_HOURS }),
    bindJob(purgeOldNotifications, { notifications }),
    bindJob(sendTestNotification, { notifications }),
    bindJob(refreshNumberHealth, { numbers }),
    bindJob(processWebhookEvent, { inbound }),
    bindJob(processPendingWebhookEvents, { inbound, jobs }),
    bindJob(downloadMediaFile, { media }),
    bindJob(sweepStalledMedia, { media }),
    bindJob(syncTemplates, { templates }),
    bindJob(syncAllTemplates, { templates, jobs }),
    bindJob(startDueCampaigns, { campaigns }),
    bindJob(labelMessage, { replies: s.aiReplies }),
    bindJob(purgeRateLimits, { limiter: s.rateLimiter }),
    bindJob(purgeIdempotencyKeys, { idempotency: s.idempotency }),
    bindJob(importContactFile, { contactImports: s.contactImports }),
    bindJob(purgeImportUploads, { contactImports: s.contactImports }),
    bindJob(purgeRetention, { retention }),
    bindJob(sweepAutomation, { chain: s.automationChain }),
    bindJob(purgeOldDeliveries, { webhooks: s.webhooks }),
  ];
}

/** A job of an organisation failed for good: its admins are told (event + notification). */
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
