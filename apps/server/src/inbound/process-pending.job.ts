import { z } from 'zod';
import { defineJob } from '../jobs/queue.ts';
import { processWebhookEvent } from './process-event.job.ts';

/**
 * Processes every stored webhook POST nobody is processing yet. The webhook route queues it (at most
 * a few times a second) after storing POSTs; the cron run picks up what a crash left behind (stored,
 * never queued, or claimed by a worker that died). An event that fails is retried on its own, with
 * backoff, by `inbound.process-event`.
 */
export const processPendingWebhookEvents = defineJob({
  id: 'inbound.process-pending',
  payload: z.object({}),
  cron: '* * * * *',
  retry: { limit: 3, delaySeconds: 5, backoff: true },
  concurrency: 2,
  async handler(_p, ctx) {
    const r = await ctx.services.inbound.processPending();
    for (const eventId of r.failed) {
      await ctx.services.jobs.enqueue(processWebhookEvent, { eventId }, { startAfterSeconds: 2 });
    }
    if (r.error) throw r.error;
    if (r.more) await ctx.services.jobs.enqueue(processPendingWebhookEvents, {});
    return { processed: r.processed, failed: r.failed.length };
  },
});
