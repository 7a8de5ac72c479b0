import { z } from 'zod';
import { defineJob, type JobContext } from '../../jobs/queue.ts';
import type { ContactImportService } from './service.ts';

export interface ImportContactFileDeps {
  contactImports: Pick<ContactImportService, 'run'>;
}

/**
 * Imports a confirmed contact file in one transaction. Not retried after a failure: the import is
 * marked failed with the reason (nothing was written) and the person uploads again. A second attempt
 * only happens when a worker died mid-way, and then the first one left nothing behind.
 */
export const importContactFile = defineJob({
  id: 'contacts.import-file',
  payload: z.object({ orgId: z.uuid(), importId: z.uuid() }),
  retry: { limit: 1, delaySeconds: 30, backoff: false },
  // 100k rows take seconds on PostgreSQL, longer on the embedded database.
  expireInSeconds: 3600,
  concurrency: 1,
  async handler(p, ctx: JobContext<ImportContactFileDeps>) {
    const result = await ctx.deps.contactImports.run(p.orgId, p.importId);
    return { state: result.state, counts: result.counts };
  },
});
