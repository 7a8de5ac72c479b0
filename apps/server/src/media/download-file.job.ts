import { z } from 'zod';
import { defineJob } from '../jobs/queue.ts';

const RETRIES = 6;

/** Fetches one received media file from Meta into the media store (soon after it arrives). */
export const downloadMediaFile = defineJob({
  id: 'media.download-file',
  payload: z.object({ orgId: z.uuid(), mediaFileId: z.uuid() }),
  retry: { limit: RETRIES, delaySeconds: 5, backoff: true },
  concurrency: 4,
  async handler(p, ctx) {
    return ctx.services.media.download(p.orgId, p.mediaFileId, { lastAttempt: ctx.attempt >= RETRIES });
  },
});
