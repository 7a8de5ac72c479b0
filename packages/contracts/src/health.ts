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

/**
 * What is running: openwaba's version and commit, and the Graph API version it calls Meta with. Public,
 * so nothing more (no runtime versions, paths or settings).
 */
export const AppVersion = z.object({
  /** The root package.json's `version`. */
  version: z.string().describe("openwaba's version (the root package.json's)"),
  /** The git commit checked out when the server started; null where there is no git (a tarball install). */
  commit: z.string().nullable().describe('The git commit (short), or null for an install without git'),
  graph_api_version: z
    .string()
    .describe('The Graph API version every call to Meta uses (META_GRAPH_VERSION)'),
});
export type AppVersion = z.infer<typeof AppVersion>;
