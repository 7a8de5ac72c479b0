import { z } from 'zod';
import { defineJob, type JobContext } from '../jobs/queue.ts';
import type { Chain } from './chain.ts';

export interface SweepAutomationDeps {
  chain: Pick<Chain, 'sweep' | 'purge'>;
}

/**
 * Every minute: customers' messages of the last 15 minutes that the chain never claimed (the
 * process died between storing them and reacting) go through it now; claims older than two days
 * are purged. Also run once when a worker starts.
 */
export const sweepAutomation = defineJob({
  id: 'automation.sweep',
  payload: z.object({}).loose(),
  cron: '* * * * *',
  retry: { limit: 1, delaySeconds: 30, backoff: false },
  async handler(_p, ctx: JobContext<SweepAutomationDeps>) {
    const handled = await ctx.deps.chain.sweep();
    const purged = await ctx.deps.chain.purge();
    return { handled, purged };
  },
});
