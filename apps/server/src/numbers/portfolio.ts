import type { NumberPortfolio } from '@openwaba/contracts';
import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { queryRows } from '../db/tx.ts';
import type { NumberRow } from './repo.ts';

/**
 * Messaging limits per business portfolio (Meta, since 2025-10-07): the daily limit of
 * business-initiated unique users is set on the portfolio and shared by all its numbers. A number's
 * portfolio is its WABA's owner business (read from the Graph) or set by hand; a number without one
 * counts alone. The tier is Meta's `whatsapp_business_manager_messaging_limit` (the deprecated
 * `messaging_limit_tier` when Meta does not send it), stored on each number of the portfolio.
 */

const TIER_BY_COUNT: Record<string, string> = {
  '-1': 'TIER_UNLIMITED',
  '50': 'TIER_50',
  '250': 'TIER_250',
  '1000': 'TIER_1K',
  '2000': 'TIER_2K',
  '10000': 'TIER_10K',
  '100000': 'TIER_100K',
};

/**
 * A limit as Meta gives it, as a tier: `TIER_2K`, a count (2000; -1 is unlimited, as in
 * `business_capability_update`) or an object carrying one of those. Undefined when unreadable.
 *
 * @example limitTierOf('TIER_10K') // 'TIER_10K'
 * @example limitTierOf(2000) // 'TIER_2K'
 */
export function limitTierOf(v: unknown): string | undefined {
  if (typeof v === 'number' || (typeof v === 'string' && /^-?\d+$/.test(v))) {
    const n = Number(v);
    return TIER_BY_COUNT[String(n)] ?? (n < 0 ? 'TIER_UNLIMITED' : `TIER_${n}`);
  }
  if (typeof v === 'string' && /^TIER_/.test(v)) return v;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return limitTierOf(o.tier ?? o.messaging_limit ?? o.max_daily_conversations_per_business ?? o.value);
  }
  return undefined;
}

/** Unique users per 24 hours of a tier: Infinity when unlimited, null when unknown. */
export function tierLimit(tier: string | null | undefined): number | null {
  if (tier === 'TIER_UNLIMITED') return Number.POSITIVE_INFINITY;
  const m = /^TIER_(\d+)(K)?$/.exec(tier ?? '');
  if (!m) return null;
  return Number(m[1]) * (m[2] ? 1000 : 1);
}

const TIER_ORDER = ['TIER_50', 'TIER_250', 'TIER_1K', 'TIER_2K', 'TIER_10K', 'TIER_100K', 'TIER_UNLIMITED'];
const rank = (t: string | null) => (t ? TIER_ORDER.indexOf(t) : -1);

/** The numbers sharing the number's budget: its portfolio's in the organisation, or itself alone. */
async function portfolioNumbers(db: Db | Tx, orgId: string, numberId: string) {
  return queryRows<{
    id: string;
    display_name: string;
    business_id: string | null;
    business_name: string | null;
    messaging_limit_tier: string | null;
  }>(
    db,
    sql`select n.id, n.display_name, n.business_id, n.business_name, n.messaging_limit_tier from numbers n
        join numbers me on me.id = ${numberId} and me.org_id = ${orgId}
        where n.org_id = ${orgId} and (n.id = me.id or (me.business_id is not null and n.business_id = me.business_id))
        order by n.created_at`,
  );
}

export interface PortfolioBudget {
  businessId: string | null;
  businessName: string | null;
  tier: string | null;
  /** Infinity: unlimited; null: unknown (no tier read yet). */
  limit: number | null;
  used: number;
  numberIds: string[];
  numbers: { id: string; display_name: string }[];
}

/**
 * The portfolio's budget now: its tier (the highest its numbers carry: Meta sets one for all) and the
 * unique users its numbers sent templates to in the last 24 hours. `queued: true` counts messages
 * still waiting on the queue too (a pre-flight's view); otherwise only those Meta accepted (the
 * sender's view, which spends the budget as it sends).
 */
export async function portfolioBudget(
  db: Db | Tx,
  orgId: string,
  numberId: string,
  opts: { queued: boolean },
): Promise<PortfolioBudget> {
  const rows = await portfolioNumbers(db, orgId, numberId);
  const me = rows.find((r) => r.id === numberId);
  const tier = rows.reduce<string | null>(
    (best, r) => (rank(r.messaging_limit_tier) > rank(best) ? r.messaging_limit_tier : best),
    null,
  );
  const limit = tierLimit(tier);
  const numberIds = rows.map((r) => r.id);
  let used = 0;
  if (limit !== null && Number.isFinite(limit) && numberIds.length) {
    const [u] = await queryRows<{ n: number }>(
      db,
      sql`select count(distinct v.contact_id)::int as n from messages m join conversations v on v.id = m.conversation_id
          where m.number_id = any(${sql.param(numberIds)}::uuid[]) and m.direction = 'out' and m.type = 'template'
            and m.sent_at > now() - interval '24 hours' and m.status is distinct from 'failed'
            ${opts.queued ? sql`` : sql`and m.wamid is not null`}`,
    );
    used = u?.n ?? 0;
  }
  return {
    businessId: me?.business_id ?? null,
    businessName: me?.business_name ?? null,
    tier,
    limit,
    used,
    numberIds,
    numbers: rows.map((r) => ({ id: r.id, display_name: r.display_name })),
  };
}

/** The API view of a number's portfolio budget. */
export const toPortfolio = (b: PortfolioBudget): NumberPortfolio => ({
  business_id: b.businessId,
  business_name: b.businessName,
  messaging_limit_tier: b.tier,
  limit: b.limit !== null && Number.isFinite(b.limit) ? b.limit : null,
  used: b.used,
  numbers: b.numbers,
});

/**
 * A new limit Meta announced for the number's portfolio (a webhook): set on the number and on every
 * number of its portfolio in the organisation. Returns the numbers changed.
 */
export async function setPortfolioTier(tx: Db | Tx, orgId: string, numberId: string, tier: string) {
  return queryRows<{ id: string }>(
    tx,
    sql`update numbers n set messaging_limit_tier = ${tier}, updated_at = now()
        from numbers me where me.id = ${numberId} and me.org_id = ${orgId} and n.org_id = ${orgId}
          and (n.id = me.id or (me.business_id is not null and n.business_id = me.business_id))
        returning n.id`,
  );
}

/** The business columns from what Meta says of the WABA (a portfolio set by hand stays). */
export function businessColumns(
  r: Pick<NumberRow, 'businessIdSource'>,
  waba: { owner_business_info?: { id: string; name?: string | undefined } | undefined },
) {
  if (r.businessIdSource === 'manual' || !waba.owner_business_info) return {};
  return {
    businessId: waba.owner_business_info.id,
    businessName: waba.owner_business_info.name ?? null,
    businessIdSource: 'meta',
  };
}

/**
 * `portfolioBudget` of every number of the organisation in two statements: numbers sharing a
 * portfolio share its tier (the highest they carry) and its count of unique users (Meta accepted a
 * template to them in the last 24 hours). `limit`: null when no tier is known or unlimited.
 */
export async function portfolioUsage(db: Db | Tx, orgId: string) {
  const rows = await queryRows<{
    id: string;
    portfolio: string;
    messaging_limit_tier: string | null;
  }>(
    db,
    sql`select id, coalesce(business_id, id::text) as portfolio, messaging_limit_tier from numbers
        where org_id = ${orgId} order by created_at`,
  );
  const used = await queryRows<{ portfolio: string; n: number }>(
    db,
    sql`select coalesce(n.business_id, n.id::text) as portfolio, count(distinct v.contact_id)::int as n
        from numbers n join messages m on m.number_id = n.id join conversations v on v.id = m.conversation_id
        where n.org_id = ${orgId} and m.org_id = ${orgId} and m.direction = 'out' and m.created_at > now() - interval '48 hours'
          and m.type = 'template' and m.sent_at > now() - interval '24 hours'
          and m.status is distinct from 'failed' and m.wamid is not null
        group by 1`,
  );
  const usedBy = new Map(used.map((u) => [u.portfolio, u.n]));
  const tierOf = new Map<string, string | null>();
  for (const r of rows) {
    const best = tierOf.get(r.portfolio) ?? null;
    tierOf.set(r.portfolio, rank(r.messaging_limit_tier) > rank(best) ? r.messaging_limit_tier : best);
  }
  return rows.map((r) => {
    const tier = tierOf.get(r.portfolio) ?? null;
    const limit = tierLimit(tier);
    return {
      numberId: r.id,
      tier,
      limit: limit !== null && Number.isFinite(limit) ? limit : null,
      used: usedBy.get(r.portfolio) ?? 0,
    };
  });
}
