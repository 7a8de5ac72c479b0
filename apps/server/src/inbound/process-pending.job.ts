import { z } from 'zod';
import { defineJob, type JobContext, type JobQueue } from '../jobs/queue.ts';
import { processWebhookEvent } from './process-event.job.ts';
import type { InboundService } from './service.ts';

export interface ProcessPendingWebhookEventsDeps {
  inbound: Pick<InboundService, 'processPending'>;
  jobs: Pick<JobQueue, 'enqueue'>;
}

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
  async handler(_p, ctx: JobContext<ProcessPendingWebhookEventsDeps>) {
    const r = await ctx.deps.inbound.processPending();
    for (const eventId of r.failed) {
      await ctx.deps.jobs.enqueue(processWebhookEvent, { eventId }, { startAfterSeconds: 2 });
    }
    if (r.error) throw r.error;
    if (r.more) await ctx.deps.jobs.enqueue(processPendingWebhookEvents, {});
    return { processed: r.processed, failed: r.failed.length };
  },
});
