/** Meta's names for a number's health, in words. Values Meta adds later show as Meta wrote them. */

const QUALITY: Record<string, string> = {
  GREEN: 'High (green)',
  YELLOW: 'Medium (yellow)',
  RED: 'Low (red)',
  UNKNOWN: 'Unknown',
};

/** `GREEN` → "High (green)"; null → null. */
export const qualityName = (q: string | null | undefined) => (q ? (QUALITY[q] ?? q) : null);

/** `TIER_1K` → "1K", `TIER_UNLIMITED` → "unlimited"; null → null. */
export function tierName(tier: string | null | undefined) {
  if (!tier) return null;
  const t = tier.replace(/^TIER_/, '');
  return t === 'UNLIMITED' ? 'unlimited' : t;
}

/** A tier as its daily limit of business-initiated customers: "1K a day", "unlimited"; null → null. */
export function tierLimit(tier: string | null | undefined) {
  const t = tierName(tier);
  return t === null || t === 'unlimited' ? t : `${t} a day`;
}
