import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { queryRows } from '../db/tx.ts';
import type { NumberService } from '../numbers/service.ts';
import type { ClaimedSend } from './queue-repo.ts';
import type { SendResult } from './send-result.ts';

type NumberRow = NonNullable<Awaited<ReturnType<NumberService['rowForSender']>>>;

/** How long a send waits when its portfolio's daily budget is used up (the rolling window frees slowly). */
export const BUDGET_WAIT_MS = 15 * 60_000;
/**
 * A used-up budget is read again this long after its last send (its sends in flight are recorded
 * by then, so the read counts them): the rolling window may have freed some.
 */
const BUDGET_REREAD_MS = 60_000;

/** Where a send goes: Meta's `/messages`, or the Marketing Messages API (with its time-to-live). */
export type Route = { via: 'messages' } | { via: 'marketing_messages'; ttlSeconds: number | null };

/**
 * The send path's two portfolio- and marketing-aware decisions, per claimed batch (no query per send):
 *
 * - **Budget**: a business portfolio's numbers share one daily limit of business-initiated unique
 *   users. A template send takes one from its portfolio's budget (read from the database once, then
 *   spent here, shared by the numbers this process sends for; read again when the tier changes, or
 *   when it is used up and a minute passed since its last send); when none is left it waits
 *   (`BUDGET_WAIT_MS`, not an attempt) instead of being refused by Meta (131048). Numbers with an
 *   unlimited or unknown tier are not counted (no queries).
 * - **Marketing Messages API**: a MARKETING template from a number with the setting on goes through
 *   `/marketing_messages` (with its campaign's time-to-live) while the WABA is onboarded; otherwise,
 *   and when Meta refuses it as not onboarded (134100), the organisation's policy decides: `fallback`
 *   sends it through `/messages`, `fail` fails it with the reason.
 */
export function createSendRouting(deps: { db: Db; numbers: Pick<NumberService, 'budgetOf'> }) {
  const { db } = deps;
  /** Per portfolio: what is left, and the messages already counted (a retry is not a new user). */
  const budgets = new Map<
    string,
    { remaining: number; tier: string; lastTakeAt: number; counted: Set<string> }
  >();
  const categories = new Map<string, string | null>();
  const ttls = new Map<string, number | null>();
  /** The organisation's fallback policy, read with each batch of a number that uses the API. */
  const policies = new Map<string, boolean>();

  const finiteTier = (t: string | null) => Boolean(t && t !== 'TIER_UNLIMITED' && /^TIER_\d+K?$/.test(t));
  const budgetKey = (n: NumberRow) => `${n.orgId}:${n.businessId ? `b:${n.businessId}` : `n:${n.id}`}`;
  const templateKey = (n: NumberRow, row: ClaimedSend) =>
    row.content.type === 'template'
      ? `${n.orgId}:${n.wabaId}:${row.content.template.name}:${row.content.template.language.code}`
      : undefined;

  /** Reads what the batch's decisions need and has not been read yet. */
  async function prepare(n: NumberRow, rows: ClaimedSend[]) {
    const key = budgetKey(n);
    if (!finiteTier(n.messagingLimitTier)) budgets.delete(key);
    else {
      const b = budgets.get(key);
      const stale =
        !b ||
        b.tier !== n.messagingLimitTier ||
        (b.remaining <= 0 && Date.now() - b.lastTakeAt > BUDGET_REREAD_MS);
      if (stale) {
        const read = await deps.numbers.budgetOf(n.orgId, n.id, { queued: false });
        if (read.limit !== null && Number.isFinite(read.limit) && read.tier) {
          budgets.set(key, {
            remaining: read.limit - read.used,
            tier: read.tier,
            lastTakeAt: 0,
            counted: new Set(),
          });
        } else budgets.delete(key);
      }
    }
    if (!n.marketingMessagesApi) return;
    const missing = [
      ...new Set(rows.map((r) => templateKey(n, r)).filter((k): k is string => !!k && !categories.has(k))),
    ];
    if (missing.length) {
      const found = await queryRows<{ k: string; category: string }>(
        db,
        sql`select org_id || ':' || waba_id || ':' || name || ':' || language as k, category from templates
            where org_id = ${n.orgId} and waba_id = ${n.wabaId} and active
              and (org_id || ':' || waba_id || ':' || name || ':' || language) = any(${sql.param(missing)}::text[])`,
      );
      for (const k of missing) categories.set(k, found.find((f) => f.k === k)?.category ?? null);
    }
    const campaigns = [
      ...new Set(rows.map((r) => r.campaign_id).filter((c): c is string => !!c && !ttls.has(c))),
    ];
    if (campaigns.length) {
      const found = await queryRows<{ id: string; ttl: number | null }>(
        db,
        sql`select id, marketing_ttl_seconds as ttl from campaigns where id = any(${sql.param(campaigns)}::uuid[])`,
      );
      for (const c of campaigns) ttls.set(c, found.find((f) => f.id === c)?.ttl ?? null);
    }
    const [s] = await queryRows<{ policy: string }>(
      db,
      sql`select marketing_messages_fallback as policy from org_settings where org_id = ${n.orgId}`,
    );
    policies.set(n.orgId, (s?.policy ?? 'fallback') !== 'fail');
  }

  /** A template send takes one of its portfolio's budget; a result when none is left (it waits). */
  function takeBudget(n: NumberRow, row: ClaimedSend): SendResult | undefined {
    if (row.content.type !== 'template') return undefined;
    const b = budgets.get(budgetKey(n));
    if (!b || b.counted.has(row.message_id)) return undefined;
    if (b.remaining <= 0) {
      const reason = `the business portfolio's daily messaging limit (${b.tier}) is used up; waiting for the rolling 24 hours to free some`;
      return { kind: 'retry', error: { reason }, reason, delayMs: BUDGET_WAIT_MS, counts: false };
    }
    b.remaining--;
    b.counted.add(row.message_id);
    b.lastTakeAt = Date.now();
    return undefined;
  }

  const fallsBack = (n: NumberRow) => policies.get(n.orgId) ?? true;

  /**
   * Where the send goes, or a failure (the policy is `fail` and the WABA is not onboarded). A send
   * of a number without the setting, or not a MARKETING template, goes through `/messages`.
   */
  function routeOf(n: NumberRow, row: ClaimedSend): Route | SendResult {
    if (!n.marketingMessagesApi) return { via: 'messages' };
    const k = templateKey(n, row);
    if (!k || categories.get(k) !== 'MARKETING') return { via: 'messages' };
    if (n.marketingMessagesStatus === 'ONBOARDED') {
      return {
        via: 'marketing_messages',
        ttlSeconds: row.campaign_id ? (ttls.get(row.campaign_id) ?? null) : null,
      };
    }
    return notOnboarded(n, n.marketingMessagesStatus ?? 'unknown');
  }

  /** The WABA is not onboarded (stored status, or Meta's 134100): the organisation's policy. */
  function notOnboarded(n: NumberRow, status: string): Route | SendResult {
    if (fallsBack(n)) return { via: 'messages' };
    const reason = `The Marketing Messages API refused the send: the WABA is not onboarded (${status}), and the organisation's policy is not to fall back to /messages`;
    return { kind: 'failed', error: { reason, code: 'MARKETING_MESSAGES_NOT_ONBOARDED' }, reason };
  }

  return { prepare, takeBudget, routeOf, notOnboarded };
}
export type SendRouting = ReturnType<typeof createSendRouting>;
