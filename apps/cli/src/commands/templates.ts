import type { Template } from '@openwaba/contracts';
import type { Config } from '@openwaba/server';
import { z } from 'zod';
import { parseFlags } from '../flags.ts';
import { resolveOrg } from '../orgs.ts';
import { formatTable, type Io } from '../output.ts';
import { withServices } from '../services.ts';

const OrgRef = z.string().trim().min(1, 'must be an organisation id or name');

export const SyncTemplatesFlags = z.object({
  org: OrgRef.optional(),
  waba: z
    .string()
    .regex(/^\d{5,25}$/, 'must be a WhatsApp Business Account id (digits)')
    .optional(),
  json: z.boolean().optional(),
});
export const ListTemplatesFlags = z.object({
  org: OrgRef.optional(),
  quarantined: z.boolean().optional(),
  usable: z.boolean().optional(),
  all: z.boolean().optional(),
  json: z.boolean().optional(),
});

/** `openwaba templates sync`: every WABA of the organisation (or one), from Meta, now. */
export async function runTemplatesSync(
  config: Config,
  io: Io,
  opts: { org?: string; waba?: string; json?: boolean },
) {
  const flags = parseFlags(SyncTemplatesFlags, opts);
  const { org, result } = await withServices(config, async (services) => {
    const org = await resolveOrg(services, flags.org);
    return { org, result: await services.templates.sync(org.id, flags.waba ? { wabaId: flags.waba } : {}) };
  });
  if (flags.json) return io.out(JSON.stringify(result));
  io.out(
    `Synced ${result.templates} template(s) from ${result.wabas} account(s) of "${org.name}": ` +
      `${result.created} new, ${result.updated} updated, ${result.deactivated} gone at Meta (kept, inactive), ` +
      `${result.quarantined} quarantined.`,
  );
  for (const e of result.errors) io.err(`WABA ${e.waba_id}: ${e.message}`);
  if (result.wabas === 0 && result.errors.length === 0) {
    io.out('No active number can reach Meta here (a sandbox number syncs from the running server).');
  }
}

/** `openwaba templates list`: the catalogue with status, category and quarantine. */
export async function runTemplatesList(
  config: Config,
  io: Io,
  opts: { org?: string; quarantined?: boolean; usable?: boolean; all?: boolean; json?: boolean },
) {
  const flags = parseFlags(ListTemplatesFlags, opts);
  const list: Template[] = await withServices(config, async (services) => {
    const org = await resolveOrg(services, flags.org);
    return services.templates.list(
      { orgId: org.id },
      {
        ...(flags.quarantined ? { quarantined: 'true' as const } : {}),
        ...(flags.usable ? { usable: 'true' as const } : {}),
        ...(flags.all ? { include_inactive: 'true' as const } : {}),
      },
    );
  });
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
