import { openAsBlob } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  type Campaign,
  type CampaignAudience,
  type CreateCampaignBody,
  Uuid,
  type VariableMapping,
  type VariableSource,
} from '@openwaba/contracts';
import type { Client } from '@openwaba/sdk';
import { z } from 'zod';
import { type RemoteDefaults, type RemoteOptions, withRemote } from '../api.ts';
import { parseFlags } from '../flags.ts';
import { CliError, formatTable, type Io } from '../output.ts';
import { ask, processTty, type Tty } from '../prompt.ts';

const Json = z.boolean().optional();
const Ref = (what: string) => z.string().trim().min(1, `must be ${what}`);

// ── Parsing what the flags say ──────────────────────────────────────────────────────────────

/**
 * `body.1=contact.name,body.2=fixed:Hello,body.3=field.city,body.4=column:1` → the API's mapping.
 * `--map` may also be repeated.
 */
export function parseVariableMap(parts: readonly string[]): VariableMapping {
  const mapping: VariableMapping = {};
  // A comma starts the next variable only when one follows, so `fixed:Hello, world` keeps its comma.
  for (const part of parts.flatMap((p) => p.split(/,(?=\s*[A-Za-z0-9_.]+=)/))) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new CliError(`--map: "${part}" is not variable=source, e.g. body.1=contact.name`, 2);
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1);
    if (!/^(header|body|buttons)\.[a-zA-Z0-9_]+$/.test(key))
      throw new CliError(
        `--map: "${key}" is not a template variable (body.1, header.1, buttons.0, body.name)`,
        2,
      );
    mapping[key] = parseSource(key, value);
  }
  return mapping;
}

function parseSource(key: string, raw: string): VariableSource {
  if (raw.startsWith('fixed:')) return { fixed: raw.slice(6) };
  const value = raw.trim();
  if (value.startsWith('column:') && value.length > 7) return { column: value.slice(7) };
  const contact = value.startsWith('contact.') ? value.slice(8) : value;
  if (contact === 'name' || contact === 'phone') return { contact };
  if (/^field\.[a-z0-9_]+$/.test(contact)) return { contact: contact as `field.${string}` };
  throw new CliError(
    `--map ${key}: "${raw}" is not contact.name, contact.phone, field.<key>, fixed:<text> or column:<n>`,
    2,
  );
}

/** Splits one CSV line, honouring double quotes ("a, b" and "" inside them). */
function csvCells(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  cells.push(cell);
  return cells.map((c) => c.trim());
}

/**
 * A phones file: one phone a line, or CSV `phone,v1,v2` whose values become the recipient's
 * variables `1`, `2`… (used with `--map body.1=column:1`). A first line without a digit in its first
 * cell is a header and is left out.
 */
export function parsePhonesFile(text: string): { phone: string; variables?: Record<string, string> }[] {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '');
  if (lines.length > 0 && !/\d/.test(csvCells(lines[0]!)[0] ?? '')) lines.shift();
  return lines.map((line) => {
    const [phone = '', ...values] = csvCells(line);
    return values.length === 0
      ? { phone }
      : { phone, variables: Object.fromEntries(values.map((v, i) => [String(i + 1), v])) };
  });
}

// ── Looking things up by name on the server ─────────────────────────────────────────────────

const listed = (rows: string[]) => rows.map((r) => `  ${r}`).join('\n');

async function resolveNumber(api: Client, ref: string | undefined) {
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

async function resolveTemplates(api: Client, wabaId: string, refs: readonly string[]) {
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

async function resolveTags(api: Client, refs: readonly string[]) {
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

async function resolveSegment(api: Client, ref: string) {
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
async function resolveCampaign(api: Client, ref: string): Promise<Campaign> {
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

// ── Printing ────────────────────────────────────────────────────────────────────────────────

/** Recipients that are finished with: sent, failed or left out at the start (skipped). */
const doneOf = (c: Campaign) => c.counts.sent + c.counts.failed + c.counts.skipped;
/** Invalid recipients were never going to be sent: they are not part of the progress. */
const toSendOf = (c: Campaign) => c.counts.total - c.counts.invalid;
const n = (x: number) => x.toLocaleString('en-US');

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function countsLine(c: Campaign) {
  const k = c.counts;
  return (
    `${n(k.total)} recipients: ${n(k.sent)} sent, ${n(k.failed)} failed, ${n(k.skipped)} skipped, ` +
    `${n(k.queued)} queued, ${n(k.pending)} pending, ${n(k.invalid)} invalid` +
    (k.delivered || k.read || k.replied
      ? ` (${n(k.delivered)} delivered, ${n(k.read)} read, ${n(k.replied)} replied)`
      : '')
  );
}

function stateLine(c: Campaign) {
  const why = c.paused_reason ?? c.failure_reason;
  const when =
    c.state === 'scheduled' && c.scheduled_at
      ? ` for ${c.scheduled_at}`
      : c.finished_at && ['completed', 'stopped', 'failed'].includes(c.state)
        ? ` at ${c.finished_at}`
        : '';
  return `Campaign "${c.name}" (${c.id}) is ${c.state}${when}${why ? `: ${why}` : ''}`;
}

function printCampaign(io: Io, c: Campaign) {
  io.out(stateLine(c));
  io.out(`  ${countsLine(c)}`);
  const p = c.preflight;
  if (p) {
    const skipped = Object.entries(p.skipped).map(([why, k]) => `${k} ${why}`);
    io.out(`  pre-flight: ${p.ready} ready${skipped.length ? `; left out: ${skipped.join(', ')}` : ''}`);
    for (const problem of p.problems) io.out(`  problem: ${problem}`);
  }
}

// ── Verbs ───────────────────────────────────────────────────────────────────────────────────

export interface CreateCampaignOptions extends RemoteOptions {
  name?: string;
  number?: string;
  template?: string[];
  map?: string[];
  tag?: string[];
  segment?: string;
  phones?: string;
  file?: string;
  phoneColumn?: string;
  allContacts?: boolean;
  split?: string;
  share?: string[];
  json?: boolean;
}

const TEMPLATE_REQUIRED = 'is required: a template name, or name:language (repeat for several)';

export const CreateCampaignFlags = z
  .object({
    name: z.string('is required: the campaign name').trim().min(1, 'is required: the campaign name').max(200),
    number: Ref('a number id or display name').optional(),
    template: z
      .array(z.string().trim().min(1, 'must be name or name:language'), TEMPLATE_REQUIRED)
      .min(1, TEMPLATE_REQUIRED)
      .max(10, 'may be given at most 10 times'),
    map: z.array(z.string()).default([]),
    tag: z.array(Ref('a tag name')).default([]),
    segment: Ref('a segment id or name').optional(),
    phones: z.string().min(1, 'must be a file').optional(),
    file: z.string().min(1, 'must be a CSV or XLSX file').optional(),
    phoneColumn: z.string().trim().min(1, 'must name a column').max(200).optional(),
    allContacts: z.boolean().optional(),
    split: z.enum(['sequential', 'ab'], 'must be sequential or ab').default('sequential'),
    share: z
      .array(
        z.coerce
          .number()
          .int('must be a whole percent')
          .min(1, 'must be 1 to 99 (percent)')
          .max(99, 'must be 1 to 99 (percent)'),
      )
      .default([]),
    json: Json,
  })
  .superRefine((f, ctx) => {
    const audiences = [
      f.tag.length > 0 || f.segment !== undefined,
      f.phones !== undefined,
      f.file !== undefined,
      f.allContacts,
    ].filter(Boolean);
    if (audiences.length === 0)
      ctx.addIssue({
        code: 'custom',
        message:
          'Say who receives it: --tag NAME, --segment ID|NAME, --file CSV|XLSX, --phones FILE or --all-contacts',
      });
    if (audiences.length > 1)
      ctx.addIssue({
        code: 'custom',
        message: '--file, --phones and --all-contacts each stand alone; --tag and --segment may be combined',
      });
    if (f.phoneColumn !== undefined && f.file === undefined)
      ctx.addIssue({ code: 'custom', path: ['phoneColumn'], message: 'only goes with --file' });
    if (f.split === 'ab' && f.share.length !== f.template.length)
      ctx.addIssue({
        code: 'custom',
        path: ['share'],
        message: `is needed once per --template with --split ab (${f.template.length} templates, ${f.share.length} shares)`,
      });
    if (
      f.split === 'ab' &&
      f.share.length === f.template.length &&
      f.share.reduce((a, b) => a + b, 0) !== 100
    )
      ctx.addIssue({ code: 'custom', path: ['share'], message: 'the shares must add up to 100' });
    if (f.split !== 'ab' && f.share.length > 0)
      ctx.addIssue({ code: 'custom', path: ['share'], message: 'only goes with --split ab' });
  });

/**
 * `openwaba campaign create`: a draft on the running server. Its audience is checked and rendered
 * now; the counts and the first invalid recipients (with the reason) are printed.
 */
export async function runCampaignCreate(
  config: RemoteDefaults,
  io: Io,
  opts: CreateCampaignOptions,
  tty: Tty = processTty(),
) {
  const flags = parseFlags(CreateCampaignFlags, opts);
  const mapping = parseVariableMap(flags.map);
  const recipients = flags.phones ? await readPhones(flags.phones) : undefined;
  // openAsBlob throws at once for a missing file: inside then() that is a rejection like the rest.
  const file = flags.file
    ? await Promise.resolve(flags.file)
        .then(openAsBlob)
        .catch(() => undefined)
    : undefined;
  if (flags.file && !file) throw new CliError(`--file: cannot read ${flags.file}`, 2);
  const { campaign, invalid } = await withRemote(config, opts, tty, async ({ api }) => {
    const number = await resolveNumber(api, flags.number);
    const templates = await resolveTemplates(api, number.waba_id, flags.template);
    let audience: CampaignAudience;
    if (recipients) audience = { kind: 'recipients', recipients };
    else if (file) {
      const upload = await api.campaigns.uploadAudience(file, basename(flags.file!));
      const phoneColumn = flags.phoneColumn ?? upload.suggested_mapping.phone;
      if (!phoneColumn)
        throw new CliError(
          `--phone-column is needed: no column of ${upload.filename} looks like phones (${upload.headers.join(', ')})`,
          2,
        );
      audience = { kind: 'file', file_id: upload.id, phone_column: phoneColumn };
    } else {
      const tagIds = await resolveTags(api, flags.tag);
      const segmentId = flags.segment ? await resolveSegment(api, flags.segment) : undefined;
      audience = {
        kind: 'contacts',
        filter: tagIds.length ? { tag_ids: tagIds } : {},
        ...(segmentId ? { segment_id: segmentId } : {}),
      };
    }
    const body: z.input<typeof CreateCampaignBody> = {
      name: flags.name,
      number_id: number.id,
      audience,
      split: flags.split,
      templates: templates.map((t, i) => ({
        template_id: t.id,
        mapping,
        ...(flags.split === 'ab' ? { share: flags.share[i] } : {}),
      })),
    };
    const campaign = await api.campaigns.create(body);
    const invalid =
      campaign.counts.invalid > 0
        ? (await api.campaigns.recipients(campaign.id, { state: 'invalid', limit: 10 })).data
        : [];
    return { campaign, invalid };
  });
  if (flags.json) return io.out(JSON.stringify(campaign));
  const k = campaign.counts;
  io.out(`Created campaign "${campaign.name}" (${campaign.id}), a draft.`);
  io.out(`  ${n(k.total)} recipients: ${n(k.pending)} pending, ${n(k.invalid)} invalid`);
  if (invalid.length > 0) {
    io.out(`  first invalid recipients:`);
    for (const r of invalid) io.out(`    ${r.phone ?? r.input}: ${r.reason ?? 'invalid'}`);
  }
  io.out(`Start it with: openwaba campaign start ${campaign.id}`);
}

async function readPhones(file: string) {
  const text = await readFile(file, 'utf8').catch(() => {
    throw new CliError(`--phones: cannot read ${file}`, 2);
  });
  const recipients = parsePhonesFile(text);
  if (recipients.length === 0) throw new CliError(`--phones: ${file} has no phone numbers`, 2);
  if (recipients.length > 100_000)
    throw new CliError(`--phones: ${file} has ${recipients.length} lines; at most 100,000 per campaign`, 2);
  return recipients;
}

export const IdFlags = z.object({
  id: Ref('a campaign id or name'),
  json: Json,
});
export const StartFlags = IdFlags.extend({
  at: z.iso
    .datetime({ offset: true, message: 'must be an ISO date and time, e.g. 2026-12-01T09:00:00Z' })
    .refine((v) => Date.parse(v) > Date.now(), 'must be in the future')
    .optional(),
});

/** `openwaba campaign start ID [--at WHEN]`: pre-flight and start now, or schedule. */
export async function runCampaignStart(
  config: RemoteDefaults,
  io: Io,
  id: string | undefined,
  opts: RemoteOptions & { at?: string; json?: boolean },
  tty: Tty = processTty(),
) {
  const flags = parseFlags(StartFlags, { id, at: opts.at, json: opts.json }, ['id']);
  const campaign = await withRemote(config, opts, tty, async ({ api }) => {
    const c = await resolveCampaign(api, flags.id);
    return flags.at ? api.campaigns.schedule(c.id, flags.at) : api.campaigns.start(c.id);
  });
  if (flags.json) io.out(JSON.stringify(campaign));
  else printCampaign(io, campaign);
  if (campaign.state === 'failed')
    throw new CliError(`The campaign did not start: ${campaign.failure_reason ?? 'the pre-flight failed'}`);
  if (!flags.json && campaign.state === 'running')
    io.out(`Follow it with: openwaba campaign status ${campaign.id} --watch`);
}

/** `openwaba campaign pause|resume|stop ID`; stop asks first on a terminal (unless --yes). */
export async function runCampaignTransition(
  config: RemoteDefaults,
  io: Io,
  action: 'pause' | 'resume' | 'stop',
  id: string | undefined,
  opts: RemoteOptions & { json?: boolean; yes?: boolean },
  tty: Tty = processTty(),
) {
  const flags = parseFlags(IdFlags, { id, json: opts.json }, ['id']);
  const campaign = await withRemote(config, opts, tty, async ({ api }) => {
    const c = await resolveCampaign(api, flags.id);
    if (action === 'stop' && !opts.yes && tty.interactive) {
      const left = c.counts.pending + c.counts.queued;
      const answer = await ask(
        `Stop "${c.name}" for good? ${n(left)} recipient(s) not yet sent will not be sent. [y/N] `,
        tty,
      );
      if (!/^y(es)?$/i.test(answer)) throw new CliError('Cancelled: the campaign was not stopped');
    }
    return api.campaigns[action](c.id);
  });
  if (flags.json) return io.out(JSON.stringify(campaign));
  printCampaign(io, campaign);
}

/** `openwaba campaign list`: newest first, with live counts. */
export async function runCampaignList(
  config: RemoteDefaults,
  io: Io,
  opts: RemoteOptions & { json?: boolean },
  tty: Tty = processTty(),
) {
  const flags = parseFlags(z.object({ json: Json }), { json: opts.json });
  const { data } = await withRemote(config, opts, tty, ({ api }) => api.campaigns.list());
  if (flags.json) return io.out(JSON.stringify(data));
  if (data.length === 0) return io.out('No campaigns yet. Create one with `openwaba campaign create`.');
  io.out(
    formatTable(
      ['ID', 'NAME', 'STATE', 'DONE', 'SENT', 'FAILED', 'SKIPPED', 'INVALID', 'CREATED'],
      data.map((c) => [
        c.id,
        c.name,
        c.state,
        `${n(doneOf(c))}/${n(toSendOf(c))}`,
        n(c.counts.sent),
        n(c.counts.failed),
        n(c.counts.skipped),
        n(c.counts.invalid),
        c.created_at,
      ]),
    ),
  );
}

/** Where watching ends: nothing more will happen without someone acting. */
const SETTLED = new Set(['draft', 'completed', 'stopped', 'failed', 'paused']);

/**
 * Draws the live progress: a bar redrawn in place on a terminal, one line per change otherwise
 * (logs and CI keep every step, without a line every half second when nothing moved).
 */
export function progressView(io: Io, stream: Pick<NodeJS.WriteStream, 'write' | 'isTTY'> | undefined) {
  let lastLine = '';
  let first: { at: number; done: number } | undefined;
  return {
    update(c: Campaign, now = Date.now()) {
      const done = doneOf(c);
      const total = toSendOf(c);
      first ??= { at: now, done };
      // The server's rate is the number's current send rate; before it reports one, what we saw.
      const seen = now > first.at ? ((done - first.done) * 1000) / (now - first.at) : 0;
      const rate = c.rate ?? (seen > 0 ? seen : null);
      const left = Math.max(0, total - done);
      const eta = c.eta_seconds ?? (rate && rate > 0 ? left / rate : null);
      const ratio = total > 0 ? Math.min(1, done / total) : 1;
      const pct = `${String(Math.floor(ratio * 100)).padStart(3)}%`;
      const tail =
        `${n(done)}/${n(total)}` +
        (rate !== null && c.state === 'running' ? `  ${rate.toFixed(1)} msg/s` : '') +
        (eta !== null && c.state === 'running' && left > 0 ? `  ETA ${formatDuration(eta)}` : '') +
        `  ${c.state}`;
      if (stream?.isTTY) {
        const width = 30;
        const filled = Math.round(ratio * width);
        stream.write(`\r\x1b[2K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct}  ${tail}`);
        return;
      }
      const line = `${c.state} ${pct.trim()} ${n(done)}/${n(total)} (sent ${n(c.counts.sent)}, failed ${n(c.counts.failed)}, skipped ${n(c.counts.skipped)})${rate !== null && c.state === 'running' ? ` ${rate.toFixed(1)} msg/s` : ''}`;
      // Only a change is news: the rate alone moving is not.
      const key = `${c.state} ${done} ${c.counts.sent} ${c.counts.failed} ${c.counts.skipped}`;
      if (key !== lastLine) {
        lastLine = key;
        io.out(line);
      }
    },
    end() {
      if (stream?.isTTY) stream.write('\n');
    },
  };
}

export const StatusFlags = IdFlags.extend({
  watch: z.boolean().optional(),
  interval: z.coerce.number().int().min(50).max(60_000).default(500),
});

/**
 * `openwaba campaign status ID [--watch]`: the state and counts; with --watch, a live progress bar
 * (done of total, msg/s, ETA) until the campaign completes, stops, fails or is paused.
 */
export async function runCampaignStatus(
  config: RemoteDefaults,
  io: Io,
  id: string | undefined,
  opts: RemoteOptions & { watch?: boolean; json?: boolean; interval?: string | number },
  tty: Tty = processTty(),
  stderr: Pick<NodeJS.WriteStream, 'write' | 'isTTY'> | undefined = process.stderr,
) {
  const flags = parseFlags(StatusFlags, { id, watch: opts.watch, json: opts.json, interval: opts.interval }, [
    'id',
  ]);
  const campaign = await withRemote(config, opts, tty, async ({ api }) => {
    let c = await resolveCampaign(api, flags.id);
    if (!flags.watch) return c;
    const view = flags.json ? undefined : progressView(io, stderr);
    try {
      for (;;) {
        view?.update(c);
        if (SETTLED.has(c.state)) return c;
        await new Promise((r) => setTimeout(r, flags.interval));
        c = await api.campaigns.get(c.id);
      }
    } finally {
      view?.end();
    }
  });
  if (flags.json) io.out(JSON.stringify(campaign));
  else printCampaign(io, campaign);
  if (flags.watch && campaign.state === 'failed')
    throw new CliError(`The campaign failed: ${campaign.failure_reason ?? 'see the dashboard'}`);
}
