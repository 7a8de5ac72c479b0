import { z } from 'zod';
import { defineJob, type JobContext } from '../jobs/queue.ts';
import type { RetentionService } from './service.ts';
import { RETENTION_CRON } from './service.ts';

export interface PurgeRetentionDeps {
  retention: Pick<RetentionService, 'runAll'>;
}

/**
 * Every night: each organisation's data older than its retention setting is deleted (see
 * service.ts). Re-running it is harmless (what is gone stays gone), so a failed run is retried.
 */
export const purgeRetention = defineJob({
  id: 'retention.purge',
  payload: z.object({}).loose(),
  cron: `${RETENTION_CRON.minute} ${RETENTION_CRON.hour} * * *`,
  retry: { limit: 2, delaySeconds: 600, backoff: true },
  // A first run after the setting is turned on can have a large backlog to go through, batch by batch.
  expireInSeconds: 6 * 3600,
  async handler(_p, ctx: JobContext<PurgeRetentionDeps>) {
    return { deleted: await ctx.deps.retention.runAll() };
  },
});
