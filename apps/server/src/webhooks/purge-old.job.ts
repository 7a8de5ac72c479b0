import { z } from 'zod';
import { defineJob, type JobContext } from '../jobs/queue.ts';
import type { WebhookService } from './service.ts';

export interface PurgeOldDeliveriesDeps {
  webhooks: Pick<WebhookService, 'purgeOld'>;
}

/** The delivery log is kept WEBHOOK_RETENTION_DAYS; older finished deliveries (and attempts) go nightly. */
export const purgeOldDeliveries = defineJob({
  id: 'webhooks.purge-old',
  payload: z.object({}).loose(),
  cron: '37 3 * * *',
  retry: { limit: 2, delaySeconds: 600, backoff: true },
  async handler(_p, ctx: JobContext<PurgeOldDeliveriesDeps>) {
    return { deleted: await ctx.deps.webhooks.purgeOld() };
  },
});
