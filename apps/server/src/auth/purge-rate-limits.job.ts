import { z } from 'zod';
import { defineJob, type JobContext } from '../jobs/queue.ts';
import type { RateLimiter } from './rate-limit.ts';

export interface PurgeRateLimitsDeps {
  limiter: Pick<RateLimiter, 'purge'>;
}

/** Rate-limit windows that ended are deleted every five minutes. */
export const purgeRateLimits = defineJob({
  id: 'auth.purge-rate-limits',
  payload: z.object({}).loose(),
  cron: '*/5 * * * *',
  retry: { limit: 1, delaySeconds: 60, backoff: false },
  async handler(_p, ctx: JobContext<PurgeRateLimitsDeps>) {
    return { deleted: await ctx.deps.limiter.purge() };
  },
});
