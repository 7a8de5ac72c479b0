import type { CampaignPreflight } from '@openwaba/contracts';
import { sql } from 'drizzle-orm';
import { money, priceOf } from '../billing/cost.ts';
import { windowOpen } from '../conversations/rules.ts';
import type { Tx } from '../db/client.ts';
import { queryRows } from '../db/tx.ts';
import type { CampaignRow } from './campaign-row.ts';
import type { CampaignDeps } from './context.ts';
import { skipMarketingStopped, skipWithoutConsent } from './repo.ts';

/** The skip reason of a recipient who stopped marketing messages from the campaign's number. */
export const MARKETING_STOPPED_SKIP = 'stopped marketing messages from this number';

/** The pre-flight of a start (`preflight(tx, campaign)`), priced with the rate card in force. */
export function createPreflight(deps: Pick<CampaignDeps, 'templates' | 'billing' | 'numbers'>) {
  const { templates, billing } = deps;

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
    // Estimated cost: each recipient priced as the sender will stamp it (the card in force, the
    // recipient's country, the conversation's window now), by the category billed.
    const at = new Date();
    const card = await billing.cardAt(at, tx);
    const byCountry = await queryRows<{
      template_index: number;
      country: string | null;
      in_window: boolean;
      n: number;
    }>(
      tx,
      sql`select r.template_index, ct.country, ${windowOpen('v')} as in_window, count(*)::int as n
          from campaign_recipients r left join contacts ct on ct.id = r.contact_id
          left join conversations v on v.number_id = ${c.number_id} and v.contact_id = r.contact_id
          where r.campaign_id = ${c.id} and r.state = 'pending' group by 1, 2, 3`,
    );
    const byCategory: Record<string, number> = {};
    let total = 0;
    for (const r of byCountry) {
      const p = priceOf(card, r.country, {
        kind: 'template',
        templateCategory: c.templates[r.template_index]?.category ?? 'MARKETING',
        inWindow: r.in_window,
        at,
      });
      const cost = (p.amount ?? 0) * r.n;
      const key = p.category.toUpperCase();
      byCategory[key] = money((byCategory[key] ?? 0) + cost);
      total += cost;
    }
    total = money(total);
    const currency = card.currency ?? 'USD';
    // Caps: the campaign's own, and what is left of the organisation's month.
    const cap = c.spend_cap === null ? null : Number(c.spend_cap);
    if (cap !== null && total > cap) {
      problems.push(
        `The estimated cost (${total} ${currency}) is over the campaign's spend cap (${cap} ${currency})`,
      );
    }
    const org = await billing.overview({ orgId: c.org_id }, tx);
    const monthly = org.caps.monthly_spend_cap;
    if (monthly !== null && money(org.month.spend + total) > monthly) {
      problems.push(
        `The estimated cost (${total} ${currency}) would cross the organisation's monthly spend cap: ${org.month.spend} of ${monthly} ${currency} used this month`,
      );
    }
    return {
      ok: problems.length === 0,
      checked_at: new Date().toISOString(),
      problems,
      skipped,
      ready: readyCount,
      budget,
      messaging_limit: messagingLimit,
      estimated_cost: { currency, total, by_category: byCategory },
    };
  }

  return preflight;
}
