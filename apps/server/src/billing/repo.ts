import type { RateCardLine } from '@openwaba/contracts';
import { type SQL, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { queryRows } from '../db/tx.ts';

/**
 * Every write to `rate_cards`, `billing_caps` and `billing_alerts` (the billing domain owns them),
 * and the reads of spend: outbound messages' expected cost (stamped by the messages domain when
 * queued) and what Meta reported of them.
 */

export interface RateRow {
  effective_from: string;
  market: string;
  category: string;
  rate: string;
  currency: string;
  source: string | null;
}

/** Replaces the rates of the days the file gives (every market of those days), in the caller's transaction. */
export async function replaceRates(tx: Tx, lines: RateCardLine[], source: string | null) {
  const days = [...new Set(lines.map((l) => l.effective_from))];
  await tx.execute(sql`delete from rate_cards where effective_from = any(${sql.param(days)}::date[])`);
  for (let i = 0; i < lines.length; i += 1000) {
    const part = lines.slice(i, i + 1000);
    await tx.execute(sql`
      insert into rate_cards (effective_from, market, category, rate, currency, source)
      select effective_from, market, category, rate, currency, ${source}
      from json_to_recordset(${JSON.stringify(part)}::json)
        as x(effective_from date, market text, category text, rate numeric, currency text)`);
  }
  return days;
}

/** The card in force on `day`: per market and category, the latest rate effective on or before it. */
export function ratesOn(db: Db | Tx, day: string) {
  return queryRows<RateRow>(
    db,
    sql`select distinct on (market, category) effective_from::text as effective_from, market, category,
               rate::text as rate, currency, source
        from rate_cards where effective_from <= ${day}::date
        order by market, category, effective_from desc`,
  );
}

export async function effectiveDates(db: Db | Tx) {
  const rows = await queryRows<{ d: string }>(
    db,
    sql`select distinct effective_from::text as d from rate_cards order by 1 desc`,
  );
  return rows.map((r) => r.d);
}

export interface CapsRow {
  daily_message_cap: number | null;
  monthly_spend_cap: string | null;
}

export async function getCaps(db: Db | Tx, orgId: string, lock = false) {
  const [row] = await queryRows<CapsRow>(
    db,
    sql`select daily_message_cap, monthly_spend_cap::text as monthly_spend_cap from billing_caps
        where org_id = ${orgId} ${lock ? sql`for update` : sql``}`,
  );
  return row ?? null;
}

export async function upsertCaps(
  tx: Tx,
  orgId: string,
  caps: { daily_message_cap: number | null; monthly_spend_cap: number | null },
) {
  await tx.execute(sql`
    insert into billing_caps (org_id, daily_message_cap, monthly_spend_cap)
    values (${orgId}, ${caps.daily_message_cap}, ${caps.monthly_spend_cap})
    on conflict (org_id) do update set daily_message_cap = excluded.daily_message_cap,
      monthly_spend_cap = excluded.monthly_spend_cap, updated_at = now()`);
}

/** Records a cap warning once: true when this is the first for the cap, subject and period. */
export async function recordAlert(tx: Tx, orgId: string, kind: string, subject: string, period: string) {
  const rows = await queryRows<{ kind: string }>(
    tx,
    sql`insert into billing_alerts (org_id, kind, subject, period) values (${orgId}, ${kind}, ${subject}, ${period})
        on conflict do nothing returning kind`,
  );
  return rows.length > 0;
}

// ---- Spend (reads of messages) ----------------------------------------------------------------

/** An outbound message that counts: not failed. Its spend: its expected cost, 0 when Meta said not billable. */
const counted = sql`direction = 'out' and status is distinct from 'failed'`;
const spendOf = sql`coalesce(sum(case when pricing_billable is false then 0 else cost_expected end), 0)::float8`;

export const monthStart = sql`(date_trunc('month', now() at time zone 'UTC') at time zone 'UTC')`;
export const dayStart = sql`(date_trunc('day', now() at time zone 'UTC') at time zone 'UTC')`;

/** The organisation's messages today and spend this month (UTC), including the caller's uncommitted ones. */
export async function usageOf(db: Db | Tx, orgId: string) {
  const [row] = await queryRows<{ today: number; month_messages: number; month_spend: number }>(
    db,
    sql`select count(*) filter (where created_at >= ${dayStart})::int as today,
               count(*)::int as month_messages, ${spendOf} as month_spend
        from messages where org_id = ${orgId} and ${counted} and created_at >= ${monthStart}`,
  );
  return row ?? { today: 0, month_messages: 0, month_spend: 0 };
}

export async function campaignSpend(db: Db | Tx, orgId: string, campaignId: string) {
  const [row] = await queryRows<{ spend: number }>(
    db,
    sql`select ${spendOf} as spend from messages where org_id = ${orgId} and campaign_id = ${campaignId} and ${counted}`,
  );
  return row?.spend ?? 0;
}

/** `campaignSpend` of several campaigns in one statement (campaigns without spend are absent). */
export function campaignsSpend(db: Db | Tx, orgId: string, campaignIds: string[]) {
  return queryRows<{ campaign_id: string; spend: number }>(
    db,
    sql`select campaign_id, ${spendOf} as spend from messages
        where org_id = ${orgId} and campaign_id = any(${sql.param(campaignIds)}::uuid[]) and ${counted}
        group by campaign_id`,
  );
}

export function spendRows(
  db: Db,
  orgId: string,
  q: { from: string; to: string; group_by: 'number' | 'category' | 'day'; number_id?: string },
) {
  const key: SQL =
    q.group_by === 'number'
      ? sql`number_id::text`
      : q.group_by === 'category'
        ? sql`coalesce(pricing_category, cost_category, 'unpriced')`
        : sql`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD')`;
  return queryRows<{ key: string; messages: number; billable: number; spend: number }>(
    db,
    sql`select ${key} as key, count(*)::int as messages,
               count(*) filter (where pricing_billable)::int as billable, ${spendOf} as spend
        from messages
        where org_id = ${orgId} and ${counted}
          and created_at >= (${q.from}::date at time zone 'UTC') and created_at < ((${q.to}::date + 1) at time zone 'UTC')
          ${q.number_id ? sql`and number_id = ${q.number_id}` : sql``}
        group by 1 order by 1`,
  );
}
