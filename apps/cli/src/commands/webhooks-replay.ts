import type { Config } from '@openwaba/server';
import { z } from 'zod';
import { parseFlags } from '../flags.ts';
import { CliError, type Io } from '../output.ts';
import { withServices } from '../services.ts';

const EventId = z
  .string()
  .regex(/^\d{1,15}$/, 'must be a whole number')
  .transform(Number)
  .pipe(z.number().int().min(1, 'must be 1 or more'));

export const ReplayFlags = z
  .object({
    id: EventId.optional(),
    from: EventId.optional(),
    to: EventId.optional(),
    state: z
      .enum(['pending', 'processed', 'failed', 'unparseable'], {
        error: 'must be pending, processed, failed or unparseable',
      })
      .optional(),
    json: z.boolean().optional(),
  })
  .refine(
    (f) => f.id !== undefined || f.from !== undefined || f.to !== undefined || f.state !== undefined,
    'Say which events: --id N, --from N [--to M], and/or --state failed|pending|unparseable|processed',
  )
  .refine(
    (f) => f.id === undefined || (f.from === undefined && f.to === undefined && f.state === undefined),
    {
      path: ['id'],
      message: 'replays one event: leave out --from, --to and --state',
    },
  )
  .refine((f) => f.from === undefined || f.to === undefined || f.from <= f.to, {
    path: ['to'],
    message: 'must not be before --from',
  });

/** The flags as commander hands them over: strings, checked by `ReplayFlags`. */
export interface ReplayOptions {
  id?: string;
  from?: string;
  to?: string;
  state?: string;
  json?: boolean;
}

/** Processes stored webhook events again (idempotent): one id, a range, and/or a state. */
export async function runWebhooksReplay(config: Config, io: Io, opts: ReplayOptions) {
  const flags = parseFlags(ReplayFlags, opts);
  const totals = await withServices(config, async (services) => {
    const ids =
      flags.id !== undefined
        ? [flags.id]
        : await services.inbound.findEventIds({
            ...(flags.from !== undefined ? { from: flags.from } : {}),
            ...(flags.to !== undefined ? { to: flags.to } : {}),
            ...(flags.state ? { state: flags.state } : {}),
          });
    const sums = { events: 0, messages: 0, duplicates: 0, statuses: 0, failed: 0 };
    for (const id of ids) {
      try {
        const r = await services.inbound.processEvent(id);
        sums.events++;
        sums.messages += r.messages;
        sums.duplicates += r.duplicates;
        sums.statuses += r.statuses;
      } catch (err) {
        sums.failed++;
        io.err(`event ${id}: ${(err as Error).message}`);
      }
    }
    return sums;
  });
  io.out(
    flags.json
      ? JSON.stringify(totals)
      : `Replayed ${totals.events} event(s): ${totals.messages} new message(s), ${totals.duplicates} already stored, ${totals.statuses} new status(es), ${totals.failed} failed`,
  );
  if (totals.failed) throw new CliError(`${totals.failed} event(s) failed`, 1);
}
