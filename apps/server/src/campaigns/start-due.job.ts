import { z } from 'zod';
import { defineJob, type JobContext } from '../jobs/queue.ts';
import type { CampaignService } from './service.ts';

export interface StartDueCampaignsDeps {
  campaigns: Pick<CampaignService, 'startDue'>;
}

/** Every minute: scheduled campaigns whose time has come run their pre-flight and start. */
export const startDueCampaigns = defineJob({
  id: 'campaigns.start-due',
  payload: z.object({}).loose(),
  cron: '* * * * *',
  retry: { limit: 0, delaySeconds: 30, backoff: false },
  async handler(_p, ctx: JobContext<StartDueCampaignsDeps>) {
    return { started: await ctx.deps.campaigns.startDue() };
  },
});
