import { z } from 'zod';
import { defineJob, type JobContext } from '../jobs/queue.ts';
import type { InboundService } from './service.ts';

export interface ProcessWebhookEventDeps {
  inbound: Pick<InboundService, 'processEvent'>;
}

/**
 * Turns one stored webhook POST into contacts, conversations, messages and statuses (idempotent).
 * Stored POSTs are processed in bulk by `inbound.process-pending`; this job retries, with backoff, one
 * whose processing failed there.
 */
export const processWebhookEvent = defineJob({
  id: 'inbound.process-event',
  payload: z.object({ eventId: z.number().int().positive() }),
  retry: { limit: 8, delaySeconds: 2, backoff: true },
  concurrency: 4,
  async handler(p, ctx: JobContext<ProcessWebhookEventDeps>) {
    return ctx.deps.inbound.processEvent(p.eventId);
  },
});
