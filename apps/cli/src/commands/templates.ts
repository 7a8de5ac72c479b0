import { z } from 'zod';
import { type RemoteDefaults, type RemoteOptions, withRemote } from '../api.ts';
import { parseFlags } from '../flags.ts';
import { formatTable, type Io } from '../output.ts';
import { processTty, type Tty } from '../prompt.ts';

export const SyncTemplatesFlags = z.object({
  waba: z
    .string()
    .regex(/^\d{5,25}$/, 'must be a WhatsApp Business Account id (digits)')
    .optional(),
  json: z.boolean().optional(),
});
export const ListTemplatesFlags = z.object({
  quarantined: z.boolean().optional(),
  usable: z.boolean().optional(),
  all: z.boolean().optional(),
  json: z.boolean().optional(),
});

/** `openwaba templates sync`: every WABA of the organisation (or one), from Meta, now. */
export async function runTemplatesSync(
  config: RemoteDefaults,
  io: Io,
  opts: RemoteOptions & { waba?: string; json?: boolean },
  tty: Tty = processTty(),
) {
  const flags = parseFlags(SyncTemplatesFlags, { waba: opts.waba, json: opts.json });
  const { org, result } = await withRemote(config, opts, tty, async ({ api, org }) => ({
    org,
    result: await api.templates.sync(flags.waba ? { waba_id: flags.waba } : {}),
  }));
  if (flags.json) return io.out(JSON.stringify(result));
  io.out(
    `Synced ${result.templates} template(s) from ${result.wabas} account(s) of "${org.name}": ` +
      `${result.created} new, ${result.updated} updated, ${result.deactivated} gone at Meta (kept, inactive), ` +
      `${result.quarantined} quarantined.`,
  );
  for (const e of result.errors) io.err(`WABA ${e.waba_id}: ${e.message}`);
  if (result.wabas === 0 && result.errors.length === 0) {
    io.out('No active number to sync from: connect one with `openwaba numbers add`.');
  }
}

/** `openwaba templates list`: the catalogue with status, category and quarantine. */
export async function runTemplatesList(
  config: RemoteDefaults,
  io: Io,
  opts: RemoteOptions & { quarantined?: boolean; usable?: boolean; all?: boolean; json?: boolean },
  tty: Tty = processTty(),
) {
  const flags = parseFlags(ListTemplatesFlags, {
    quarantined: opts.quarantined,
    usable: opts.usable,
    all: opts.all,
    json: opts.json,
  });
  const { data: list } = await withRemote(config, opts, tty, ({ api }) =>
    api.templates.list({
      ...(flags.quarantined ? { quarantined: true } : {}),
      ...(flags.usable ? { usable: true } : {}),
      ...(flags.all ? { include_inactive: true } : {}),
    }),
  );
  if (flags.json) return io.out(JSON.stringify(list));
  if (list.length === 0) return io.out('No templates. Run `openwaba templates sync` first.');
  io.out(
    formatTable(
      ['NAME', 'LANGUAGE', 'STATUS', 'CATEGORY', 'CAMPAIGNS', 'NOTE'],
      list.map((t) => [
        t.name,
        t.language,
        t.active ? t.status : `${t.status} (gone)`,
        t.category,
        t.usable_in_campaigns ? 'yes' : 'no',
        t.quarantined ? `quarantined: ${t.quarantine_reason ?? ''}` : '',
      ]),
    ),
  );
}
