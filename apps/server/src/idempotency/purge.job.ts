import { z } from 'zod';
import { defineJob, type JobContext } from '../jobs/queue.ts';
import type { Idempotency } from './service.ts';

export interface PurgeIdempotencyDeps {
  idempotency: Pick<Idempotency, 'purge'>;
}

/** Idempotency keys are kept 24 hours; older ones are deleted every hour. */
export const purgeIdempotencyKeys = defineJob({
  id: 'idempotency.purge',
  payload: z.object({}).loose(),
  cron: '17 * * * *',
  retry: { limit: 1, delaySeconds: 60, backoff: false },
  async handler(_p, ctx: JobContext<PurgeIdempotencyDeps>) {
    return { deleted: await ctx.deps.idempotency.purge() };
  },
});
