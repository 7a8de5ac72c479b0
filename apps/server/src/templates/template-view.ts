import type { Template } from '@openwaba/contracts';
import { allowedInCampaigns } from './policy.ts';
import type { TemplateRow } from './repo.ts';

type Json = Record<string, unknown>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A template as the API shows it; whether campaigns may use it depends on the policy. */
export function toTemplate(r: TemplateRow, policy: string[]): Template {
  return {
    id: r.id,
    waba_id: r.wabaId,
    meta_id: r.metaId,
    name: r.name,
    language: r.language,
    status: r.status,
    category: r.category,
    parameter_format: r.parameterFormat === 'NAMED' ? 'NAMED' : 'POSITIONAL',
    components: r.components as Json[],
    quality_score: r.qualityScore,
    rejected_reason: r.rejectedReason,
    active: r.active,
    quarantined: r.quarantined,
    quarantine_reason: r.quarantineReason,
    quarantined_at: iso(r.quarantinedAt),
    usable_in_campaigns:
      r.active && r.status === 'APPROVED' && !r.quarantined && allowedInCampaigns(policy, r.category),
    last_synced_at: iso(r.lastSyncedAt),
  };
}

/** The data of a `template.status_updated` event. */
export function templateEventData(r: TemplateRow, status: string, reason: string | null) {
  return {
    waba_id: r.wabaId,
    template_id: r.metaId,
    name: r.name,
    language: r.language,
    status,
    reason,
  };
}
