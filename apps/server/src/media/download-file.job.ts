import { z } from 'zod';
import { defineJob, type JobContext } from '../jobs/queue.ts';
import type { MediaService } from './service.ts';

const RETRIES = 6;

export interface DownloadMediaFileDeps {
  media: Pick<MediaService, 'download'>;
}

/** Fetches one received media file from Meta into the media store (soon after it arrives). */
export const downloadMediaFile = defineJob({
  id: 'media.download-file',
  payload: z.object({ orgId: z.uuid(), mediaFileId: z.uuid() }),
  retry: { limit: RETRIES, delaySeconds: 5, backoff: true },
  concurrency: 4,
  async handler(p, ctx: JobContext<DownloadMediaFileDeps>) {
    return ctx.deps.media.download(p.orgId, p.mediaFileId, { lastAttempt: ctx.attempt >= RETRIES });
  },
});
