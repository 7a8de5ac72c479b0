/** Campaign flags looked up on the server by id or name: the number, templates, tags, segment, campaign. */
import { type Campaign, Uuid } from '@openwaba/contracts';
import type { Client } from '@openwaba/sdk';
import { CliError } from '../output.ts';

const listed = (rows: string[]) => rows.map((r) => `  ${r}`).join('\n');

export async function resolveNumber(api: Client, ref: string | undefined) {
  const { data } = await api.numbers.list();
  if (data.length === 0)
    throw new CliError('No WhatsApp number is connected: add one first (`openwaba numbers add`)');
  const all = listed(data.map((n) => `${n.id}  ${n.display_name} (${n.phone_number_id})`));
  if (ref === undefined) {
    if (data.length === 1) return data[0]!;
    throw new CliError(`There are ${data.length} numbers; say which with --number ID or NAME:\n${all}`, 2);
  }
  const matches = data.filter(
    (n) => n.id === ref.toLowerCase() || n.display_name === ref || n.phone_number_id === ref,
  );
  if (matches.length === 1) return matches[0]!;
  throw new CliError(
    `${matches.length === 0 ? 'No number has' : 'Several numbers have'} the id or name "${ref}". There are:\n${all}`,
    2,
  );
}

export async function resolveTemplates(api: Client, wabaId: string, refs: readonly string[]) {
  const { data } = await api.templates.list({ waba_id: wabaId });
  return refs.map((ref) => {
    const colon = ref.lastIndexOf(':');
    const name = colon > 0 ? ref.slice(0, colon) : ref;
    const language = colon > 0 ? ref.slice(colon + 1) : undefined;
    const named = data.filter((t) => t.name === name);
    const matches = language ? named.filter((t) => t.language === language) : named;
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1)
      throw new CliError(
        `--template ${name} exists in ${matches.map((t) => t.language).join(', ')}: say which, e.g. --template ${name}:${matches[0]!.language}`,
        2,
      );
    const usable = data.filter((t) => t.usable_in_campaigns).map((t) => `${t.name}:${t.language}`);
    throw new CliError(
      `--template: no template "${ref}" on this number's WhatsApp Business Account` +
        (usable.length ? `. Usable in campaigns: ${usable.join(', ')}` : ' (run `openwaba templates sync`?)'),
      2,
    );
  });
}

export async function resolveTags(api: Client, refs: readonly string[]) {
  const { data } = await api.tags.list();
  return refs.map((ref) => {
    const tag = data.find((t) => t.id === ref.toLowerCase()) ?? data.find((t) => t.name === ref);
    if (!tag)
      throw new CliError(
        `--tag: no tag "${ref}"${data.length ? `. There are: ${data.map((t) => t.name).join(', ')}` : ''}`,
        2,
      );
    return tag.id;
  });
}

export async function resolveSegment(api: Client, ref: string) {
  const { data } = await api.segments.list();
  const matches = data.filter((s) => s.id === ref.toLowerCase() || s.name === ref);
  if (matches.length === 1) return matches[0]!.id;
  throw new CliError(
    `--segment: ${matches.length === 0 ? 'no segment has' : 'several segments have'} the id or name "${ref}"` +
      (data.length ? `. There are:\n${listed(data.map((s) => `${s.id}  ${s.name}`))}` : ''),
    2,
  );
}

/** A campaign by id, or by its exact name when that names one. */
export async function resolveCampaign(api: Client, ref: string): Promise<Campaign> {
  if (Uuid.safeParse(ref).success) return api.campaigns.get(ref.toLowerCase());
  const { data } = await api.campaigns.list();
  const matches = data.filter((c) => c.name === ref);
  if (matches.length === 1) return matches[0]!;
  throw new CliError(
    matches.length === 0
      ? `No campaign has the id or name "${ref}" (see \`openwaba campaign list\`)`
      : `${matches.length} campaigns are called "${ref}"; pass the id instead:\n${listed(matches.map((c) => `${c.id}  ${c.state}`))}`,
    2,
  );
}
