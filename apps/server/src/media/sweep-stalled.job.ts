import { z } from 'zod';
import { defineJob, type JobContext } from '../jobs/queue.ts';
import type { MediaService } from './service.ts';

export interface SweepStalledMediaDeps {
  media: Pick<MediaService, 'findStalled' | 'schedule'>;
}

/** Every 5 minutes: files still pending after 2 minutes get their download queued again. */
export const sweepStalledMedia = defineJob({
  id: 'media.sweep-stalled',
  payload: z.object({}).loose(),
  cron: '*/5 * * * *',
  retry: { limit: 1, delaySeconds: 60, backoff: false },
  async handler(_p, ctx: JobContext<SweepStalledMediaDeps>) {
    let queued = 0;
    for (const f of await ctx.deps.media.findStalled(120)) {
      await ctx.deps.media.schedule(f.org_id, f.id);
      queued++;
    }
    return { queued };
  },
});
