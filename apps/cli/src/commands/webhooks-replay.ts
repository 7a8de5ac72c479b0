import {
  type Config,
  createServices,
  openConfiguredDatabase,
  resolveAppSecret,
  runMigrations,
} from '@openwaba/server';
import { CliError, type Io } from '../output.ts';

export interface ReplayFlags {
  id?: string;
  from?: string;
  to?: string;
  state?: string;
  json?: boolean;
}

/** Processes stored webhook events again (idempotent): one id, a range, and/or a state. */
export async function runWebhooksReplay(config: Config, io: Io, flags: ReplayFlags) {
  if (!flags.id && !flags.from && !flags.to && !flags.state) {
    throw new CliError(
      'Say which events: --id N, --from N [--to M], and/or --state failed|pending|unparseable|processed',
    );
  }
  if (flags.state && !['pending', 'processed', 'failed', 'unparseable'].includes(flags.state)) {
    throw new CliError('--state must be pending, processed, failed or unparseable');
  }
  const database = await openConfiguredDatabase(config);
  try {
    await runMigrations(database);
    const services = createServices({ config, database, appSecret: resolveAppSecret(config) });
    const ids = flags.id
      ? [Number(flags.id)]
      : await services.inbound.findEventIds({
          ...(flags.from ? { from: Number(flags.from) } : {}),
          ...(flags.to ? { to: Number(flags.to) } : {}),
          ...(flags.state ? { state: flags.state } : {}),
        });
    const totals = { events: 0, messages: 0, duplicates: 0, statuses: 0, failed: 0 };
    for (const id of ids) {
      try {
        const r = await services.inbound.processEvent(id);
        totals.events++;
        totals.messages += r.messages;
        totals.duplicates += r.duplicates;
        totals.statuses += r.statuses;
      } catch (err) {
        totals.failed++;
        io.err(`event ${id}: ${(err as Error).message}`);
      }
    }
    await services.whatsapp.close();
    io.out(
      flags.json
        ? JSON.stringify(totals)
        : `Replayed ${totals.events} event(s): ${totals.messages} new message(s), ${totals.duplicates} already stored, ${totals.statuses} new status(es), ${totals.failed} failed`,
    );
    if (totals.failed) throw new CliError(`${totals.failed} event(s) failed`, 1);
  } finally {
    await database.close();
  }
}
