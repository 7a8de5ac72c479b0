import type { Campaign } from '@openwaba/contracts';
import { sql } from 'drizzle-orm';
import type { AuthContext } from '../auth/context.ts';
import { queryRows } from '../db/tx.ts';
import { isBsuid } from '../lib/address.ts';
import { csvLine } from '../lib/csv-safe.ts';
import { iso } from './campaign-row.ts';
import type { CampaignDeps, PhoneMask } from './context.ts';
import { getCampaignRow, STATE_OF, stateIs } from './repo.ts';
import type { CampaignView } from './view.ts';

/**
 * What a campaign did: its recipients with their state, status and error (a page, or all as CSV),
 * the report (funnel, rates, failures, per template), and the campaigns a contact was sent.
 */
export function createCampaignReport(deps: Pick<CampaignDeps, 'db' | 'contacts'>, view: CampaignView) {
  const { db, contacts } = deps;

  /** `phones`: how the caller sees customers' phones (masked when the organisation hides them). */
  async function recipients(
    ctx: Pick<AuthContext, 'orgId'>,
    id: string,
    q: { state?: string | undefined; after?: number | undefined; limit: number },
    phones: PhoneMask = { phone: (p) => p, text: (t) => t },
  ) {
    await getCampaignRow(db, ctx.orgId, id);
    const rows = await queryRows<{
      id: number;
      contact_id: string | null;
      name: string | null;
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
      sql`select r.id::int as id, r.contact_id, ct.name, r.wa_id, r.input, r.row_number, r.template_index, ${STATE_OF} as state,
                 m.status, r.reason, r.error, m.error as message_error, r.sent_at
          from campaign_recipients r join campaigns k on k.id = r.campaign_id
          left join messages m on m.id = r.message_id
          left join contacts ct on ct.id = r.contact_id and ct.org_id = ${ctx.orgId}
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
        name: r.name,
        // A customer known only by their business-scoped user id is listed by it.
        phone: r.wa_id ? (isBsuid(r.wa_id) ? r.wa_id : phones.phone(`+${r.wa_id}`)) : null,
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

  /**
   * The failures (50 most frequent reasons), per-template funnels and sending span of the campaigns
   * `ids` (of the organisation), each in one statement over their recipients.
   */
  async function figuresOf(orgId: string, ids: string[]) {
    const idList = sql`${sql.param(ids)}::uuid[]`;
    const [failures, perTemplate, spans] = await Promise.all([
      queryRows<{ campaign_id: string; code: string; title: string; count: number }>(
        db,
        sql`select campaign_id, code, title, count from (
              select r.campaign_id, coalesce(e->>'code', 'unknown') as code, coalesce(e->>'title', r.reason, 'unknown') as title,
                     count(*)::int as count, row_number() over (partition by r.campaign_id order by count(*) desc) as n
              from campaign_recipients r left join messages m on m.id = r.message_id
              cross join lateral (select coalesce(r.error, case when m.status = 'failed' then m.error end) as e) x
              where r.campaign_id = any(${idList}) and r.org_id = ${orgId} and (r.state = 'failed' or m.status = 'failed')
              group by 1, 2, 3) f
            where n <= 50 order by campaign_id, count desc`,
      ),
      queryRows<{
        campaign_id: string;
        template_index: number;
        sent: number;
        delivered: number;
        read: number;
        failed: number;
      }>(
        db,
        sql`select r.campaign_id, r.template_index,
                   count(*) filter (where r.state = 'sent')::int as sent,
                   count(*) filter (where m.status in ('delivered', 'read', 'played'))::int as delivered,
                   count(*) filter (where m.status in ('read', 'played'))::int as read,
                   count(*) filter (where r.state = 'failed' or m.status = 'failed')::int as failed
            from campaign_recipients r left join messages m on m.id = r.message_id
            where r.campaign_id = any(${idList}) and r.org_id = ${orgId} group by 1, 2 order by 1, 2`,
      ),
      queryRows<{ campaign_id: string; first: string | null; last: string | null }>(
        db,
        sql`select campaign_id, min(sent_at) as first, max(sent_at) as last from campaign_recipients
            where campaign_id = any(${idList}) and org_id = ${orgId} and state = 'sent' group by 1`,
      ),
    ]);
    const by = <T extends { campaign_id: string }>(rows: T[]) => {
      const m = new Map<string, T[]>();
      for (const r of rows) m.set(r.campaign_id, [...(m.get(r.campaign_id) ?? []), r]);
      return m;
    };
    return { failures: by(failures), perTemplate: by(perTemplate), spans: by(spans) };
  }

  /** A campaign's report from its view and its figures (`figuresOf`). */
  function reportOf(campaign: Campaign, f: Awaited<ReturnType<typeof figuresOf>>) {
    const c = campaign.counts;
    const span = f.spans.get(campaign.id)?.[0];
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
      failures: (f.failures.get(campaign.id) ?? []).map(({ code, title, count }) => ({ code, title, count })),
      per_template: (f.perTemplate.get(campaign.id) ?? []).map(({ campaign_id: _, ...p }) => ({
        ...p,
        name: campaign.templates[p.template_index]?.name ?? '',
      })),
      duration_seconds: started && ended ? Math.round((ended - started) / 100) / 10 : null,
      average_rate: sendSpan && sendSpan > 0 ? Math.round((c.sent / sendSpan) * 10) / 10 : null,
      note: 'Delivery and read statuses can arrive up to 24 hours after a message is sent; the figures grow until then.',
    };
  }

  async function report(ctx: Pick<AuthContext, 'orgId'>, id: string) {
    const campaign = await view.get(ctx, id);
    return reportOf(campaign, await figuresOf(ctx.orgId, [id]));
  }

  /** The reports of several campaigns (views the caller listed) in three statements, whatever their number. */
  async function reports(ctx: Pick<AuthContext, 'orgId'>, campaigns: Campaign[]) {
    if (!campaigns.length) return [];
    const f = await figuresOf(
      ctx.orgId,
      campaigns.map((c) => c.id),
    );
    return campaigns.map((c) => reportOf(c, f));
  }

  /** Every recipient with its final state, status and error, as CSV safe to open in a spreadsheet. */
  async function* exportCsv(
    ctx: Pick<AuthContext, 'orgId'>,
    id: string,
    phones?: PhoneMask,
  ): AsyncGenerator<string> {
    const c = await getCampaignRow(db, ctx.orgId, id);
    yield csvLine([
      'row',
      'name',
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
          r.name,
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

  return { recipients, report, reports, exportCsv, ofContact };
}
