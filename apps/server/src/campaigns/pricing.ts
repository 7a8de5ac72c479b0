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
