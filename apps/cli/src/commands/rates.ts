import { readFile } from 'node:fs/promises';
import { parseRateCard } from '@openwaba/contracts';
import { z } from 'zod';
import { type RemoteDefaults, type RemoteOptions, withRemote } from '../api.ts';
import { parseFlags } from '../flags.ts';
import { CliError, formatTable, type Io } from '../output.ts';
import { processTty, type Tty } from '../prompt.ts';

export const ImportRatesFlags = z.object({
  file: z.string().min(1, 'give the CSV file: openwaba rates import <file.csv>'),
  source: z.string().max(500).optional(),
  json: z.boolean().optional(),
});

/**
 * `openwaba rates import <file.csv>`: replaces the rate card's effective days that the file gives
 * (all or nothing). The file is checked here first, every bad line named, before anything is sent.
 */
export async function runRatesImport(
  config: RemoteDefaults,
  io: Io,
  opts: RemoteOptions & { file?: string; source?: string; json?: boolean },
  tty: Tty = processTty(),
) {
  const flags = parseFlags(ImportRatesFlags, { file: opts.file, source: opts.source, json: opts.json });
  const csv = await readFile(flags.file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new CliError(
      `Cannot read ${flags.file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`,
      2,
    );
  });
  const parsed = parseRateCard(csv);
  if (!parsed.ok) {
    for (const e of parsed.errors) io.err(`${flags.file}${e.line ? `:${e.line}` : ''}: ${e.message}`);
    throw new CliError(`${flags.file}: ${parsed.errors.length} problem(s); nothing was imported`, 2);
  }
  const result = await withRemote(config, opts, tty, ({ api }) =>
    api.rates.import({ csv, ...(flags.source ? { source: flags.source } : {}) }),
  );
  if (flags.json) return io.out(JSON.stringify(result));
  io.out(
    `Imported ${result.imported} rate(s) for ${result.markets} market(s), effective ${result.effective_dates.join(', ')}.`,
  );
}

/** `openwaba rates show`: the card in force today (or on --at). */
export async function runRatesShow(
  config: RemoteDefaults,
  io: Io,
  opts: RemoteOptions & { at?: string; json?: boolean },
  tty: Tty = processTty(),
) {
  const flags = parseFlags(z.object({ at: z.iso.date().optional(), json: z.boolean().optional() }), {
    at: opts.at,
    json: opts.json,
  });
  const card = await withRemote(config, opts, tty, ({ api }) =>
    api.rates.current(flags.at ? { at: flags.at } : {}),
  );
  if (flags.json) return io.out(JSON.stringify(card));
  if (!card.rates.length) return io.out(`No rate card in force on ${card.at}.`);
  io.out(
    formatTable(
      ['market', 'category', 'rate', 'currency', 'since'],
      card.rates.map((r) => [r.market, r.category, String(r.rate), r.currency, r.effective_from]),
    ),
  );
}
