import {
  AGENTS_NOTE,
  type AgentsReport,
  type CampaignsReport,
  DAILY_MAX_DAYS,
  type GroupedReportQuery,
  type NumbersReport,
  type ReportOverview,
  type ReportQuery,
  SETTLING_NOTE,
  type SpendBreakdown,
  type TemplatesReport,
} from '@openwaba/contracts';
import type { AuthContext } from '../auth/context.ts';
import type { BillingService } from '../billing/service.ts';
import type { CampaignService } from '../campaigns/service.ts';
import type { TagService } from '../contacts/tags.ts';
import type { Db } from '../db/client.ts';
import { AppError } from '../lib/errors.ts';
import type { NumberService } from '../numbers/service.ts';
import type { OrgService } from '../orgs/service.ts';
import { foldAgents, rebuildAgents } from './agents-fold.ts';
import {
  type AgentScope,
  agentDays,
  agentHistograms,
  firstResponseHistogram,
  type Histogram,
  quantile,
  teamsOf,
  userNames,
} from './agents-sql.ts';
import { foldHealth, healthChanges, type ReadHealth, rebuildHealth } from './health-fold.ts';
import {
  audienceCounts,
  type Counts,
  claimRebuild,
  dailySeries,
  failuresBy,
  foldOnce,
  forgetTagRollups,
  hourly,
  openConversations,
  peaksPerPeriod,
  perNumberPeriod,
  perTemplate,
  type RollupScope,
  rebuildRollups,
  releaseRebuild,
  spendBy,
  templateQualityChanges,
  templateQualityNow,
  topFailures,
  totals,
} from './repo.ts';

type Ctx = Pick<AuthContext, 'orgId'>;
type LimitsUsed = Awaited<ReturnType<NumberService['limitsUsed']>>;

/** How long the limit used of an organisation's numbers is reused (it counts a rolling 24 hours). */
const LIMITS_TTL_MS = 30_000;

const DAY = 86_400_000;
const addDays = (day: string, n: number) => new Date(Date.parse(day) + n * DAY).toISOString().slice(0, 10);
const daysOf = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / DAY) + 1;
/** Per day, or per week past DAILY_MAX_DAYS days, unless the query says which. */
const groupOf = (q: GroupedReportQuery) =>
  q.group ?? (daysOf(q.from, q.to) > DAILY_MAX_DAYS ? 'week' : 'day');
const ratio = (a: number, b: number) => (b ? Math.round((a / b) * 10000) / 10000 : 0);
const money = (n: number) => Math.round(n * 1e6) / 1e6;
const COUNT_KEYS = [
  'attempted',
  'sent',
  'delivered',
  'read',
  'failed',
  'inbound',
  'replied',
  'spend',
] as const;
const sumCounts = (rows: Counts[]): Counts => {
  const out = { attempted: 0, sent: 0, delivered: 0, read: 0, failed: 0, inbound: 0, replied: 0, spend: 0 };
  for (const r of rows) for (const k of COUNT_KEYS) out[k] += r[k];
  return out;
};
const kpi = (current: number, previous: number) => ({
  current,
  previous,
  change: previous ? Math.round(((current - previous) / previous) * 10000) / 10000 : null,
});

/**
 * Reports (docs/reports.md): the rollups kept by the fold (`fold.ts` runs it every 250 ms in workers),
 * their rebuild, and the reports read from them — never from messages. Campaigns are compared on
 * their own counters (the campaigns domain's report).
 */
export function createReportService(deps: {
  db: Db;
  orgs: Pick<OrgService, 'getOrg'>;
  numbers: Pick<NumberService, 'list' | 'findRow' | 'healthRecordsAfter' | 'limitsUsed'>;
  campaigns: Pick<CampaignService, 'list' | 'reports'>;
  billing: Pick<BillingService, 'cardAt' | 'campaignsSpend'>;
  tags: Pick<TagService, 'exists'>;
  foldBatch: number;
}) {
  const { db } = deps;
  const readHealth: ReadHealth = (after, limit, tx) => deps.numbers.healthRecordsAfter(after, limit, tx);

  /**
   * The scope of a query; an unknown number or tag (or another organisation's) is 404. A team
   * applies to the agents report only (`teams`: that report's own check); the others refuse it.
   */
  /** The query's scope, checked (404 for a number or tag not the organisation's); with a number, its account. */
  async function scopeOf(
    ctx: Ctx,
    q: ReportQuery,
    teams = false,
  ): Promise<RollupScope & { wabaId: string | null }> {
    if (q.team_id && !teams)
      throw new AppError('VALIDATION_FAILED', 'team_id: applies to the agents report only', {
        details: [{ path: ['team_id'], message: 'applies to the agents report only' }],
      });
    const number = q.number_id ? await deps.numbers.findRow(ctx.orgId, q.number_id) : undefined;
    if (q.number_id && !number) throw new AppError('NOT_FOUND', 'Number not found');
    if (q.tag_id && !(await deps.tags.exists(ctx.orgId, q.tag_id)))
      throw new AppError('NOT_FOUND', 'Tag not found');
    return { from: q.from, to: q.to, numberId: q.number_id, tagId: q.tag_id, wabaId: number?.wabaId ?? null };
  }

  async function currency() {
    // The rate card in force today (loaded once a while by billing, not per request).
    return (await deps.billing.cardAt(new Date())).currency ?? null;
  }

  async function overview(ctx: Ctx, q: ReportQuery): Promise<ReportOverview> {
    const scope = await scopeOf(ctx, q);
    const n = daysOf(q.from, q.to);
    const prev = { ...scope, from: addDays(q.from, -n), to: addDays(q.from, -1) };
    const org = await deps.orgs.getOrg(ctx);
    const tz = org.settings.timezone;
    const [old, series, hours, top, aud, audPrev, open, frNow, frPrev, health] = await Promise.all([
      totals(db, ctx.orgId, prev),
      dailySeries(db, ctx.orgId, scope),
      hourly(db, ctx.orgId, scope),
      topFailures(db, ctx.orgId, scope, 10),
      audienceCounts(db, ctx.orgId, scope, tz),
      audienceCounts(db, ctx.orgId, prev, tz),
      openConversations(db, ctx.orgId, scope),
      // Response times are an agents' figure, not a tag's: none under a tag filter.
      scope.tagId ? [] : firstResponseHistogram(db, ctx.orgId, scope),
      scope.tagId ? [] : firstResponseHistogram(db, ctx.orgId, prev),
      numbersHealth(ctx, scope.numberId),
    ]);
    const frCur = quantile(frNow, 0.5);
    const frOld = quantile(frPrev, 0.5);
    const cur = sumCounts(series);
    const byDay = new Map(series.map((s) => [s.day, s]));
    const byHour = new Map(hours.map((h) => [h.hour, h]));
    const rate = (c: Counts, k: 'delivered' | 'read' | 'replied') => ratio(c[k], c.sent);
    return {
      range: { from: q.from, to: q.to },
      previous: { from: prev.from, to: prev.to },
      timezone: tz,
      kpis: {
        sent: kpi(cur.sent, old.sent),
        received: kpi(cur.inbound, old.inbound),
        delivery_rate: kpi(rate(cur, 'delivered'), rate(old, 'delivered')),
        read_rate: kpi(rate(cur, 'read'), rate(old, 'read')),
        reply_rate: kpi(rate(cur, 'replied'), rate(old, 'replied')),
        failed: kpi(cur.failed, old.failed),
        spend: kpi(money(cur.spend), money(old.spend)),
        new_contacts: kpi(aud.new_contacts, audPrev.new_contacts),
        opt_ins: kpi(aud.opt_ins, audPrev.opt_ins),
        opt_outs: kpi(aud.opt_outs, audPrev.opt_outs),
        first_response_median: {
          current: frCur,
          previous: frOld,
          change: frCur !== null && frOld ? Math.round(((frCur - frOld) / frOld) * 10000) / 10000 : null,
        },
      },
      open_conversations: open,
      numbers_health: health,
      top_failures: top,
      series: Array.from({ length: n }, (_, i) => {
        const day = addDays(q.from, i);
        const s = byDay.get(day);
        return {
          day,
          sent: s?.sent ?? 0,
          delivered: s?.delivered ?? 0,
          read: s?.read ?? 0,
          failed: s?.failed ?? 0,
          inbound: s?.inbound ?? 0,
        };
      }),
      by_hour: Array.from({ length: 24 }, (_, hour) => ({
        hour,
        inbound: byHour.get(hour)?.inbound ?? 0,
        outbound: byHour.get(hour)?.outbound ?? 0,
      })),
      currency: await currency(),
      note: SETTLING_NOTE,
    };
  }

  /**
   * The messaging limit used per number (a count of distinct customers over the last 24 hours, read
   * from messages): kept per organisation for LIMITS_TTL_MS, so a home page refreshed live does not
   * count them again each time. The sender checks the budget itself, never through this.
   */
  const limitsRead = new Map<string, { at: number; value: Promise<LimitsUsed> }>();
  function limitsUsed(ctx: Ctx) {
    const now = Date.now();
    const hit = limitsRead.get(ctx.orgId);
    if (hit && now - hit.at < LIMITS_TTL_MS) return hit.value;
    const value = deps.numbers.limitsUsed(ctx);
    limitsRead.set(ctx.orgId, { at: now, value });
    value.catch(() => limitsRead.delete(ctx.orgId));
    return value;
  }

  /** Each number's health now and the messaging limit its portfolio used in the last 24 hours. */
  async function numbersHealth(ctx: Ctx, numberId: string | undefined) {
    const [list, limits] = await Promise.all([deps.numbers.list(ctx), limitsUsed(ctx)]);
    const limitOf = new Map(limits.map((l) => [l.numberId, l]));
    return list
      .filter((n) => !numberId || n.id === numberId)
      .map((n) => ({
        number_id: n.id,
        display_name: n.display_name,
        status: n.status,
        quality_rating: n.health.quality_rating,
        messaging_limit_tier: limitOf.get(n.id)?.tier ?? n.health.messaging_limit_tier,
        limit: limitOf.get(n.id)?.limit ?? null,
        used: limitOf.get(n.id)?.used ?? 0,
      }));
  }

  async function numberNames(ctx: Ctx) {
    return new Map((await deps.numbers.list(ctx)).map((n) => [n.id, n.display_name]));
  }

  /**
   * Per number per day (per week past 90 days unless `group=day`), each number's totals over the
   * range with the throughput it reached and its quality and tier history.
   */
  async function numbers(ctx: Ctx, q: GroupedReportQuery): Promise<NumbersReport> {
    const scope = await scopeOf(ctx, q);
    const group = groupOf(q);
    const [rows, peaks, health, names] = await Promise.all([
      perNumberPeriod(db, ctx.orgId, scope, group),
      peaksPerPeriod(db, ctx.orgId, scope, group),
      healthChanges(db, ctx.orgId, scope),
      numberNames(ctx),
    ]);
    const peakOf = new Map(peaks.map((p) => [`${p.day}/${p.number_id}`, p.peak]));
    const perSecond = (peak: number | undefined) => (peak ? Math.round((peak / 60) * 100) / 100 : null);
    // A period can have a throughput and no message created in it (queued the day before it went).
    const keys = new Set(rows.map((r) => `${r.day}/${r.number_id}`));
    const zero = {
      attempted: 0,
      sent: 0,
      delivered: 0,
      read: 0,
      failed: 0,
      inbound: 0,
      replied: 0,
      spend: 0,
    };
    const all = [
      ...rows,
      ...peaks
        .filter((p) => !keys.has(`${p.day}/${p.number_id}`))
        .map((p) => ({ ...zero, day: p.day, number_id: p.number_id })),
    ].sort((a, b) => a.day.localeCompare(b.day) || a.number_id.localeCompare(b.number_id));
    const data = all.map((r) => ({
      day: r.day,
      number_id: r.number_id,
      display_name: names.get(r.number_id) ?? null,
      sent: r.sent,
      delivered: r.delivered,
      read: r.read,
      failed: r.failed,
      replied: r.replied,
      inbound: r.inbound,
      spend: money(r.spend),
      throughput: perSecond(peakOf.get(`${r.day}/${r.number_id}`)),
    }));
    // Every number of the organisation (or the one asked), and deleted ones that have figures.
    const ids = new Set(scope.numberId ? [scope.numberId] : names.keys());
    for (const r of data) ids.add(r.number_id);
    const totals = new Map(
      [...ids].map((id) => [
        id,
        {
          number_id: id,
          display_name: names.get(id) ?? null,
          sent: 0,
          delivered: 0,
          read: 0,
          failed: 0,
          replied: 0,
          inbound: 0,
          spend: 0,
          throughput: null as number | null,
          quality_at_start: null as string | null,
          tier_at_start: null as string | null,
          changes: [] as NumbersReport['numbers'][number]['changes'],
        },
      ]),
    );
    for (const r of data) {
      const t = totals.get(r.number_id)!;
      for (const k of ['sent', 'delivered', 'read', 'failed', 'replied', 'inbound', 'spend'] as const)
        t[k] += r[k];
      if (r.throughput !== null) t.throughput = Math.max(t.throughput ?? 0, r.throughput);
    }
    for (const h of health) {
      const t = totals.get(h.number_id);
      if (!t) continue;
      if (h.at === null) {
        if (h.kind === 'quality') t.quality_at_start = h.value;
        else t.tier_at_start = h.value;
      } else t.changes.push({ at: h.at, kind: h.kind as 'quality' | 'tier', from: h.previous, to: h.value });
    }
    for (const t of totals.values()) {
      t.spend = money(t.spend);
      t.changes.sort((a, b) => a.at.localeCompare(b.at));
    }
    return {
      range: { from: q.from, to: q.to },
      group,
      numbers: [...totals.values()].sort(
        (a, b) => b.sent - a.sent || (a.display_name ?? '').localeCompare(b.display_name ?? ''),
      ),
      data,
      note: SETTLING_NOTE,
    };
  }

  async function templates(ctx: Ctx, q: ReportQuery): Promise<TemplatesReport> {
    const scope = await scopeOf(ctx, q);
    // A template's quality is its WhatsApp Business Account's: with a number, that account's templates.
    const { wabaId } = scope;
    const tz = (await deps.orgs.getOrg(ctx)).settings.timezone;
    const [rows, failures, qualityNow, changes] = await Promise.all([
      perTemplate(db, ctx.orgId, scope),
      failuresBy(db, ctx.orgId, scope, 10_000),
      templateQualityNow(db, ctx.orgId, wabaId),
      templateQualityChanges(db, ctx.orgId, scope, tz, wabaId),
    ]);
    const quality = new Map(qualityNow.map((t) => [`${t.template}\u0000${t.language}`, t.quality_score]));
    return {
      range: { from: q.from, to: q.to },
      data: rows
        .filter((r) => r.template !== '')
        .map((r) => ({
          template: r.template,
          language: r.language,
          sent: r.sent,
          delivered: r.delivered,
          read: r.read,
          failed: r.failed,
          replied: r.replied,
          delivery_rate: ratio(r.delivered, r.sent),
          read_rate: ratio(r.read, r.sent),
          reply_rate: ratio(r.replied, r.sent),
          failure_rate: ratio(r.failed, r.attempted),
          spend: money(r.spend),
          failures: failures
            .filter((f) => f.template === r.template && f.language === r.language)
            .slice(0, 10)
            .map((f) => ({ code: f.code, count: f.count })),
          quality_score: quality.get(`${r.template}\u0000${r.language}`) ?? null,
        })),
      quality_changes: changes.map((c) => ({ ...c, at: new Date(c.at).toISOString() })),
      note: SETTLING_NOTE,
    };
  }

  async function spend(ctx: Ctx, q: ReportQuery): Promise<SpendBreakdown> {
    const scope = await scopeOf(ctx, q);
    const [byNumber, byCategory, byCountry, byDay, names, cur] = await Promise.all([
      spendBy(db, ctx.orgId, scope, 'number_id'),
      spendBy(db, ctx.orgId, scope, 'category'),
      spendBy(db, ctx.orgId, scope, 'country'),
      spendBy(db, ctx.orgId, scope, 'day'),
      numberNames(ctx),
      currency(),
    ]);
    const m = (rows: typeof byDay) => rows.map((r) => ({ ...r, spend: money(r.spend) }));
    return {
      range: { from: q.from, to: q.to },
      currency: cur,
      total: {
        messages: byDay.reduce((s, r) => s + r.messages, 0),
        spend: money(byDay.reduce((s, r) => s + r.spend, 0)),
      },
      by_number: m(byNumber).map((r) => ({ ...r, display_name: names.get(r.key) ?? null })),
      by_category: m(byCategory),
      by_country: m(byCountry),
      by_day: m(byDay),
    };
  }

  /** Campaigns created in the range (organisation's timezone), each with its own report's figures. */
  async function campaigns(ctx: Ctx, q: ReportQuery): Promise<CampaignsReport> {
    // A campaign's figures are its own counters, not messages by contact: a tag does not divide them.
    if (q.tag_id)
      throw new AppError('VALIDATION_FAILED', 'tag_id does not apply to the campaigns report', {
        details: [
          {
            path: ['tag_id'],
            message: 'campaigns are compared on their own counters, which are not divided by contact tag',
          },
        ],
      });
    await scopeOf(ctx, q);
    const org = await deps.orgs.getOrg(ctx);
    const tz = org.settings.timezone;
    const dayIn = (iso: string) => new Intl.DateTimeFormat('en-CA', { timeZone: tz }).format(new Date(iso));
    const list = (await deps.campaigns.list(ctx)).filter((c) => {
      const d = dayIn(c.created_at);
      return d >= q.from && d <= q.to && (!q.number_id || c.number_id === q.number_id);
    });
    // Set-based: the campaigns' figures and spend in a few statements, however many campaigns.
    const [reports, spend] = await Promise.all([
      deps.campaigns.reports(ctx, list),
      deps.billing.campaignsSpend(
        ctx,
        list.map((c) => c.id),
      ),
    ]);
    const data = reports.map(({ campaign: c, ...r }) => ({
      campaign_id: c.id,
      name: c.name,
      number_id: c.number_id,
      state: c.state,
      templates: c.templates.map((t) => `${t.name} (${t.language})`),
      created_at: c.created_at,
      started_at: c.started_at,
      finished_at: c.finished_at,
      funnel: r.funnel,
      rates: r.rates,
      failures: r.failures.slice(0, 10),
      per_template: r.per_template.map((p) => ({
        template: c.templates[p.template_index]
          ? `${p.name} (${c.templates[p.template_index]!.language})`
          : p.name,
        sent: p.sent,
        delivered: p.delivered,
        read: p.read,
        failed: p.failed,
      })),
      spend: spend.get(c.id) ?? 0,
      average_rate: r.average_rate,
      duration_seconds: r.duration_seconds,
    }));
    return { range: { from: q.from, to: q.to }, data, currency: await currency(), note: SETTLING_NOTE };
  }

  /**
   * Agents and teams (docs/reports.md): per agent, per team (its members now) and per agent per day,
   * from the agents rollups; medians and p90 from their histograms. A team not of the organisation is 404.
   */
  async function agents(ctx: Ctx, q: GroupedReportQuery): Promise<AgentsReport> {
    // Episodes are conversations' and agents', not divided by the contact's tags.
    if (q.tag_id)
      throw new AppError('VALIDATION_FAILED', 'tag_id does not apply to the agents report', {
        details: [
          {
            path: ['tag_id'],
            message: 'the agents report is divided by team and number, not by contact tag',
          },
        ],
      });
    const base = await scopeOf(ctx, q, true);
    const [teams, org] = await Promise.all([teamsOf(db, ctx.orgId), deps.orgs.getOrg(ctx)]);
    let scope: AgentScope = base;
    if (q.team_id) {
      const team = teams.find((t) => t.id === q.team_id);
      if (!team) throw new AppError('NOT_FOUND', 'Team not found');
      scope = { ...base, userIds: team.members };
    }
    const group = groupOf(q);
    const [days, hist] = await Promise.all([
      agentDays(db, ctx.orgId, scope, group),
      agentHistograms(db, ctx.orgId, scope),
    ]);
    const names = new Map(
      (await userNames(db, [...new Set(days.map((d) => d.user_id))])).map((u) => [u.id, u.name || u.email]),
    );
    type Sums = {
      handled: number;
      replies: number;
      notes: number;
      first_responses: number;
      resolutions: number;
    };
    const zero = (): Sums => ({ handled: 0, replies: 0, notes: 0, first_responses: 0, resolutions: 0 });
    const perUser = new Map<string, Sums>();
    for (const d of days) {
      const u = perUser.get(d.user_id) ?? zero();
      u.handled += d.handled;
      u.replies += d.replies;
      u.notes += d.notes;
      u.first_responses += d.first_responses;
      u.resolutions += d.resolutions;
      perUser.set(d.user_id, u);
    }
    const figures = (sums: Sums, h: Histogram[]) => {
      const fr = h.filter((x) => x.kind === 'first_response');
      const rs = h.filter((x) => x.kind === 'resolution');
      return {
        ...sums,
        first_response_median: quantile(fr, 0.5),
        first_response_p90: quantile(fr, 0.9),
        resolution_median: quantile(rs, 0.5),
        resolution_p90: quantile(rs, 0.9),
      };
    };
    const teamsOfUser = (id: string) => teams.filter((t) => t.members.includes(id)).map((t) => t.name);
    const avg = (sum: number, n: number) => (n ? Math.round(sum / n) : null);
    return {
      range: { from: q.from, to: q.to },
      timezone: org.settings.timezone,
      agents: [...perUser]
        .map(([id, sums]) => ({
          user_id: id,
          name: names.get(id) ?? null,
          teams: teamsOfUser(id),
          ...figures(
            sums,
            hist.filter((x) => x.user_id === id),
          ),
        }))
        .sort((a, b) => b.handled - a.handled || (a.name ?? '').localeCompare(b.name ?? '')),
      teams: teams
        .filter((t) => !q.team_id || t.id === q.team_id)
        .map((t) => {
          const sums = zero();
          for (const id of t.members) {
            const u = perUser.get(id);
            if (u) for (const k of Object.keys(sums) as (keyof Sums)[]) sums[k] += u[k];
          }
          return {
            team_id: t.id,
            name: t.name,
            members: t.members.length,
            ...figures(
              sums,
              hist.filter((x) => t.members.includes(x.user_id)),
            ),
          };
        }),
      group,
      data: days.map((d) => ({
        day: d.day,
        user_id: d.user_id,
        handled: d.handled,
        replies: d.replies,
        notes: d.notes,
        first_responses: d.first_responses,
        first_response_average: avg(d.first_response_seconds, d.first_responses),
        resolutions: d.resolutions,
        resolution_average: avg(d.resolution_seconds, d.resolutions),
      })),
      note: AGENTS_NOTE,
    };
  }

  /**
   * Recomputes the rollups from the messages still kept (one organisation or all; days from `from`),
   * keeping what purged messages counted. One at a time: a second while one runs is refused.
   */
  async function rebuild(o: { orgId?: string | undefined; from?: string | undefined } = {}) {
    if (!(await claimRebuild(db)))
      throw new AppError(
        'CONFLICT',
        'A rebuild of the reports is already running; try again when it has finished',
      );
    try {
      const started = Date.now();
      const r = await rebuildRollups(db, o.orgId ?? null, o.from ?? null);
      const a = await rebuildAgents(db, o.orgId ?? null, o.from ?? null);
      await rebuildHealth(db, readHealth, o.orgId ?? null, deps.foldBatch);
      return {
        facts: r.facts,
        agent_facts: a.agentFacts,
        seconds: Math.round((Date.now() - started) / 100) / 10,
      };
    } finally {
      await releaseRebuild(db);
    }
  }

  /** Folds until nothing is left (or `maxRounds`); returns the facts that changed. */
  async function fold(maxRounds = 20) {
    let changed = 0;
    for (let i = 0; i < maxRounds; i++) {
      const r = await foldOnce(db, deps.foldBatch, foldAgents);
      changed += r.changed;
      if (!r.more) break;
    }
    for (let i = 0; i < maxRounds; i++) if (!(await foldHealth(db, readHealth, deps.foldBatch)).more) break;
    return changed;
  }

  /** A tag was deleted (the reaction to `tag.deleted`): its figures go with it. */
  async function forgetTag(orgId: string, tagId: string) {
    await forgetTagRollups(db, orgId, tagId);
  }

  return {
    overview,
    numbers,
    templates,
    spend,
    campaigns,
    agents,
    rebuild,
    fold,
    forgetTag,
  };
}
export type ReportService = ReturnType<typeof createReportService>;
