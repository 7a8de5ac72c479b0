import { z } from 'zod';
import { defineJob, type JobContext } from '../jobs/queue.ts';
import type { EventService } from './service.ts';

export interface PurgeOldEventsDeps {
  events: Pick<EventService, 'purgeOlderThan'>;
  /** How long events are kept for catch-up (EVENTS_RETENTION_HOURS). */
  retentionHours: number;
}

/** Events are kept for catch-up only; older ones are deleted every hour. */
export const purgeOldEvents = defineJob({
  id: 'events.purge-old',
  payload: z.object({}).loose(),
  cron: '7 * * * *',
  retry: { limit: 2, delaySeconds: 60, backoff: true },
  async handler(_p, ctx: JobContext<PurgeOldEventsDeps>) {
    const deleted = await ctx.deps.events.purgeOlderThan(ctx.deps.retentionHours);
    return { deleted };
  },
});
