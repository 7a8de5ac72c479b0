import { z } from 'zod';
import { defineJob, type JobContext } from '../jobs/queue.ts';
import type { AiReplies } from './replies.ts';

export interface LabelMessageDeps {
  replies: Pick<AiReplies, 'label'>;
}

/** The intent label of one customer's text message (queued by the `message.received` reaction). */
export const labelMessage = defineJob({
  id: 'ai.label-message',
  payload: z.object({ orgId: z.uuid(), messageId: z.uuid() }),
  retry: { limit: 1, delaySeconds: 30, backoff: false },
  async handler(p, ctx: JobContext<LabelMessageDeps>) {
    return { label: await ctx.deps.replies.label(p.orgId, p.messageId) };
  },
});
