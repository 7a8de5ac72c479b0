import { AppError, type Config } from '@openwaba/server';
import { z } from 'zod';
import { parseFlags } from '../flags.ts';
import { CliError, type Io } from '../output.ts';
import { withLocalServices } from './local.ts';

export const RebuildFlags = z.strictObject({
  org: z.uuid('must be an organisation id').optional(),
  from: z.iso.date('must be a day as YYYY-MM-DD').optional(),
  json: z.boolean().optional(),
});

/**
 * `openwaba reports rebuild [--org <id>] [--from <day>]`: recomputes the report rollups from the
 * messages still kept (what purged messages counted stays). One at a time: a second is refused.
 */
export async function runReportsRebuild(config: Config, io: Io, opts: Record<string, unknown>) {
  const flags = parseFlags(RebuildFlags, opts);
  try {
    const r = await withLocalServices(config, (s) =>
      s.reports.rebuild({ orgId: flags.org, from: flags.from }),
    );
    if (flags.json) return io.out(JSON.stringify(r));
    io.out(
      `Reports rebuilt${flags.org ? ` for organisation ${flags.org}` : ''}${flags.from ? ` from ${flags.from}` : ''}: ${r.facts} messages and ${r.agent_facts} agents’ replies, notes and resolutions recounted in ${r.seconds} s.`,
    );
  } catch (err) {
    if (err instanceof AppError && err.code === 'CONFLICT') throw new CliError(err.message, 1);
    throw err;
  }
}
