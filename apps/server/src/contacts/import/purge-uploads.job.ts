import { z } from 'zod';
import { defineJob } from '../../jobs/queue.ts';

/** Hourly: the files of imports nobody confirmed within a day are deleted (the import becomes failed). */
export const purgeImportUploads = defineJob({
  id: 'contacts.purge-import-uploads',
  payload: z.object({}).loose(),
  cron: '17 * * * *',
  retry: { limit: 1, delaySeconds: 300, backoff: false },
  async handler(_p, ctx) {
    return { purged: await ctx.services.contactImports.purgeStale(24) };
  },
});
