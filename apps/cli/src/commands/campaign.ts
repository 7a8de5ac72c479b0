/** The `openwaba campaign` verbs (create, start, pause/resume/stop, list, status) and their flag schemas. */
import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import type { CampaignAudience, CreateCampaignBody } from '@openwaba/contracts';
import { z } from 'zod';
import { type RemoteDefaults, type RemoteOptions, withRemote } from '../api.ts';
import { parseFlags } from '../flags.ts';
import { CliError, formatTable, type Io } from '../output.ts';
import { ask, processTty, type Tty } from '../prompt.ts';
import { parseVariableMap, readPhones } from './campaign-input.ts';
import {
  resolveCampaign,
  resolveNumber,
  resolveSegment,
  resolveTags,
  resolveTemplates,
} from './campaign-resolve.ts';
import { doneOf, n, printCampaign, progressView, toSendOf } from './campaign-view.ts';

const Json = z.boolean().optional();
const Ref = (what: string) => z.string().trim().min(1, `must be ${what}`);

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
