import type { RateCategory } from '@openwaba/contracts';

/**
 * The cost model (issue 21 §2, docs/billing.md). Meta bills per delivered message, by the
 * recipient's market and the message's category:
 *
 * - marketing, utility and authentication templates at the market's rate for the category;
 * - a utility template inside the open 24-hour window, and a service (free-form) message, are free
 *   before SERVICE_CHARGED_FROM and charged at the market's utility rate from then on (a card may
 *   give `service` its own rate);
 * - everything inside a free entry-point window (72 h after a click-to-WhatsApp ad) is free.
 *
 * Which rule applies follows the day the message is sent, like the rates themselves.
 */
export const SERVICE_CHARGED_FROM = '2026-10-01';

/** What decides a message's price. */
export interface PriceInput {
  /** `template` with its category (Meta's, any case), or a free-form `service` message. */
  kind: 'template' | 'service';
  templateCategory?: string | null;
  /** The customer-service window is open (the customer wrote in the last 24 hours). */
  inWindow: boolean;
  /** The conversation is in a free entry-point window (click-to-WhatsApp ad, 72 h). */
  freeEntryPoint?: boolean;
  /** When it is sent. */
  at: Date;
}

/** The category a message is billed as, or `free`. */
export type BilledCategory = RateCategory | 'free';

const TEMPLATE_CATEGORIES = new Set([
  'marketing',
  'utility',
  'authentication',
  'authentication_international',
]);

export const dayOf = (at: Date) => at.toISOString().slice(0, 10);

export function billedCategory(i: PriceInput): BilledCategory {
  if (i.freeEntryPoint) return 'free';
  const charged = dayOf(i.at) >= SERVICE_CHARGED_FROM;
  if (i.kind === 'service') return charged ? 'service' : 'free';
  const c = (i.templateCategory ?? 'marketing').toLowerCase();
  const category = (TEMPLATE_CATEGORIES.has(c) ? c : 'marketing') as RateCategory;
  if (category === 'utility' && i.inWindow && !charged) return 'free';
  return category;
}

/** The rates in force at one time: `market|category` → rate. */
export interface CardAt {
  currency: string | null;
  rates: Map<string, number>;
}

/**
 * The rate of `category` for `market` (an ISO country, or null when unknown): the market's own, else
 * the card's `*` row. A service message without a rate of its own costs the utility rate; an
 * authentication-international one without its own, the authentication rate. Null: the card has none.
 */
export function rateOf(card: CardAt, market: string | null, category: RateCategory): number | null {
  const find = (c: RateCategory) =>
    (market ? card.rates.get(`${market}|${c}`) : undefined) ?? card.rates.get(`*|${c}`);
  const own = find(category);
  if (own !== undefined) return own;
  if (category === 'service') return find('utility') ?? null;
  if (category === 'authentication_international') return find('authentication') ?? null;
  return null;
}

export interface Price {
  amount: number | null;
  currency: string | null;
  category: BilledCategory;
}

/** A message's expected cost: amount null when the card has no rate for it (no card imported). */
export function priceOf(card: CardAt, market: string | null, i: PriceInput): Price {
  const category = billedCategory(i);
  if (category === 'free') return { amount: 0, currency: card.currency, category };
  return { amount: rateOf(card, market, category), currency: card.currency, category };
}

/** Money rounded to the card's precision (6 places), without float noise. */
export const money = (n: number) => Math.round(n * 1e6) / 1e6;
