import { z } from 'zod';
import { defineJob, type JobContext } from '../jobs/queue.ts';
import type { NumberService } from './service.ts';

export interface RefreshNumberHealthDeps {
  numbers: Pick<NumberService, 'allActive' | 'refreshHealth'>;
}

/** Every 30 minutes: quality rating, throughput, messaging limit and name status of each active number. */
export const refreshNumberHealth = defineJob({
  id: 'numbers.refresh-health',
  payload: z.object({}).loose(),
  cron: '*/30 * * * *',
  retry: { limit: 2, delaySeconds: 60, backoff: true },
  async handler(_p, ctx: JobContext<RefreshNumberHealthDeps>) {
    let checked = 0;
    let failed = 0;
    for (const n of await ctx.deps.numbers.allActive()) {
      const r = await ctx.deps.numbers.refreshHealth(n, 'cron');
      if (r.ok) checked++;
      else failed++;
    }
    return { checked, failed };
  },
});
