import { z } from 'zod';
import { IsoDate } from './common.ts';

/** How many rows of each kind a retention run deletes (or would delete). */
export const RetentionCounts = z.object({
  messages: z.number().int(),
  status_events: z.number().int(),
  webhook_events: z.number().int(),
  /** Received and sent files (rows; their stored bytes go with them). */
  media_files: z.number().int(),
  /** Flow runs that ended before the cutoff, with their step logs (runs still waiting stay). */
  flow_runs: z.number().int(),
});
export type RetentionCounts = z.infer<typeof RetentionCounts>;

export const RetentionPreviewQuery = z.strictObject({
  /** Preview another number of days than the saved setting (e.g. before saving it). */
  days: z.coerce.number().int().min(1).max(36500).optional(),
});

/** What the next retention run would delete for the organisation (a dry run: nothing is deleted). */
export const RetentionPreview = z.object({
  /** Null: the organisation keeps everything and nothing is deleted. */
  retention_days: z.number().int().nullable(),
  /** Data older than this goes (null when nothing is kept for a limited time). */
  cutoff: IsoDate.nullable(),
  next_run_at: IsoDate,
  counts: RetentionCounts,
  /** Counts stop at this many per kind (the preview never scans without bound). */
  count_limit: z.number().int(),
  last_run: z.object({ at: IsoDate, deleted: RetentionCounts }).nullable(),
});
export type RetentionPreview = z.infer<typeof RetentionPreview>;
