import { eq } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.ts';
import { orgSettings } from '../db/schema.ts';

/** Never in a campaign, whatever the policy says: Meta reserves it for one-time passwords. */
export const NEVER_IN_CAMPAIGNS = 'AUTHENTICATION';

/** The categories the organisation's campaign policy allows (never AUTHENTICATION). */
export async function policyOf(tx: Db | Tx, orgId: string): Promise<string[]> {
  const [s] = await tx
    .select({ c: orgSettings.campaignCategories })
    .from(orgSettings)
    .where(eq(orgSettings.orgId, orgId));
  return (s?.c ?? ['UTILITY', 'MARKETING']).filter((c) => c !== NEVER_IN_CAMPAIGNS);
}

/**
 * Whether campaigns may use a template of this category under the policy.
 *
 * @example allowedInCampaigns(['UTILITY', 'AUTHENTICATION'], 'AUTHENTICATION') // false
 */
export const allowedInCampaigns = (policy: string[], category: string) =>
  category !== NEVER_IN_CAMPAIGNS && policy.includes(category);
