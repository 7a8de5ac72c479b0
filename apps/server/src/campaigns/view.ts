import type { Campaign, CampaignCounts } from '@openwaba/contracts';
import { sql } from 'drizzle-orm';
import type { AuthContext } from '../auth/context.ts';
import type { Db, Tx } from '../db/client.ts';
import { queryRows } from '../db/tx.ts';
import { type CampaignRow, iso } from './campaign-row.ts';
import type { CampaignDeps } from './context.ts';
import { findCampaignRows, getCampaignRow, STATE_OF } from './repo.ts';

/** The counts; `light` leaves out delivery, read and replies (a join over every sent recipient). */
export async function countsOf(tx: Db | Tx, campaignId: string, light = false): Promise<CampaignCounts> {
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

/** A campaign as the API shows it: its row, counts, and rate and ETA while it runs. */
export function createCampaignView(deps: Pick<CampaignDeps, 'db' | 'rateOf'>) {
  const { db } = deps;

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
      marketing_ttl_seconds: r.marketing_ttl_seconds ?? null,
      spend_cap: r.spend_cap === null ? null : Number(r.spend_cap),
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

  async function get(ctx: Pick<AuthContext, 'orgId'>, id: string): Promise<Campaign> {
    return toCampaign(db, await getCampaignRow(db, ctx.orgId, id));
  }

  async function list(ctx: Pick<AuthContext, 'orgId'>): Promise<Campaign[]> {
    const rows = await findCampaignRows(db, ctx.orgId);
    return Promise.all(rows.map((r) => toCampaign(db, r)));
  }

  return { toCampaign, get, list };
}
export type CampaignView = ReturnType<typeof createCampaignView>;
