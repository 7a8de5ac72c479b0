import { readFile } from 'node:fs/promises';
import type { SpendQuery, UpdateBillingCapsBody } from '@openwaba/contracts';
import {
  type BillingOverview,
  type ImportRatesResult,
  parseRateCard,
  type RateCard,
  RateCategory,
  type SpendReport,
} from '@openwaba/contracts';
import type { z } from 'zod';
import { actorOf, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../auth/context.ts';
import type { Db, Tx } from '../db/client.ts';
import { type OnCommit, transaction } from '../db/tx.ts';
import type { DomainEventEmitter } from '../events/domain-events.ts';
import { AppError, forbidden } from '../lib/errors.ts';
import { normalizePhone } from '../lib/phone.ts';
import { type CardAt, dayOf, money, type Price, type PriceInput, priceOf } from './cost.ts';
import {
  campaignSpend,
  campaignsSpend,
  effectiveDates,
  getCaps,
  type RateRow,
  ratesOn,
  recordAlert,
  replaceRates,
  spendRows,
  upsertCaps,
  usageOf,
} from './repo.ts';

/** The rate card shipped with this release (Meta's figures, with their source and date in the file). */
export const SHIPPED_RATE_CARD = new URL('./meta-rates.csv', import.meta.url);

/** How long this process keeps the card of a day before reading it again (another process may import). */
const CARD_TTL_MS = 30_000;
/** A cap warns the organisation's admins once it is this far used. */
export const WARN_AT = 0.8;

/** The campaign a send belongs to, for its spend cap. */
export interface CampaignCap {
  id: string;
  name: string;
  spend_cap: string | number | null;
}

/** Prices of a campaign chunk: per template, market and window, for `insertCampaignChunk`. */
export interface ChunkPricing {
  currency: string | null;
  rows: { ti: number; country: string; in_window: boolean; amount: number | null; category: string }[];
}

/**
 * The billing domain (issue 21 §2): the dated rate card, the expected cost of every outbound message,
 * the organisation's and campaigns' caps (enforced on the send path), and spend.
 */
export function createBillingService(deps: {
  db: Db;
  domainEvents: DomainEventEmitter;
  /** Whether the user administers the whole install (the card is the install's). */
  isInstanceAdmin(userId: string): Promise<boolean>;
}) {
  const { db, domainEvents } = deps;
  const cache = new Map<string, { at: number; card: CardAt; rows: RateRow[] }>();

  async function loadDay(tx: Db | Tx, day: string) {
    const hit = cache.get(day);
    if (hit && Date.now() - hit.at < CARD_TTL_MS) return hit;
    const rows = await ratesOn(tx, day);
    const card: CardAt = {
      currency: rows[0]?.currency ?? null,
      rates: new Map(rows.map((r) => [`${r.market}|${r.category}`, Number(r.rate)])),
    };
    const entry = { at: Date.now(), card, rows };
    if (cache.size > 50) cache.clear();
    cache.set(day, entry);
    return entry;
  }

  /** The rates in force at `at`. */
  async function cardAt(at: Date, tx: Db | Tx = db) {
    return (await loadDay(tx, dayOf(at))).card;
  }

  /** The card in force on a day (today by default), as the API shows it. */
  async function card(day?: string): Promise<RateCard> {
    const d = day ?? dayOf(new Date());
    const { rows } = await loadDay(db, d);
    return {
      at: d,
      currency: rows[0]?.currency ?? null,
      effective_dates: await effectiveDates(db),
      rates: rows.map((r) => ({
        effective_from: r.effective_from,
        market: r.market,
        category: RateCategory.parse(r.category),
        rate: Number(r.rate),
        currency: r.currency,
        source: r.source,
      })),
    };
  }

  /**
   * Replaces the card's days that the file gives, all or nothing: a file with any bad line changes
   * nothing (400 naming each line). Instance administrators only: the card is the install's.
   */
  async function importRates(
    ctx: AuthContext | null,
    body: { csv: string; source?: string },
  ): Promise<ImportRatesResult> {
    if (ctx && !(await deps.isInstanceAdmin(ctx.userId))) {
      throw forbidden('Only an instance administrator can replace the rate card');
    }
    const parsed = parseRateCard(body.csv);
    if (!parsed.ok) {
      throw new AppError(
        'VALIDATION_FAILED',
        `The rate card has ${parsed.errors.length} problem(s): ${parsed.errors
          .slice(0, 5)
          .map((e) => (e.line ? `line ${e.line}: ${e.message}` : e.message))
          .join('; ')}`,
        { details: parsed.errors },
      );
    }
    const days = await transaction(db, async (tx) => {
      const d = await replaceRates(tx, parsed.lines, body.source ?? parsed.source);
      if (ctx) {
        await recordAudit(tx, actorOf(ctx), {
          action: 'rates.import',
          entityType: 'rate_card',
          entityId: d.join(','),
          after: { rates: parsed.lines.length, effective_dates: d },
        });
      }
      return d;
    });
    cache.clear();
    return {
      imported: parsed.lines.length,
      effective_dates: days.sort(),
      markets: new Set(parsed.lines.map((l) => l.market)).size,
    };
  }

  /**
   * At boot: an install without any rate card gets the one shipped with the release. A card once
   * imported is never overwritten by a release (`openwaba rates import` replaces it).
   */
  async function seedShippedCard(): Promise<ImportRatesResult | null> {
    if ((await effectiveDates(db)).length) return null;
    try {
      return await importRates(null, { csv: await readFile(SHIPPED_RATE_CARD, 'utf8') });
    } catch (err) {
      // Another process seeded it at the same moment.
      if ((await effectiveDates(db)).length) return null;
      throw err;
    }
  }

  /** The expected cost of one message to a contact (its country is its market). */
  async function priceSend(
    tx: Tx,
    contact: { wa_id: string | null; country: string | null },
    input: Omit<PriceInput, 'at'>,
  ) {
    const at = new Date();
    const card = await cardAt(at, tx);
    // Meta prices by the recipient's country calling code: a contact without a recorded country
    // (one who wrote first) is priced by its number.
    const fromNumber = contact.wa_id ? normalizePhone(`+${contact.wa_id}`, { defaultRegion: 'US' }) : null;
    const country = contact.country ?? (fromNumber?.ok ? fromNumber.country : null);
    return priceOf(card, country, { ...input, at });
  }

  /** Prices of a campaign's templates in every market of the card, inside and outside the window. */
  async function chunkPricing(templates: { category: string }[], tx: Db | Tx = db): Promise<ChunkPricing> {
    const at = new Date();
    const card = await cardAt(at, tx);
    const markets = new Set<string>(['*']);
    for (const k of card.rates.keys()) markets.add(k.split('|')[0]!);
    const rows: ChunkPricing['rows'] = [];
    templates.forEach((t, ti) => {
      for (const country of markets) {
        for (const inWindow of [false, true]) {
          const p = priceOf(card, country === '*' ? null : country, {
            kind: 'template',
            templateCategory: t.category,
            inWindow,
            at,
          });
          rows.push({ ti, country, in_window: inWindow, amount: p.amount, category: p.category });
        }
      }
    });
    return { currency: card.currency, rows };
  }

  /**
   * Checks the caps after the caller recorded its messages in `tx` (their cost stamped): refuses
   * (CAP_REACHED, the transaction rolls back) when one is crossed, and warns the admins once when one
   * is 80 % used. The organisation's caps row is locked, so concurrent sends are counted one by one.
   */
  async function checkCaps(tx: Tx, onCommit: OnCommit, orgId: string, campaign?: CampaignCap) {
    const caps = await getCaps(tx, orgId, true);
    const campaignCap = campaign?.spend_cap == null ? null : Number(campaign.spend_cap);
    if (!caps?.daily_message_cap && caps?.monthly_spend_cap == null && campaignCap === null) return;
    const usage = await usageOf(tx, orgId);
    const currency = (await cardAt(new Date(), tx)).currency ?? '';
    const now = new Date();
    const checks: {
      kind: string;
      subject: string;
      period: string;
      used: number;
      cap: number;
      what: string;
    }[] = [];
    if (caps?.daily_message_cap) {
      checks.push({
        kind: 'daily_message_cap',
        subject: orgId,
        period: dayOf(now),
        used: usage.today,
        cap: caps.daily_message_cap,
        what: `the organisation's daily message cap (${caps.daily_message_cap} messages a day, UTC)`,
      });
    }
    if (caps?.monthly_spend_cap != null) {
      const cap = Number(caps.monthly_spend_cap);
      checks.push({
        kind: 'monthly_spend_cap',
        subject: orgId,
        period: dayOf(now).slice(0, 7),
        used: money(usage.month_spend),
        cap,
        what: `the organisation's monthly spend cap (${cap} ${currency})`,
      });
    }
    if (campaign && campaignCap !== null) {
      checks.push({
        kind: 'campaign_spend_cap',
        subject: campaign.id,
        period: 'all',
        used: money(await campaignSpend(tx, orgId, campaign.id)),
        cap: campaignCap,
        what: `the spend cap of campaign “${campaign.name}” (${campaignCap} ${currency})`,
      });
    }
    for (const c of checks) {
      if (c.used > c.cap) {
        throw new AppError('CAP_REACHED', `Not sent: this would cross ${c.what}; used ${c.used}`, {
          details: {
            reason: c.kind,
            cap: c.cap,
            used: c.used,
            ...(campaign ? { campaign_id: campaign.id } : {}),
          },
        });
      }
    }
    for (const c of checks) {
      if (c.used >= c.cap * WARN_AT && (await recordAlert(tx, orgId, c.kind, c.subject, c.period))) {
        domainEvents.emit(onCommit, 'billing.cap_near', {
          orgId,
          kind: c.kind,
          message: `${Math.floor((c.used / c.cap) * 100)}% of ${c.what} is used (${c.used} of ${c.cap}).`,
          campaignId: c.kind === 'campaign_spend_cap' ? c.subject : null,
        });
      }
    }
  }

  /** The caps and this month's use; in `tx` when given (the caller's transaction sees its own sends). */
  async function overview(ctx: Pick<AuthContext, 'orgId'>, tx: Db | Tx = db): Promise<BillingOverview> {
    const caps = await getCaps(tx, ctx.orgId);
    const usage = await usageOf(tx, ctx.orgId);
    const c = await cardAt(new Date(), tx);
    const now = new Date();
    return {
      caps: {
        daily_message_cap: caps?.daily_message_cap ?? null,
        monthly_spend_cap: caps?.monthly_spend_cap == null ? null : Number(caps.monthly_spend_cap),
        currency: c.currency ?? 'USD',
      },
      month: {
        from: `${dayOf(now).slice(0, 7)}-01`,
        spend: money(usage.month_spend),
        messages: usage.month_messages,
      },
      today: { from: dayOf(now), messages: usage.today },
    };
  }

  async function updateCaps(ctx: AuthContext, body: z.infer<typeof UpdateBillingCapsBody>) {
    await transaction(db, async (tx) => {
      const before = await getCaps(tx, ctx.orgId, true);
      const next = {
        daily_message_cap:
          body.daily_message_cap === undefined ? (before?.daily_message_cap ?? null) : body.daily_message_cap,
        monthly_spend_cap:
          body.monthly_spend_cap === undefined
            ? before?.monthly_spend_cap == null
              ? null
              : Number(before.monthly_spend_cap)
            : body.monthly_spend_cap,
      };
      await upsertCaps(tx, ctx.orgId, next);
      await recordAudit(tx, actorOf(ctx), {
        action: 'billing.caps_update',
        entityType: 'org',
        entityId: ctx.orgId,
        before: before ?? undefined,
        after: next,
      });
    });
    return overview(ctx);
  }

  async function spend(ctx: Pick<AuthContext, 'orgId'>, q: z.infer<typeof SpendQuery>): Promise<SpendReport> {
    const rows = await spendRows(db, ctx.orgId, q);
    const currency = (await cardAt(new Date())).currency ?? 'USD';
    const out = rows.map((r) => ({ ...r, spend: money(r.spend) }));
    return {
      from: q.from,
      to: q.to,
      group_by: q.group_by,
      currency,
      total: money(out.reduce((s, r) => s + r.spend, 0)),
      rows: out,
    };
  }

  return {
    card,
    cardAt,
    importRates,
    seedShippedCard,
    priceSend,
    chunkPricing,
    checkCaps,
    overview,
    updateCaps,
    spend,
    /** A campaign's expected spend so far (reports' campaign comparison). */
    campaignSpend: async (ctx: Pick<AuthContext, 'orgId'>, campaignId: string) =>
      money(await campaignSpend(deps.db, ctx.orgId, campaignId)),
    /** The spend of several campaigns at once (by campaign id; 0 when none). */
    campaignsSpend: async (ctx: Pick<AuthContext, 'orgId'>, campaignIds: string[]) => {
      const rows = campaignIds.length ? await campaignsSpend(deps.db, ctx.orgId, campaignIds) : [];
      const by = new Map(rows.map((r) => [r.campaign_id, money(Number(r.spend))]));
      return new Map(campaignIds.map((id) => [id, by.get(id) ?? 0]));
    },
  };
}
export type BillingService = ReturnType<typeof createBillingService>;
export type { Price };
