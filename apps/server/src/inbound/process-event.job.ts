import { z } from 'zod';
import { defineJob } from '../jobs/queue.ts';

/** Turns one stored webhook POST into contacts, conversations, messages and statuses (idempotent). */
export const processWebhookEvent = defineJob({
  id: 'inbound.process-event',
  payload: z.object({ eventId: z.number().int().positive() }),
  retry: { limit: 8, delaySeconds: 2, backoff: true },
  concurrency: 4,
  async handler(p, ctx) {
    return ctx.services.inbound.processEvent(p.eventId);
  },
});
