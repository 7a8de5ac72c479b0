import { z } from 'zod';
import { defineJob, type JobContext } from '../../jobs/queue.ts';
import type { ContactImportService } from './service.ts';

export interface PurgeImportUploadsDeps {
  contactImports: Pick<ContactImportService, 'purgeStale'>;
}

/** Hourly: the files of imports nobody confirmed within a day are deleted (the import becomes failed). */
export const purgeImportUploads = defineJob({
  id: 'contacts.purge-import-uploads',
  payload: z.object({}).loose(),
  cron: '17 * * * *',
  retry: { limit: 1, delaySeconds: 300, backoff: false },
  async handler(_p, ctx: JobContext<PurgeImportUploadsDeps>) {
    return { purged: await ctx.deps.contactImports.purgeStale(24) };
  },
});
