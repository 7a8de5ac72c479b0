/**
 * Estimated cost of template messages by category and the recipient's country, in USD per delivered
 * message. Meta bills per message and changes its prices; this table is an estimate for pre-flight
 * only, replaceable through CAMPAIGN_RATE_TABLE (JSON of the same shape).
 */
export type RateTable = {
  currency: string;
  /** Category → country (ISO 3166-1 alpha-2, or `default`) → price. */
  rates: Record<string, Record<string, number>>;
};

export const DEFAULT_RATE_TABLE: RateTable = {
  currency: 'USD',
  rates: {
    MARKETING: {
      default: 0.0625,
      US: 0.025,
      GB: 0.0529,
      IE: 0.0631,
      DE: 0.1365,
      FR: 0.0859,
      ES: 0.0615,
      IN: 0.0107,
      BR: 0.0625,
      MX: 0.0305,
    },
    UTILITY: {
      default: 0.008,
      US: 0.004,
      GB: 0.022,
      IE: 0.0253,
      DE: 0.0549,
      FR: 0.03,
      ES: 0.02,
      IN: 0.0014,
      BR: 0.008,
      MX: 0.0085,
    },
    AUTHENTICATION: {
      default: 0.0135,
      US: 0.0135,
      GB: 0.0358,
      IE: 0.0316,
      DE: 0.0768,
      FR: 0.0689,
      ES: 0.0272,
      IN: 0.0014,
      BR: 0.0315,
      MX: 0.0305,
    },
  },
};

/** The price of one message of `category` to `country` (the table's default for unlisted countries). */
export function priceOf(table: RateTable, category: string, country: string | null): number {
  const byCountry = table.rates[category.toUpperCase()] ?? table.rates.MARKETING ?? {};
  return byCountry[country ?? ''] ?? byCountry.default ?? 0;
}

/**
 * Meta's messaging-limit tier → unique recipients of template messages per rolling 24 hours
 * (`TIER_250`, `TIER_1K`, `TIER_2K`, …); `Infinity` for `TIER_UNLIMITED`, null for a tier it does not name.
 */
export function tierLimit(tier: string | null | undefined): number | null {
  if (tier === 'TIER_UNLIMITED') return Number.POSITIVE_INFINITY;
  const m = /^TIER_(\d+)(K)?$/.exec(tier ?? '');
  if (!m) return null;
  return Number(m[1]) * (m[2] ? 1000 : 1);
}
