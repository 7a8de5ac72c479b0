import { z } from 'zod';
import { defineJob } from '../jobs/queue.ts';

/** Every minute: scheduled campaigns whose time has come run their pre-flight and start. */
export const startDueCampaigns = defineJob({
  id: 'campaigns.start-due',
  payload: z.object({}).loose(),
  cron: '* * * * *',
  retry: { limit: 0, delaySeconds: 30, backoff: false },
  async handler(_p, ctx) {
    return { started: await ctx.services.campaigns.startDue() };
  },
});
