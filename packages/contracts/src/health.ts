import { z } from 'zod';

export const Health = z.object({
  status: z.literal('ok'),
  /** What an operator should fix soon (the process still works), e.g. a Graph API version near its end. */
  warnings: z.array(z.string()).optional(),
});
export const Ready = z.object({
  status: z.enum(['ready', 'not_ready']),
  database: z.enum(['up', 'down']),
  migrations: z.object({ applied: z.number().int(), expected: z.number().int() }),
  jobs: z.object({ ok: z.boolean(), detail: z.string() }),
});
export type Ready = z.infer<typeof Ready>;
