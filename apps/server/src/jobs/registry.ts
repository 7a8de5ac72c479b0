import { startDueCampaigns } from '../campaigns/start-due.job.ts';
import { importContactFile } from '../contacts/import/import-file.job.ts';
import { purgeImportUploads } from '../contacts/import/purge-uploads.job.ts';
import { purgeOldEvents } from '../events/purge-old.job.ts';
import { processWebhookEvent } from '../inbound/process-event.job.ts';
import { processPendingWebhookEvents } from '../inbound/process-pending.job.ts';
import { downloadMediaFile } from '../media/download-file.job.ts';
import { sweepStalledMedia } from '../media/sweep-stalled.job.ts';
import { purgeOldNotifications } from '../notifications/purge-old.job.ts';
import { sendTestNotification } from '../notifications/send-test.job.ts';
import { refreshNumberHealth } from '../numbers/refresh-health.job.ts';
import { purgeRetention } from '../retention/purge.job.ts';
import { syncTemplates } from '../templates/sync.job.ts';
import { syncAllTemplates } from '../templates/sync-all.job.ts';
import type { JobDefinition } from './queue.ts';

/** Every job and cron job of the product, in one list. */
export const JOBS: JobDefinition[] = [
  purgeOldEvents,
  purgeOldNotifications,
  sendTestNotification,
  refreshNumberHealth,
  processWebhookEvent,
  processPendingWebhookEvents,
  downloadMediaFile,
  sweepStalledMedia,
  syncTemplates,
  syncAllTemplates,
  startDueCampaigns,
  importContactFile,
  purgeImportUploads,
  purgeRetention,
] as JobDefinition[];
