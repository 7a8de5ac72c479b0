import {
  type Campaign,
  type CampaignCounts,
  type CampaignPreflight,
  type CampaignState,
  type CreateCampaignBody,
  renderTemplate,
  resolveTemplateParams,
  type TemplateDef,
} from '@openwaba/contracts';
import { type SQL, sql } from 'drizzle-orm';
import { type Actor, actorOf, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../auth/context.ts';
import type { Config } from '../config.ts';
import { latestConsentKind } from '../contacts/consent.ts';
import type { ContactImportService } from '../contacts/import/service.ts';
import type { ContactService } from '../contacts/service.ts';
import type { Db, Tx } from '../db/client.ts';
import { queryRows, transaction } from '../db/tx.ts';
import type { EventService } from '../events/service.ts';
import { csvLine } from '../lib/csv-safe.ts';
import { AppError, notFound } from '../lib/errors.ts';
import type { Log } from '../lib/log.ts';
import { normalizePhone } from '../lib/phone.ts';
import type { UrlGuard } from '../lib/url-guard.ts';
import { dequeueCampaign, queueCampaignChunk } from '../messages/repo.ts';
import type { NotificationService } from '../notifications/service.ts';
import type { OrgService } from '../orgs/service.ts';
import type { TemplateService } from '../templates/service.ts';
import { fixedMediaLinks, refuseInwardMediaLinks } from './media-links.ts';
import { DEFAULT_RATE_TABLE, priceOf, type RateTable, tierLimit } from './pricing.ts';
import { campaignFedPart, recipientsSkippedPart } from './repo.ts';

type Json = Record<string, unknown>;
/** How a caller sees a phone and a cell that may hold one (contacts/phone-privacy). */
type PhoneMask = { phone(p: string): string; text(t: string): string };
type AudienceFile = Awaited<ReturnType<ContactImportService['audienceFile']>>;

interface CampaignRow {
  id: string;
  org_id: string;
  number_id: string;
  name: string;
  state: CampaignState;
  audience: Json;
  templates: StoredTemplate[];
  split: 'sequential' | 'ab';
  scheduled_at: string | Date | null;
  started_at: string | Date | null;
  finished_at: string | Date | null;
  paused_reason: string | null;
  failure_reason: string | null;
  preflight: CampaignPreflight | null;
  /** The feed cursor: recipients up to this id are on the send queue (or past it). */
  fed_through: number | string;
  created_by: string | null;
  created_at: string | Date;
}
interface StoredTemplate {
  template_id: string;
  name: string;
  language: string;
  category: string;
  share: number | null;
  mapping: Json;
}

/** One recipient as built at creation. */
interface Built {
  contactId: string | null;
  waId: string | null;
  input: string;
  rowNumber: number;
  templateIndex: number;
  params: unknown[] | null;
  state: 'pending' | 'invalid';
  reason: string | null;
}

const iso = (v: string | Date | null) => (v === null ? null : new Date(v).toISOString());
/**
 * A recipient's state as people see it (`r` a recipient, `k` its campaign): a pending one at or
 * below the feed cursor is on the send queue, "queued" (the state is not rewritten for it).
 */
const STATE_OF = sql`case when r.state = 'pending' and r.id <= k.fed_through then 'queued' else r.state end`;
/** Recipients in a state as people see it (`r`, `k` as in STATE_OF), read off the state index. */
const stateIs = (state: string) =>
  state === 'queued'
    ? sql`r.state = 'pending' and r.id <= k.fed_through`
    : state === 'pending'
      ? sql`r.state = 'pending' and r.id > k.fed_through`
      : sql`r.state = ${state}`;
const BATCH = 5000;
/** Recipients queued when a campaign starts (sending begins at once) and per feed of a running one. */
const FIRST_CHUNK = 1000;
const FEED_CHUNK = 2000;
/** Least time between two progress events of one campaign. */
const PROGRESS_MS = 1000;
/**
 * Least time between two progress events with delivery and read counts while sending (they join the
 * sent recipients with their messages: a few hundred ms at 100k; every state change has them too).
 */
const FULL_PROGRESS_MS = 15_000;

/** A seeded shuffle (mulberry32), so an A/B split is random but reproducible for one campaign. */
function shuffled(n: number, seed: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  let s = seed >>> 0;
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/**
 * Which template each of `n` recipients gets. Sequential: even chunks in order, the remainder to the
 * last. A/B: exact counts by share (the remainder to the last), assigned at random.
 *
 * @example splitTemplates(10, [{}, {}, {}], 'sequential') // [0,0,0,1,1,1,2,2,2,2]
 */
export function splitTemplates(
  n: number,
  templates: { share?: number | null | undefined }[],
  split: 'sequential' | 'ab',
  seed = 1,
): number[] {
  const k = templates.length;
  if (k <= 1) return new Array(n).fill(0);
  const counts =
    split === 'ab'
      ? templates.map((t) => Math.floor((n * (t.share ?? 0)) / 100))
      : templates.map(() => Math.floor(n / k));
  counts[k - 1]! += n - counts.reduce((a, b) => a + b, 0);
  const order: number[] = [];
  counts.forEach((c, i) => {
    for (let j = 0; j < c; j++) order.push(i);
  });
  if (split === 'sequential') return order;
  const perm = shuffled(n, seed);
  const out = new Array<number>(n);
  perm.forEach((pos, i) => {
    out[pos] = order[i]!;
  });
  return out;
}

export function createCampaignService(deps: {
  db: Db;
  config: Config;
  orgs: OrgService;
  contacts: ContactService;
  templates: TemplateService;
  events: EventService;
  notifications: NotificationService;
  /** Media links must not point inside our network (lib/url-guard.ts). */
  urlGuard: UrlGuard;
  log: Log;
  /** The sender's current rate for a number (msg/s), when this process sends for it. */
  rateOf?(numberId: string): number | undefined;
  /** Wakes the sender (a campaign just started or resumed). */
  poke?(): void;
  rateTable?: RateTable;
  /** Asks Meta about the number now (its token, its messaging limit) and records the answer. */
  checkNumber?(orgId: string, numberId: string): Promise<unknown>;
  /** An uploaded audience file of the organisation (404 when there is none). */
  audienceFile(orgId: string, id: string): Promise<AudienceFile>;
}) {
  const { db, orgs, contacts, templates, events, notifications, log } = deps;
  const rateTable = deps.rateTable ?? DEFAULT_RATE_TABLE;
  const lastProgress = new Map<string, number>();
  const lastFullProgress = new Map<string, number>();
  /** Campaigns whose progress is being counted and published now (in the background of the sender). */
  const publishing = new Set<string>();

  async function getRow(tx: Db | Tx, orgId: string, id: string, lock = false): Promise<CampaignRow> {
    const [row] = await queryRows<CampaignRow>(
      tx,
      sql`select * from campaigns where org_id = ${orgId} and id = ${id} ${lock ? sql`for update` : sql``}`,
    );
    if (!row) throw notFound('Campaign');
    return row;
  }

  /** The counts; `light` leaves out delivery, read and replies (a join over every sent recipient). */
  async function countsOf(tx: Db | Tx, campaignId: string, light = false): Promise<CampaignCounts> {
    const c: CampaignCounts = {
      total: 0,
      pending: 0,
      queued: 0,
      sent: 0,
      delivered: 0,
      read: 0,
      replied: 0,
      failed: 0,
      skipped: 0,
      invalid: 0,
    };
    // A pending recipient at or below the feed cursor is on the send queue: queued.
    const states = await queryRows<{ state: string; n: number }>(
      tx,
      sql`select ${STATE_OF} as state, count(*)::int as n
          from campaign_recipients r join campaigns k on k.id = r.campaign_id
          where r.campaign_id = ${campaignId} group by 1`,
    );
    for (const s of states) {
      c.total += s.n;
      if (s.state in c) c[s.state as keyof CampaignCounts] += s.n;
    }
    if (c.sent && !light) {
      const [d] = await queryRows<{ delivered: number; read: number; failed: number; replied: number }>(
        tx,
        sql`select count(*) filter (where m.status in ('delivered', 'read', 'played'))::int as delivered,
                   count(*) filter (where m.status in ('read', 'played'))::int as read,
                   count(*) filter (where m.status = 'failed')::int as failed,
                   count(*) filter (where cv.last_inbound_at > r.sent_at)::int as replied
            from campaign_recipients r
            join messages m on m.id = r.message_id
            join conversations cv on cv.id = m.conversation_id
            where r.campaign_id = ${campaignId} and r.state = 'sent'`,
      );
      c.delivered = d?.delivered ?? 0;
      c.read = d?.read ?? 0;
      c.replied = d?.replied ?? 0;
      c.failed += d?.failed ?? 0;
    }
    return c;
  }

  async function toCampaign(tx: Db | Tx, r: CampaignRow): Promise<Campaign> {
    const counts = await countsOf(tx, r.id);
    const rate = r.state === 'running' ? (deps.rateOf?.(r.number_id) ?? null) : null;
    const waiting = counts.queued;
    return {
      id: r.id,
      name: r.name,
      number_id: r.number_id,
      state: r.state,
      audience: r.audience as Campaign['audience'],
      templates: r.templates.map((t) => ({
        template_id: t.template_id,
        name: t.name,
        language: t.language,
        category: t.category,
        share: t.share ?? null,
      })),
      split: r.split,
      scheduled_at: iso(r.scheduled_at),
      started_at: iso(r.started_at),
      finished_at: iso(r.finished_at),
      paused_reason: r.paused_reason,
      failure_reason: r.failure_reason,
      preflight: r.preflight,
      counts,
      rate,
      eta_seconds: rate && waiting ? Math.ceil(waiting / rate) : r.state === 'running' && !waiting ? 0 : null,
      created_at: iso(r.created_at)!,
    };
  }

  /** The recipients of the audience, with their template and rendered parameters (or why not). */
  async function buildRecipients(
    orgId: string,
    body: CreateCampaignBody,
    defs: { def: TemplateDef; mapping: Json }[],
    file?: AudienceFile,
  ): Promise<Built[]> {
    type Subject = {
      contactId: string | null;
      waId: string | null;
      input: string;
      name: string | null;
      fields: Json;
      row: Record<string, string>;
      /** The recipient's place in the request, or its row in the file. */
      rowNumber?: number;
      invalid?: string;
    };
    const subjects: Subject[] = [];
    if (body.audience.kind === 'contacts') {
      await contacts.checkFilter(orgId, body.audience.filter);
      const where = await contacts.whereOf(orgId, body.audience.filter, body.audience.segment_id);
      const rows = await queryRows<{ id: string; wa_id: string; name: string | null; fields: Json | null }>(
        db,
        sql`select c.id, c.wa_id, c.name, c.fields from contacts c
            where c.org_id = ${orgId} and (${where}) order by c.created_at, c.id`,
      );
      for (const r of rows) {
        subjects.push({
          contactId: r.id,
          waId: r.wa_id,
          input: `+${r.wa_id}`,
          name: r.name,
          fields: r.fields ?? {},
          row: {},
        });
      }
    } else {
      const { settings } = await orgs.getOrg({ orgId });
      const seen = new Map<string, number>();
      const add = (input: string, row: Record<string, string>, rowNumber: number) => {
        const phone = normalizePhone(input, {
          defaultRegion: settings.default_region,
          allowedCountries: settings.allowed_countries,
        });
        const s: Subject = { contactId: null, waId: null, input, name: null, fields: {}, row, rowNumber };
        if (!phone.ok) s.invalid = `phone: ${phone.reason}`;
        else if (seen.has(phone.waId))
          s.invalid = `duplicate: the same phone as ${where} ${seen.get(phone.waId)}`;
        else {
          seen.set(phone.waId, rowNumber);
          s.waId = phone.waId;
        }
        subjects.push(s);
      };
      const where = body.audience.kind === 'file' ? 'row' : 'recipient';
      if (body.audience.kind === 'file') {
        const { headers, rows } = file!;
        const phoneAt = headers.indexOf(body.audience.phone_column);
        for await (const { rowNumber, cells } of rows()) {
          const row: Record<string, string> = {};
          headers.forEach((h, i) => {
            row[h] = cells[i]?.trim() ?? '';
          });
          add(cells[phoneAt] ?? '', row, rowNumber);
        }
      } else {
        for (const [i, r] of body.audience.recipients.entries()) add(r.phone, r.variables ?? {}, i + 1);
      }
      // Every valid phone is a contact (found, or created without consent: pre-flight decides).
      const waIds = subjects.filter((s) => s.waId).map((s) => s.waId!);
      const byWa = new Map<string, { id: string; name: string | null; fields: Json | null }>();
      for (let i = 0; i < waIds.length; i += BATCH) {
        const chunk = waIds.slice(i, i + BATCH);
        await db.execute(
          sql`insert into contacts (org_id, wa_id) select ${orgId}, w from unnest(${sql.param(chunk)}::text[]) w
              on conflict (org_id, wa_id) do nothing`,
        );
        const rows = await queryRows<{ id: string; wa_id: string; name: string | null; fields: Json | null }>(
          db,
          sql`select c.id, c.wa_id, c.name, c.fields from unnest(${sql.param(chunk)}::text[]) w(wa_id)
              cross join lateral (select * from contacts x where x.org_id = ${orgId} and x.wa_id = w.wa_id limit 1) c`,
        );
        for (const r of rows) byWa.set(r.wa_id, r);
      }
      for (const s of subjects) {
        const c = s.waId ? byWa.get(s.waId) : undefined;
        if (c) {
          s.contactId = c.id;
          s.name = c.name;
          s.fields = c.fields ?? {};
        }
      }
    }
    const valid = subjects.filter((s) => !s.invalid);
    const assignment = splitTemplates(valid.length, body.templates, body.split, valid.length + 7);
    let v = 0;
    return subjects.map((s, i): Built => {
      const base = { contactId: s.contactId, waId: s.waId, input: s.input, rowNumber: s.rowNumber ?? i + 1 };
      if (s.invalid) return { ...base, templateIndex: 0, params: null, state: 'invalid', reason: s.invalid };
      const templateIndex = assignment[v++]!;
      const t = defs[templateIndex]!;
      const resolved = resolveTemplateParams(t.mapping as never, {
        name: s.name,
        phone: s.waId ? `+${s.waId}` : null,
        fields: s.fields,
        row: s.row,
      });
      if (resolved.missing.length) {
        const what = resolved.missing.map((m) => `${m.key} (${m.source})`).join(', ');
        return { ...base, templateIndex, params: null, state: 'invalid', reason: `no value for ${what}` };
      }
      const out = renderTemplate(t.def, resolved.params);
      if (!out.ok) {
        return {
          ...base,
          templateIndex,
          params: null,
          state: 'invalid',
          reason: out.problems.map((p) => `${p.path}: ${p.message}`).join('; '),
        };
      }
      return { ...base, templateIndex, params: out.components, state: 'pending', reason: null };
    });
  }

  /** Creates a draft: the audience resolved into recipients, each checked and rendered. */
  async function create(ctx: AuthContext, body: CreateCampaignBody): Promise<Campaign> {
    const [number] = await queryRows<{ id: string; waba_id: string }>(
      db,
      sql`select id, waba_id from numbers where org_id = ${ctx.orgId} and id = ${body.number_id}`,
    );
    if (!number) throw notFound('Number');
    const stored: StoredTemplate[] = [];
    const defs: { def: TemplateDef; mapping: Json }[] = [];
    for (const [i, ref] of body.templates.entries()) {
      const t = await templates.get(ctx, ref.template_id).catch(() => undefined);
      if (!t) {
        throw new AppError('VALIDATION_FAILED', `templates.${i}.template_id: no such template`, {
          details: [{ path: ['templates', i, 'template_id'], message: 'no such template' }],
        });
      }
      if (t.waba_id !== number.waba_id) {
        throw new AppError(
          'VALIDATION_FAILED',
          `templates.${i}.template_id: “${t.name}” belongs to another WhatsApp account than the number`,
          { details: [{ path: ['templates', i, 'template_id'], message: 'template of another account' }] },
        );
      }
      stored.push({
        template_id: t.id,
        name: t.name,
        language: t.language,
        category: t.category,
        share: ref.share ?? null,
        mapping: ref.mapping as Json,
      });
      defs.push({
        def: {
          name: t.name,
          language: t.language,
          parameter_format: t.parameter_format,
          components: t.components as TemplateDef['components'],
        },
        mapping: ref.mapping as Json,
      });
    }
    await deps.urlGuard.assertLinks(fixedMediaLinks(body.templates), { onLookupFailure: 'accept' });
    const file = body.audience.kind === 'file' ? await openFile(ctx.orgId, body.audience) : undefined;
    const built = await buildRecipients(ctx.orgId, body, defs, file);
    await refuseInwardMediaLinks(
      built,
      defs.map((d) => d.mapping),
      deps.urlGuard,
    );
    const audience =
      body.audience.kind === 'contacts'
        ? { kind: 'contacts', filter: body.audience.filter, segment_id: body.audience.segment_id ?? null }
        : body.audience.kind === 'file'
          ? { kind: 'file', filename: file!.filename, count: built.length }
          : { kind: 'recipients', count: body.audience.recipients.length };
    const id = await transaction(db, async (tx) => {
      const [c] = await queryRows<{ id: string }>(
        tx,
        sql`insert into campaigns (org_id, number_id, name, audience, templates, split, created_by)
            values (${ctx.orgId}, ${number.id}, ${body.name}, ${JSON.stringify(audience)}::jsonb,
                    ${JSON.stringify(stored)}::jsonb, ${body.split}, ${ctx.userId})
            returning id`,
      );
      for (let i = 0; i < built.length; i += BATCH) {
        const chunk = built.slice(i, i + BATCH).map((b) => ({
          contact_id: b.contactId,
          wa_id: b.waId,
          input: b.input,
          row_number: b.rowNumber,
          template_index: b.templateIndex,
          params: b.params,
          state: b.state,
          reason: b.reason,
        }));
        await tx.execute(
          sql`insert into campaign_recipients (campaign_id, org_id, contact_id, wa_id, input, row_number, template_index, params, state, reason)
              select ${c!.id}, ${ctx.orgId}, x.contact_id, x.wa_id, x.input, x.row_number, x.template_index, x.params, x.state, x.reason
              from json_to_recordset(${JSON.stringify(chunk)}::json)
                as x(contact_id uuid, wa_id text, input text, row_number int, template_index int, params jsonb, state text, reason text)`,
        );
      }
      await recordAudit(tx, actorOf(ctx), {
        action: 'campaign.create',
        entityType: 'campaign',
        entityId: c!.id,
        after: {
          name: body.name,
          number_id: number.id,
          audience,
          templates: stored.map((t) => `${t.name} (${t.language})`),
          recipients: built.length,
          invalid: built.filter((b) => b.state === 'invalid').length,
        },
      });
      return c!.id;
    });
    // Every row lives on as a recipient: the file itself is not kept.
    await file?.discard();
    return get(ctx, id);
  }

  async function openFile(orgId: string, audience: { file_id: string; phone_column: string }) {
    const file = await deps.audienceFile(orgId, audience.file_id);
    if (!file.headers.includes(audience.phone_column)) {
      const message = `no column “${audience.phone_column}” in ${file.filename} (its columns: ${file.headers.join(', ')})`;
      throw new AppError('VALIDATION_FAILED', `audience.phone_column: ${message}`, {
        details: [{ path: ['audience', 'phone_column'], message }],
      });
    }
    return file;
  }

  async function get(ctx: Pick<AuthContext, 'orgId'>, id: string): Promise<Campaign> {
    return toCampaign(db, await getRow(db, ctx.orgId, id));
  }

  async function list(ctx: Pick<AuthContext, 'orgId'>): Promise<Campaign[]> {
    const rows = await queryRows<CampaignRow>(
      db,
      sql`select * from campaigns where org_id = ${ctx.orgId} order by created_at desc limit 100`,
    );
    return Promise.all(rows.map((r) => toCampaign(db, r)));
  }

  /**
   * The checks before a start: the number active, every template usable in campaigns (approved, not
   * quarantined, its category allowed), consent of every recipient (those without are skipped with
   * the reason), the messaging-limit budget and an estimated cost. Writes the skips.
   */
  async function preflight(tx: Tx, c: CampaignRow): Promise<CampaignPreflight> {
    const problems: string[] = [];
    const [n] = await queryRows<{
      status: string;
      inactive_reason: string | null;
      messaging_limit_tier: string | null;
      display_name: string;
    }>(
      tx,
      sql`select status, inactive_reason, messaging_limit_tier, display_name from numbers where id = ${c.number_id}`,
    );
    if (!n) problems.push('The number was deleted');
    else if (n.status !== 'active') {
      problems.push(
        `The number ${n.display_name} is inactive${n.inactive_reason ? `: ${n.inactive_reason}` : ''}`,
      );
    }
    for (const t of c.templates) {
      const tpl = await templates.get({ orgId: c.org_id }, t.template_id, tx).catch(() => undefined);
      if (!tpl) problems.push(`Template “${t.name}” (${t.language}) no longer exists`);
      else if (!tpl.usable_in_campaigns) {
        const why = !tpl.active
          ? 'it was deleted at Meta'
          : tpl.status !== 'APPROVED'
            ? `its status is ${tpl.status}`
            : tpl.quarantined
              ? `it is quarantined${tpl.quarantine_reason ? ` (${tpl.quarantine_reason})` : ''}`
              : `its category ${tpl.category} is not allowed in campaigns`;
        problems.push(`Template “${t.name}” (${t.language}) cannot be used: ${why}`);
      }
    }
    // Consent: opted out, or no opt-in on file → skipped, with the reason.
    const skippedRows = await queryRows<{ reason: string; n: number }>(
      tx,
      sql`with k as (
            select r.id, ${latestConsentKind(sql`r`)} as kind from campaign_recipients r
            where r.campaign_id = ${c.id} and r.state = 'pending'),
          s as (
            update campaign_recipients r set state = 'skipped', updated_at = now(),
                   reason = case when k.kind = 'opt_out' then 'opted out' else 'no opt-in on file' end
            from k where r.id = k.id and k.kind is distinct from 'opt_in'
            returning r.reason)
          select reason, count(*)::int as n from s group by reason`,
    );
    const skipped = Object.fromEntries(skippedRows.map((r) => [r.reason, r.n]));
    const [ready] = await queryRows<{ n: number }>(
      tx,
      sql`select count(*)::int as n from campaign_recipients where campaign_id = ${c.id} and state = 'pending'`,
    );
    const readyCount = ready?.n ?? 0;
    if (!readyCount) problems.push('No recipient can be sent to (none valid and opted in)');
    // Budget: business-initiated conversations opened by this number in the last 24 hours.
    const limit = tierLimit(n?.messaging_limit_tier);
    let budget: number | null = null;
    if (limit !== null) {
      const [used] = await queryRows<{ n: number }>(
        tx,
        sql`select count(distinct conversation_id)::int as n from messages
            where number_id = ${c.number_id} and direction = 'out' and type = 'template'
              and sent_at > now() - interval '24 hours' and status is distinct from 'failed'`,
      );
      budget = Math.max(0, limit - (used?.n ?? 0));
      if (readyCount > budget) {
        problems.push(
          `The number may open ${budget} more conversations today (Meta tier ${n?.messaging_limit_tier}); this campaign needs ${readyCount}`,
        );
      }
    }
    // Estimated cost by category and country.
    const byCountry = await queryRows<{ template_index: number; country: string | null; n: number }>(
      tx,
      sql`select r.template_index, ct.country, count(*)::int as n
          from campaign_recipients r left join contacts ct on ct.id = r.contact_id
          where r.campaign_id = ${c.id} and r.state = 'pending' group by 1, 2`,
    );
    const byCategory: Record<string, number> = {};
    let total = 0;
    for (const r of byCountry) {
      const category = c.templates[r.template_index]?.category ?? 'MARKETING';
      const cost = priceOf(rateTable, category, r.country) * r.n;
      byCategory[category] = Math.round(((byCategory[category] ?? 0) + cost) * 10000) / 10000;
      total += cost;
    }
    return {
      ok: problems.length === 0,
      checked_at: new Date().toISOString(),
      problems,
      skipped,
      ready: readyCount,
      budget,
      estimated_cost: {
        currency: rateTable.currency,
        total: Math.round(total * 10000) / 10000,
        by_category: byCategory,
      },
    };
  }

  /**
   * Puts the next `limit` recipients past the feed cursor on the send queue and moves the cursor past
   * them, inside the database (no rows travel through this process, whose event loop paces the
   * sends): one statement for the queue rows and the cursor (`queueCampaignChunk`). Recipients are
   * not rewritten (at or below the cursor, a pending one is queued), and their messages are written
   * once their outcome is known. Joins go through indexes row by row, so a fresh campaign's missing
   * statistics cannot pick a bad plan. The campaign row is locked by the caller, so the cursor is
   * read and moved by one feed at a time.
   */
  async function materialise(tx: Tx, c: CampaignRow, runOrder: number, limit: number) {
    const chunk = sql`select id, contact_id, wa_id, template_index, params from campaign_recipients
                      where campaign_id = ${c.id} and state = 'pending' and id > ${c.fed_through}::bigint
                      order by id limit ${limit}`;
    // A contact deleted since the campaign started has no conversation to be in: skipped, with why.
    await tx.execute(sql`
      update campaign_recipients set state = 'skipped', reason = 'the contact was deleted', updated_at = now()
      where id in (select id from (${chunk}) r where r.contact_id is null)`);
    await queueCampaignChunk(
      tx,
      c.org_id,
      { numberId: c.number_id, campaignId: c.id, runOrder, templates: c.templates },
      chunk,
      campaignFedPart(c.id),
    );
  }

  async function notifyCreator(c: CampaignRow, title: string, message: string, type: string) {
    if (!c.created_by) return;
    await notifications
      .notify(
        { orgId: c.org_id, userIds: [c.created_by] },
        {
          type,
          title,
          message,
          actionUrl: `/campaigns/${c.id}`,
          relatedEntityType: 'campaign',
          relatedEntityId: c.id,
        },
      )
      .catch((err) => log.warn({ err }, 'campaign notification failed'));
  }

  /** Pre-flight, then (if it passes) queue every ready recipient and run; a failure is recorded. */
  async function startNow(orgId: string, id: string, actor: Actor, from: CampaignState[]) {
    // The token is asked about now, not trusted from the last health check: a refused one makes the
    // number inactive, which the pre-flight then reports. Meta out of reach is not a refusal.
    const [target] = await queryRows<{ number_id: string }>(
      db,
      sql`select number_id from campaigns where org_id = ${orgId} and id = ${id}`,
    );
    if (target)
      await deps
        .checkNumber?.(orgId, target.number_id)
        .catch((err) =>
          log.warn({ err, campaignId: id }, 'could not ask Meta about the number before the pre-flight'),
        );
    const result = await transaction(db, async (tx, onCommit) => {
      const c = await getRow(tx, orgId, id, true);
      if (!from.includes(c.state)) {
        throw new AppError(
          'CONFLICT',
          `The campaign is ${c.state}; only a ${from.join(' or ')} campaign can start`,
        );
      }
      const pf = await preflight(tx, c);
      if (!pf.ok) {
        await tx.execute(
          sql`update campaigns set state = 'failed', preflight = ${JSON.stringify(pf)}::jsonb,
                     failure_reason = ${`Pre-flight failed: ${pf.problems.join('; ')}`}, finished_at = now(), updated_at = now()
              where id = ${id}`,
        );
        await recordAudit(tx, actor, {
          action: 'campaign.preflight_failed',
          entityType: 'campaign',
          entityId: id,
          after: pf,
        });
        onCommit(() =>
          notifyCreator(c, `Campaign “${c.name}” did not start`, pf.problems.join('; '), 'campaign.failed'),
        );
        return { ok: false as const };
      }
      // The first chunk now, so sending starts at once; `feed` queues the rest ahead of the sender.
      const [{ at }] = (await queryRows<{ at: number }>(
        tx,
        sql`select (extract(epoch from now()) * 1000)::float8 as at`,
      )) as [{ at: number }];
      await materialise(tx, c, Math.round(at), FIRST_CHUNK);
      await tx.execute(
        sql`update campaigns set state = 'running', preflight = ${JSON.stringify(pf)}::jsonb, started_at = now(),
                   updated_at = now() where id = ${id}`,
      );
      await recordAudit(tx, actor, {
        action: 'campaign.start',
        entityType: 'campaign',
        entityId: id,
        after: { ready: pf.ready, skipped: pf.skipped, estimated_cost: pf.estimated_cost },
      });
      return { ok: true as const };
    });
    if (result.ok) deps.poke?.();
    await publishProgress(id, true);
    return get({ orgId }, id);
  }

  async function start(ctx: AuthContext, id: string) {
    return startNow(ctx.orgId, id, actorOf(ctx), ['draft']);
  }

  async function schedule(ctx: AuthContext, id: string, at: string) {
    if (Date.parse(at) <= Date.now()) {
      throw new AppError('VALIDATION_FAILED', 'at: must be in the future', {
        details: [{ path: ['at'], message: 'must be in the future' }],
      });
    }
    await transition(ctx, id, ['draft'], 'scheduled', 'campaign.schedule', sql`scheduled_at = ${at}`);
    return get(ctx, id);
  }

  /** Starts every scheduled campaign whose time has come (the scheduler job, every minute). */
  async function startDue(): Promise<number> {
    const due = await queryRows<{ id: string; org_id: string }>(
      db,
      sql`select id, org_id from campaigns where state = 'scheduled' and scheduled_at <= now() order by scheduled_at limit 20`,
    );
    for (const d of due) {
      await startNow(d.org_id, d.id, { orgId: d.org_id, actorType: 'system', label: 'scheduler' }, [
        'scheduled',
      ]).catch((err) => log.warn({ err, campaignId: d.id }, 'scheduled campaign did not start'));
    }
    return due.length;
  }

  async function transition(
    ctx: AuthContext,
    id: string,
    from: CampaignState[],
    to: CampaignState,
    action: string,
    /** The columns changed besides the state. */
    set: SQL,
  ) {
    await transaction(db, async (tx) => {
      const c = await getRow(tx, ctx.orgId, id, true);
      if (!from.includes(c.state)) {
        throw new AppError(
          'CONFLICT',
          `The campaign is ${c.state}; this needs it to be ${from.join(' or ')}`,
        );
      }
      await tx.execute(sql`update campaigns set state = ${to}, updated_at = now(), ${set} where id = ${id}`);
      await recordAudit(tx, actorOf(ctx), {
        action,
        entityType: 'campaign',
        entityId: id,
        before: { state: c.state },
        after: { state: to },
      });
    });
  }

  async function pause(ctx: AuthContext, id: string) {
    await transition(
      ctx,
      id,
      ['running'],
      'paused',
      'campaign.pause',
      sql`paused_reason = ${'paused by a person'}`,
    );
    await publishProgress(id, true);
    return get(ctx, id);
  }

  async function resume(ctx: AuthContext, id: string) {
    const c = await getRow(db, ctx.orgId, id);
    if (c.state === 'paused') {
      // The reasons to pause may still hold: the number and templates are checked again.
      const [n] = await queryRows<{ status: string }>(
        db,
        sql`select status from numbers where id = ${c.number_id}`,
      );
      if (n?.status !== 'active')
        throw new AppError('CONFLICT', 'The number is inactive; replace its token first');
      for (const t of c.templates) {
        const tpl = await templates.get(ctx, t.template_id).catch(() => undefined);
        if (!tpl?.usable_in_campaigns) {
          throw new AppError(
            'CONFLICT',
            `Template “${t.name}” (${t.language}) cannot be used in campaigns now`,
          );
        }
      }
    }
    await transition(ctx, id, ['paused'], 'running', 'campaign.resume', sql`paused_reason = null`);
    deps.poke?.();
    await publishProgress(id, true);
    return get(ctx, id);
  }

  /** Stops for good: nothing more is sent; sends in flight finish and are recorded. */
  async function stop(ctx: AuthContext, id: string) {
    await transaction(db, async (tx) => {
      const c = await getRow(tx, ctx.orgId, id, true);
      if (!['running', 'paused', 'scheduled'].includes(c.state)) {
        throw new AppError(
          'CONFLICT',
          `The campaign is ${c.state}; only a running, paused or scheduled one can stop`,
        );
      }
      await dropQueued(tx, ctx.orgId, id, 'campaign stopped');
      await tx.execute(
        sql`update campaigns set state = 'stopped', finished_at = now(), updated_at = now() where id = ${id}`,
      );
      await recordAudit(tx, actorOf(ctx), {
        action: 'campaign.stop',
        entityType: 'campaign',
        entityId: id,
        before: { state: c.state },
      });
    });
    await publishProgress(id, true);
    return get(ctx, id);
  }

  /**
   * Takes a campaign's unsent sends off the queue (claims in flight stay: their recipients stay
   * queued until their outcome is recorded) and skips them with the recipients not fed yet: they
   * never happened.
   */
  async function dropQueued(tx: Tx, orgId: string, campaignId: string, reason: string) {
    await dequeueCampaign(tx, orgId, campaignId, recipientsSkippedPart(reason));
    await tx.execute(
      sql`update campaign_recipients r set state = 'skipped', reason = ${reason}, updated_at = now()
          from campaigns k where k.id = ${campaignId} and r.campaign_id = k.id and ${stateIs('pending')}`,
    );
  }

  async function remove(ctx: AuthContext, id: string) {
    await transaction(db, async (tx) => {
      const c = await getRow(tx, ctx.orgId, id, true);
      if (c.state === 'running' || c.state === 'paused') {
        throw new AppError('CONFLICT', `The campaign is ${c.state}; stop it before deleting it`);
      }
      await tx.execute(sql`delete from campaigns where id = ${id}`);
      await recordAudit(tx, actorOf(ctx), {
        action: 'campaign.delete',
        entityType: 'campaign',
        entityId: id,
        before: { name: c.name, state: c.state },
      });
    });
  }

  /** Most queued sends a running campaign keeps ahead of its sender. */
  const FEED_AHEAD = 20_000;

  /**
   * Queues the next chunk of every running campaign that still has ready recipients and fewer than
   * FEED_AHEAD sends waiting. The campaign row is locked while feeding (SKIP LOCKED: another worker
   * feeding it is left alone), so a recipient is queued once.
   */
  async function feed() {
    const due = await queryRows<{ id: string; org_id: string }>(
      db,
      sql`select k.id, k.org_id from campaigns k
          where k.state = 'running'
            and exists (select 1 from campaign_recipients r where r.campaign_id = k.id and ${stateIs('pending')})`,
    );
    for (const d of due) {
      await transaction(db, async (tx) => {
        const [c] = await queryRows<CampaignRow & { run_order: number }>(
          tx,
          sql`select *, (extract(epoch from started_at) * 1000)::float8 as run_order from campaigns
              where id = ${d.id} and state = 'running' for update skip locked`,
        );
        if (!c) return;
        const [q] = await queryRows<{ n: number }>(
          tx,
          sql`select count(*)::int as n from (select 1 from send_queue where campaign_id = ${d.id} limit ${FEED_AHEAD}) x`,
        );
        if ((q?.n ?? 0) >= FEED_AHEAD) return;
        await materialise(tx, c, Math.round(c.run_order), FEED_CHUNK);
      });
    }
  }

  /** After the sender recorded outcomes: progress out, and a campaign with nothing left completes. */
  async function onActivity(ids: string[]) {
    const completed = await queryRows<CampaignRow>(
      db,
      sql`update campaigns k set state = 'completed', finished_at = now(), updated_at = now()
          where k.id = any(${sql.param(ids)}::uuid[]) and k.state = 'running'
            and not exists (select 1 from send_queue q where q.campaign_id = k.id)
            and not exists (select 1 from campaign_recipients r where r.campaign_id = k.id and ${stateIs('pending')})
          returning *`,
    );
    for (const c of completed) {
      await publishProgress(c.id, true);
      const counts = await countsOf(db, c.id);
      await notifyCreator(
        c,
        `Campaign “${c.name}” completed`,
        `${counts.sent} sent, ${counts.failed} failed, ${counts.skipped + counts.invalid} left out.`,
        'campaign.completed',
      );
    }
    // Progress of the others is counted off the sender's path (the full counts join the sent
    // recipients with their messages: hundreds of ms at 100k, and recording outcomes must not wait).
    const done = new Set(completed.map((c) => c.id));
    const now = Date.now();
    for (const id of ids) {
      if (done.has(id) || publishing.has(id) || now - (lastProgress.get(id) ?? 0) < PROGRESS_MS) continue;
      publishing.add(id);
      void publishProgress(id, false)
        .catch((err) => log.warn({ err, campaignId: id }, 'publishing campaign progress failed'))
        .finally(() => publishing.delete(id));
    }
  }

  /**
   * Publishes `campaign.progress` to the campaign's organisation: at most every PROGRESS_MS while
   * sending, with the cheap counts (recipient states); delivery, read and failures reported by Meta
   * every FULL_PROGRESS_MS and on every state change.
   */
  async function publishProgress(id: string, force: boolean) {
    const now = Date.now();
    if (!force && now - (lastProgress.get(id) ?? 0) < PROGRESS_MS) return;
    lastProgress.set(id, now);
    const full = force || now - (lastFullProgress.get(id) ?? 0) >= FULL_PROGRESS_MS;
    if (full) lastFullProgress.set(id, now);
    const [c] = await queryRows<{ org_id: string; state: string; number_id: string }>(
      db,
      sql`select org_id, state, number_id from campaigns where id = ${id}`,
    );
    if (!c) return;
    const counts = await countsOf(db, id, !full);
    await events
      .publish(c.org_id, [
        {
          type: 'campaign.progress',
          campaign_id: id,
          data: {
            campaign_id: id,
            state: c.state,
            total: counts.total,
            queued: counts.queued,
            sent: counts.sent,
            ...(full ? { delivered: counts.delivered, read: counts.read } : {}),
            failed: counts.failed,
            skipped: counts.skipped + counts.invalid,
            rate: c.state === 'running' ? (deps.rateOf?.(c.number_id) ?? null) : null,
          },
        },
      ])
      .catch(() => {});
    if (['completed', 'stopped', 'failed'].includes(c.state)) {
      lastProgress.delete(id);
      lastFullProgress.delete(id);
    }
  }

  /** Running campaigns matching `which` pause, each with the reason and a note to its creator. */
  async function pauseRunning(orgId: string, which: SQL, reason: string, advice: string) {
    const paused = await queryRows<CampaignRow>(
      db,
      sql`update campaigns set state = 'paused', paused_reason = ${reason}, updated_at = now()
          where org_id = ${orgId} and state = 'running' and ${which} returning *`,
    );
    for (const c of paused) {
      await publishProgress(c.id, true);
      await notifyCreator(c, `Campaign “${c.name}” paused`, `${reason}. ${advice}`, 'campaign.paused');
    }
    return paused.length;
  }

  /** Meta refused the number's token: its running campaigns pause until it is replaced. */
  const pauseForNumber = (orgId: string, numberId: string, reason: string) =>
    pauseRunning(
      orgId,
      sql`number_id = ${numberId}`,
      `The number's access token was refused: ${reason}`,
      'Replace the token, then resume.',
    );

  /** A template can no longer be sent (quarantined, or paused/disabled by Meta): campaigns using it pause. */
  const pauseForTemplate = (orgId: string, templateId: string, reason: string) =>
    pauseRunning(
      orgId,
      sql`templates @> ${JSON.stringify([{ template_id: templateId }])}::jsonb`,
      reason,
      'Review the template, then resume.',
    );

  /** Meta refused a campaign's template at send time (paused, disabled, gone): the campaign pauses. */
  const pauseForTemplateError = (orgId: string, campaignIds: string[], reason: string) =>
    pauseRunning(
      orgId,
      sql`id = any(${sql.param(campaignIds)}::uuid[])`,
      `Meta refused its template: ${reason}`,
      'Check the template in Templates, then resume.',
    );

  /** `phones`: how the caller sees customers' phones (masked when the organisation hides them). */
  async function recipients(
    ctx: Pick<AuthContext, 'orgId'>,
    id: string,
    q: { state?: string | undefined; after?: number | undefined; limit: number },
    phones: PhoneMask = { phone: (p) => p, text: (t) => t },
  ) {
    await getRow(db, ctx.orgId, id);
    const rows = await queryRows<{
      id: number;
      contact_id: string | null;
      wa_id: string | null;
      input: string;
      row_number: number;
      template_index: number;
      state: string;
      status: string | null;
      reason: string | null;
      error: unknown;
      message_error: unknown;
      sent_at: string | Date | null;
    }>(
      db,
      sql`select r.id::int as id, r.contact_id, r.wa_id, r.input, r.row_number, r.template_index, ${STATE_OF} as state,
                 m.status, r.reason, r.error, m.error as message_error, r.sent_at
          from campaign_recipients r join campaigns k on k.id = r.campaign_id
          left join messages m on m.id = r.message_id
          where r.campaign_id = ${id} and r.org_id = ${ctx.orgId}
            ${q.state ? sql`and ${stateIs(q.state)}` : sql``}
            and r.id > ${q.after ?? 0}
          order by r.id limit ${q.limit + 1}`,
    );
    const page = rows.slice(0, q.limit);
    return {
      data: page.map((r) => ({
        id: r.id,
        contact_id: r.contact_id,
        phone: r.wa_id ? phones.phone(`+${r.wa_id}`) : null,
        input: phones.text(r.input),
        row_number: r.row_number,
        template_index: r.template_index,
        state: r.state as never,
        status: r.state === 'sent' ? r.status : null,
        reason: r.reason,
        error: r.error ?? (r.status === 'failed' ? r.message_error : null) ?? null,
        sent_at: iso(r.sent_at),
      })),
      next_cursor: rows.length > q.limit ? page[page.length - 1]!.id : null,
    };
  }

  async function report(ctx: Pick<AuthContext, 'orgId'>, id: string) {
    const campaign = await get(ctx, id);
    const c = campaign.counts;
    const failures = await queryRows<{ code: string; title: string; count: number }>(
      db,
      sql`select coalesce(e->>'code', 'unknown') as code, coalesce(e->>'title', r.reason, 'unknown') as title, count(*)::int as count
          from campaign_recipients r left join messages m on m.id = r.message_id
          cross join lateral (select coalesce(r.error, case when m.status = 'failed' then m.error end) as e) x
          where r.campaign_id = ${id} and (r.state = 'failed' or m.status = 'failed')
          group by 1, 2 order by 3 desc limit 50`,
    );
    const perTemplate = await queryRows<{
      template_index: number;
      sent: number;
      delivered: number;
      read: number;
      failed: number;
    }>(
      db,
      sql`select r.template_index,
                 count(*) filter (where r.state = 'sent')::int as sent,
                 count(*) filter (where m.status in ('delivered', 'read', 'played'))::int as delivered,
                 count(*) filter (where m.status in ('read', 'played'))::int as read,
                 count(*) filter (where r.state = 'failed' or m.status = 'failed')::int as failed
          from campaign_recipients r left join messages m on m.id = r.message_id
          where r.campaign_id = ${id} group by 1 order by 1`,
    );
    const [span] = await queryRows<{ first: string | null; last: string | null }>(
      db,
      sql`select min(sent_at) as first, max(sent_at) as last from campaign_recipients where campaign_id = ${id} and state = 'sent'`,
    );
    const started = campaign.started_at ? Date.parse(campaign.started_at) : null;
    const ended = campaign.finished_at ? Date.parse(campaign.finished_at) : null;
    const sendSpan =
      span?.first && span.last
        ? (new Date(span.last).getTime() - new Date(span.first).getTime()) / 1000
        : null;
    const ratio = (a: number, b: number) => (b ? Math.round((a / b) * 10000) / 10000 : 0);
    return {
      campaign,
      funnel: c,
      rates: {
        delivered: ratio(c.delivered, c.sent),
        read: ratio(c.read, c.sent),
        replied: ratio(c.replied, c.sent),
        // Of the recipients a send was attempted for (state sent or failed): refused at once, or
        // accepted and then failed by a status webhook.
        failed: ratio(c.failed, c.total - c.pending - c.queued - c.skipped - c.invalid),
      },
      failures,
      per_template: perTemplate.map((p) => ({
        ...p,
        name: campaign.templates[p.template_index]?.name ?? '',
      })),
      duration_seconds: started && ended ? Math.round((ended - started) / 100) / 10 : null,
      average_rate: sendSpan && sendSpan > 0 ? Math.round((c.sent / sendSpan) * 10) / 10 : null,
      note: 'Delivery and read statuses can arrive up to 24 hours after a message is sent; the figures grow until then.',
    };
  }

  /** Every recipient with its final state, status and error, as CSV safe to open in a spreadsheet. */
  async function* exportCsv(
    ctx: Pick<AuthContext, 'orgId'>,
    id: string,
    phones?: PhoneMask,
  ): AsyncGenerator<string> {
    const c = await getRow(db, ctx.orgId, id);
    yield csvLine([
      'row',
      'phone',
      'input',
      'template',
      'state',
      'status',
      'reason',
      'error_code',
      'error_title',
      'sent_at',
    ]);
    let after = 0;
    for (;;) {
      const page = await recipients(ctx, id, { after, limit: 500 }, phones);
      for (const r of page.data) {
        const e = (r.error ?? {}) as { code?: unknown; title?: unknown };
        yield csvLine([
          r.row_number,
          r.phone,
          r.input,
          c.templates[r.template_index]?.name ?? '',
          r.state,
          r.status,
          r.reason,
          e.code === undefined ? null : String(e.code),
          e.title === undefined ? null : String(e.title),
          r.sent_at,
        ]);
      }
      if (page.next_cursor === null) return;
      after = page.next_cursor;
    }
  }

  /**
   * The campaigns a contact was sent (through their conversations' messages, which are indexed by
   * conversation: no scan of every campaign's recipients), newest first.
   */
  async function ofContact(ctx: Pick<AuthContext, 'orgId'>, contactId: string) {
    // Another organisation's contact (or none) is not found, not "no campaigns": no existence oracle.
    await contacts.get(ctx, contactId);
    const rows = await queryRows<{
      campaign_id: string;
      name: string;
      campaign_state: string;
      message_status: string | null;
      sent_at: string | null;
    }>(
      db,
      sql`select * from (
            select distinct on (k.id) k.id as campaign_id, k.name, k.state as campaign_state,
                   m.status as message_status, m.sent_at
            from conversations c
            join messages m on m.conversation_id = c.id and m.campaign_id is not null
            join campaigns k on k.id = m.campaign_id and k.org_id = ${ctx.orgId}
            where c.org_id = ${ctx.orgId} and c.contact_id = ${contactId}
            order by k.id, m.sent_at desc) x
          order by x.sent_at desc nulls last`,
    );
    return rows.map((r) => ({ ...r, sent_at: r.sent_at ? new Date(r.sent_at).toISOString() : null }));
  }

  return {
    create,
    get,
    list,
    ofContact,
    start,
    schedule,
    startDue,
    pause,
    resume,
    stop,
    remove,
    recipients,
    report,
    exportCsv,
    onActivity,
    feed,
    pauseForNumber,
    pauseForTemplate,
    pauseForTemplateError,
  };
}
export type CampaignService = ReturnType<typeof createCampaignService>;
