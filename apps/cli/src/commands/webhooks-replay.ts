import type { Client } from '@openwaba/sdk';
import { z } from 'zod';
import { type RemoteDefaults, type RemoteOptions, withRemote } from '../api.ts';
import { parseFlags } from '../flags.ts';
import { CliError, type Io } from '../output.ts';
import { processTty, type Tty } from '../prompt.ts';

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
export interface ReplayOptions extends RemoteOptions {
  id?: string;
  from?: string;
  to?: string;
  state?: string;
  json?: boolean;
}

type ReplayState = z.infer<typeof ReplayFlags>['state'];

/** The counts of a replay's result the totals add up (the server keeps more). */
const ReplayCounts = z.object({
  messages: z.number().default(0),
  duplicates: z.number().default(0),
  statuses: z.number().default(0),
});

/** The most the server lists at once. */
const PAGE = 200;

/**
 * The organisation's event ids in a range and/or state, oldest first: the server lists them newest
 * first, `page` at a time, each page ending below the last.
 */
export async function findEventIds(
  api: Client,
  q: { from?: number; to?: number; state?: ReplayState },
  page = PAGE,
) {
  const ids: number[] = [];
  let to = q.to;
  for (;;) {
    const { data } = await api.webhookEvents.list({
      ...(q.state ? { state: q.state } : {}),
      ...(q.from !== undefined ? { from_id: q.from } : {}),
      ...(to !== undefined ? { to_id: to } : {}),
      limit: page,
    });
    ids.push(...data.map((e) => e.id));
    const last = data.at(-1)?.id;
    if (data.length < page || last === undefined || last <= (q.from ?? 1)) return ids.reverse();
    to = last - 1;
  }
}

/**
 * Processes stored webhook events again (idempotent): one id, a range, and/or a state. Through the
 * running server, as the dashboard's Replay: the events of your organisation (those that name its
 * numbers), each counted for its part.
 */
export async function runWebhooksReplay(
  config: RemoteDefaults,
  io: Io,
  opts: ReplayOptions,
  tty: Tty = processTty(),
) {
  const flags = parseFlags(ReplayFlags, {
    id: opts.id,
    from: opts.from,
    to: opts.to,
    state: opts.state,
    json: opts.json,
  });
  const totals = await withRemote(config, opts, tty, async ({ api }) => {
    const ids =
      flags.id !== undefined
        ? [flags.id]
        : await findEventIds(api, {
            ...(flags.from !== undefined ? { from: flags.from } : {}),
            ...(flags.to !== undefined ? { to: flags.to } : {}),
            ...(flags.state ? { state: flags.state } : {}),
          });
    const sums = { events: 0, messages: 0, duplicates: 0, statuses: 0, failed: 0 };
    for (const id of ids) {
      try {
        const r = ReplayCounts.parse((await api.webhookEvents.replay(id)).result ?? {});
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
