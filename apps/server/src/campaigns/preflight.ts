import type { CampaignPreflight } from '@openwaba/contracts';
import { sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { queryRows } from '../db/tx.ts';
import type { CampaignRow } from './campaign-row.ts';
import type { CampaignDeps } from './context.ts';
import { DEFAULT_RATE_TABLE, priceOf } from './pricing.ts';
import { skipMarketingStopped, skipWithoutConsent } from './repo.ts';

/** The skip reason of a recipient who stopped marketing messages from the campaign's number. */
export const MARKETING_STOPPED_SKIP = 'stopped marketing messages from this number';

/** The pre-flight of a start (`preflight(tx, campaign)`), priced with the rate table. */
export function createPreflight(deps: Pick<CampaignDeps, 'templates' | 'rateTable' | 'numbers'>) {
  const { templates } = deps;
  const rateTable = deps.rateTable ?? DEFAULT_RATE_TABLE;

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
    const skippedRows = await skipWithoutConsent(tx, c.org_id, c.id);
    const skipped = Object.fromEntries(skippedRows.map((r) => [r.reason, r.n]));
    // Marketing preference: MARKETING templates are not sent to who stopped them from this number.
    const marketingIndexes = c.templates.flatMap((t, i) => (t.category === 'MARKETING' ? [i] : []));
    const stopped = await skipMarketingStopped(
      tx,
      c.org_id,
      { id: c.id, numberId: c.number_id },
      marketingIndexes,
      MARKETING_STOPPED_SKIP,
    );
    if (stopped) skipped[MARKETING_STOPPED_SKIP] = (skipped[MARKETING_STOPPED_SKIP] ?? 0) + stopped;
    const [ready] = await queryRows<{ n: number }>(
      tx,
      sql`select count(*)::int as n from campaign_recipients where campaign_id = ${c.id} and state = 'pending'`,
    );
    const readyCount = ready?.n ?? 0;
    if (!readyCount) problems.push('No recipient can be sent to (none valid and opted in)');
    // Budget: Meta limits the unique users a business portfolio sends templates to in a rolling 24
    // hours, one budget shared by all its numbers (queued sends of other campaigns count too).
    let budget: number | null = null;
    let messagingLimit: CampaignPreflight['messaging_limit'] = null;
    const b = n ? await deps.numbers.budgetOf(c.org_id, c.number_id, { queued: true }, tx) : undefined;
    if (b?.tier && b.limit !== null) {
      const finite = Number.isFinite(b.limit);
      messagingLimit = {
        tier: b.tier,
        limit: finite ? b.limit : null,
        used: b.used,
        business_id: b.businessId,
        numbers: b.numberIds.length,
      };
      if (finite) {
        budget = Math.max(0, b.limit - b.used);
        if (readyCount > budget) {
          const who =
            b.numberIds.length > 1
              ? `The business portfolio${b.businessName ? ` ${b.businessName}` : ''} (${b.numberIds.length} numbers share its limit)`
              : 'The number';
          problems.push(
            `${who} may message ${budget} more recipients today (Meta tier ${b.tier}); this campaign needs ${readyCount}`,
          );
        }
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
      messaging_limit: messagingLimit,
      estimated_cost: {
        currency: rateTable.currency,
        total: Math.round(total * 10000) / 10000,
        by_category: byCategory,
      },
    };
  }

  return preflight;
}
