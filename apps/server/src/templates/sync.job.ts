import { z } from 'zod';
import { defineJob, type JobContext } from '../jobs/queue.ts';
import type { TemplateService } from './service.ts';

export interface SyncTemplatesDeps {
  templates: Pick<TemplateService, 'sync'>;
}

/** One organisation's catalogue from Meta (cron, webhooks about unknown templates). */
export const syncTemplates = defineJob({
  id: 'templates.sync',
  payload: z.object({ orgId: z.uuid() }),
  retry: { limit: 3, delaySeconds: 60, backoff: true },
  async handler(p, ctx: JobContext<SyncTemplatesDeps>) {
    return ctx.deps.templates.sync(p.orgId);
  },
});
