/**
 * Graph API versions and the day Meta stops serving each (Meta's changelog, "Available until"; as of
 * 2026-12). A version whose end is not announced yet is null. Update this table when Meta publishes
 * a new version or an end date: `/healthz` and the start-up log warn from it.
 */
export const GRAPH_VERSIONS: Record<string, { released: string; expires: string | null }> = {
  'v19.0': { released: '2024-01-23', expires: '2026-05-21' },
  'v20.0': { released: '2024-05-21', expires: '2026-09-24' },
  'v21.0': { released: '2024-10-02', expires: '2027-01-21' },
  'v22.0': { released: '2025-01-21', expires: '2027-05-20' },
  'v23.0': { released: '2025-05-29', expires: '2027-10-08' },
  'v24.0': { released: '2025-10-08', expires: '2028-02-18' },
  'v25.0': { released: '2026-02-18', expires: '2028-07-29' },
  'v26.0': { released: '2026-07-29', expires: null },
  'v27.0': { released: '2026-11', expires: null },
};

/** How long before a version's end `/healthz` starts warning. */
export const GRAPH_VERSION_WARN_DAYS = 90;

const DAY_MS = 86_400_000;

/**
 * Why the configured Graph version needs attention, or null: it is unknown to this table, expired,
 * or ends within 90 days.
 *
 * @example
 * graphVersionWarning('v21.0', new Date('2026-12-05')) // 'Graph API v21.0 ends on 2027-01-21 (in 47 days): …'
 */
export function graphVersionWarning(version: string, now = new Date()): string | null {
  const known = GRAPH_VERSIONS[version];
  const advice = 'set META_GRAPH_VERSION to a current version (v25.0 or later)';
  if (!known) return `Graph API ${version} is not a version this openwaba knows: ${advice}`;
  if (!known.expires) return null;
  const days = Math.ceil((Date.parse(`${known.expires}T00:00:00Z`) - now.getTime()) / DAY_MS);
  if (days <= 0) return `Graph API ${version} ended on ${known.expires}: Meta refuses its calls; ${advice}`;
  if (days <= GRAPH_VERSION_WARN_DAYS)
    return `Graph API ${version} ends on ${known.expires} (in ${days} days): ${advice}`;
  return null;
}
